//! Drift reports on a schedule: every few minutes, each model with reference data and live data
//! since its last report gets a report over the last day (stored and announced like one asked
//! for). Old live windows and reports are pruned on the same round.

use std::time::Duration;

use chrono::Utc;

use super::Drift;

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

/// Runs a round every `every` (the first after one `every`) until the handle is dropped.
pub(super) fn start(drift: Drift, every: Duration) -> DriftSchedule {
    DriftSchedule(tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let mut last_round = Utc::now();
        loop {
            ticks.tick().await;
            let now = Utc::now();
            if let Err(err) = drift.round(last_round, now).await {
                tracing::warn!("scheduled drift reports failed: {err}");
            }
            last_round = now;
        }
    }))
}
