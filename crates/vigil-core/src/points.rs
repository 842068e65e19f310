//! Golden signals as stored: one metric point per revision, signal and poll, written in the
//! poller's transaction, and read back as each revision's latest values.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sqlx::{SqliteConnection, SqlitePool};
use ts_rs::TS;

use crate::signals::GoldenSignals;
use crate::Result;

/// Stored signal names. Latencies are in seconds, rates per second, error rate a share (0–1).
pub mod signal {
    pub const REQUESTS: &str = "requests";
    pub const ERRORS: &str = "errors";
    pub const REQUEST_RATE: &str = "request_rate";
    pub const ERROR_RATE: &str = "error_rate";
    pub const LATENCY_MEAN: &str = "latency_mean_s";
    pub const LATENCY_P50: &str = "latency_p50_s";
    pub const LATENCY_P95: &str = "latency_p95_s";
    pub const LATENCY_P99: &str = "latency_p99_s";
}

/// What one revision did between two polls, as stored.
pub struct Interval<'a> {
    pub server_id: i64,
    pub revision_id: i64,
    pub at_ms: i64,
    pub signals: &'a GoldenSignals,
}

/// Stores every signal of `interval` that has a value.
pub async fn insert(conn: &mut SqliteConnection, interval: &Interval<'_>) -> Result<()> {
    let s = interval.signals;
    let values = [
        (signal::REQUESTS, Some(s.requests)),
        (signal::ERRORS, s.errors),
        (signal::REQUEST_RATE, Some(s.request_rate)),
        (signal::ERROR_RATE, s.error_rate),
        (signal::LATENCY_MEAN, s.latency_mean_s),
        (signal::LATENCY_P50, s.latency_p50_s),
        (signal::LATENCY_P95, s.latency_p95_s),
        (signal::LATENCY_P99, s.latency_p99_s),
    ];
    for (name, value) in values {
        let Some(value) = value.filter(|v| v.is_finite()) else { continue };
        sqlx::query("INSERT INTO metric_points (server_id, revision_id, signal, at_ms, value) VALUES (?, ?, ?, ?, ?)")
            .bind(interval.server_id)
            .bind(interval.revision_id)
            .bind(name)
            .bind(interval.at_ms)
            .bind(value)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A revision with the latest value of each of its signals.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RevisionSignals {
    pub server: String,
    pub model: String,
    /// Empty for the model's default version.
    pub version: String,
    /// Signal name → latest value; absent when never measured.
    #[ts(type = "Record<string, number>")]
    pub latest: BTreeMap<String, f64>,
    /// Sum of the `requests` points: every request seen since Vigil began polling.
    pub requests_seen: f64,
    /// Sum of the `errors` points.
    pub errors_seen: f64,
}

/// Every discovered revision with its latest signals, by server, model and version.
pub async fn latest(pool: &SqlitePool) -> Result<Vec<RevisionSignals>> {
    type Row = (i64, String, String, String, Option<String>, Option<f64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.id, s.name, m.name, r.version, p.signal, p.value
         FROM revisions r JOIN models m ON m.id = r.model_id JOIN servers s ON s.id = m.server_id
         LEFT JOIN metric_points p ON p.revision_id = r.id AND p.at_ms = (
             SELECT max(at_ms) FROM metric_points q WHERE q.revision_id = r.id AND q.signal = p.signal)
         ORDER BY s.name, m.name, r.version, r.id",
    )
    .fetch_all(pool)
    .await?;
    let sums: HashMap<(i64, String), f64> = sqlx::query_as::<_, (i64, String, f64)>(
        "SELECT revision_id, signal, sum(value) FROM metric_points WHERE signal IN (?, ?) GROUP BY revision_id, signal",
    )
    .bind(signal::REQUESTS)
    .bind(signal::ERRORS)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(id, name, sum)| ((id, name), sum))
    .collect();
    let seen = |id: i64, name: &str| sums.get(&(id, name.to_owned())).copied().unwrap_or(0.0);

    let mut out: Vec<(i64, RevisionSignals)> = Vec::new();
    for (id, server, model, version, name, value) in rows {
        if out.last().is_none_or(|(last, _)| *last != id) {
            let (requests_seen, errors_seen) = (seen(id, signal::REQUESTS), seen(id, signal::ERRORS));
            let revision =
                RevisionSignals { server, model, version, latest: BTreeMap::new(), requests_seen, errors_seen };
            out.push((id, revision));
        }
        if let (Some(name), Some(value), Some((_, revision))) = (name, value, out.last_mut()) {
            revision.latest.insert(name, value);
        }
    }
    Ok(out.into_iter().map(|(_, revision)| revision).collect())
}
