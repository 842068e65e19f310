//! The audit log: an append-only record of every change a person made, with who and when.
//! The table refuses updates and deletes (a trigger in the first migration).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, SqliteConnection, SqlitePool};
use ts_rs::TS;

use crate::Result;

/// The most entries one read returns.
pub const MAX_ENTRIES: u32 = 10_000;

/// One recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize, FromRow, TS)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who acted (the OS user for now).
    pub actor: String,
    /// What was done, as a stable dotted name: `server.add`, `server.remove`.
    pub action: String,
    /// What it was done to, by name.
    pub subject: String,
    /// JSON with the specifics (e.g. the server's base URL).
    pub detail: String,
}

/// Appends one entry and returns it as stored.
pub async fn append(
    conn: &mut SqliteConnection,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<AuditEntry> {
    Ok(sqlx::query_as(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)
         RETURNING id, at, actor, action, subject, detail",
    )
    .bind(at)
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(detail.to_string())
    .fetch_one(conn)
    .await?)
}

/// The newest `limit` entries (at most [`MAX_ENTRIES`]), newest first.
pub async fn newest(pool: &SqlitePool, limit: u32) -> Result<Vec<AuditEntry>> {
    Ok(sqlx::query_as("SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT ?")
        .bind(limit.min(MAX_ENTRIES))
        .fetch_all(pool)
        .await?)
}
