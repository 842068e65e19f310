//! What the servers were used for over a window, read from the stored signals in one query per
//! question: each revision's work (requests, errors, mean latency), over the whole window or hour
//! by hour, and each server's mean CPU and GPU use (the server-wide points, with no revision).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::spend::Work;
use crate::points::signal;
use crate::store::values::Stamp;
use crate::Result;

/// One revision's work in one bucket of time.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionWork {
    pub server: String,
    pub model: String,
    pub version: String,
    pub first_seen: DateTime<Utc>,
    /// The bucket's start in Unix ms; 0 for the whole window.
    pub bucket_ms: i64,
    pub work: Work,
}

/// Every revision of every server, with the work it asked of its server from `from_ms` to
/// `to_ms`: one row per revision for the whole window (`bucket_ms` None, revisions that did no
/// work included), or one per revision and bucket of `bucket_ms` it did work in.
pub async fn work(
    conn: &mut AnyConnection,
    from_ms: i64,
    to_ms: i64,
    bucket_ms: Option<i64>,
) -> Result<Vec<RevisionWork>> {
    type Row = (String, String, String, Stamp, Option<i64>, Option<f64>, Option<f64>, Option<f64>, Option<f64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.name, m.name, r.version, r.first_seen_at,
                CASE WHEN $6 IS NULL THEN 0 ELSE (p.at_ms - 1) / $6 * $6 END AS bucket,
                SUM(CASE WHEN p.signal = $1 THEN p.value END),
                SUM(CASE WHEN p.signal = $2 THEN p.value END),
                SUM(CASE WHEN p.signal = $3 THEN p.value * q.value END),
                SUM(CASE WHEN p.signal = $3 THEN q.value END)
         FROM servers s JOIN models m ON m.server_id = s.id JOIN revisions r ON r.model_id = m.id
         LEFT JOIN metric_points p ON p.server_id = s.id AND p.revision_id = r.id AND p.at_ms > $4 AND p.at_ms <= $5
              AND p.signal IN ($1, $2, $3)
         LEFT JOIN metric_points q ON q.server_id = p.server_id AND q.revision_id = p.revision_id
              AND q.at_ms = p.at_ms AND q.signal = $1 AND p.signal = $3
         GROUP BY s.name, m.name, r.version, r.first_seen_at, r.id, bucket
         ORDER BY s.name, m.name, r.first_seen_at, r.id, bucket",
    )
    .bind(signal::REQUESTS)
    .bind(signal::ERRORS)
    .bind(signal::LATENCY_MEAN)
    .bind(from_ms)
    .bind(to_ms)
    .bind(bucket_ms)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|row| bucket_ms.is_none() || row.4.is_some())
        .map(|(server, model, version, first_seen, bucket, requests, errors, latency_weighted, latency_weight)| {
            let mean_latency_s = match (latency_weighted, latency_weight) {
                (Some(weighted), Some(weight)) if weight > 0.0 => Some(weighted / weight),
                _ => None,
            };
            let work = Work { requests: requests.unwrap_or(0.0), errors: errors.unwrap_or(0.0), mean_latency_s };
            RevisionWork { server, model, version, first_seen: first_seen.0, bucket_ms: bucket.unwrap_or(0), work }
        })
        .collect())
}

/// A server's mean use over a window, as its kind reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ServerUse {
    /// Share of its GPUs' time in use, 0–1.
    pub gpu: Option<f64>,
    /// Share of its CPU in use, 0–1.
    pub cpu_share: Option<f64>,
    /// CPU cores its process kept busy.
    pub cpu_cores: Option<f64>,
}

/// Each server's mean use from `from_ms` to `to_ms`, by server name; servers reporting none are
/// absent.
pub async fn server_use(conn: &mut AnyConnection, from_ms: i64, to_ms: i64) -> Result<HashMap<String, ServerUse>> {
    let rows: Vec<(String, String, f64)> = sqlx::query_as(
        "SELECT s.name, p.signal, AVG(p.value) FROM servers s JOIN metric_points p ON p.server_id = s.id
         WHERE p.revision_id IS NULL AND p.signal IN ($1, $2, $3) AND p.at_ms > $4 AND p.at_ms <= $5
         GROUP BY s.name, p.signal",
    )
    .bind(signal::GPU_UTILIZATION)
    .bind(signal::CPU_UTILIZATION)
    .bind(signal::CPU_CORES)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await?;
    let mut used: HashMap<String, ServerUse> = HashMap::new();
    for (server, name, mean) in rows {
        let entry = used.entry(server).or_default();
        match name.as_str() {
            signal::GPU_UTILIZATION => entry.gpu = Some(mean),
            signal::CPU_UTILIZATION => entry.cpu_share = Some(mean),
            _ => entry.cpu_cores = Some(mean),
        }
    }
    Ok(used)
}
