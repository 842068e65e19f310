//! The audit log: an append-only record of every change a person made, with who and when.
//! The table refuses updates and deletes (a trigger in the first migration).

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::Result;

/// Appends one entry. `subject` names what was acted on; `detail` is JSON with the specifics.
pub async fn append(
    conn: &mut SqliteConnection,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)")
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(detail.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
