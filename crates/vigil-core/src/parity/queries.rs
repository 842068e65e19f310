//! Every statement on the `parity_runs` table. Reports are stored as JSON.

use sqlx::AnyConnection;

use super::ParityReport;
use crate::store::values::stamp;
use crate::{Result, VigilError};

fn corrupt(err: serde_json::Error) -> VigilError {
    VigilError::Internal(format!("a stored parity report cannot be read: {err}"))
}

/// Stores `report` as a check of revision `revision_id`; returns its id.
pub async fn insert(conn: &mut AnyConnection, revision_id: i64, report: &ParityReport) -> Result<i64> {
    let json = serde_json::to_string(report).map_err(corrupt)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO parity_runs (revision_id, started_at, matched_share, report) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(revision_id)
    .bind(stamp(report.started_at))
    .bind(report.matched_share)
    .bind(json)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The newest check of each revision of `model` (any server), newest revision last.
pub async fn latest_of_model(conn: &mut AnyConnection, model: &str) -> Result<Vec<ParityReport>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT p.id, p.report FROM parity_runs p JOIN revisions r ON r.id = p.revision_id
         JOIN models m ON m.id = r.model_id
         WHERE m.name = $1 AND p.id = (SELECT max(id) FROM parity_runs WHERE revision_id = p.revision_id)
         ORDER BY r.first_seen_at, r.id",
    )
    .bind(model)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(|(id, json)| read(id, &json)).collect()
}

/// The newest check of revision `revision_id`, if any.
pub async fn latest(conn: &mut AnyConnection, revision_id: i64) -> Result<Option<ParityReport>> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, report FROM parity_runs WHERE revision_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(revision_id)
            .fetch_optional(conn)
            .await?;
    row.map(|(id, json)| read(id, &json)).transpose()
}

fn read(id: i64, json: &str) -> Result<ParityReport> {
    let mut report: ParityReport = serde_json::from_str(json).map_err(corrupt)?;
    report.id = id;
    Ok(report)
}
