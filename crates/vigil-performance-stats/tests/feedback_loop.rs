//! The feedback-loop warning on simulated deployments: a recommender whose every revision is
//! trained on the clicks its predecessor's recommendations drew warns; revisions retrained on
//! fresh, uninfluenced data (the negative control) do not, nor does a model that only grows more
//! confident while the world's labels stay put.

use vigil_performance_stats::feedback::{feedback_loop, RevisionWindow, ENTROPY_FALL_SHARE};

/// What users are actually interested in, over eight kinds of item.
const INTEREST: [f64; 8] = [0.2, 0.18, 0.15, 0.13, 0.11, 0.09, 0.08, 0.06];
const PREDICTIONS_PER_WINDOW: usize = 3000;
const LABELS_PER_WINDOW: usize = 1500;

/// A seeded sampler (splitmix64), so each simulated window is the same on every run.
struct Sampler(u64);

impl Sampler {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Counts of `draws` draws from `shares`.
    fn counts(&mut self, shares: &[f64], draws: usize) -> Vec<f64> {
        let mut counts = vec![0.0; shares.len()];
        for _ in 0..draws {
            let mut u = self.uniform();
            let pick = shares.iter().position(|&s| {
                u -= s;
                u < 0.0
            });
            counts[pick.unwrap_or(shares.len() - 1)] += 1.0;
        }
        counts
    }
}

fn shares(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    counts.iter().map(|c| c / total).collect()
}

/// Six revisions: each recommends in proportion to what it learned; users click what they were
/// shown in proportion to their interest; `train_on` makes the next revision from those clicks and
/// the current model.
fn deploy(
    train_on: impl Fn(&[f64], &[f64], &mut Sampler) -> Vec<f64>,
    labels_of: impl Fn(&[f64]) -> Vec<f64>,
) -> Vec<RevisionWindow> {
    let mut sampler = Sampler(16);
    let mut model = INTEREST.to_vec();
    (1..=6)
        .map(|n| {
            let predictions = sampler.counts(&model, PREDICTIONS_PER_WINDOW);
            let labels = sampler.counts(&labels_of(&shares(&predictions)), LABELS_PER_WINDOW);
            model = train_on(&labels, &model, &mut sampler);
            RevisionWindow { revision: format!("v{n}"), predictions, labels }
        })
        .collect()
}

/// Clicks on what was recommended: the recommended share times the users' interest.
fn clicks_on(recommended: &[f64]) -> Vec<f64> {
    shares(&recommended.iter().zip(INTEREST).map(|(r, i)| r * i).collect::<Vec<f64>>())
}

#[test]
fn a_recommender_trained_on_its_own_clicks_warns_in_words_a_product_manager_reads() {
    let revisions = deploy(|clicks, _, _| shares(clicks), clicks_on);
    let verdict = feedback_loop(&revisions).expect("valid distributions");
    assert!(verdict.warn, "{verdict:?}");
    assert!(
        verdict.entropies.windows(2).all(|pair| pair[1] < pair[0]),
        "the predictions narrow: {:?}",
        verdict.entropies
    );
    assert_eq!(verdict.distances[0], None, "the first revision has no predecessor");
    assert!(
        verdict.sentence.starts_with("Possible feedback loop: from revision v1 to revision v6 (6 revisions)"),
        "{}",
        verdict.sentence
    );
    assert!(verdict.sentence.contains("Retrain the next revision on data the model did not influence"));
    assert!(
        !verdict.sentence.contains("entropy") && !verdict.sentence.contains("Jensen"),
        "no jargon: {}",
        verdict.sentence
    );
}

#[test]
fn revisions_retrained_on_fresh_uninfluenced_data_do_not_warn() {
    // Negative control: each revision learns from a fresh sample of what users want, and the labels
    // in its window are what users want, whatever was recommended.
    let revisions =
        deploy(|_, _, sampler| shares(&sampler.counts(&INTEREST, LABELS_PER_WINDOW)), |_| INTEREST.to_vec());
    let verdict = feedback_loop(&revisions).expect("valid distributions");
    assert!(!verdict.warn, "{verdict:?}");
    let (highest, lowest) = verdict.entropies.iter().fold((f64::MIN, f64::MAX), |(h, l), &e| (h.max(e), l.min(e)));
    assert!(highest - lowest < ENTROPY_FALL_SHARE * highest, "fresh data keeps the predictions as varied: {verdict:?}");
    assert!(verdict.sentence.starts_with("No sign of a feedback loop across the 6 revisions"), "{}", verdict.sentence);
}

#[test]
fn a_model_that_only_grows_confident_while_labels_stay_put_does_not_warn() {
    // The predictions narrow as in a loop, but the labels keep the users' interest, so they drift
    // away from the predictions instead of towards them.
    let revisions =
        deploy(|_, model, _| shares(&model.iter().map(|s| s.powf(1.5)).collect::<Vec<f64>>()), |_| INTEREST.to_vec());
    let verdict = feedback_loop(&revisions).expect("valid distributions");
    assert!(verdict.entropies.first() > verdict.entropies.last(), "the predictions narrow: {verdict:?}");
    assert!(!verdict.warn, "{verdict:?}");
}

#[test]
fn two_revisions_are_too_few_to_judge_and_say_so() {
    let window = |revision: &str| RevisionWindow {
        revision: revision.to_string(),
        predictions: vec![5.0, 3.0, 2.0],
        labels: vec![4.0, 4.0, 2.0],
    };
    let verdict = feedback_loop(&[window("a"), window("b")]).expect("valid distributions");
    assert!(!verdict.warn);
    assert!(verdict.sentence.contains("at least 3 revisions in a row, and there are 2"), "{}", verdict.sentence);
}

#[test]
fn distributions_over_different_categories_are_refused_naming_the_revision() {
    let revisions = [
        RevisionWindow { revision: "a".into(), predictions: vec![1.0, 2.0], labels: vec![] },
        RevisionWindow { revision: "b".into(), predictions: vec![1.0, 2.0, 3.0], labels: vec![] },
    ];
    let error = feedback_loop(&revisions).unwrap_err();
    assert!(
        error.starts_with("the predictions of revision b: 3 categories where the first revision's predictions have 2"),
        "{error}"
    );
}
