//! The deployment history as Vigil discovers it: the models each server serves and their
//! versions (revisions), each with the time it was first seen. Every statement on the `models`
//! and `revisions` tables.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::health::HealthState;
use crate::signals::RevisionKey;
use crate::store::values::stamp;
use crate::Result;

/// How a revision that names no version is stored: the model's default version, the one that
/// answers requests naming none (MLServer's `version="None"`).
pub const DEFAULT_VERSION: &str = "";

/// The longest model name or version Vigil stores; servers are untrusted.
const MAX_NAME_CHARS: usize = 256;

fn bounded(text: &str) -> &str {
    text.char_indices().nth(MAX_NAME_CHARS).map_or(text, |(cut, _)| &text[..cut])
}

/// The id of the revision `key` on server `server_id`, stored with its model the first time it
/// is seen (at `now`). `metadata` (JSON from the server) is stored when given and none is yet.
pub async fn upsert(
    conn: &mut AnyConnection,
    server_id: i64,
    key: &RevisionKey,
    metadata: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let model_id: i64 = sqlx::query_scalar(
        "INSERT INTO models (server_id, name, first_seen_at) VALUES ($1, $2, $3)
         ON CONFLICT (server_id, name) DO UPDATE SET name = excluded.name RETURNING id",
    )
    .bind(server_id)
    .bind(bounded(&key.model))
    .bind(stamp(now))
    .fetch_one(&mut *conn)
    .await?;
    let version = key.version.as_deref().map_or(DEFAULT_VERSION, bounded);
    Ok(sqlx::query_scalar(
        "INSERT INTO revisions (model_id, version, first_seen_at, metadata) VALUES ($1, $2, $3, coalesce($4, '{}'))
         ON CONFLICT (model_id, version) DO UPDATE SET metadata = CASE
             WHEN revisions.metadata = '{}' AND $4 IS NOT NULL THEN $4 ELSE revisions.metadata END
         RETURNING id",
    )
    .bind(model_id)
    .bind(version)
    .bind(stamp(now))
    .bind(metadata)
    .fetch_one(conn)
    .await?)
}

/// Every stored revision of every server, by server id, as metrics keys.
pub async fn known(pool: &sqlx::AnyPool) -> Result<std::collections::HashMap<i64, Vec<RevisionKey>>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT m.server_id, m.name, r.version FROM revisions r JOIN models m ON m.id = r.model_id ORDER BY r.id",
    )
    .fetch_all(pool)
    .await?;
    let mut by_server: std::collections::HashMap<i64, Vec<RevisionKey>> = std::collections::HashMap::new();
    for (server_id, model, version) in rows {
        let version = (version != DEFAULT_VERSION).then_some(version);
        by_server.entry(server_id).or_default().push(RevisionKey { model, version });
    }
    Ok(by_server)
}

/// The ids of server and revision of `(server, model, version)` by name ("" for the default
/// version), or a not-found error that says how to list them.
pub async fn find(conn: &mut AnyConnection, (server, model, version): (&str, &str, &str)) -> Result<(i64, i64)> {
    let ids: Option<(i64, i64)> = sqlx::query_as(
        "SELECT s.id, r.id FROM revisions r JOIN models m ON m.id = r.model_id JOIN servers s ON s.id = m.server_id
         WHERE s.name = $1 AND m.name = $2 AND r.version = $3",
    )
    .bind(server)
    .bind(model)
    .bind(version)
    .fetch_optional(conn)
    .await?;
    ids.ok_or_else(|| {
        crate::VigilError::NotFound(format!(
            "No revision '{version}' of model '{model}' on server '{server}'. `vigil status` lists them."
        ))
    })
}

/// Each revision of `model` on `server` ("" for the default version), oldest first, with its
/// metadata as the server gave it (`{}` when it gave none).
pub async fn of_model(conn: &mut AnyConnection, server: &str, model: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT r.version, r.metadata FROM revisions r JOIN models m ON m.id = r.model_id
         JOIN servers s ON s.id = m.server_id WHERE s.name = $1 AND m.name = $2 ORDER BY r.first_seen_at, r.id",
    )
    .bind(server)
    .bind(model)
    .fetch_all(conn)
    .await?)
}

/// Each revision of `model` on any server that gave metadata, with it, oldest first seen first.
pub async fn metadata_of_model(conn: &mut AnyConnection, model: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT r.version, r.metadata FROM revisions r JOIN models m ON m.id = r.model_id
         WHERE m.name = $1 AND r.metadata <> '{}' ORDER BY r.first_seen_at, r.id",
    )
    .bind(model)
    .fetch_all(conn)
    .await?)
}

/// Stores why revision `id` is in its state; returns its readiness as stored before, or None
/// when it is gone.
pub async fn record_readiness(conn: &mut AnyConnection, id: i64, reason: &str) -> Result<Option<HealthState>> {
    Ok(sqlx::query_scalar("UPDATE revisions SET health_reason = $1 WHERE id = $2 RETURNING health")
        .bind(reason)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Stores that revision `id` is now in `state`.
pub async fn set_health(conn: &mut AnyConnection, id: i64, state: HealthState) -> Result<()> {
    sqlx::query("UPDATE revisions SET health = $1 WHERE id = $2").bind(state).bind(id).execute(conn).await?;
    Ok(())
}

/// A version as people say it: "v12" (kept as given when it starts with a v), "default" for none.
pub fn version_name(version: &str) -> String {
    match version {
        "" => "default".to_owned(),
        _ if version.starts_with(['v', 'V']) => version.to_owned(),
        _ => format!("v{version}"),
    }
}
