//! Drift reports: a model's live windows over a range compared with its reference, column by
//! column, with Evidently's default test per column (or the one chosen), the dataset verdict
//! (drift when the share of drifted features reaches the threshold, 0.5 by default), the
//! prediction's drift apart, and both distributions side by side for the drift view.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use ts_rs::TS;

pub use super::choice::ColumnChoice;
use super::learned;
use super::parallel;
use super::profile::{ColumnProfile, Values};
use super::reference::ProfiledFile;
use super::schema::ColumnUse;
use super::stats::{self, ColumnKind, Sample, TestResult};
use crate::store::values::{stamp, Flag, Stamp};
use crate::{Result, VigilError};

pub mod summary;

/// The share of drifted features at which the data set counts as drifted unless a person chose
/// another, as in Evidently.
pub const DATASET_DRIFT_SHARE: f64 = 0.5;
/// The fewest live values a column is judged on. A distance between a sample and its own
/// distribution shrinks only as 1/√n: around 0.08 standard deviations for a normed Wasserstein
/// at 100 values, past half the default threshold; at 500, about 0.035. Evidently judges any
/// number, and with a large reference cries drift on a handful of rows.
pub const MIN_CURRENT_VALUES: u64 = 500;
/// Bars in a numeric column's distributions; labels shown for a categorical one.
const DISTRIBUTION_BARS: usize = 20;

/// The part a column plays in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    Feature,
    Prediction,
    Target,
}

/// Reference and current values of a column as bars: numeric ones in equal-width bins over
/// both ranges (`edges` has one more entry than the shares), categorical ones by label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Distributions {
    pub labels: Vec<String>,
    pub edges: Vec<f64>,
    /// Each bar's share of the reference's values (0–1).
    pub reference: Vec<f64>,
    /// Each bar's share of the current values (0–1).
    pub current: Vec<f64>,
}

/// How one column moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ColumnDrift {
    pub column: String,
    pub kind: ColumnKind,
    pub role: ColumnRole,
    /// The test's outcome; None when it could not run (`problem` says why).
    pub test: Option<TestResult>,
    pub problem: Option<String>,
    /// How far past its threshold the column is: 1 at the threshold, above 1 drifted.
    pub severity: f64,
    #[ts(type = "number")]
    pub reference_count: u64,
    #[ts(type = "number")]
    pub current_count: u64,
    #[ts(type = "number")]
    pub current_missing: u64,
    /// The test ran on a uniform sample of the current values (there were more than are kept).
    pub sampled: bool,
    /// The method or threshold a person chose for this column; all None for Evidently's default.
    pub chosen: ColumnChoice,
    pub distributions: Option<Distributions>,
}

/// A model's drift over a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DriftReport {
    pub model: String,
    pub version: Option<String>,
    pub computed_at: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub reference_source: String,
    #[ts(type = "number")]
    pub reference_rows: u64,
    /// The rows of live data in the range (the most values any column saw).
    #[ts(type = "number")]
    pub current_rows: u64,
    /// Features, then the prediction and target, in the reference's column order.
    pub columns: Vec<ColumnDrift>,
    pub features: usize,
    pub drifted_features: usize,
    pub drifted_share: f64,
    pub share_threshold: f64,
    pub dataset_drift: bool,
    /// Whether the prediction drifted; None without a prediction column or its live values.
    pub prediction_drift: Option<bool>,
    /// Columns not tested, with why (free text, identifiers, chosen to skip).
    pub skipped: Vec<SkippedColumn>,
    /// The report in one plain sentence (`drift::report::summary`), with its period, and what the newest
    /// hour shows when it disagrees with the whole range. Empty in reports stored before it was.
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SkippedColumn {
    pub column: String,
    pub reason: String,
}

/// What a person chose for a model's reports: tests of columns, and the dataset drift share.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub choices: BTreeMap<String, ColumnChoice>,
    /// The share of drifted features at which the data set counts as drifted.
    pub drift_share: f64,
}

/// Compares `current` (merged live profiles by column) with `reference` as of `computed_at`.
pub fn compare(
    reference: &ProfiledFile,
    current: &BTreeMap<String, ColumnProfile>,
    settings: &Settings,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    computed_at: DateTime<Utc>,
) -> DriftReport {
    let choices = &settings.choices;
    let summary = &reference.summary;
    let mut tested = Vec::new();
    let mut skipped = Vec::new();
    for (column, profile) in summary.columns.iter().zip(&reference.profiles) {
        match (&column.column_use, profile) {
            (ColumnUse::Test { kind }, Some(profile)) => tested.push((column.name.as_str(), *kind, profile)),
            (ColumnUse::Skip { reason }, _) => {
                skipped.push(SkippedColumn { column: column.name.clone(), reason: reason.clone() })
            }
            (ColumnUse::Test { .. }, None) => {}
        }
    }
    let columns = parallel::map(&tested, |&(name, kind, profile)| {
        let role = if summary.prediction.as_deref() == Some(name) {
            ColumnRole::Prediction
        } else if summary.target.as_deref() == Some(name) {
            ColumnRole::Target
        } else {
            ColumnRole::Feature
        };
        let choice = choices.get(name).copied().unwrap_or_default();
        compare_column(name, kind, role, profile, current.get(name), choice)
    });
    let tested_features: Vec<&ColumnDrift> =
        columns.iter().filter(|column| column.role == ColumnRole::Feature && column.test.is_some()).collect();
    let features = tested_features.len();
    let drifted_features = tested_features.iter().filter(|column| drifted(column)).count();
    let drifted_share = if features == 0 { 0.0 } else { drifted_features as f64 / features as f64 };
    let prediction_drift =
        columns.iter().find(|column| column.role == ColumnRole::Prediction && column.test.is_some()).map(drifted);
    let mut report = DriftReport {
        model: summary.model.clone(),
        version: summary.version.clone(),
        computed_at,
        from,
        to,
        reference_source: summary.source.clone(),
        reference_rows: summary.rows,
        current_rows: current.values().map(|profile| profile.count + profile.missing).max().unwrap_or(0),
        features,
        drifted_features,
        drifted_share,
        share_threshold: settings.drift_share,
        dataset_drift: features > 0 && drifted_share >= settings.drift_share,
        prediction_drift,
        columns,
        skipped,
        summary: String::new(),
    };
    report.summary = summary::summary(&report, None);
    report
}

fn drifted(column: &ColumnDrift) -> bool {
    column.test.as_ref().is_some_and(|test| test.drifted)
}

/// Tests one column: the chosen method, else Evidently's default for its kind and sizes.
fn compare_column(
    name: &str,
    kind: ColumnKind,
    role: ColumnRole,
    reference: &ColumnProfile,
    current: Option<&ColumnProfile>,
    choice: ColumnChoice,
) -> ColumnDrift {
    let mut drift = ColumnDrift {
        column: name.to_owned(),
        kind,
        role,
        test: None,
        problem: None,
        severity: 0.0,
        reference_count: reference.count,
        current_count: current.map_or(0, |profile| profile.count),
        current_missing: current.map_or(0, |profile| profile.missing),
        sampled: false,
        chosen: choice,
        distributions: None,
    };
    let Some(current) = current.filter(|profile| profile.count > 0) else {
        drift.problem = Some("no live values in this range".into());
        return drift;
    };
    // Live numbers kept before the reference said the column holds labels read as labels.
    let relabelled = as_labels(reference, current);
    let current = relabelled.as_ref().unwrap_or(current);
    let (reference_sample, current_sample) = match (&reference.values, &current.values) {
        (Values::Numeric(r), Values::Numeric(c)) => {
            drift.sampled = (c.sample.len() as u64) < current.count;
            (Sample::Values(&r.sample), Sample::Values(&c.sample))
        }
        (Values::Categorical(r), Values::Categorical(c)) => (Sample::Counts(r), Sample::Counts(c)),
        _ => {
            drift.problem = Some("live values are not of the reference's kind (numbers against labels)".into());
            return drift;
        }
    };
    drift.distributions = Some(distributions(reference, current));
    if current.count < MIN_CURRENT_VALUES {
        drift.problem =
            Some(format!("only {} live values; a verdict needs at least {MIN_CURRENT_VALUES}", current.count));
        return drift;
    }
    let outcome = stats::Pair::new(reference_sample, current_sample).map_err(VigilError::from).and_then(|pair| {
        let method = choice
            .method
            .unwrap_or_else(|| stats::default_method(kind, reference.count as usize, pair.unique_values()));
        let threshold = match choice.learned {
            true => Some(learned::threshold(method, kind, reference_sample, current.count)?),
            false => choice.threshold,
        };
        Ok(pair.run(method, kind, threshold)?)
    });
    match outcome {
        Ok(test) => {
            drift.severity = severity(&test);
            drift.test = Some(test);
        }
        Err(err) => drift.problem = Some(err.to_string()),
    }
    drift
}

/// `current`'s numbers as labels when the reference counts labels and every number was kept.
fn as_labels(reference: &ColumnProfile, current: &ColumnProfile) -> Option<ColumnProfile> {
    let (Values::Categorical(_), Values::Numeric(numbers)) = (&reference.values, &current.values) else {
        return None;
    };
    if numbers.sample.len() as u64 != current.count {
        return None;
    }
    let mut labels = ColumnProfile::categorical();
    numbers.sample.iter().for_each(|number| labels.add_label(&number.to_string()));
    labels.missing = current.missing;
    Some(labels)
}

/// 1 at the threshold, more when further past it: p-values on a log scale, distances linearly.
fn severity(test: &TestResult) -> f64 {
    match test.p_value {
        Some(p) => {
            let floor = f64::MIN_POSITIVE;
            p.max(floor).ln() / test.threshold.clamp(floor, 1.0 - 1e-12).ln()
        }
        None if test.threshold > 0.0 => test.statistic / test.threshold,
        None => test.statistic,
    }
}

/// Both sides of a column as bars.
fn distributions(reference: &ColumnProfile, current: &ColumnProfile) -> Distributions {
    match (&reference.values, &current.values) {
        (Values::Numeric(r), Values::Numeric(c)) => {
            let low = [r.min, c.min].into_iter().flatten().fold(f64::INFINITY, f64::min);
            let high = [r.max, c.max].into_iter().flatten().fold(f64::NEG_INFINITY, f64::max);
            let width = if high > low { (high - low) / DISTRIBUTION_BARS as f64 } else { 1.0 };
            let edges: Vec<f64> = (0..=DISTRIBUTION_BARS).map(|i| low + width * i as f64).collect();
            let shares = |sample: &[f64]| {
                let mut bars = vec![0.0; DISTRIBUTION_BARS];
                for value in sample {
                    let bar = (((value - low) / width) as usize).min(DISTRIBUTION_BARS - 1);
                    bars[bar] += 1.0;
                }
                let total = sample.len().max(1) as f64;
                bars.into_iter().map(|count| count / total).collect()
            };
            Distributions { labels: Vec::new(), reference: shares(&r.sample), current: shares(&c.sample), edges }
        }
        (Values::Categorical(r), Values::Categorical(c)) => {
            let (r_total, c_total) = (r.values().sum::<u64>().max(1) as f64, c.values().sum::<u64>().max(1) as f64);
            let mut labels: Vec<&String> = r.keys().chain(c.keys()).collect();
            labels.sort();
            labels.dedup();
            // The labels that weigh most on either side.
            let weight = |label: &String| {
                let share = |counts: &BTreeMap<String, u64>, total| *counts.get(label).unwrap_or(&0) as f64 / total;
                share(r, r_total).max(share(c, c_total))
            };
            labels.sort_by(|a, b| weight(b).total_cmp(&weight(a)));
            labels.truncate(DISTRIBUTION_BARS);
            let shares = |counts: &BTreeMap<String, u64>, total: f64| {
                labels.iter().map(|label| *counts.get(*label).unwrap_or(&0) as f64 / total).collect()
            };
            Distributions {
                reference: shares(r, r_total),
                current: shares(c, c_total),
                labels: labels.into_iter().cloned().collect(),
                edges: Vec::new(),
            }
        }
        _ => Distributions { labels: Vec::new(), edges: Vec::new(), reference: Vec::new(), current: Vec::new() },
    }
}

/// Drift over time: each tested column's verdict window by window, for the drift heatmap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DriftTimeline {
    pub model: String,
    /// The tested columns, in the reference's order.
    pub columns: Vec<String>,
    /// Each window's start; every window is `window_secs` long.
    pub windows: Vec<DateTime<Utc>>,
    #[ts(type = "number")]
    pub window_secs: i64,
    /// `cells[column][window]`: None where the window had no live values of the column.
    pub cells: Vec<Vec<Option<TimelineCell>>>,
}

/// One column in one window that had live values of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TimelineCell {
    /// Live values of the column in the window.
    #[ts(type = "number")]
    pub values: u64,
    /// Why the window was not judged (too few values); None when it was.
    pub problem: Option<String>,
    pub drifted: bool,
    pub severity: f64,
}

impl DriftTimeline {
    /// An empty timeline of `report`'s tested columns over `windows` of `window_secs`.
    pub fn new(report: &DriftReport, windows: Vec<DateTime<Utc>>, window_secs: i64) -> Self {
        let columns: Vec<String> = report.columns.iter().map(|column| column.column.clone()).collect();
        let cells = vec![vec![None; windows.len()]; columns.len()];
        DriftTimeline { model: report.model.clone(), columns, windows, window_secs, cells }
    }

    /// Fills window `index` from that window's report.
    pub fn fill(&mut self, index: usize, report: &DriftReport) {
        for (row, column) in self.cells.iter_mut().zip(&report.columns) {
            row[index] = (column.current_count > 0).then(|| TimelineCell {
                values: column.current_count,
                problem: column.problem.clone(),
                drifted: drifted(column),
                severity: column.severity,
            });
        }
    }
}

/// Stores `report` and returns its id.
pub async fn store(conn: &mut AnyConnection, report: &DriftReport) -> Result<i64> {
    let json = serde_json::to_string(report).map_err(|err| VigilError::Internal(err.to_string()))?;
    Ok(sqlx::query_scalar(
        "INSERT INTO drift_reports (model, version, computed_at, from_ms, to_ms, dataset_drift, drifted_share, report)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&report.model)
    .bind(report.version.clone().unwrap_or_default())
    .bind(stamp(report.computed_at))
    .bind(report.from.timestamp_millis())
    .bind(report.to.timestamp_millis())
    .bind(report.dataset_drift)
    .bind(report.drifted_share)
    .bind(json)
    .fetch_one(conn)
    .await?)
}

/// The newest stored report of each model (its version's own, or for every version).
pub async fn latest(conn: &mut AnyConnection) -> Result<Vec<DriftReport>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT report FROM drift_reports d
         WHERE id = (SELECT max(id) FROM drift_reports e WHERE e.model = d.model AND e.version = d.version)
         ORDER BY model, version",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|json| {
            let mut report: DriftReport = serde_json::from_str(json)
                .map_err(|err| VigilError::Internal(format!("a stored drift report is unreadable: {err}")))?;
            if report.summary.is_empty() {
                // Stored before reports carried their sentence.
                report.summary = summary::summary(&report, None);
            }
            Ok(report)
        })
        .collect()
}

/// The test chosen for each column of the reference `compare` runs against.
/// What was chosen for `model`'s reports (of `version`'s reference, else the one for every version).
pub async fn settings(conn: &mut AnyConnection, model: &str, version: Option<&str>) -> Result<Settings> {
    let drift_share: Option<f64> = sqlx::query_scalar("SELECT drift_share FROM drift_settings WHERE model = $1")
        .bind(model)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(Settings {
        choices: super::reference::choices(conn, model, version).await?,
        drift_share: drift_share.unwrap_or(DATASET_DRIFT_SHARE),
    })
}

/// Sets the share of drifted features at which `model`'s data set counts as drifted; None
/// removes it (Evidently's default again).
pub async fn store_share(conn: &mut AnyConnection, model: &str, share: Option<f64>) -> Result<()> {
    match share {
        Some(share) => {
            sqlx::query(
                "INSERT INTO drift_settings (model, drift_share) VALUES ($1, $2)
                 ON CONFLICT (model) DO UPDATE SET drift_share = excluded.drift_share",
            )
            .bind(model)
            .bind(share)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM drift_settings WHERE model = $1").bind(model).execute(conn).await?;
        }
    }
    Ok(())
}

/// Deletes the reports of ranges that ended before `before_ms`.
pub async fn prune(conn: &mut AnyConnection, before_ms: i64) -> Result<()> {
    sqlx::query("DELETE FROM drift_reports WHERE to_ms < $1").bind(before_ms).execute(conn).await?;
    Ok(())
}

/// A stored report whose verdict on the data set differs from the report before it.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictChange {
    pub at: DateTime<Utc>,
    pub version: String,
    pub drifted: bool,
    pub drifted_features: i64,
    pub features: i64,
}

/// Every report of `model` whose data-set verdict differs from the one before (per version; the
/// first drifted report of a version is a change, a first calm one is not).
pub async fn verdict_changes(conn: &mut AnyConnection, model: &str) -> Result<Vec<VerdictChange>> {
    let rows: Vec<(Stamp, Flag, String, String)> = sqlx::query_as(
        "SELECT computed_at, dataset_drift, report, version FROM drift_reports WHERE model = $1 ORDER BY id",
    )
    .bind(model)
    .fetch_all(conn)
    .await?;
    let mut verdicts: HashMap<String, bool> = HashMap::new();
    let mut changes = Vec::new();
    for (at, drifted, report, version) in rows {
        if verdicts.insert(version.clone(), drifted.0).unwrap_or(false) == drifted.0 {
            continue;
        }
        let report: serde_json::Value = serde_json::from_str(&report).unwrap_or_default();
        let count = |key: &str| report.get(key).and_then(serde_json::Value::as_i64).unwrap_or(0);
        changes.push(VerdictChange {
            at: at.0,
            version,
            drifted: drifted.0,
            drifted_features: count("drifted_features"),
            features: count("features"),
        });
    }
    Ok(changes)
}
