//! The realized performance report: each revision's logged predictions joined to their labels
//! by inference id, window by window (an hour or a UTC day, by the time of the prediction, so a
//! label that comes days late changes its prediction's window and no other), with the figures
//! of `vigil-performance-stats` and the count of labelled predictions they rest on. The reads
//! joining `predictions` and `ground_truth` for this view are here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use ts_rs::TS;
use vigil_performance_stats::{classifier, regressor, Cbpe};
pub use vigil_performance_stats::{
    Averaging, CbpeMetric, ClassifierMetrics, Estimate, FeedbackVerdict, RegressorMetrics, Thresholds,
};

use super::reference::{self, LabelledRow};
use super::{feedback, labels, log, settings};
use crate::Result;

/// The reference is cut into this many chunks for CBPE's alert thresholds (NannyML's default chunker).
const REFERENCE_CHUNKS: usize = 10;

/// The width of a report's windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PerformanceWindow {
    Hour,
    Day,
}

impl PerformanceWindow {
    pub fn width_ms(self) -> i64 {
        match self {
            PerformanceWindow::Hour => 3_600_000,
            PerformanceWindow::Day => 86_400_000,
        }
    }

    /// How far back a report reaches unless asked otherwise: two days of hours, 30 days of days.
    pub fn default_since(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - match self {
            PerformanceWindow::Hour => chrono::Duration::days(2),
            PerformanceWindow::Day => chrono::Duration::days(30),
        }
    }
}

/// One window of one revision.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct WindowPerformance {
    pub start: DateTime<Utc>,
    /// Predictions logged in the window.
    #[ts(type = "number")]
    pub predictions: u64,
    /// Of them, those with a label: what the figures rest on.
    #[ts(type = "number")]
    pub labelled: u64,
    /// A classifier's figures (None for a regressor, or without labelled predictions).
    pub classifier: Option<ClassifierMetrics>,
    /// A regressor's figures (None for a classifier, or without labelled predictions).
    pub regressor: Option<RegressorMetrics>,
    /// CBPE's estimates from every prediction of the window, labelled or not, each with its band
    /// (a binary classifier with probabilities and a labelled reference only).
    pub estimated: Vec<Estimate>,
    /// Labelled predictions left out of the figures, estimates not made, and why.
    pub notes: Vec<String>,
}

/// One revision's windows, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RevisionPerformance {
    /// The version ("" when the payloads named none).
    pub version: String,
    pub windows: Vec<WindowPerformance>,
    /// Why performance is not estimated before labels come, when it is not.
    pub not_estimated: Option<String>,
}

/// Predictions that could not be logged, and why.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct NotLogged {
    pub reason: String,
    #[ts(type = "number")]
    pub count: u64,
    pub last_at: DateTime<Utc>,
}

/// A model's realized performance per revision per window.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PerformanceReport {
    pub model: String,
    pub window: PerformanceWindow,
    pub since: DateTime<Utc>,
    /// The class precision, recall and F1 are those of, for two classes.
    pub positive_class: String,
    pub retention_days: u32,
    /// The revision with the newest prediction first.
    pub revisions: Vec<RevisionPerformance>,
    /// Why predictions since `since` were not logged, if any were not.
    pub not_logged: Vec<NotLogged>,
    /// Labels whose prediction is not (yet) logged; they join it when it comes.
    #[ts(type = "number")]
    pub labels_waiting: u64,
    /// Whether the model's revisions feed on their own predictions, over its whole log (a
    /// classifier's; None for a regressor or before any class is logged).
    pub feedback: Option<FeedbackVerdict>,
}

/// The fewest labelled predictions (or, for an estimate, predictions) a figure read for an
/// alert rests on: fewer, and the window is passed over.
pub const MIN_FOR_ALERTS: u64 = 20;

/// A realized performance figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PerformanceMetric {
    Accuracy,
    Precision,
    Recall,
    F1,
    RocAuc,
    LogLoss,
    Mae,
    Rmse,
    Mape,
    R2,
}

impl PerformanceMetric {
    /// The figure's name in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            PerformanceMetric::Accuracy => "accuracy",
            PerformanceMetric::Precision => "precision",
            PerformanceMetric::Recall => "recall",
            PerformanceMetric::F1 => "F1",
            PerformanceMetric::RocAuc => "ROC AUC",
            PerformanceMetric::LogLoss => "log loss",
            PerformanceMetric::Mae => "MAE",
            PerformanceMetric::Rmse => "RMSE",
            PerformanceMetric::Mape => "MAPE",
            PerformanceMetric::R2 => "R²",
        }
    }

    /// Its value in a window, when the window's figures define it.
    pub fn of(self, window: &WindowPerformance) -> Option<f64> {
        if let Some(c) = &window.classifier {
            return match self {
                PerformanceMetric::Accuracy => c.accuracy,
                PerformanceMetric::Precision => c.precision,
                PerformanceMetric::Recall => c.recall,
                PerformanceMetric::F1 => c.f1,
                PerformanceMetric::RocAuc => c.roc_auc,
                PerformanceMetric::LogLoss => c.log_loss,
                _ => None,
            };
        }
        let r = window.regressor.as_ref()?;
        match self {
            PerformanceMetric::Mae => r.mae,
            PerformanceMetric::Rmse => r.rmse,
            PerformanceMetric::Mape => r.mape,
            PerformanceMetric::R2 => r.r2,
            _ => None,
        }
    }
}

impl PerformanceReport {
    /// The newest realized `metric` of the revision with the newest predictions: from its newest
    /// window resting on at least [`MIN_FOR_ALERTS`] labelled predictions.
    pub fn newest_realized(&self, metric: PerformanceMetric) -> Option<f64> {
        let revision = self.revisions.first()?;
        revision.windows.iter().rev().filter(|w| w.labelled >= MIN_FOR_ALERTS).find_map(|w| metric.of(w))
    }

    /// CBPE's newest estimate of `metric` for the revision with the newest predictions: from its
    /// newest window of at least [`MIN_FOR_ALERTS`] predictions.
    pub fn newest_estimate(&self, metric: CbpeMetric) -> Option<f64> {
        let revision = self.revisions.first()?;
        revision
            .windows
            .iter()
            .rev()
            .flat_map(|w| w.estimated.iter())
            .find(|estimate| estimate.metric == metric && estimate.count as u64 >= MIN_FOR_ALERTS)
            .map(|estimate| estimate.value)
    }
}

/// `model`'s report per `window` from `since`.
pub async fn read(
    conn: &mut AnyConnection,
    model: &str,
    window: PerformanceWindow,
    since: DateTime<Utc>,
) -> Result<PerformanceReport> {
    let settings = settings::of(conn, model).await?;
    let since_ms = since.timestamp_millis();
    let revisions = revisions(conn, model, since_ms, window.width_ms(), &settings.positive_class).await?;
    let not_logged = log::skipped(conn, model, since_ms)
        .await?
        .into_iter()
        .map(|(reason, count, last_ms)| NotLogged {
            reason,
            count: count as u64,
            last_at: DateTime::from_timestamp_millis(last_ms).unwrap_or_default(),
        })
        .collect();
    Ok(PerformanceReport {
        model: model.to_owned(),
        window,
        since,
        positive_class: settings.positive_class,
        retention_days: settings.retention_days,
        revisions,
        not_logged,
        labels_waiting: labels::waiting(conn, model).await?,
        feedback: feedback::check(conn, model).await?,
    })
}

/// One labelled prediction.
struct Labelled {
    predicted_class: Option<String>,
    probability: Option<f64>,
    predicted_value: Option<f64>,
    true_class: String,
    true_value: Option<f64>,
}

/// Each revision's windows of `model` from `since_ms`, `width_ms` wide, with `positive` the
/// positive class.
pub async fn revisions(
    conn: &mut AnyConnection,
    model: &str,
    since_ms: i64,
    width_ms: i64,
    positive: &str,
) -> Result<Vec<RevisionPerformance>> {
    let counted: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT version, (at_ms / $1) * $1 AS start, count(*) FROM predictions
         WHERE model = $2 AND at_ms >= $3 GROUP BY version, start",
    )
    .bind(width_ms)
    .bind(model)
    .bind(since_ms)
    .fetch_all(&mut *conn)
    .await?;
    type Row = (String, i64, Option<String>, Option<f64>, Option<f64>, String, Option<f64>);
    let joined: Vec<Row> = sqlx::query_as(
        "SELECT p.version, (p.at_ms / $1) * $1, p.class, p.probability, p.value, g.class, g.value
         FROM predictions p JOIN ground_truth g ON g.model = p.model AND g.inference_id = p.inference_id
         WHERE p.model = $2 AND p.at_ms >= $3",
    )
    .bind(width_ms)
    .bind(model)
    .bind(since_ms)
    .fetch_all(&mut *conn)
    .await?;
    let mut labelled: HashMap<(String, i64), Vec<Labelled>> = HashMap::new();
    for (version, start, predicted_class, probability, predicted_value, true_class, true_value) in joined {
        labelled.entry((version, start)).or_default().push(Labelled {
            predicted_class,
            probability,
            predicted_value,
            true_class,
            true_value,
        });
    }
    let scored: Vec<(String, i64, String, f64)> = sqlx::query_as(
        "SELECT version, (at_ms / $1) * $1, class, probability FROM predictions
         WHERE model = $2 AND at_ms >= $3 AND class IS NOT NULL AND probability IS NOT NULL",
    )
    .bind(width_ms)
    .bind(model)
    .bind(since_ms)
    .fetch_all(&mut *conn)
    .await?;
    let mut scores: HashMap<(String, i64), (Vec<f64>, Vec<i64>)> = HashMap::new();
    for (version, start, class, probability) in scored {
        let window = scores.entry((version, start)).or_default();
        window.0.push(of_positive(probability, positive));
        window.1.push(i64::from(class == positive));
    }
    let mut by_version: BTreeMap<String, Vec<WindowPerformance>> = BTreeMap::new();
    for (version, start, predictions) in counted {
        let rows = labelled.remove(&(version.clone(), start)).unwrap_or_default();
        by_version.entry(version).or_default().push(window(start, predictions as u64, &rows, positive));
    }
    let mut revisions = Vec::new();
    for (version, mut windows) in by_version {
        windows.sort_by_key(|window| window.start);
        let fitted = estimator(&reference::load(conn, model, &version).await?, positive);
        if let Ok(cbpe) = &fitted {
            for window in &mut windows {
                let start = window.start.timestamp_millis();
                let (probability, predicted) = scores.remove(&(version.clone(), start)).unwrap_or_default();
                for metric in CbpeMetric::ALL {
                    match cbpe.estimate(&probability, &predicted, metric) {
                        Ok(estimate) => window.estimated.push(estimate),
                        Err(why) => window.notes.push(why),
                    }
                }
            }
        }
        revisions.push(RevisionPerformance { version, windows, not_estimated: fitted.err() });
    }
    revisions.sort_by_key(|revision| std::cmp::Reverse(revision.windows.last().map(|window| window.start)));
    Ok(revisions)
}

/// A logged probability as that of the positive class: a binary classifier's probability output
/// is its class 1's, so with 0 declared the positive class it is read as 1 − p.
fn of_positive(probability: f64, positive: &str) -> f64 {
    if positive == "0" {
        1.0 - probability
    } else {
        probability
    }
}

/// CBPE fitted on a labelled reference, its classes compared with `positive`; the error says why not.
fn estimator(rows: &[LabelledRow], positive: &str) -> Result<Cbpe, String> {
    if rows.is_empty() {
        return Err("no labelled reference: CBPE is calibrated on reference data holding the model's label and \
                    probability outputs and a target column (`vigil drift reference --target COLUMN`), for a binary \
                    classifier whose metadata Vigil has read"
            .to_owned());
    }
    let probability: Vec<f64> = rows.iter().map(|row| of_positive(row.probability, positive)).collect();
    let predicted: Vec<i64> = rows.iter().map(|row| i64::from(row.predicted == positive)).collect();
    let truth: Vec<i64> = rows.iter().map(|row| i64::from(row.truth == positive)).collect();
    Cbpe::fit(&probability, &predicted, &truth, 1, rows.len().div_ceil(REFERENCE_CHUNKS))
}

/// One window's figures from its labelled predictions.
fn window(start_ms: i64, predictions: u64, rows: &[Labelled], positive: &str) -> WindowPerformance {
    let mut window = WindowPerformance {
        start: DateTime::from_timestamp_millis(start_ms).unwrap_or_default(),
        predictions,
        labelled: rows.len() as u64,
        classifier: None,
        regressor: None,
        estimated: Vec::new(),
        notes: Vec::new(),
    };
    if rows.is_empty() {
        return window;
    }
    if rows.iter().any(|row| row.predicted_value.is_some()) {
        let (truth, predicted): (Vec<f64>, Vec<f64>) =
            rows.iter().filter_map(|row| Some((row.true_value?, row.predicted_value?))).unzip();
        let left_out = rows.len() - truth.len();
        if left_out > 0 {
            window
                .notes
                .push(format!("{left_out} labels are not numbers, so they are left out of a regressor's figures"));
        }
        window.regressor = Some(regressor(&truth, &predicted));
        return window;
    }
    let pairs: Vec<(&str, &str, Option<f64>)> = rows
        .iter()
        .filter_map(|row| Some((row.true_class.as_str(), row.predicted_class.as_deref()?, row.probability)))
        .collect();
    let codes = class_codes(pairs.iter().flat_map(|(truth, predicted, _)| [*truth, *predicted]), positive);
    let code = |class: &str| codes.get(class).copied().unwrap_or_default();
    let truth: Vec<i64> = pairs.iter().map(|(truth, _, _)| code(truth)).collect();
    let predicted: Vec<i64> = pairs.iter().map(|(_, predicted, _)| code(predicted)).collect();
    let probability: Option<Vec<f64>> =
        pairs.iter().map(|(_, _, probability)| probability.map(|p| of_positive(p, positive))).collect();
    let seen: BTreeSet<&str> = pairs.iter().flat_map(|(truth, predicted, _)| [*truth, *predicted]).collect();
    if seen.len() <= 2 && !seen.contains(positive) {
        window.notes.push(format!(
            "the positive class {positive} is neither a label nor a prediction here ({}): declare the model's \
             positive class with `vigil predictions positive-class MODEL CLASS`",
            seen.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    window.classifier = Some(classifier(&truth, &predicted, probability.as_deref(), code(positive)));
    window
}

/// A number for each class: the class itself when every class (the positive one included) is an
/// integer, else its place among them in order.
fn class_codes<'a>(classes: impl Iterator<Item = &'a str>, positive: &'a str) -> HashMap<&'a str, i64> {
    let classes: BTreeSet<&str> = classes.chain([positive]).collect();
    let integers: Option<HashMap<&str, i64>> =
        classes.iter().map(|class| Some((*class, class.parse::<i64>().ok()?))).collect();
    integers.unwrap_or_else(|| classes.into_iter().zip(0..).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(truth: &str, predicted: &str, probability: f64) -> Labelled {
        Labelled {
            predicted_class: Some(predicted.into()),
            probability: Some(probability),
            predicted_value: None,
            true_class: truth.into(),
            true_value: truth.parse().ok(),
        }
    }

    #[test]
    fn a_classifier_window_rests_on_its_labelled_predictions() {
        let rows = [labelled("1", "1", 0.9), labelled("0", "1", 0.6), labelled("1", "0", 0.4), labelled("0", "0", 0.1)];
        let window = window(0, 10, &rows, "1");
        assert_eq!((window.predictions, window.labelled), (10, 4));
        let figures = window.classifier.unwrap();
        assert_eq!(
            (figures.count, figures.accuracy, figures.precision, figures.recall),
            (4, Some(0.5), Some(0.5), Some(0.5))
        );
        assert_eq!(figures.roc_auc, Some(0.75), "(1 + 1 + 1 + 0) / 4 pairs ranked right");
        assert!(window.regressor.is_none() && window.notes.is_empty());
    }

    #[test]
    fn text_classes_are_numbered_and_a_missing_positive_class_is_said() {
        let rows = [labelled("cat", "cat", 0.9), labelled("dog", "cat", 0.8)];
        let window = window(0, 2, &rows, "1");
        assert_eq!(window.classifier.unwrap().accuracy, Some(0.5));
        assert!(window.notes[0].contains("positive class 1 is neither"), "{:?}", window.notes);
        let codes = class_codes(["2", "0"].into_iter(), "1");
        assert_eq!((codes["2"], codes["1"]), (2, 1), "integer classes keep their numbers");
    }

    #[test]
    fn a_regressor_window_leaves_out_labels_that_are_not_numbers_and_says_so() {
        let value = |truth: &str, predicted: f64| Labelled {
            predicted_class: None,
            probability: None,
            predicted_value: Some(predicted),
            true_class: truth.into(),
            true_value: truth.parse().ok(),
        };
        let window = window(0, 3, &[value("2", 1.0), value("4", 5.0), value("n/a", 3.0)], "1");
        let figures = window.regressor.unwrap();
        assert_eq!((figures.count, figures.mae), (2, Some(1.0)));
        assert!(window.notes[0].starts_with("1 labels are not numbers"), "{:?}", window.notes);
    }

    #[test]
    fn with_0_the_positive_class_the_probability_of_class_1_is_turned_round() {
        let rows = [labelled("0", "0", 0.1), labelled("1", "1", 0.7), labelled("0", "1", 0.6)];
        let as_one = window(0, 3, &rows, "1").classifier.unwrap();
        let as_zero = window(0, 3, &rows, "0").classifier.unwrap();
        assert_eq!((as_one.roc_auc, as_zero.roc_auc), (Some(1.0), Some(1.0)), "ranked right either way round");
        assert_eq!((as_one.precision, as_zero.precision), (Some(0.5), Some(1.0)));
        assert!(as_zero.log_loss.unwrap() < 1.0, "0.9 and 0.4 for the zeros, not 0.1 and 0.6");
    }
}
