//! The database: one SQLite file, opened with WAL, foreign keys and a busy timeout, and
//! brought up to date with the migrations embedded from `migrations/`.
//!
//! Each table has one query module beside its types (ARCHITECTURE.md lists them); this module
//! only owns the pool, the migrations and where the file lives.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::{Result, VigilError};

/// The environment variable that overrides where the database lives.
pub const DB_ENV: &str = "VIGIL_DB";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Where the database lives when neither `--db` nor `VIGIL_DB` says otherwise: the OS
/// app-data directory (e.g. `~/.local/share/vigil/vigil.db` on Linux).
pub fn default_db_path() -> Result<PathBuf> {
    directories::ProjectDirs::from("dev", "vigil", "vigil").map(|dirs| dirs.data_dir().join("vigil.db")).ok_or_else(
        || {
            VigilError::invalid(
                "db",
                "Vigil could not find a home directory for its database; pass --db PATH or set VIGIL_DB.",
            )
        },
    )
}

/// Resolves the database path: an explicit path first, then `VIGIL_DB`, then the default.
pub fn resolve_db_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    match std::env::var_os(DB_ENV) {
        Some(path) if !path.is_empty() => Ok(PathBuf::from(path)),
        _ => default_db_path(),
    }
}

/// Opens (creating if needed) the database at `path` and applies pending migrations.
pub async fn open(path: &Path) -> Result<SqlitePool> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|err| {
            VigilError::invalid(
                "db",
                format!(
                    "Vigil could not create the folder {} for its database ({err}); choose another path with --db.",
                    dir.display()
                ),
            )
        })?;
    }
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|err| VigilError::Database {
            message: format!(
                "Vigil could not open its database at {}. Check the path and its permissions, or choose another with --db.",
                path.display()
            ),
            detail: err.to_string(),
        })?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_a_new_file_in_wal_mode_with_foreign_keys_and_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/vigil.db");
        let pool = open(&path).await.unwrap();
        assert!(path.exists());
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&pool).await.unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&pool).await.unwrap();
        assert_eq!(fk, 1);
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(&pool)
                .await
                .unwrap();
        for table in [
            "rollout_approvals",
            "audit_log",
            "health_events",
            "metric_points",
            "metric_rollups",
            "models",
            "revisions",
            "rollouts",
            "servers",
        ] {
            assert!(tables.iter().any(|t| t == table), "missing table {table}: {tables:?}");
        }
    }

    #[tokio::test]
    async fn reopening_keeps_data_and_does_not_reapply_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vigil.db");
        let pool = open(&path).await.unwrap();
        sqlx::query("INSERT INTO audit_log (at, actor, action, subject) VALUES ('t', 'a', 'b', 'c')")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let pool = open(&path).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&pool).await.unwrap();
        assert_eq!(n, 1);
    }

    #[tokio::test]
    async fn rollups_stored_before_they_were_kept_in_series_order_keep_their_values() {
        let dir = tempfile::tempdir().unwrap();
        // A database as the first four migrations left it, holding a revision's rollup and a
        // whole server's (no revision).
        let first_four = dir.path().join("migrations");
        std::fs::create_dir(&first_four).unwrap();
        let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        for entry in std::fs::read_dir(&all).unwrap() {
            let name = entry.unwrap().file_name();
            if name.to_string_lossy().as_ref() < "0005" {
                std::fs::copy(all.join(&name), first_four.join(&name)).unwrap();
            }
        }
        let path = dir.path().join("vigil.db");
        let options = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let old = SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate::Migrator::new(first_four.as_path()).await.unwrap().run(&old).await.unwrap();
        for sql in [
            "INSERT INTO servers (id, name, base_url, created_at) VALUES (1, 's', 'http://h', 't')",
            "INSERT INTO models (id, server_id, name, first_seen_at) VALUES (1, 1, 'm', 't')",
            "INSERT INTO revisions (id, model_id, version, first_seen_at) VALUES (7, 1, '1', 't')",
            "INSERT INTO metric_rollups VALUES (1, 7, 'request_rate', 3600, 0, 3, 6.0, 1.0, 3.0, 2.0)",
            "INSERT INTO metric_rollups VALUES (1, NULL, 'cpu_cores', 60, 0, 1, 0.5, 0.5, 0.5, 0.5)",
        ] {
            sqlx::query(sql).execute(&old).await.unwrap();
        }
        old.close().await;

        let pool = open(&path).await.unwrap();
        let rows: Vec<(i64, String, i64, f64)> =
            sqlx::query_as("SELECT revision_id, signal, count, sum FROM metric_rollups ORDER BY revision_id")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(rows, vec![(0, "cpu_cores".into(), 1, 0.5), (7, "request_rate".into(), 3, 6.0)]);
        sqlx::query("DELETE FROM servers WHERE id = 1").execute(&pool).await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM metric_rollups").fetch_one(&pool).await.unwrap();
        assert_eq!(left, 0, "removing the server removes its rollups");
    }

    #[tokio::test]
    async fn the_audit_log_refuses_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(&dir.path().join("vigil.db")).await.unwrap();
        sqlx::query("INSERT INTO audit_log (at, actor, action, subject) VALUES ('t', 'a', 'b', 'c')")
            .execute(&pool)
            .await
            .unwrap();
        let update = sqlx::query("UPDATE audit_log SET actor = 'x'").execute(&pool).await;
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
    }

    #[tokio::test]
    async fn a_path_that_cannot_be_created_names_the_folder_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"not a folder").unwrap();
        let err = open(&blocker.join("vigil.db")).await.unwrap_err();
        assert_eq!(err.field(), Some("db"));
        assert!(err.to_string().contains("--db"), "{err}");
    }
}
