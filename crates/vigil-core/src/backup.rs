//! `vigil backup FILE` and `vigil restore FILE` (and the same in Settings), for a SQLite store.
//!
//! A backup is SQLite's `VACUUM INTO`: one read transaction's consistent snapshot written to a
//! new file, so it is safe while a collector and desktops go on writing (they are not stopped;
//! what they write after the snapshot began is not in it). The new file is then checked:
//! `PRAGMA integrity_check`, every table counted, the audit chain verified.
//!
//! A restore checks the backup the same way (and that no newer Vigil wrote it), brings a copy of
//! it up to this version's layout, and replaces the store's contents with it in one transaction
//! (`store_copy`), so a failed restore leaves the store as it was. It refuses while another
//! process polls the store: that collector would go on writing what it knew before.
//!
//! A team store on PostgreSQL is backed up with PostgreSQL's own tools (`pg_dump`), or copied
//! whole with `vigil store copy`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::Utc;
use serde::Serialize;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;
use ts_rs::TS;

use crate::audit::{self, ChainCheck};
use crate::store::{self, Location};
use crate::store_copy::{self, CopyReport, Target, TABLES};
use crate::{Result, VigilError};

/// What a backup wrote, as checked once written.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BackupReport {
    pub file: String,
    #[ts(type = "number")]
    pub bytes: u64,
    /// Rows in all tables.
    #[ts(type = "number")]
    pub rows: i64,
    /// Entries of the audit trail, verified in the backup.
    #[ts(type = "number")]
    pub audit_entries: u64,
}

/// Writes a consistent copy of the SQLite store at `location` to the new file `file`.
pub async fn backup(location: &Location, file: &Path) -> Result<BackupReport> {
    let Location::Sqlite(_) = location else { return Err(on_postgres("backed up")) };
    if file.exists() {
        return Err(VigilError::invalid(
            "file",
            format!("{} already exists: name a new file, so no backup is written over.", file.display()),
        ));
    }
    let pool = store::open(location).await?;
    let into = file.to_str().ok_or_else(|| VigilError::invalid("file", "Name the backup file in UTF-8."))?;
    sqlx::query("VACUUM INTO $1").bind(into).execute(&pool).await?;
    pool.close().await;
    let (rows, audit) = check(file).await?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or_default();
    Ok(BackupReport { file: file.display().to_string(), bytes, rows, audit_entries: audit.entries })
}

/// Replaces the contents of the SQLite store at `location` with the backup `file`. `own`: the
/// collector of the engine asking, which may be running (the desktop restarts after).
pub async fn restore(location: &Location, file: &Path, own: Option<&str>) -> Result<CopyReport> {
    let Location::Sqlite(live) = location else { return Err(on_postgres("restored")) };
    if !file.is_file() {
        return Err(VigilError::invalid(
            "file",
            format!("{} is not a file: name a backup Vigil wrote.", file.display()),
        ));
    }
    check(file).await?;
    let pool = store::open(location).await?;
    let running: Option<String> = sqlx::query_scalar(
        "SELECT holder FROM collectors WHERE expires_at_ms > $1 AND holder <> $2 ORDER BY holder LIMIT 1",
    )
    .bind(Utc::now().timestamp_millis())
    .bind(own.unwrap_or_default())
    .fetch_optional(&pool)
    .await?;
    pool.close().await;
    if let Some(holder) = running {
        return Err(VigilError::Conflict {
            field: "file",
            message: format!(
                "A collector ({holder}) polls this store: stop it first, or it would go on writing what it knew \
                 before the restore. Nothing was changed."
            ),
        });
    }
    // A copy of the backup, brought up to this version's layout; the backup itself is not touched.
    let staged = staging_file(live);
    std::fs::copy(file, &staged).map_err(|err| {
        VigilError::invalid("file", format!("{} could not be copied beside the store: {err}", file.display()))
    })?;
    let restored = store_copy::copy_into(&Location::Sqlite(staged.clone()), location, Target::Replace).await;
    for leftover in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{leftover}", staged.display()));
    }
    let report = restored?;
    // The restore itself goes on the restored trail.
    let pool = store::open(location).await?;
    let mut tx = store::begin(&pool).await?;
    let rows: i64 = report.tables.iter().map(|(_, rows)| rows).sum();
    let detail = serde_json::json!({ "from": file.display().to_string(), "rows": rows });
    let subject = file.display().to_string();
    audit::append(&mut tx, &crate::options::os_user(), "store.restore", &subject, detail, Utc::now()).await?;
    tx.commit().await?;
    pool.close().await;
    Ok(report)
}

/// Checks the SQLite file at `file` as a backup: sound, from this version of Vigil or an older
/// one, its audit chain whole. Returns its rows and its chain.
async fn check(file: &Path) -> Result<(i64, ChainCheck)> {
    let damaged = |why: String| {
        VigilError::invalid("file", format!("{} is not a sound Vigil backup ({why}); use another.", file.display()))
    };
    let pool = read_only(file).await.map_err(|err| damaged(err.to_string()))?;
    let verdict: String =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.map_err(|err| damaged(err.to_string()))?;
    if verdict != "ok" {
        return Err(damaged(verdict));
    }
    let newest: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .map_err(|_| damaged("it has no Vigil layout".into()))?;
    let known = store::newest_migration();
    if newest.unwrap_or_default() > known {
        return Err(VigilError::invalid(
            "file",
            format!(
                "{} was written by a newer version of Vigil (layout change {}; this version knows up to {known}): \
                 restore it with that version.",
                file.display(),
                newest.unwrap_or_default()
            ),
        ));
    }
    let mut rows = 0;
    for table in TABLES {
        // An older backup may lack a table added since: it counts as empty.
        rows +=
            sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}")).fetch_one(&pool).await.unwrap_or(0);
    }
    let audit = audit::verify(&pool).await?;
    pool.close().await;
    if let Some(broken) = &audit.first_broken {
        return Err(damaged(format!("its audit chain breaks at entry {}: {}", broken.id, broken.reason)));
    }
    Ok((rows, audit))
}

async fn read_only(file: &Path) -> std::result::Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", store::encode_path(file));
    AnyPoolOptions::new().max_connections(1).connect_with(AnyConnectOptions::from_str(&url)?).await
}

/// Where a restore stages its copy of the backup: beside the store, on the same disk.
fn staging_file(live: &Path) -> PathBuf {
    let nonce = getrandom::u32().unwrap_or_default();
    live.with_file_name(format!(".vigil-restore-{}-{nonce:08x}.db", std::process::id()))
}

fn on_postgres(what: &str) -> VigilError {
    VigilError::invalid(
        "db",
        format!(
            "A team store on PostgreSQL is {what} with PostgreSQL's own tools (pg_dump, pg_restore), or copied whole \
             with `vigil store copy`; `vigil backup` and `vigil restore` work on a SQLite file."
        ),
    )
}
