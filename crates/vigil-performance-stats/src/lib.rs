//! Model performance for Vigil: how right a model's predictions were once labels arrived, and how
//! right they probably are before labels arrive.
//!
//! Everything here is a pure function of numbers, and the crate depends on no part of Vigil's
//! engine. Every figure is checked against the library a data scientist would reach for, on
//! fixtures written by `reference/make_fixtures.py` (pinned versions at its top) into
//! `tests/fixtures/`:
//! - [`classifier`]: accuracy, precision, recall, F1, ROC AUC, log loss, as scikit-learn.
//! - [`regressor`]: MAE, RMSE, MAPE, R², as scikit-learn.
//! - [`cbpe`]: NannyML's confidence-based performance estimation, for a binary classifier's
//!   windows whose labels have not arrived, with its confidence band and alert thresholds.
//! - [`feedback`]: the warning that a model's revisions learn from behaviour their predecessors caused.
//!
//! A figure that is not defined on a window (no labels, one class only, a constant truth) is
//! `None`, never a stand-in number, and comes with one plain sentence saying why.

pub mod cbpe;
pub mod classifier;
pub mod feedback;
pub mod regressor;

pub use cbpe::{Cbpe, CbpeMetric, Estimate, Thresholds};
pub use classifier::{classifier, Averaging, ClassifierMetrics};
pub use feedback::{feedback_loop, FeedbackVerdict, RevisionWindow};
pub use regressor::{regressor, RegressorMetrics};

/// The sentences explaining each figure left undefined, in the order the figures were computed.
#[derive(Debug, Default)]
pub(crate) struct Undefined(Vec<String>);

impl Undefined {
    /// `value`, or when it is `None`, records "`figure` is undefined: `reason`".
    pub(crate) fn check(&mut self, figure: &str, value: Option<f64>, reason: impl FnOnce() -> String) -> Option<f64> {
        if value.is_none() {
            self.0.push(format!("{figure} is undefined: {}", reason()));
        }
        value
    }

    /// Records the same reason for each of `figures`.
    pub(crate) fn all(&mut self, figures: &[&str], reason: &str) {
        for figure in figures {
            self.check(figure, None, || reason.to_string());
        }
    }

    pub(crate) fn into_sentences(self) -> Vec<String> {
        self.0
    }
}

/// Why no figure can be computed from `truths` true values (named `noun`) and `predictions`
/// predictions: they do not pair up, or there are none.
pub(crate) fn pairing_problem(truths: usize, predictions: usize, noun: &str) -> Option<String> {
    if truths != predictions {
        Some(format!(
            "{truths} {noun} and {predictions} predictions do not pair up: each labelled prediction needs one of each"
        ))
    } else if truths == 0 {
        Some("there are no labelled predictions".to_string())
    } else {
        None
    }
}

/// `numerator / denominator`, `None` when the denominator is 0.
pub(crate) fn ratio(numerator: usize, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The arithmetic mean (0 for nothing: callers check emptiness first).
pub(crate) fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(sum, count), v| (sum + v, count + 1));
    sum / count.max(1) as f64
}

/// A reference fixture written by `reference/make_fixtures.py`, for the unit tests.
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {name}: {e}"))
}
