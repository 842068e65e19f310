//! Drift's front: what the window and the CLI ask of drift. Imports of reference data and
//! inference logs, reports and timelines, the tests people choose, the ingest endpoint and the
//! report schedule. Each call reads or writes through the drift modules' own queries.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::ingest::{self, IngestServer};
use super::live;
use super::logs::{self, KnownModel, LogRequest, LogSummary};
use super::reference::{self, Profiling, ReferenceRequest, ReferenceSummary};
use super::report::summary;
use super::report::{self, ColumnChoice, DriftReport, DriftTimeline};
use super::schedule::{self, DriftSchedule};
use super::schema::ColumnUse;
use super::stats::ColumnKind;
use super::table::ImportProgress;
use crate::context::Context;
use crate::performance::outputs;
use crate::performance::reference as performance_reference;
use crate::performance::retention;
use crate::performance::settings;
use crate::{EngineEvent, Result, VigilError};

/// The most windows a drift timeline shows.
pub const MAX_TIMELINE_WINDOWS: i64 = 60;

/// Drift's front.
#[derive(Clone)]
pub struct Drift {
    context: Context,
}

impl Drift {
    pub(crate) fn new(context: Context) -> Drift {
        Drift { context }
    }

    pub(crate) fn context(&self) -> &Context {
        &self.context
    }

    /// Imports the reference data of a model from a CSV, JSON Lines or Parquet file, replacing
    /// the one before; `progress` hears how far it got, and setting `cancel` stops it with
    /// nothing stored. A binary classifier's reference that holds its label and probability
    /// outputs and a target also gives CBPE its labelled rows (`performance::reference`).
    pub async fn import_reference(
        &self,
        path: PathBuf,
        request: ReferenceRequest,
        progress: impl Fn(ImportProgress) + Send + Sync + 'static,
        cancel: Arc<AtomicBool>,
    ) -> Result<ReferenceSummary> {
        let read_path = path.clone();
        let file = tokio::task::spawn_blocking(move || {
            reference::read(&read_path, &request, Profiling::Parallel, &progress, &cancel)
        })
        .await
        .map_err(|err| VigilError::Internal(format!("the import stopped: {err}")))??;
        let summary = &file.summary;
        let version = summary.version.clone().unwrap_or_default();
        // A binary classifier's reference with its labels also calibrates CBPE.
        let mut conn = self.context.pool().acquire().await?;
        let rule = outputs::of_model(&mut conn, &summary.model, Some(summary)).await?.for_version(&version).clone();
        drop(conn);
        let target = summary.target.clone();
        let labelled =
            tokio::task::spawn_blocking(move || performance_reference::read(&path, &rule, target.as_deref()))
                .await
                .map_err(|err| VigilError::Internal(format!("the import stopped: {err}")))??;
        let mut write = self.context.write().await?;
        reference::store(&mut write, &file).await?;
        performance_reference::store(&mut write, &summary.model, &version, &labelled).await?;
        let detail = serde_json::json!({
            "version": summary.version, "source": summary.source,
            "rows": summary.rows, "skipped_rows": summary.skipped_rows, "labelled_rows": labelled.len(),
        });
        write.audit("drift.reference", &summary.model, detail).await?;
        write.commit().await?;
        Ok(file.summary)
    }

    /// The reference data stored for `model` (its `version`'s own, else the one for every version).
    pub async fn reference(&self, model: &str, version: Option<&str>) -> Result<Option<ReferenceSummary>> {
        let mut conn = self.context.pool().acquire().await?;
        Ok(reference::load(&mut conn, model, version).await?.map(|file| file.summary))
    }

    /// Imports an inference log (CSV or JSON Lines: one row a prediction) into the model's live
    /// windows, typing columns as its reference does, and its predictions into the prediction
    /// log when it has an inference id column; nothing is stored unless the whole file is read.
    pub async fn import_inference_log(
        &self,
        path: PathBuf,
        request: LogRequest,
        progress: impl Fn(ImportProgress) + Send + Sync + 'static,
        cancel: Arc<AtomicBool>,
    ) -> Result<LogSummary> {
        let model = request.model.trim().to_owned();
        let reference = self.reference(&model, request.version.as_deref()).await?;
        let mut conn = self.context.pool().acquire().await?;
        let known = KnownModel {
            kinds: reference::kinds_of(reference.as_ref()),
            outputs: outputs::of_model(&mut conn, &model, reference.as_ref()).await?,
            keep_inputs: settings::of(&mut conn, &model).await?.keep_inputs,
        };
        drop(conn);
        let now = Utc::now();
        let (live, log, summary) =
            tokio::task::spawn_blocking(move || logs::read(&path, &request, known, now, &progress, &cancel))
                .await
                .map_err(|err| VigilError::Internal(format!("the import stopped: {err}")))??;
        let mut write = self.context.write().await?;
        live.store(&mut write).await?;
        log.store(&mut write).await?;
        write.commit().await?;
        Ok(summary)
    }

    /// Compares `model`'s live data from `from` to `to` with its reference, stores the report
    /// and tells listeners.
    pub async fn report(
        &self,
        model: &str,
        version: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<DriftReport> {
        if from >= to {
            return Err(VigilError::invalid("range", "The range must start before it ends."));
        }
        let mut conn = self.context.pool().acquire().await?;
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
        let mut report = report::compare(&reference, &current, &settings, (from, to), Utc::now());
        // The heatmap's newest window: when it shifted and the whole range did not, say so.
        let newest_start = (range.1 - 1).div_euclid(live::WINDOW_MS) * live::WINDOW_MS;
        if newest_start > range.0 {
            let newest = (newest_start, newest_start + live::WINDOW_MS);
            let current = live::merged(&mut conn, model, version, newest).await?;
            let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
            let newest = report::compare(&reference, &current, &settings, (at(newest.0), at(newest.1)), Utc::now());
            report.summary = summary::summary(&report, Some(&newest));
        }
        report::store(&mut conn, &report).await?;
        self.context.publish(EngineEvent::DriftReported {
            model: report.model.clone(),
            version: report.version.clone(),
            dataset_drift: report.dataset_drift,
            drifted_features: report.drifted_features,
            features: report.features,
        });
        Ok(report)
    }

    /// The newest drift report of each model.
    pub async fn latest_reports(&self) -> Result<Vec<DriftReport>> {
        report::latest(&mut *self.context.pool().acquire().await?).await
    }

    /// Each tested column's drift window by window from `from` to `to`: hourly windows up to two
    /// days, daily beyond (at most [`MAX_TIMELINE_WINDOWS`] windows, the newest).
    pub async fn timeline(
        &self,
        model: &str,
        version: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<DriftTimeline> {
        if from >= to {
            return Err(VigilError::invalid("range", "The range must start before it ends."));
        }
        let mut conn = self.context.pool().acquire().await?;
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

    /// Chooses the test of one column of `model`'s reference (None for both: Evidently's
    /// default again), kept across later imports of the reference; on the audit trail. A learned
    /// threshold needs a distance method and no fixed threshold.
    pub async fn set_choice(
        &self,
        model: &str,
        version: Option<&str>,
        column: &str,
        choice: ColumnChoice,
    ) -> Result<()> {
        let mut write = self.context.write().await?;
        let reference = reference::load(&mut write, model, version).await?.ok_or_else(|| {
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
        choice.check(column, kind)?;
        let stored_version = reference.summary.version.clone().unwrap_or_default();
        reference::store_choice(&mut write, (model, &stored_version), column, &choice).await?;
        let detail = serde_json::json!({
            "column": column, "method": choice.method.map(|method| method.name()),
            "threshold": choice.threshold, "learned": choice.learned,
        });
        write.audit("drift.choice", model, detail).await?;
        write.commit().await
    }

    /// Sets the share of drifted features at which `model`'s data set counts as drifted (None:
    /// Evidently's 0.5 again), for the reports that follow; on the audit trail.
    pub async fn set_share(&self, model: &str, share: Option<f64>) -> Result<()> {
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
        let mut write = self.context.write().await?;
        report::store_share(&mut write, model, share).await?;
        let detail = serde_json::json!({
            "drift_share": share.unwrap_or(report::DATASET_DRIFT_SHARE), "default": share.is_none(),
        });
        write.audit("drift.share", model, detail).await?;
        write.commit().await
    }

    /// The versions of `model` that have live windows or a reference of their own, the one with
    /// the newest live window first (versions with only a reference last, by name); the empty
    /// version (what holds for every version) is left out.
    pub async fn versions(&self, model: &str) -> Result<Vec<String>> {
        live::versions(&mut *self.context.pool().acquire().await?, model.trim()).await
    }

    /// Starts the ingest endpoint on `addr` (loopback unless a person chose otherwise),
    /// accepting payloads that carry `token`.
    pub async fn start_ingest(&self, addr: SocketAddr, token: String) -> Result<IngestServer> {
        ingest::start(self.clone(), addr, token).await
    }

    /// Reports drift every `every` (the first round after one `every`) until the handle is dropped.
    pub fn start_reports(&self, every: Duration) -> DriftSchedule {
        schedule::start(self.clone(), every)
    }

    /// Reports each model whose live windows gained data since `since`, then prunes old windows
    /// and reports, and predictions and labels past their model's retention. Returns how many
    /// reports it made.
    pub async fn round(&self, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<usize> {
        let mut conn = self.context.pool().acquire().await?;
        let due = live::refreshed_since(&mut conn, since.timestamp_millis()).await?;
        drop(conn);
        for (model, version) in &due {
            let version = Some(version.as_str()).filter(|version| !version.is_empty());
            self.report(model, version, now - schedule::REPORT_SPAN, now).await?;
        }
        let mut conn = self.context.pool().acquire().await?;
        live::prune(&mut conn, (now - schedule::KEEP_WINDOWS).timestamp_millis()).await?;
        report::prune(&mut conn, (now - schedule::KEEP_REPORTS).timestamp_millis()).await?;
        retention::prune(&mut conn, now.timestamp_millis()).await?;
        Ok(due.len())
    }
}
