//! Estimated performance before labels arrive: confidence-based performance estimation (CBPE) for
//! a binary classifier that outputs the probability of its positive class, as NannyML 0.13.1 does
//! it (`nannyml/performance_estimation/confidence_based/`).
//!
//! [`Cbpe::fit`] learns from a labelled reference (predictions whose labels are known): whether
//! the probabilities need calibrating (NannyML's rule, in `calibration`) and, if so, an isotonic
//! calibrator; each metric's sampling-error components (`nannyml/sampling_error/
//! binary_classification.py`); and each metric's alert thresholds, the mean ± 3 standard
//! deviations of its realized value over the reference's chunks, clipped to [0, 1].
//!
//! [`Cbpe::estimate`] then reads one unlabelled window: with calibrated probabilities, a
//! prediction of the positive class is a true positive with probability p and a false positive
//! with probability 1 − p (and a negative prediction a false negative with p, a true negative with
//! 1 − p), so the expected confusion matrix gives accuracy, precision, recall and F1; ROC AUC is
//! the area under the ROC curve of the expected positives, taken in the order of the raw scores.
//! The sampling error is the reference's spread over the square root of the window's relevant
//! count, and the band is the estimate ± 3 sampling errors, clipped to [0, 1].
//!
//! Where NannyML returns 0 for an estimate whose denominator is 0 (precision when nothing is
//! predicted positive), this returns an error saying so.

mod calibration;
mod isotonic;
mod random_state;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::classifier::{classifier, ClassifierMetrics};
use isotonic::Isotonic;

/// How many sampling errors the confidence band reaches on each side (NannyML's `SAMPLING_ERROR_RANGE`).
pub const BAND_SAMPLING_ERRORS: f64 = 3.0;
/// How many standard deviations of the reference chunks' realized values the alert thresholds lie
/// from their mean (NannyML's default `StandardDeviationThreshold`).
pub const THRESHOLD_STANDARD_DEVIATIONS: f64 = 3.0;

/// A metric CBPE estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CbpeMetric {
    RocAuc,
    Accuracy,
    Precision,
    Recall,
    F1,
}

impl CbpeMetric {
    pub const ALL: [CbpeMetric; 5] =
        [CbpeMetric::RocAuc, CbpeMetric::Accuracy, CbpeMetric::Precision, CbpeMetric::Recall, CbpeMetric::F1];

    /// The metric's name in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            CbpeMetric::RocAuc => "ROC AUC",
            CbpeMetric::Accuracy => "accuracy",
            CbpeMetric::Precision => "precision",
            CbpeMetric::Recall => "recall",
            CbpeMetric::F1 => "F1",
        }
    }

    fn realized(self, metrics: &ClassifierMetrics) -> Option<f64> {
        match self {
            CbpeMetric::RocAuc => metrics.roc_auc,
            CbpeMetric::Accuracy => metrics.accuracy,
            CbpeMetric::Precision => metrics.precision,
            CbpeMetric::Recall => metrics.recall,
            CbpeMetric::F1 => metrics.f1,
        }
    }
}

/// The alert thresholds of one metric; `None` when no reference chunk had a realized value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct Thresholds {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// One metric's estimate on one window.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Estimate {
    pub metric: CbpeMetric,
    /// The estimated value.
    pub value: f64,
    /// The confidence band: `value ∓ 3 × sampling_error`, clipped to [0, 1].
    pub lower: f64,
    pub upper: f64,
    pub sampling_error: f64,
    /// The predictions in the window.
    pub count: usize,
    /// The alert thresholds learned from the reference's chunks.
    pub thresholds: Thresholds,
    /// Whether the estimate lies outside the thresholds.
    pub alert: bool,
}

/// What the reference says about one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MetricReference {
    /// The standard deviation of the metric's per-observation contributions.
    spread: f64,
    /// The share of a window's predictions those contributions come from.
    share: f64,
    thresholds: Thresholds,
}

/// CBPE fitted on a labelled reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Cbpe {
    positive: i64,
    calibrator: Option<Isotonic>,
    references: [MetricReference; 5],
}

impl Cbpe {
    /// Fits on the reference's probabilities of the positive class, predicted classes and labels;
    /// the alert thresholds come from its chunks of `chunk_size` (the last one may be shorter).
    pub fn fit(
        reference_probability: &[f64],
        reference_predicted: &[i64],
        reference_truth: &[i64],
        positive: i64,
        chunk_size: usize,
    ) -> Result<Cbpe, String> {
        let n = reference_probability.len();
        if reference_predicted.len() != n || reference_truth.len() != n {
            return Err(format!(
                "the reference has {n} probabilities, {} predictions and {} labels: give one of each per prediction",
                reference_predicted.len(),
                reference_truth.len()
            ));
        }
        if n == 0 {
            return Err("the reference holds no predictions: CBPE learns from labelled predictions".to_string());
        }
        if chunk_size == 0 {
            return Err("the chunk size is 0: give the number of predictions per window, at least 1".to_string());
        }
        check_probabilities(reference_probability, "reference")?;
        let truth = is_positive(reference_truth, positive);
        let predicted = is_positive(reference_predicted, positive);
        if !truth.contains(&true) || !truth.contains(&false) {
            let which = if truth.contains(&true) { "every one" } else { "none" };
            return Err(format!(
                "{which} of the {n} reference labels is the positive class {positive}: CBPE learns from a reference \
                 with both the positive class and others among its labels"
            ));
        }
        if !predicted.contains(&true) {
            return Err(format!(
                "none of the {n} reference predictions is the positive class {positive}: the sampling error of \
                 precision rests on them"
            ));
        }
        let calibrator = calibration::needs_calibration(&truth, reference_probability)?
            .then(|| Isotonic::fit(reference_probability, &truth));
        let chunks: Vec<ClassifierMetrics> = reference_probability
            .chunks(chunk_size)
            .zip(truth.chunks(chunk_size))
            .zip(predicted.chunks(chunk_size))
            .map(|((probability, truth), predicted)| realized(truth, predicted, probability))
            .collect();
        let references = CbpeMetric::ALL.map(|metric| {
            let (spread, share) = sampling_error_components(metric, &truth, &predicted, reference_probability);
            let values: Vec<f64> = chunks.iter().filter_map(|chunk| metric.realized(chunk)).collect();
            MetricReference { spread, share, thresholds: thresholds(&values) }
        });
        Ok(Cbpe { positive, calibrator, references })
    }

    /// Whether NannyML's rule found that the reference's probabilities needed calibrating.
    pub fn calibrated(&self) -> bool {
        self.calibrator.is_some()
    }

    /// The alert thresholds of `metric`.
    pub fn thresholds(&self, metric: CbpeMetric) -> Thresholds {
        self.reference(metric).thresholds
    }

    /// The estimate of `metric` on one window of predictions whose labels are not known yet.
    pub fn estimate(&self, probability: &[f64], predicted: &[i64], metric: CbpeMetric) -> Result<Estimate, String> {
        let count = probability.len();
        if predicted.len() != count {
            return Err(format!("the window has {count} probabilities and {} predictions", predicted.len()));
        }
        if count == 0 {
            return Err(format!("estimated {} is undefined: the window holds no predictions", metric.label()));
        }
        check_probabilities(probability, "window")?;
        let calibrated: Vec<f64> = match &self.calibrator {
            Some(calibrator) => probability.iter().map(|&p| calibrator.calibrate(p)).collect(),
            None => probability.to_vec(),
        };
        let predicted = is_positive(predicted, self.positive);
        let expected = ExpectedConfusion::of(&predicted, &calibrated);
        let value = match metric {
            CbpeMetric::RocAuc => expected_roc_auc(&calibrated, probability),
            CbpeMetric::Accuracy => Some((expected.true_positive + expected.true_negative) / count as f64),
            CbpeMetric::Precision => ratio(expected.true_positive, expected.true_positive + expected.false_positive),
            CbpeMetric::Recall => ratio(expected.true_positive, expected.true_positive + expected.false_negative),
            CbpeMetric::F1 => ratio(
                expected.true_positive,
                expected.true_positive + 0.5 * (expected.false_positive + expected.false_negative),
            ),
        }
        .ok_or_else(|| undefined_reason(metric, count, self.positive))?;
        let reference = self.reference(metric);
        let sampling_error = reference.spread / (count as f64 * reference.share).sqrt();
        let thresholds = reference.thresholds;
        Ok(Estimate {
            metric,
            value,
            lower: (value - BAND_SAMPLING_ERRORS * sampling_error).max(0.0),
            upper: (value + BAND_SAMPLING_ERRORS * sampling_error).min(1.0),
            sampling_error,
            count,
            thresholds,
            alert: thresholds.lower.is_some_and(|lower| value < lower)
                || thresholds.upper.is_some_and(|upper| value > upper),
        })
    }

    fn reference(&self, metric: CbpeMetric) -> &MetricReference {
        // `references` follows `CbpeMetric::ALL`, which lists the metrics in declaration order.
        &self.references[metric as usize]
    }
}

fn is_positive(labels: &[i64], positive: i64) -> Vec<bool> {
    labels.iter().map(|&label| label == positive).collect()
}

fn check_probabilities(probability: &[f64], what: &str) -> Result<(), String> {
    match probability.iter().position(|p| !(0.0..=1.0).contains(p)) {
        Some(i) => Err(format!(
            "prediction {} of the {what} has probability {}: give the probability of the positive class, between 0 and 1",
            i + 1,
            probability[i]
        )),
        None => Ok(()),
    }
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator != 0.0).then(|| numerator / denominator)
}

fn undefined_reason(metric: CbpeMetric, count: usize, positive: i64) -> String {
    let why = match metric {
        CbpeMetric::Precision => format!("none of the {count} predictions is the positive class {positive}"),
        CbpeMetric::RocAuc => format!("the calibrated probabilities of the {count} predictions are all 0 or all 1"),
        _ => format!("the calibrated probability of the positive class is 0 for all {count} predictions"),
    };
    format!("estimated {} is undefined: {why}", metric.label())
}

/// The realized metrics of one reference chunk, with NannyML's rule that precision, recall and F1
/// have no realized value on a chunk whose labels or predictions hold one class only.
fn realized(truth: &[bool], predicted: &[bool], probability: &[f64]) -> ClassifierMetrics {
    let as_labels = |values: &[bool]| values.iter().map(|&v| i64::from(v)).collect::<Vec<i64>>();
    let mut metrics = classifier(&as_labels(truth), &as_labels(predicted), Some(probability), 1);
    let both_classes = |values: &[bool]| values.contains(&true) && values.contains(&false);
    if !both_classes(truth) || !both_classes(predicted) {
        (metrics.precision, metrics.recall, metrics.f1) = (None, None, None);
    }
    metrics
}

/// The mean ± 3 standard deviations of the reference chunks' realized values, a lower threshold
/// at or below 0 set to 0 and an upper one at or above 1 set to 1.
fn thresholds(values: &[f64]) -> Thresholds {
    if values.is_empty() {
        return Thresholds { lower: None, upper: None };
    }
    let (mean, spread) = mean_and_spread(values);
    let lower = mean - THRESHOLD_STANDARD_DEVIATIONS * spread;
    let upper = mean + THRESHOLD_STANDARD_DEVIATIONS * spread;
    Thresholds { lower: Some(lower.max(0.0)), upper: Some(upper.min(1.0)) }
}

/// The mean and the population standard deviation (numpy's `std`).
fn mean_and_spread(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, variance.sqrt())
}

/// The expected confusion matrix of a window, from calibrated probabilities.
struct ExpectedConfusion {
    true_positive: f64,
    false_positive: f64,
    false_negative: f64,
    true_negative: f64,
}

impl ExpectedConfusion {
    fn of(predicted: &[bool], calibrated: &[f64]) -> ExpectedConfusion {
        let sum = |positive_prediction: bool, of: fn(f64) -> f64| -> f64 {
            predicted.iter().zip(calibrated).filter(|(&p, _)| p == positive_prediction).map(|(_, &c)| of(c)).sum()
        };
        ExpectedConfusion {
            true_positive: sum(true, |p| p),
            false_positive: sum(true, |p| 1.0 - p),
            false_negative: sum(false, |p| p),
            true_negative: sum(false, |p| 1.0 - p),
        }
    }
}

/// NannyML's `estimate_roc_auc`: the predictions in descending order of their raw score, the
/// expected positives and negatives accumulated from the calibrated probabilities (rounded to 5
/// decimals, as NannyML rounds them), and the trapezoid area under the resulting curve.
fn expected_roc_auc(calibrated: &[f64], raw: &[f64]) -> Option<f64> {
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|&a, &b| raw[b].total_cmp(&raw[a]));
    let round = |x: f64| (x * 1e5).round_ties_even() / 1e5;
    let mut points = vec![(0.0, 0.0)];
    let mut positives = 0.0;
    for (k, &i) in order.iter().enumerate() {
        positives += calibrated[i];
        let negatives = 1.0 + k as f64 - positives;
        points.push((round(negatives), round(positives)));
    }
    let &(all_negatives, all_positives) = points.last()?;
    if all_negatives == 0.0 || all_positives == 0.0 {
        return None;
    }
    let area = points.windows(2).map(|pair| {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        (x1 / all_negatives - x0 / all_negatives) * (y1 / all_positives + y0 / all_positives) / 2.0
    });
    Some(area.sum())
}

/// The reference's spread of `metric` per observation and the share of predictions it rests on
/// (`nannyml/sampling_error/binary_classification.py`).
fn sampling_error_components(metric: CbpeMetric, truth: &[bool], predicted: &[bool], score: &[f64]) -> (f64, f64) {
    let n = truth.len() as f64;
    let pairs = || truth.iter().zip(predicted).map(|(&t, &p)| (t, p));
    let spread_of = |values: Vec<f64>| mean_and_spread(&values).1;
    match metric {
        CbpeMetric::RocAuc => roc_auc_components(truth, score),
        CbpeMetric::Accuracy => (spread_of(pairs().map(|(t, p)| f64::from(u8::from(t == p))).collect()), 1.0),
        CbpeMetric::Precision => {
            let observations: Vec<f64> = pairs().filter(|&(_, p)| p).map(|(t, _)| f64::from(u8::from(t))).collect();
            let share = observations.len() as f64 / n;
            (spread_of(observations), share)
        }
        CbpeMetric::Recall => {
            let observations: Vec<f64> = pairs().filter(|&(t, _)| t).map(|(_, p)| f64::from(u8::from(p))).collect();
            let share = observations.len() as f64 / n;
            (spread_of(observations), share)
        }
        CbpeMetric::F1 => {
            let relevant: Vec<bool> = pairs().filter(|&(t, p)| t || p).map(|(t, p)| t && p).collect();
            let true_positives = relevant.iter().filter(|&&hit| hit).count() as f64;
            let misses = relevant.len() as f64 - true_positives;
            let correcting_factor = relevant.len() as f64 / (misses * 0.5 + true_positives);
            let observations = relevant.iter().map(|&hit| if hit { correcting_factor } else { 0.0 }).collect();
            (spread_of(observations), relevant.len() as f64 / n)
        }
    }
}

/// NannyML's `auroc_sampling_error_components`: with the minority class as the positives, for
/// each positive in ascending score order, the share of negatives ranked below it; their spread,
/// and the share of positives.
fn roc_auc_components(truth: &[bool], score: &[f64]) -> (f64, f64) {
    let n = truth.len();
    let flip = truth.iter().filter(|&&t| t).count() as f64 / n as f64 > 0.5;
    let (truth, score): (Vec<bool>, Vec<f64>) =
        truth.iter().zip(score).map(|(&t, &s)| if flip { (!t, 1.0 - s) } else { (t, s) }).unzip();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    // NannyML takes the distinct values of rank × label and drops the smallest, the 0 of the negatives.
    let mut ranks: Vec<usize> = order.iter().enumerate().map(|(rank, &i)| if truth[i] { rank } else { 0 }).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let positives = truth.iter().filter(|&&t| t).count();
    let negatives = (n - positives) as f64;
    let below: Vec<f64> = ranks.iter().skip(1).enumerate().map(|(i, &rank)| (rank - i) as f64 / negatives).collect();
    (mean_and_spread(&below).1, positives as f64 / n as f64)
}
