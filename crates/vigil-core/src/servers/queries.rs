//! The `servers` table (and the catalog version that moves with it): every statement that reads
//! or writes it.

use std::collections::HashSet;

use crate::store::values::{stamp, Json};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AnyPool};

use super::server::{millis, NewServer, Server};
use crate::health::HealthState;
use crate::kinds::ServerKind;
use crate::{Result, VigilError};

const COLUMNS: &str =
    "id, name, base_url, kind, detected_kind, metrics_url, management_url, metrics_error, poll_interval_ms, timeout_ms, labels, \
     source_kind, selector, token_ref, tls_ca, tls_client, health, health_reason, health_since, checked_at, created_at";

/// A number that changes whenever a server is added, removed or edited, or a revision is added
/// or removed, by any process (see migration 0004): whoever keeps a copy of the servers to poll
/// reads it again only when this has moved.
pub async fn catalog_version(pool: &AnyPool) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT version FROM catalog_version").fetch_one(pool).await?)
}

/// Every registered server, by name.
pub async fn list(pool: &AnyPool) -> Result<Vec<Server>> {
    list_in(&mut *pool.acquire().await?).await
}

/// Every registered server, by name, read on `conn` (e.g. inside a transaction).
pub async fn list_in(conn: &mut AnyConnection) -> Result<Vec<Server>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM servers ORDER BY name")).fetch_all(conn).await?)
}

/// The server called `name`, or a not-found error that says how to see the registered ones.
pub async fn get(conn: &mut AnyConnection, name: &str) -> Result<Server> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM servers WHERE name = $1"))
        .bind(name)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| {
            VigilError::NotFound(format!(
                "No server is called '{name}'. `vigil server list` shows the registered ones."
            ))
        })
}

/// The settings columns, in the order [`bind_settings`] binds them.
const SETTINGS: &str = "name, base_url, kind, metrics_url, management_url, poll_interval_ms, timeout_ms, labels, \
                        source_kind, selector, token_ref, tls_ca, tls_client";

type ServerQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Any, Server, sqlx::any::AnyArguments<'q>>;

/// Binds a validated server's settings (parameters 1 to 13) to `query`.
fn bind_settings<'q>(query: ServerQuery<'q>, server: &'q NewServer) -> Result<ServerQuery<'q>> {
    Ok(query
        .bind(&server.name)
        .bind(&server.base_url)
        .bind(server.kind)
        .bind(&server.metrics_url)
        .bind(&server.management_url)
        .bind(millis("poll_interval", "Poll interval", server.poll_interval_secs, (0.1, 86_400.0))?)
        .bind(millis("timeout", "Timeout", server.timeout_secs, (0.1, 300.0))?)
        .bind(Json(&server.labels))
        .bind(server.source_kind)
        .bind(&server.selector)
        .bind(&server.token_ref)
        .bind(&server.tls_ca)
        .bind(&server.tls_client))
}

/// Stores a validated server. A name already in use is a conflict on the `name` field.
pub async fn insert(conn: &mut AnyConnection, server: &NewServer, now: DateTime<Utc>) -> Result<Server> {
    let sql = format!(
        "INSERT INTO servers ({SETTINGS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING {COLUMNS}"
    );
    let inserted = bind_settings(sqlx::query_as(&sql), server)?.bind(stamp(now)).fetch_one(conn).await;
    match inserted {
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(name_taken(&server.name)),
        other => Ok(other?),
    }
}

/// Replaces the settings of the server called `name` with the validated `edit`; returns the
/// server before and after. What polling learned is kept, except the detected kind when the
/// address or kind changed (it is detected again). A new name already in use is a conflict.
pub async fn update(conn: &mut AnyConnection, name: &str, edit: &NewServer) -> Result<(Server, Server)> {
    let before = get(conn, name).await?;
    let sql = format!(
        "UPDATE servers SET ({SETTINGS}) = ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13),
             detected_kind = CASE WHEN base_url = $2 AND kind = $3 THEN detected_kind END
         WHERE id = $14 RETURNING {COLUMNS}"
    );
    let updated = bind_settings(sqlx::query_as(&sql), edit)?.bind(before.id).fetch_one(conn).await;
    match updated {
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(name_taken(&edit.name)),
        other => Ok((before, other?)),
    }
}

fn name_taken(name: &str) -> VigilError {
    VigilError::Conflict {
        field: "name",
        message: format!("A server called '{name}' already exists: choose another name, or remove that one first."),
    }
}

/// Deletes the server called `name` and everything polled from it.
pub async fn delete(conn: &mut AnyConnection, name: &str) -> Result<Server> {
    let server = get(conn, name).await?;
    sqlx::query("DELETE FROM servers WHERE id = $1").bind(server.id).execute(conn).await?;
    Ok(server)
}

/// The ids of every registered server.
pub async fn ids(pool: &AnyPool) -> Result<HashSet<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM servers").fetch_all(pool).await?.into_iter().collect())
}

/// Stores when server `id` was checked, why it is in its state, and the kind detected (if
/// any). Returns its health as stored before, or None when it is gone. A write first, so a
/// transaction that begins with it holds the write lock before it reads.
pub async fn record_check(
    conn: &mut AnyConnection,
    id: i64,
    reason: &str,
    detected: Option<ServerKind>,
    now: DateTime<Utc>,
) -> Result<Option<HealthState>> {
    Ok(sqlx::query_scalar(
        "UPDATE servers SET checked_at = $1, health_reason = $2, detected_kind = coalesce($3, detected_kind)
         WHERE id = $4 RETURNING health",
    )
    .bind(stamp(now))
    .bind(reason)
    .bind(detected)
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Stores that server `id` entered `state` at `now`.
pub async fn set_health(conn: &mut AnyConnection, id: i64, state: HealthState, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE servers SET health = $1, health_since = $2 WHERE id = $3")
        .bind(state)
        .bind(stamp(now))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores why server `id`'s metrics could not be read (None: they could). True when that changed.
pub async fn set_metrics_error(conn: &mut AnyConnection, id: i64, error: Option<&str>) -> Result<bool> {
    let updated =
        sqlx::query("UPDATE servers SET metrics_error = $1 WHERE id = $2 AND metrics_error IS DISTINCT FROM $1")
            .bind(error)
            .bind(id)
            .execute(conn)
            .await?;
    Ok(updated.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_metrics_error_is_a_change_only_when_it_differs_from_the_one_stored() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        sqlx::query("INSERT INTO servers (id, name, base_url, created_at) VALUES (1, 's', 'http://h', 't')")
            .execute(&pool)
            .await
            .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let mut changes = Vec::new();
        for error in [None, None, Some("HTTP 500"), Some("HTTP 500"), Some("refused"), None, None] {
            changes.push(set_metrics_error(&mut conn, 1, error).await.unwrap());
        }
        assert_eq!(changes, [false, false, true, false, true, true, false]);
    }

    #[tokio::test]
    async fn the_catalog_version_moves_when_what_is_polled_changes_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        let steps = [
            (
                "add a server",
                "INSERT INTO servers (id, name, base_url, created_at) VALUES (1, 's', 'http://h', 't')",
                1,
            ),
            (
                "record a check",
                "UPDATE servers SET health = 'up', checked_at = 'u', health_reason = 'ok' WHERE id = 1",
                0,
            ),
            (
                "keep the detected kind",
                "UPDATE servers SET detected_kind = coalesce(NULL, detected_kind) WHERE id = 1",
                0,
            ),
            ("detect its kind", "UPDATE servers SET detected_kind = 'triton' WHERE id = 1", 1),
            ("change its address", "UPDATE servers SET base_url = 'http://h2' WHERE id = 1", 1),
            ("store a metrics error", "UPDATE servers SET metrics_error = 'e' WHERE id = 1", 0),
            ("discover a model", "INSERT INTO models (id, server_id, name, first_seen_at) VALUES (1, 1, 'm', 't')", 0),
            ("discover a revision", "INSERT INTO revisions (model_id, version, first_seen_at) VALUES (1, '1', 't')", 1),
            ("remove the server and its revision", "DELETE FROM servers WHERE id = 1", 2),
        ];
        for (step, sql, moves) in steps {
            let before = catalog_version(&pool).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            let after = catalog_version(&pool).await.unwrap();
            assert_eq!(after - before, moves, "{step}");
        }
    }
}
