//! What runs where, and what it costs: each server's placements (instance type and replicas
//! over time), and the cost report worked out from them and the stored signals: per server its
//! cost an hour, a day and a 30-day projection, and its cost over the window; per revision its
//! part of that (split by compute time where models share a server) and its cost per 1,000
//! successful predictions.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqliteConnection;

use super::spend::{self, Placed, Work};
use crate::points::signal;
use crate::{Result, VigilError};

/// A server's placement from a time on.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Placement {
    pub server: String,
    pub provider: String,
    pub region: String,
    pub instance_type: String,
    pub replicas: u32,
    pub since: DateTime<Utc>,
    /// The instance's on-demand price an hour, from the catalog (None: no longer in it).
    pub hourly: Option<f64>,
}

/// One server's cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerCost {
    pub server: String,
    /// `aws us-east-1 p3.16xlarge × 2`
    pub placement: String,
    pub hourly: f64,
    pub daily: f64,
    /// 30 days of 24 hours at the current placement.
    pub monthly: f64,
    /// What it cost over the report's window, placement by placement.
    pub window_cost: f64,
}

/// One revision's part of its server's cost over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionCost {
    pub server: String,
    pub model: String,
    pub version: String,
    pub requests: f64,
    pub successful: f64,
    pub cost: f64,
    /// Dollars per 1,000 successful predictions; None: no predictions in the window.
    pub per_thousand: Option<f64>,
    /// How the server's cost was split: `sole revision` or `compute time` (requests × mean
    /// latency, or requests where the server reports no latency).
    pub split: String,
}

/// The cost report over a window ending now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    pub window_hours: f64,
    pub servers: Vec<ServerCost>,
    pub revisions: Vec<RevisionCost>,
}

type PlacementRow = (String, String, String, String, i64, DateTime<Utc>, Option<f64>);

/// Every placement (of one server: Some), oldest first, with its price.
pub async fn placements(conn: &mut SqliteConnection, server: Option<&str>) -> Result<Vec<Placement>> {
    let rows: Vec<PlacementRow> = sqlx::query_as(
        "SELECT p.server, p.provider, p.region, p.instance_type, p.replicas, p.since, t.on_demand_hourly
         FROM placements p LEFT JOIN instance_types t
           ON t.provider = p.provider AND t.region = p.region AND t.name = p.instance_type
         WHERE ?1 IS NULL OR p.server = ?1 ORDER BY p.server, p.since, p.id",
    )
    .bind(server)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(server, provider, region, instance_type, replicas, since, hourly)| Placement {
            server,
            provider,
            region,
            instance_type,
            replicas: replicas.clamp(0, i64::from(u32::MAX)) as u32,
            since,
            hourly,
        })
        .collect())
}

/// The servers placed on `provider region instance_type` now or at any time before, by name.
pub async fn servers_placed_on(
    conn: &mut SqliteConnection,
    (provider, region, instance_type): (&str, &str, &str),
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT server FROM placements WHERE provider = ? AND region = ? AND instance_type = ? ORDER BY server",
    )
    .bind(provider)
    .bind(region)
    .bind(instance_type)
    .fetch_all(conn)
    .await?)
}

/// Records that `server` runs `replicas` of the catalog's `provider region instance_type` from now.
pub async fn insert_placement(conn: &mut SqliteConnection, placement: &Placement) -> Result<()> {
    let known: Option<f64> = sqlx::query_scalar(
        "SELECT on_demand_hourly FROM instance_types WHERE provider = ? AND region = ? AND name = ?",
    )
    .bind(&placement.provider)
    .bind(&placement.region)
    .bind(&placement.instance_type)
    .fetch_optional(&mut *conn)
    .await?;
    if known.is_none() {
        let message = format!(
            "The price catalog has no {} {} {}: add it (vigil cost catalog import) or name one it holds (vigil cost catalog list).",
            placement.provider, placement.region, placement.instance_type
        );
        return Err(VigilError::invalid("instance_type", message));
    }
    sqlx::query(
        "INSERT INTO placements (server, provider, region, instance_type, replicas, since) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&placement.server)
    .bind(&placement.provider)
    .bind(&placement.region)
    .bind(&placement.instance_type)
    .bind(placement.replicas)
    .bind(placement.since)
    .execute(conn)
    .await?;
    Ok(())
}

/// The report from `from` to `to`.
pub async fn report(conn: &mut SqliteConnection, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<CostReport> {
    let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
    let all = placements(conn, None).await?;
    let mut report =
        CostReport { window_hours: (to_ms - from_ms) as f64 / 3_600_000.0, servers: Vec::new(), revisions: Vec::new() };
    for group in all.chunk_by(|a, b| a.server == b.server) {
        let placed: Vec<Placed> = group
            .iter()
            .map(|p| Placed {
                since_ms: p.since.timestamp_millis(),
                hourly: p.hourly.unwrap_or(0.0),
                replicas: p.replicas,
            })
            .collect();
        let (now, server) = (&group[group.len() - 1], group[0].server.clone());
        let hourly = now.hourly.unwrap_or(0.0) * f64::from(now.replicas);
        let window_cost = spend::serving_cost(&placed, from_ms, to_ms);
        let placement = format!("{} {} {} × {}", now.provider, now.region, now.instance_type, now.replicas);
        report.servers.push(ServerCost {
            server: server.clone(),
            placement,
            hourly,
            daily: hourly * 24.0,
            monthly: hourly * 720.0,
            window_cost,
        });
        let work = revision_work(conn, &server, from_ms, to_ms).await?;
        let parts = spend::split_by_compute(window_cost, &work.iter().map(|(_, _, w)| *w).collect::<Vec<_>>());
        let split = if work.len() == 1 { "sole revision" } else { "compute time" };
        for ((model, version, work), cost) in work.into_iter().zip(parts) {
            report.revisions.push(RevisionCost {
                server: server.clone(),
                model,
                version,
                requests: work.requests,
                successful: work.successful(),
                cost,
                per_thousand: spend::per_thousand(cost, work.successful()),
                split: split.to_owned(),
            });
        }
    }
    Ok(report)
}

/// Each revision of `server` with the work it asked of it from `from_ms` to `to_ms`.
async fn revision_work(
    conn: &mut SqliteConnection,
    server: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<(String, String, Work)>> {
    type Row = (String, String, Option<f64>, Option<f64>, Option<f64>, Option<f64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT m.name, r.version,
                SUM(CASE WHEN p.signal = ?2 THEN p.value END),
                SUM(CASE WHEN p.signal = ?3 THEN p.value END),
                SUM(CASE WHEN p.signal = ?4 THEN p.value * q.value END),
                SUM(CASE WHEN p.signal = ?4 THEN q.value END)
         FROM servers s JOIN models m ON m.server_id = s.id JOIN revisions r ON r.model_id = m.id
         LEFT JOIN metric_points p ON p.server_id = s.id AND p.revision_id = r.id AND p.at_ms > ?5 AND p.at_ms <= ?6
              AND p.signal IN (?2, ?3, ?4)
         LEFT JOIN metric_points q ON q.server_id = p.server_id AND q.revision_id = p.revision_id
              AND q.at_ms = p.at_ms AND q.signal = ?2 AND p.signal = ?4
         WHERE s.name = ?1 GROUP BY m.name, r.version ORDER BY m.name, r.version",
    )
    .bind(server)
    .bind(signal::REQUESTS)
    .bind(signal::ERRORS)
    .bind(signal::LATENCY_MEAN)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(model, version, requests, errors, latency_weighted, latency_weight)| {
            let mean_latency_s = match (latency_weighted, latency_weight) {
                (Some(weighted), Some(weight)) if weight > 0.0 => Some(weighted / weight),
                _ => None,
            };
            (model, version, Work { requests: requests.unwrap_or(0.0), errors: errors.unwrap_or(0.0), mean_latency_s })
        })
        .collect())
}
