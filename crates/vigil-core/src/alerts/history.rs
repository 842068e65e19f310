//! The seasonal baselines an anomaly condition compares with: each model's hourly traffic, error
//! share and p99 over the last five weeks, read from the hourly rollups (every revision of the
//! model on its server together), made into an [`anomaly::Baseline`] per signal and subject.
//! They change slowly, so the watcher reads them again once an hour, not at every round.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

use super::anomaly::{Baseline, Departure};
use super::rules::Signal;
use crate::points::signal as names;
use crate::Result;

/// How far back a baseline looks.
pub const LOOK_BACK: Duration = Duration::weeks(5);

/// One revision's hourly means: request rate, error share, p99.
type RevisionHour = [Option<f64>; 3];
/// A subject's hourly points of one signal, keyed by the signal's short name and the subject.
type SeriesBySubject = HashMap<(&'static str, String), Vec<(DateTime<Utc>, f64)>>;

/// Baselines by signal and subject key ("fraud on fraud-server").
#[derive(Debug, Default)]
pub struct Baselines {
    by_subject: HashMap<(&'static str, String), Baseline>,
    read_at: Option<DateTime<Utc>>,
}

impl Baselines {
    /// Reads every model's hourly history up to `now`.
    pub async fn read(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<Baselines> {
        let rows: Vec<(String, String, i64, String, i64, f64)> = sqlx::query_as(
            "SELECT m.name, s.name, r.revision_id, r.signal, r.bucket_start_ms, r.sum / r.count
             FROM metric_rollups r
             JOIN revisions v ON v.id = r.revision_id
             JOIN models m ON m.id = v.model_id
             JOIN servers s ON s.id = r.server_id
             WHERE r.resolution = 3600 AND r.signal IN ($1, $2, $3) AND r.bucket_start_ms >= $4 AND r.count > 0",
        )
        .bind(names::LATENCY_P99)
        .bind(names::REQUEST_RATE)
        .bind(names::ERROR_RATE)
        .bind((now - LOOK_BACK).timestamp_millis())
        .fetch_all(conn)
        .await?;
        // Per subject and hour: each revision's rate, error share and p99.
        let mut hours: HashMap<(String, i64), HashMap<i64, RevisionHour>> = HashMap::new();
        for (model, server, revision, signal, at_ms, value) in rows {
            let slot = match signal.as_str() {
                names::REQUEST_RATE => 0,
                names::ERROR_RATE => 1,
                _ => 2,
            };
            hours.entry((format!("{model} on {server}"), at_ms)).or_default().entry(revision).or_default()[slot] =
                Some(value);
        }
        let mut series = SeriesBySubject::new();
        for ((subject, at_ms), revisions) in hours {
            let Some(at) = DateTime::from_timestamp_millis(at_ms) else { continue };
            let rate: f64 = revisions.values().filter_map(|r| r[0]).sum();
            let failing: f64 = revisions.values().filter_map(|r| Some(r[0]? * r[1]?)).sum();
            let p99 = revisions.values().filter_map(|r| r[2]).reduce(f64::max);
            series.entry(("rate", subject.clone())).or_default().push((at, rate));
            if rate > 0.0 {
                series.entry(("errors", subject.clone())).or_default().push((at, failing / rate));
            }
            if let Some(p99) = p99 {
                series.entry(("p99", subject)).or_default().push((at, p99));
            }
        }
        let by_subject = series.into_iter().map(|(key, points)| (key, Baseline::from_history(points))).collect();
        Ok(Baselines { by_subject, read_at: Some(now) })
    }

    /// Whether they were read within the last hour before `now`.
    pub fn fresh(&self, now: DateTime<Utc>) -> bool {
        self.read_at.is_some_and(|at| now - at < Duration::hours(1))
    }

    /// How far `value` at `at` is from what is usual for `signal` on `subject`; None when too
    /// little history is known.
    pub fn judge(&self, signal: &Signal, subject: &str, at: DateTime<Utc>, value: f64) -> Option<Departure> {
        let key = match signal {
            Signal::RequestRate => "rate",
            Signal::ErrorShare => "errors",
            Signal::P99Seconds => "p99",
            _ => return None,
        };
        self.by_subject.get(&(key, subject.to_owned()))?.judge(at, value)
    }
}
