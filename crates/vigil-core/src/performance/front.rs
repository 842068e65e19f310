//! The performance front: what the window and the CLI ask of model performance. The realized
//! performance report, label imports, each model's prediction log settings and deleting a
//! model's log. Changes people make are audited.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::labels::{self, LabelImport};
use super::log;
use super::report::{self, PerformanceReport, PerformanceWindow};
use super::retention;
use super::settings::{self, PredictionSettings, Setting, MAX_RETENTION_DAYS};
use crate::context::Context;
use crate::drift::table::BadRows;
use crate::{Result, VigilError};

/// What deleting a model's prediction log deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DeletedLog {
    pub model: String,
    #[ts(type = "number")]
    pub predictions: u64,
    #[ts(type = "number")]
    pub labels: u64,
}

/// The performance front. Cheap to clone.
#[derive(Clone)]
pub struct Performance {
    context: Context,
}

impl Performance {
    pub(crate) fn new(context: Context) -> Performance {
        Performance { context }
    }

    /// `model`'s realized performance per revision per `window` since `since`.
    pub async fn report(
        &self,
        model: &str,
        window: PerformanceWindow,
        since: DateTime<Utc>,
    ) -> Result<PerformanceReport> {
        let model = named(model)?;
        report::read(&mut *self.context.pool().acquire().await?, model, window, since).await
    }

    /// Imports ground-truth labels of `model` from a CSV, JSON Lines or Parquet file (columns
    /// `id` or `inference_id`, and `label`; `at` optional); a malformed row stops it with nothing
    /// stored unless `bad_rows` says to leave such rows out. On the audit trail.
    pub async fn import_labels(&self, model: &str, path: PathBuf, bad_rows: BadRows) -> Result<LabelImport> {
        let model = named(model)?.to_owned();
        let now_ms = Utc::now().timestamp_millis();
        let source = path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into());
        let (read, skipped_rows, bad) = tokio::task::spawn_blocking(move || labels::read_file(&path, bad_rows, now_ms))
            .await
            .map_err(|err| VigilError::Internal(format!("the import stopped: {err}")))??;
        if read.is_empty() {
            return Err(VigilError::invalid("file", format!("{source} has no labels to import.")));
        }
        let mut write = self.context.write().await?;
        let joined = labels::store(&mut write, &model, &read, now_ms).await?;
        let summary = LabelImport { model, source, labels: read.len() as u64, joined, skipped_rows, bad_rows: bad };
        let detail = serde_json::json!({
            "source": summary.source, "labels": summary.labels, "joined": summary.joined,
            "skipped_rows": summary.skipped_rows,
        });
        write.audit("labels.import", &summary.model, detail).await?;
        write.commit().await?;
        Ok(summary)
    }

    /// `model`'s prediction log settings.
    pub async fn settings(&self, model: &str) -> Result<PredictionSettings> {
        settings::of(&mut *self.context.pool().acquire().await?, named(model)?).await
    }

    /// Keeps `model`'s predictions and labels `days` days (at least 1); what is older is deleted
    /// now. On the audit trail.
    pub async fn set_retention(&self, model: &str, days: u32) -> Result<PredictionSettings> {
        if !(1..=MAX_RETENTION_DAYS).contains(&days) {
            return Err(VigilError::invalid(
                "days",
                format!("{days} is not a retention: give a number of days from 1 to {MAX_RETENTION_DAYS}."),
            ));
        }
        self.change(model, Setting::RetentionDays(days)).await
    }

    /// Declares the class `model`'s precision, recall and F1 are those of (two classes). On the
    /// audit trail.
    pub async fn set_positive_class(&self, model: &str, class: &str) -> Result<PredictionSettings> {
        let class = class.trim();
        if class.is_empty() {
            return Err(VigilError::invalid("class", "Name the positive class, such as 1 or fraud."));
        }
        let class = log::class_of(crate::drift::table::Field::parse(class)).unwrap_or_else(|| class.to_owned());
        self.change(model, Setting::PositiveClass(class)).await
    }

    /// Whether `model`'s requests' values are kept beside its predictions (from the next payloads
    /// the ingest endpoint reads; it reads settings again within 30 s). On the audit trail.
    pub async fn set_keep_inputs(&self, model: &str, keep: bool) -> Result<PredictionSettings> {
        self.change(model, Setting::KeepInputs(keep)).await
    }

    async fn change(&self, model: &str, setting: Setting) -> Result<PredictionSettings> {
        let model = named(model)?;
        let mut write = self.context.write().await?;
        settings::set(&mut write, model, &setting).await?;
        if let Setting::RetentionDays(_) = setting {
            retention::prune(&mut write, Utc::now().timestamp_millis()).await?;
        }
        let stored = settings::of(&mut write, model).await?;
        let detail = serde_json::json!({
            "retention_days": stored.retention_days, "positive_class": stored.positive_class,
            "keep_inputs": stored.keep_inputs,
        });
        write.audit("predictions.settings", model, detail).await?;
        write.commit().await?;
        Ok(stored)
    }

    /// Deletes `model`'s whole prediction log and its labels. On the audit trail.
    pub async fn delete_log(&self, model: &str) -> Result<DeletedLog> {
        let model = named(model)?;
        let mut write = self.context.write().await?;
        let deleted = DeletedLog {
            model: model.to_owned(),
            predictions: log::delete(&mut write, model).await?,
            labels: labels::delete(&mut write, model).await?,
        };
        let detail = serde_json::json!({ "predictions": deleted.predictions, "labels": deleted.labels });
        write.audit("predictions.delete", model, detail).await?;
        write.commit().await?;
        Ok(deleted)
    }
}

/// A model's name, trimmed; an empty one is refused.
fn named(model: &str) -> Result<&str> {
    let model = model.trim();
    if model.is_empty() {
        return Err(VigilError::invalid("model", "Name the model."));
    }
    Ok(model)
}
