//! Drift: how far a model's live inputs and outputs have moved from its reference data.
//!
//! A reference file is read by [`table`], its columns' kinds inferred by [`schema`], and its
//! values kept as bounded [`profile`]s ([`reference`] imports and stores them). Live data,
//! from inference [`logs`] or payloads, is kept as hourly [`live`] windows of profiles. [`stats`]
//! holds the statistical tests, each checked against scipy and Evidently.

pub mod ingest;
pub mod learned;
pub mod live;
pub mod logs;
pub mod methods;
pub mod parallel;
pub mod payload;
pub mod profile;
pub mod reference;
pub mod report;
pub mod schedule;
pub mod schema;
pub mod stats;
pub mod table;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::{audit, Engine, EngineEvent, Result, VigilError};
use logs::{LogRequest, LogSummary};
use reference::{ReferenceRequest, ReferenceSummary};
use report::{ColumnChoice, DriftReport, DriftTimeline};
use schema::ColumnUse;
use stats::ColumnKind;
use table::ImportProgress;

impl Engine {
    /// Imports the reference data of a model from a CSV or JSON Lines file, replacing the one
    /// before; `progress` hears how far it got, and setting `cancel` stops it with nothing stored.
    pub async fn import_reference(
        &self,
        path: PathBuf,
        request: ReferenceRequest,
        progress: impl Fn(ImportProgress) + Send + Sync + 'static,
        cancel: Arc<AtomicBool>,
    ) -> Result<ReferenceSummary> {
        let file = tokio::task::spawn_blocking(move || reference::read(&path, &request, &progress, &cancel))
            .await
            .map_err(|err| VigilError::Internal(format!("the import stopped: {err}")))??;
        let summary = &file.summary;
        let mut tx = self.write_transaction().await?;
        reference::store(&mut tx, &file).await?;
        let detail = serde_json::json!({
            "version": summary.version, "source": summary.source,
            "rows": summary.rows, "skipped_rows": summary.skipped_rows,
        });
        let entry = audit::append(
            &mut tx,
            &self.options().actor,
            "drift.reference",
            &summary.model,
            detail,
            summary.imported_at,
        )
        .await?;
        tx.commit().await?;
        self.publish(EngineEvent::Audited { entry });
        Ok(file.summary)
    }

    /// The reference data stored for `model` (its `version`'s own, else the one for every version).
    pub async fn reference(&self, model: &str, version: Option<&str>) -> Result<Option<ReferenceSummary>> {
        let mut conn = self.pool().acquire().await?;
        Ok(reference::load(&mut conn, model, version).await?.map(|file| file.summary))
    }

    /// Imports an inference log (CSV or JSON Lines: one row a prediction) into the model's live
    /// windows, typing columns as its reference does; nothing is stored unless the whole file is read.
    pub async fn import_inference_log(
        &self,
        path: PathBuf,
        request: LogRequest,
        progress: impl Fn(ImportProgress) + Send + Sync + 'static,
        cancel: Arc<AtomicBool>,
    ) -> Result<LogSummary> {
        let kinds = self.reference_kinds(&request.model, request.version.as_deref()).await?;
        let now = chrono::Utc::now();
        let (live, summary) =
            tokio::task::spawn_blocking(move || logs::read(&path, &request, kinds, now, &progress, &cancel))
                .await
                .map_err(|err| VigilError::Internal(format!("the import stopped: {err}")))??;
        let mut tx = self.write_transaction().await?;
        live.store(&mut tx).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Each tested column's kind in the model's reference (none without a reference).
    async fn reference_kinds(&self, model: &str, version: Option<&str>) -> Result<HashMap<String, ColumnKind>> {
        let reference = self.reference(model.trim(), version).await?;
        Ok(reference
            .into_iter()
            .flat_map(|reference| reference.columns)
            .filter_map(|column| match column.column_use {
                ColumnUse::Test { kind } => Some((column.name, kind)),
                ColumnUse::Skip { .. } => None,
            })
            .collect())
    }

    /// Compares `model`'s live data from `from` to `to` with its reference, stores the report
    /// and tells listeners.
    pub async fn drift_report(
        &self,
        model: &str,
        version: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<DriftReport> {
        if from >= to {
            return Err(VigilError::invalid("range", "The range must start before it ends."));
        }
        let mut conn = self.pool().acquire().await?;
        let model = model.trim();
        let reference = reference::load(&mut conn, model, version).await?.ok_or_else(|| {
            VigilError::NotFound(format!(
                "{model} has no reference data to compare with; import some with \
                 `vigil drift reference --model {model} FILE` or from the drift view."
            ))
        })?;
        let range = (from.timestamp_millis(), to.timestamp_millis());
        let current = live::merged(&mut conn, model, version, range).await?;
        let settings = report::settings(&mut conn, model, version).await?;
        let report = report::compare(&reference, &current, &settings, (from, to), Utc::now());
        report::store(&mut conn, &report).await?;
        self.publish(EngineEvent::DriftReported {
            model: report.model.clone(),
            version: report.version.clone(),
            dataset_drift: report.dataset_drift,
            drifted_features: report.drifted_features,
            features: report.features,
        });
        Ok(report)
    }

    /// The newest drift report of each model.
    pub async fn latest_drift_reports(&self) -> Result<Vec<DriftReport>> {
        report::latest(&mut *self.pool().acquire().await?).await
    }

    /// Each tested column's drift window by window from `from` to `to`: hourly windows up to two
    /// days, daily beyond (at most [`MAX_TIMELINE_WINDOWS`] windows, the newest).
    pub async fn drift_timeline(
        &self,
        model: &str,
        version: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<DriftTimeline> {
        if from >= to {
            return Err(VigilError::invalid("range", "The range must start before it ends."));
        }
        let mut conn = self.pool().acquire().await?;
        let model = model.trim();
        let reference = reference::load(&mut conn, model, version)
            .await?
            .ok_or_else(|| VigilError::NotFound(format!("{model} has no reference data to compare with.")))?;
        let settings = report::settings(&mut conn, model, version).await?;
        let window = if to - from <= chrono::Duration::days(2) { live::WINDOW_MS } else { 24 * live::WINDOW_MS };
        let last = to.timestamp_millis().div_euclid(window) * window;
        let first =
            (from.timestamp_millis().div_euclid(window) * window).max(last - (MAX_TIMELINE_WINDOWS - 1) * window);
        let starts: Vec<i64> = (0..).map(|i| first + i * window).take_while(|start| *start <= last).collect();
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
        let mut timeline: Option<DriftTimeline> = None;
        for (index, start) in starts.iter().enumerate() {
            let current = live::merged(&mut conn, model, version, (*start, start + window)).await?;
            let report = report::compare(&reference, &current, &settings, (at(*start), at(start + window)), Utc::now());
            timeline
                .get_or_insert_with(|| {
                    DriftTimeline::new(&report, starts.iter().map(|ms| at(*ms)).collect(), window / 1000)
                })
                .fill(index, &report);
        }
        timeline.ok_or_else(|| VigilError::invalid("range", "The range holds no window."))
    }
}

impl Engine {
    /// Chooses the test of one column of `model`'s reference (None for both: Evidently's
    /// default again), kept across later imports of the reference; on the audit trail. A learned
    /// threshold needs a distance method and no fixed threshold.
    pub async fn set_drift_choice(
        &self,
        model: &str,
        version: Option<&str>,
        column: &str,
        choice: ColumnChoice,
    ) -> Result<()> {
        let mut tx = self.write_transaction().await?;
        let reference = reference::load(&mut tx, model, version).await?.ok_or_else(|| {
            VigilError::NotFound(format!("{model} has no reference data; import some before choosing its tests."))
        })?;
        let tested: Vec<(&str, ColumnKind)> = reference
            .summary
            .columns
            .iter()
            .filter_map(|c| match c.column_use {
                ColumnUse::Test { kind } => Some((c.name.as_str(), kind)),
                ColumnUse::Skip { .. } => None,
            })
            .collect();
        let kind = tested.iter().find(|(name, _)| *name == column).map(|(_, kind)| *kind).ok_or_else(|| {
            let names: Vec<&str> = tested.iter().map(|(name, _)| *name).collect();
            VigilError::invalid(
                "column",
                format!("{model} has no tested column {column}; it has {}.", names.join(", ")),
            )
        })?;
        if let Some(method) = choice.method.filter(|method| !methods::applies(*method, kind)) {
            let usable: Vec<&str> = methods::for_kind(kind).iter().map(|rule| rule.method.name()).collect();
            return Err(VigilError::invalid(
                "method",
                format!("{} compares numbers; {column} holds labels. Use {}.", method.name(), usable.join(", ")),
            ));
        }
        if choice.learned && (choice.threshold.is_some() || choice.method.is_none_or(|m| m.is_p_value())) {
            return Err(VigilError::invalid(
                "method",
                "A learned threshold needs a distance chosen with it (wasserstein, jensen_shannon, psi or hellinger) \
                 and no fixed threshold.",
            ));
        }
        if let Some(threshold) = choice.threshold {
            let p_value = choice.method.is_some_and(stats::Method::is_p_value);
            if !threshold.is_finite() || threshold <= 0.0 || (p_value && threshold >= 1.0) {
                return Err(VigilError::invalid(
                    "threshold",
                    "The threshold must be a positive number (below 1 for a p-value test).",
                ));
            }
        }
        let method = choice.method.map(|method| method.name());
        sqlx::query(
            "UPDATE drift_columns SET method = ?1, threshold = ?2, learned = ?6
             WHERE name = ?3 AND reference_id = (SELECT id FROM drift_references WHERE model = ?4 AND version = ?5)",
        )
        .bind(method)
        .bind(choice.threshold)
        .bind(column)
        .bind(model)
        .bind(reference.summary.version.clone().unwrap_or_default())
        .bind(choice.learned)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({
            "column": column, "method": method, "threshold": choice.threshold, "learned": choice.learned,
        });
        let entry = audit::append(&mut tx, &self.options().actor, "drift.choice", model, detail, Utc::now()).await?;
        tx.commit().await?;
        self.publish(EngineEvent::Audited { entry });
        Ok(())
    }
}

impl Engine {
    /// Sets the share of drifted features at which `model`'s data set counts as drifted (None:
    /// Evidently's 0.5 again), for the reports that follow; on the audit trail.
    pub async fn set_drift_share(&self, model: &str, share: Option<f64>) -> Result<()> {
        let model = model.trim();
        if model.is_empty() {
            return Err(VigilError::invalid("model", "Name the model whose drift share to set."));
        }
        if let Some(share) = share.filter(|share| !(share.is_finite() && *share > 0.0 && *share <= 1.0)) {
            return Err(VigilError::invalid(
                "share",
                format!("{share} is not a share of features: give one above 0 and at most 1, such as 0.3 for 30 %."),
            ));
        }
        let mut tx = self.write_transaction().await?;
        match share {
            Some(share) => {
                sqlx::query(
                    "INSERT INTO drift_settings (model, drift_share) VALUES (?1, ?2)
                     ON CONFLICT (model) DO UPDATE SET drift_share = excluded.drift_share",
                )
                .bind(model)
                .bind(share)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM drift_settings WHERE model = ?1").bind(model).execute(&mut *tx).await?;
            }
        }
        let detail = serde_json::json!({ "drift_share": share.unwrap_or(report::DATASET_DRIFT_SHARE), "default": share.is_none() });
        let entry = audit::append(&mut tx, &self.options().actor, "drift.share", model, detail, Utc::now()).await?;
        tx.commit().await?;
        self.publish(EngineEvent::Audited { entry });
        Ok(())
    }
}

/// The most windows a drift timeline shows.
pub const MAX_TIMELINE_WINDOWS: i64 = 60;

impl Engine {
    /// The versions of `model` that have live windows or a reference of their own, the one with
    /// the newest live window first (versions with only a reference last, by name); the empty
    /// version (what holds for every version) is left out.
    pub async fn drift_versions(&self, model: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT version FROM (
                 SELECT version, MAX(window_start_ms) AS newest FROM drift_windows
                 WHERE model = ?1 AND version <> '' GROUP BY version
                 UNION ALL
                 SELECT version, NULL FROM drift_references WHERE model = ?1 AND version <> ''
             )
             GROUP BY version
             ORDER BY MAX(newest) IS NULL, MAX(newest) DESC, version",
        )
        .bind(model.trim())
        .fetch_all(&mut *self.pool().acquire().await?)
        .await?;
        Ok(rows.into_iter().map(|(version,)| version).collect())
    }
}
