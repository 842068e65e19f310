//! Realized performance of a regressor on one window of labelled predictions: MAE, RMSE, MAPE
//! and R², with the numbers scikit-learn 1.9 gives.
//!
//! MAPE divides each absolute error by `max(|y|, ε)`, ε the `f64` machine epsilon, as
//! `mean_absolute_percentage_error` does: a true value of 0 makes it huge, not undefined, and it is
//! a share (0.1 is 10 %), not a percentage.
//!
//! Where scikit-learn forces a number, the figure here is `None` with a sentence in
//! [`RegressorMetrics::undefined`] saying why: R² on fewer than two predictions (scikit-learn warns
//! and gives `nan`) and R² when every true value is the same (scikit-learn's `force_finite` gives
//! 1 or 0). With no labelled predictions, or a value that is not a finite number, every figure is
//! `None`.

use serde::Serialize;
use ts_rs::TS;

use crate::{mean, pairing_problem, Undefined};

/// A regressor's realized performance on one window.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RegressorMetrics {
    /// The labelled predictions the figures rest on.
    pub count: usize,
    pub mae: Option<f64>,
    pub rmse: Option<f64>,
    pub mape: Option<f64>,
    pub r2: Option<f64>,
    /// One plain sentence for each figure that is `None`, saying why.
    pub undefined: Vec<String>,
}

const FIGURES: [&str; 4] = ["MAE", "RMSE", "MAPE", "R²"];

/// The realized metrics of `predicted` against `truth`, paired by position.
pub fn regressor(truth: &[f64], predicted: &[f64]) -> RegressorMetrics {
    let mut undefined = Undefined::default();
    let unusable = unusable_reason(truth, predicted);
    if let Some(reason) = unusable {
        undefined.all(&FIGURES, &reason);
        let count = if truth.len() == predicted.len() { truth.len() } else { 0 };
        return RegressorMetrics {
            count,
            mae: None,
            rmse: None,
            mape: None,
            r2: None,
            undefined: undefined.into_sentences(),
        };
    }
    let pairs = || truth.iter().zip(predicted);
    let mae = mean(pairs().map(|(y, p)| (p - y).abs()));
    let rmse = mean(pairs().map(|(y, p)| (y - p) * (y - p))).sqrt();
    let mape = mean(pairs().map(|(y, p)| (p - y).abs() / y.abs().max(f64::EPSILON)));
    let r2 = undefined.check("R²", r_squared(truth, predicted), || r_squared_reason(truth));
    RegressorMetrics {
        count: truth.len(),
        mae: Some(mae),
        rmse: Some(rmse),
        mape: Some(mape),
        r2,
        undefined: undefined.into_sentences(),
    }
}

/// Why no figure can be computed: unpaired inputs, nothing to compare, or a value that is no number.
fn unusable_reason(truth: &[f64], predicted: &[f64]) -> Option<String> {
    if let Some(reason) = pairing_problem(truth.len(), predicted.len(), "true values") {
        return Some(reason);
    }
    let not_finite = |values: &[f64], what: &str| {
        values
            .iter()
            .position(|v| !v.is_finite())
            .map(|i| format!("{what} {} is {}, not a finite number", i + 1, values[i]))
    };
    not_finite(truth, "true value").or_else(|| not_finite(predicted, "prediction"))
}

/// `1 − Σ(y − ŷ)² / Σ(y − ȳ)²`, `None` below two values or when every true value is the same.
fn r_squared(truth: &[f64], predicted: &[f64]) -> Option<f64> {
    let truth_mean = mean(truth.iter().copied());
    let residual: f64 = truth.iter().zip(predicted).map(|(y, p)| (y - p) * (y - p)).sum();
    let total: f64 = truth.iter().map(|y| (y - truth_mean) * (y - truth_mean)).sum();
    (truth.len() >= 2 && total > 0.0).then(|| 1.0 - residual / total)
}

fn r_squared_reason(truth: &[f64]) -> String {
    match truth {
        [first, _, ..] => {
            format!("every one of the {} true values is {first}, so there is no variance to explain", truth.len())
        }
        _ => "it needs at least two labelled predictions, and there is one".to_string(),
    }
}
