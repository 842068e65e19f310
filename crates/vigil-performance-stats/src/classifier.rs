//! Realized performance of a classifier on one window of labelled predictions: accuracy,
//! precision, recall, F1, ROC AUC and log loss, with the numbers scikit-learn 1.9 gives.
//!
//! With at most two classes among the labels and predictions, precision, recall and F1 are those
//! of the model's declared positive class (scikit-learn's `average="binary"` with `pos_label`);
//! with more, they are macro-averaged over every class seen (`average="macro"`), and
//! [`Averaging`] says which. ROC AUC and log loss need the probability of the positive class, so
//! they are computed for binary classifiers only.
//!
//! Where scikit-learn warns and returns a stand-in number, the figure here is `None` and
//! [`ClassifierMetrics::undefined`] holds a sentence saying why:
//! - precision when nothing was predicted as the positive class (scikit-learn: 0 with
//!   `zero_division="warn"`); macro precision when any class seen is never predicted;
//! - recall when no label is the positive class; macro recall when any class seen is never a label;
//! - F1 when the positive class is neither a label nor a prediction (F1 is `2·TP / (2·TP + FP + FN)`,
//!   so it stays defined, at 0, when only precision or recall is undefined, as in scikit-learn);
//! - ROC AUC when the labels hold one class only (scikit-learn: an error or `nan`).
//!
//! ROC AUC is the Mann–Whitney statistic: the share of (positive, negative) pairs the probability
//! ranks the right way round, a tie counting half. That is exactly the trapezoid area under the
//! ROC curve over distinct thresholds that `roc_auc_score` computes. Log loss clips each
//! probability to `[ε, 1 − ε]`, ε the `f64` machine epsilon, as `log_loss` does since
//! scikit-learn 1.5 (before, ε was 1e-15).

use std::collections::BTreeSet;

use serde::Serialize;
use ts_rs::TS;

use crate::{mean, pairing_problem, ratio, Undefined};

/// How precision, recall and F1 were averaged.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Averaging {
    /// Those of the declared positive class: at most two classes were seen.
    Binary { positive: i64 },
    /// The unweighted mean over every class seen among the labels and predictions.
    Macro { classes: usize },
}

/// A classifier's realized performance on one window.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ClassifierMetrics {
    /// The labelled predictions the figures rest on.
    pub count: usize,
    pub averaging: Averaging,
    pub accuracy: Option<f64>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub roc_auc: Option<f64>,
    pub log_loss: Option<f64>,
    /// One plain sentence for each figure that is `None`, saying why.
    pub undefined: Vec<String>,
}

/// The realized metrics of `predicted` against `truth` (paired by position), `positive` being the
/// model's declared positive class. `probability` is P(positive) per prediction; without it, or
/// with more than two classes, ROC AUC and log loss are `None`, said so.
pub fn classifier(truth: &[i64], predicted: &[i64], probability: Option<&[f64]>, positive: i64) -> ClassifierMetrics {
    let classes: BTreeSet<i64> = truth.iter().chain(predicted).copied().collect();
    let averaging =
        if classes.len() > 2 { Averaging::Macro { classes: classes.len() } } else { Averaging::Binary { positive } };
    let mut undefined = Undefined::default();
    if let Some(reason) = pairing_problem(truth.len(), predicted.len(), "labels") {
        undefined.all(&["Accuracy", "Precision", "Recall", "F1", "ROC AUC", "Log loss"], &reason);
        return ClassifierMetrics {
            count: 0,
            averaging,
            accuracy: None,
            precision: None,
            recall: None,
            f1: None,
            roc_auc: None,
            log_loss: None,
            undefined: undefined.into_sentences(),
        };
    }
    let count = truth.len();
    let correct = truth.iter().zip(predicted).filter(|(t, p)| t == p).count();
    let accuracy = ratio(correct, count);
    let (precision, recall, f1) = match averaging {
        Averaging::Binary { positive } => binary_scores(truth, predicted, positive, &mut undefined),
        Averaging::Macro { .. } => macro_scores(truth, predicted, &classes, &mut undefined),
    };
    let (roc_auc, log_loss) = match (&averaging, probability) {
        (Averaging::Macro { classes }, _) => {
            let reason = format!(
                "{classes} classes were seen, and it needs a probability per class where one per prediction is kept"
            );
            undefined.all(&["ROC AUC", "Log loss"], &reason);
            (None, None)
        }
        (Averaging::Binary { .. }, None) => {
            undefined.all(&["ROC AUC", "Log loss"], "these predictions carry no probability of the positive class");
            (None, None)
        }
        (Averaging::Binary { positive }, Some(probability)) => {
            probability_scores(truth, probability, *positive, &mut undefined)
        }
    };
    ClassifierMetrics {
        count,
        averaging,
        accuracy,
        precision,
        recall,
        f1,
        roc_auc,
        log_loss,
        undefined: undefined.into_sentences(),
    }
}

/// How often one class was right, predicted and a label.
#[derive(Debug, Clone, Copy, Default)]
struct ClassCounts {
    true_positive: usize,
    predicted: usize,
    labelled: usize,
}

impl ClassCounts {
    fn of(class: i64, truth: &[i64], predicted: &[i64]) -> ClassCounts {
        truth.iter().zip(predicted).fold(ClassCounts::default(), |mut counts, (&t, &p)| {
            counts.true_positive += usize::from(t == class && p == class);
            counts.predicted += usize::from(p == class);
            counts.labelled += usize::from(t == class);
            counts
        })
    }

    fn precision(self) -> Option<f64> {
        ratio(self.true_positive, self.predicted)
    }

    fn recall(self) -> Option<f64> {
        ratio(self.true_positive, self.labelled)
    }

    /// `2·TP / (2·TP + FP + FN)`, which is `2·TP / (labelled + predicted)`.
    fn f1(self) -> Option<f64> {
        ratio(2 * self.true_positive, self.labelled + self.predicted)
    }
}

type Scores = (Option<f64>, Option<f64>, Option<f64>);

fn binary_scores(truth: &[i64], predicted: &[i64], positive: i64, undefined: &mut Undefined) -> Scores {
    let counts = ClassCounts::of(positive, truth, predicted);
    let n = truth.len();
    let precision = undefined.check("Precision", counts.precision(), || {
        format!("none of the {n} predictions is the positive class {positive}")
    });
    let recall = undefined
        .check("Recall", counts.recall(), || format!("none of the {n} labels is the positive class {positive}"));
    let f1 = undefined.check("F1", counts.f1(), || {
        format!("the positive class {positive} is neither among the {n} labels nor among the predictions")
    });
    (precision, recall, f1)
}

fn macro_scores(truth: &[i64], predicted: &[i64], classes: &BTreeSet<i64>, undefined: &mut Undefined) -> Scores {
    let counts: Vec<(i64, ClassCounts)> =
        classes.iter().map(|&class| (class, ClassCounts::of(class, truth, predicted))).collect();
    let macro_mean = |score: fn(ClassCounts) -> Option<f64>| -> Result<f64, Vec<i64>> {
        let scores: Vec<(i64, Option<f64>)> = counts.iter().map(|&(class, c)| (class, score(c))).collect();
        let missing: Vec<i64> = scores.iter().filter(|(_, s)| s.is_none()).map(|&(class, _)| class).collect();
        if missing.is_empty() {
            Ok(mean(scores.iter().filter_map(|&(_, s)| s)))
        } else {
            Err(missing)
        }
    };
    let precision = check_macro(undefined, "precision", macro_mean(ClassCounts::precision), "never predicted");
    let recall = check_macro(undefined, "recall", macro_mean(ClassCounts::recall), "never among the labels");
    // Every class seen is a label or a prediction, so each one's F1 is defined.
    let f1 = check_macro(undefined, "F1", macro_mean(ClassCounts::f1), "neither a label nor a prediction");
    (precision, recall, f1)
}

/// The macro mean, or `None` with a sentence naming the classes whose own score is undefined.
fn check_macro(undefined: &mut Undefined, score: &str, mean: Result<f64, Vec<i64>>, why: &str) -> Option<f64> {
    let reason = |classes: &[i64]| match classes {
        [class] => format!("class {class} is {why}"),
        _ => {
            let names: Vec<String> = classes.iter().map(i64::to_string).collect();
            format!("classes {} are {why}", names.join(", "))
        }
    };
    match mean {
        Ok(value) => Some(value),
        Err(classes) => undefined.check(&format!("Macro {score}"), None, || reason(&classes)),
    }
}

/// ROC AUC and log loss, after checking that each probability is one.
fn probability_scores(
    truth: &[i64],
    probability: &[f64],
    positive: i64,
    undefined: &mut Undefined,
) -> (Option<f64>, Option<f64>) {
    if probability.len() != truth.len() {
        let reason = format!("{} probabilities came with {} labelled predictions", probability.len(), truth.len());
        undefined.all(&["ROC AUC", "Log loss"], &reason);
        return (None, None);
    }
    if let Some((index, p)) = probability.iter().enumerate().find(|(_, p)| !(0.0..=1.0).contains(*p)) {
        let reason = format!("prediction {} has probability {p}, and a probability lies between 0 and 1", index + 1);
        undefined.all(&["ROC AUC", "Log loss"], &reason);
        return (None, None);
    }
    let is_positive: Vec<bool> = truth.iter().map(|&t| t == positive).collect();
    let roc_auc = undefined.check("ROC AUC", roc_auc(&is_positive, probability), || one_class_reason(truth, positive));
    (roc_auc, Some(log_loss(&is_positive, probability)))
}

fn one_class_reason(truth: &[i64], positive: i64) -> String {
    match truth {
        [first, ..] if truth.iter().all(|t| t == first) => {
            format!("every one of the {} labels is {first}, and it compares positives with negatives", truth.len())
        }
        _ => format!("none of the {} labels is the positive class {positive}", truth.len()),
    }
}

/// The share of (positive, negative) pairs whose scores rank the positive higher, ties counting
/// half; `None` unless both kinds are present.
pub(crate) fn roc_auc(is_positive: &[bool], score: &[f64]) -> Option<f64> {
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let (mut negatives_below, mut pairs_won) = (0.0, 0.0);
    let mut start = 0;
    while start < order.len() {
        let tied = order[start..].iter().take_while(|&&i| score[i] == score[order[start]]).count();
        let positives = order[start..start + tied].iter().filter(|&&i| is_positive[i]).count() as f64;
        let negatives = tied as f64 - positives;
        pairs_won += positives * (negatives_below + 0.5 * negatives);
        negatives_below += negatives;
        start += tied;
    }
    let positives = is_positive.iter().filter(|&&p| p).count() as f64;
    let pairs = positives * negatives_below;
    (pairs > 0.0).then(|| pairs_won / pairs)
}

/// The mean negative log-likelihood of the labels, each probability clipped to `[ε, 1 − ε]`.
fn log_loss(is_positive: &[bool], probability: &[f64]) -> f64 {
    let clip = |p: f64| p.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
    let losses = is_positive.iter().zip(probability).map(|(&positive, &p)| {
        let likelihood = if positive { clip(p) } else { clip(1.0 - p) };
        -likelihood.ln()
    });
    mean(losses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tie_between_a_positive_and_a_negative_counts_half() {
        assert_eq!(roc_auc(&[true, false], &[0.5, 0.5]), Some(0.5));
        assert_eq!(roc_auc(&[true, false, true], &[0.9, 0.1, 0.1]), Some(0.75));
    }

    #[test]
    fn more_than_two_classes_are_macro_averaged_and_say_why_roc_auc_is_missing() {
        let metrics = classifier(&[0, 1, 2, 2], &[0, 1, 2, 1], Some(&[0.1, 0.2, 0.3, 0.4]), 1);
        assert_eq!(metrics.averaging, Averaging::Macro { classes: 3 });
        assert_eq!(metrics.roc_auc, None);
        assert!(metrics.undefined.iter().any(|s| s.starts_with("ROC AUC is undefined: 3 classes were seen")));
    }

    #[test]
    fn unpaired_inputs_leave_every_figure_undefined_with_the_counts() {
        let metrics = classifier(&[0, 1, 1], &[0, 1], None, 1);
        assert_eq!(metrics.accuracy, None);
        assert_eq!(metrics.undefined.len(), 6);
        assert!(metrics.undefined[0].contains("3 labels and 2 predictions do not pair up"));
    }
}
