//! Drift reports on a schedule: every few minutes, each model with reference data and live data
//! since its last report gets a report over the last day (stored and announced like one asked
//! for). Old live windows and reports are pruned on the same round.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{Engine, Result};

/// The span a scheduled report covers.
pub const REPORT_SPAN: chrono::Duration = chrono::Duration::hours(24);
/// How long live windows are kept (the heatmap's longest range).
pub const KEEP_WINDOWS: chrono::Duration = chrono::Duration::days(30);
/// How long reports are kept (the model timeline keeps drift changes as annotations only while
/// their reports are kept).
pub const KEEP_REPORTS: chrono::Duration = chrono::Duration::days(7);

/// Scheduled drift reports, running until dropped.
pub struct DriftSchedule(tokio::task::JoinHandle<()>);

impl Drop for DriftSchedule {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Engine {
    /// Reports drift every `every` (the first round after one `every`) until the handle is dropped.
    pub fn start_drift_reports(&self, every: Duration) -> DriftSchedule {
        let engine = self.clone();
        DriftSchedule(tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            let mut last_round = Utc::now();
            loop {
                ticks.tick().await;
                let now = Utc::now();
                if let Err(err) = engine.drift_round(last_round, now).await {
                    tracing::warn!("scheduled drift reports failed: {err}");
                }
                last_round = now;
            }
        }))
    }

    /// Reports each model whose live windows gained data since `since`, then prunes.
    pub async fn drift_round(&self, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<usize> {
        let since_window = since.timestamp_millis().div_euclid(super::live::WINDOW_MS) * super::live::WINDOW_MS;
        let due: Vec<(String, String)> = sqlx::query_as(
            "SELECT r.model, r.version FROM drift_references r
             WHERE EXISTS (SELECT 1 FROM drift_windows w WHERE w.model = r.model
                               AND (r.version = '' OR w.version = r.version) AND w.window_start_ms >= ?)",
        )
        .bind(since_window)
        .fetch_all(self.pool())
        .await?;
        for (model, version) in &due {
            let version = Some(version.as_str()).filter(|version| !version.is_empty());
            self.drift_report(model, version, now - REPORT_SPAN, now).await?;
        }
        sqlx::query("DELETE FROM drift_windows WHERE window_start_ms < ?")
            .bind((now - KEEP_WINDOWS).timestamp_millis())
            .execute(self.pool())
            .await?;
        sqlx::query("DELETE FROM drift_reports WHERE to_ms < ?")
            .bind((now - KEEP_REPORTS).timestamp_millis())
            .execute(self.pool())
            .await?;
        Ok(due.len())
    }
}
