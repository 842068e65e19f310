//! NannyML's rule for whether a model's scores need calibrating (`needs_calibration` in
//! `nannyml/calibration.py`, 0.13.1): unless the labels hold one class or the scores separate them
//! almost perfectly (ROC AUC above 0.999), fit the isotonic calibrator on nine tenths of the
//! reference and calibrate the held-out tenth, ten times over scikit-learn's
//! `StratifiedShuffleSplit(n_splits=10, test_size=0.1, random_state=42)`; calibrate when the
//! expected calibration error of the pooled held-out tenths is lower calibrated than raw.
//!
//! The splits are drawn with numpy's generator, so the decision is NannyML's. One difference
//! remains: scores tied at the edge of an error bin are ordered stably here, where numpy's
//! quicksort leaves their order unspecified.

use super::isotonic::Isotonic;
use super::random_state::RandomState;
use crate::classifier::roc_auc;

const SPLITS: usize = 10;
const HELD_OUT_SHARE: f64 = 0.1;
const SPLIT_SEED: u32 = 42;
const ERROR_BINS: usize = 10;
const SEPARATES_PERFECTLY: f64 = 0.999;

/// Whether calibrating `score` against `truth` lowers its expected calibration error; an error
/// when the reference is too small to hold out a tenth of each class.
pub(crate) fn needs_calibration(truth: &[bool], score: &[f64]) -> Result<bool, String> {
    if truth.iter().all(|&t| t == truth[0]) || roc_auc(truth, score).is_some_and(|auc| auc > SEPARATES_PERFECTLY) {
        return Ok(false);
    }
    let (mut held_out_truth, mut raw, mut calibrated) = (Vec::new(), Vec::new(), Vec::new());
    for (train, test) in stratified_splits(truth)? {
        let train_score: Vec<f64> = train.iter().map(|&i| score[i]).collect();
        let train_truth: Vec<bool> = train.iter().map(|&i| truth[i]).collect();
        let calibrator = Isotonic::fit(&train_score, &train_truth);
        for i in test {
            held_out_truth.push(truth[i]);
            raw.push(score[i]);
            calibrated.push(calibrator.calibrate(score[i]));
        }
    }
    let edges = bin_edges(held_out_truth.len());
    Ok(expected_calibration_error(&held_out_truth, &raw, &edges)
        > expected_calibration_error(&held_out_truth, &calibrated, &edges))
}

/// The indices of one split: fit on `.0`, held out `.1`.
type Split = (Vec<usize>, Vec<usize>);

/// scikit-learn's stratified shuffle splits, drawn as it draws them.
fn stratified_splits(truth: &[bool]) -> Result<Vec<Split>, String> {
    let n = truth.len();
    let test_size = (HELD_OUT_SHARE * n as f64).ceil() as usize;
    let train_size = n - test_size;
    // np.unique sorts the classes: the negatives (false) come first.
    let class_members: [Vec<usize>; 2] =
        [false, true].map(|class| (0..n).filter(|&i| truth[i] == class).collect::<Vec<usize>>());
    let counts = class_members.clone().map(|members| members.len());
    if counts.iter().any(|&c| c < 2) || test_size < 2 || train_size < 2 {
        return Err(format!(
            "deciding whether to calibrate holds out a tenth of the reference with both classes in it, and {n} labelled \
             predictions ({} positive) are too few: use a reference with at least two of each class and 11 in all",
            counts[1]
        ));
    }
    let mut rng = RandomState::new(SPLIT_SEED);
    let mut splits = Vec::with_capacity(SPLITS);
    for _ in 0..SPLITS {
        let train_counts = approximate_mode(&counts, train_size, &mut rng);
        let remaining = [counts[0] - train_counts[0], counts[1] - train_counts[1]];
        let test_counts = approximate_mode(&remaining, test_size, &mut rng);
        let (mut train, mut test) = (Vec::with_capacity(train_size), Vec::with_capacity(test_size));
        for (class, members) in class_members.iter().enumerate() {
            let shuffled: Vec<usize> = rng.permutation(members.len()).into_iter().map(|j| members[j]).collect();
            train.extend_from_slice(&shuffled[..train_counts[class]]);
            test.extend_from_slice(&shuffled[train_counts[class]..train_counts[class] + test_counts[class]]);
        }
        rng.shuffle(&mut train);
        rng.shuffle(&mut test);
        splits.push((train, test));
    }
    Ok(splits)
}

/// scikit-learn's `_approximate_mode`: `draws` shared out in proportion to `counts`, the rounding
/// left-overs going to the largest remainders, ties broken at random.
fn approximate_mode(counts: &[usize; 2], draws: usize, rng: &mut RandomState) -> [usize; 2] {
    let total = (counts[0] + counts[1]) as f64;
    let continuous = counts.map(|c| c as f64 / total * draws as f64);
    let mut floored = continuous.map(f64::floor);
    let mut need = (draws as f64 - (floored[0] + floored[1])) as usize;
    let remainder = [continuous[0] - floored[0], continuous[1] - floored[1]];
    let mut values = remainder.to_vec();
    values.sort_by(|a, b| b.total_cmp(a));
    values.dedup();
    for value in values {
        if need == 0 {
            break;
        }
        let tied: Vec<usize> = (0..2).filter(|&i| remainder[i] == value).collect();
        let add_now = tied.len().min(need);
        for pick in rng.permutation(tied.len()).into_iter().take(add_now) {
            floored[tied[pick]] += 1.0;
        }
        need -= add_now;
    }
    floored.map(|f| f as usize)
}

/// NannyML's equal-count bins over `length` sorted scores: `[start, end)` index pairs.
fn bin_edges(length: usize) -> Vec<(usize, usize)> {
    let bins = if length <= 2 * ERROR_BINS { length / 2 } else { ERROR_BINS };
    let width = length / bins;
    let mut edges: Vec<usize> = (0..=length).step_by(width).collect();
    if let Some(last) = edges.last_mut() {
        *last = length;
    }
    edges.windows(2).map(|pair| (pair[0], pair[1])).collect()
}

/// The bin-size-weighted mean gap between the mean score and the share of positives, bins taken
/// over the scores in ascending order.
fn expected_calibration_error(truth: &[bool], score: &[f64], edges: &[(usize, usize)]) -> f64 {
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let n = score.len() as f64;
    edges
        .iter()
        .map(|&(start, end)| {
            let bin = &order[start..end];
            let size = bin.len() as f64;
            let mean_score = bin.iter().map(|&i| score[i]).sum::<f64>() / size;
            let share = bin.iter().filter(|&&i| truth[i]).count() as f64 / size;
            size / n * (mean_score - share).abs()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(scenario: &serde_json::Value) -> Vec<bool> {
        let truth: Vec<i64> = serde_json::from_value(scenario["reference"]["truth"].clone()).expect("labels");
        truth.into_iter().map(|t| t == 1).collect()
    }

    #[test]
    fn the_held_out_tenths_are_the_ones_scikit_learn_draws() {
        let fixture = crate::fixture("cbpe.json");
        for scenario in fixture["scenarios"].as_array().expect("scenarios") {
            let expected: Vec<Vec<usize>> =
                serde_json::from_value(scenario["held_out_indices"].clone()).expect("held-out indices");
            let held_out: Vec<Vec<usize>> = stratified_splits(&labels(scenario))
                .expect("the reference is large enough")
                .into_iter()
                .map(|(_, mut test)| {
                    test.sort_unstable();
                    test
                })
                .collect();
            assert_eq!(held_out, expected, "{}", scenario["name"]);
        }
    }

    #[test]
    fn the_decision_to_calibrate_is_nannymls() {
        let fixture = crate::fixture("cbpe.json");
        for scenario in fixture["scenarios"].as_array().expect("scenarios") {
            let score: Vec<f64> = serde_json::from_value(scenario["reference"]["probability"].clone()).expect("scores");
            let decision = needs_calibration(&labels(scenario), &score).expect("the reference is large enough");
            assert_eq!(Some(decision), scenario["needs_calibration"].as_bool(), "{}", scenario["name"]);
        }
    }

    #[test]
    fn a_reference_too_small_to_hold_out_both_classes_is_refused_with_the_counts() {
        let error = needs_calibration(&[true, false, false, true, false], &[0.9, 0.2, 0.4, 0.3, 0.6]).unwrap_err();
        assert!(error.contains("5 labelled predictions (2 positive) are too few"), "{error}");
    }

    #[test]
    fn bins_split_the_sorted_scores_in_equal_counts_the_last_taking_the_rest() {
        assert_eq!(
            bin_edges(20),
            vec![(0, 2), (2, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14), (14, 16), (16, 18), (18, 20)]
        );
        assert_eq!(bin_edges(105).last(), Some(&(90, 105)));
    }
}
