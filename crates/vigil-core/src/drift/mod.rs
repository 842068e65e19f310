//! Drift: how far a model's live inputs and outputs have moved from its reference data.
//!
//! A reference file is read by [`table`], its columns' kinds inferred by [`schema`], and its
//! values kept as bounded [`profile`]s ([`reference`] imports and stores them); [`stats`]
//! holds the statistical tests, each checked against scipy and Evidently.

pub mod profile;
pub mod reference;
pub mod schema;
pub mod stats;
pub mod table;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::{audit, Engine, EngineEvent, Result, VigilError};
use reference::{ImportProgress, ReferenceRequest, ReferenceSummary};

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
        let mut tx = self.pool().begin().await?;
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
}
