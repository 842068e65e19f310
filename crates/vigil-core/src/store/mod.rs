//! The database: one SQLite file (the embedded default) or a team's PostgreSQL, each brought
//! up to date with its own migrations (`migrations/sqlite`, `migrations/postgres`, kept in
//! step: the same versions and names, each written in its store's dialect).
//!
//! The query modules speak to either through sqlx's `Any` driver with SQL both understand
//! (`$1` placeholders, `ON CONFLICT`, casts to `BIGINT` and `DOUBLE PRECISION`); `values.rs`
//! holds the wrappers for what `Any` does not carry (times, flags, JSON). Each table has one
//! query module beside its types (ARCHITECTURE.md lists them); this module only owns the pool,
//! the migrations and where the store lives.

pub mod choice;
pub mod sql;
pub mod testing;
#[cfg(test)]
mod trouble;
pub mod values;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::secrets::TokenRef;
use crate::{Result, VigilError};

/// The environment variable that overrides where the database lives.
pub const DB_ENV: &str = "VIGIL_DB";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which store an engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the store is: a SQLite file, or a PostgreSQL database named by a `postgres://` URL
/// whose password, if it needs one, is given by reference (`env:NAME` or `keyring:NAME`) and
/// never written in the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres { url: String, password: Option<TokenRef> },
}

impl Location {
    /// Reads what a person gave as `--db`: a `postgres://` or `postgresql://` URL, else a path.
    pub fn parse(text: &str) -> Result<Location> {
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            return Ok(Location::Sqlite(PathBuf::from(text)));
        }
        let url = url::Url::parse(text).map_err(|err| {
            VigilError::invalid(
                "db",
                format!("'{text}' is not a PostgreSQL URL ({err}); write postgres://USER@HOST:PORT/DATABASE."),
            )
        })?;
        if url.password().is_some() {
            return Err(VigilError::invalid(
                "db",
                "Do not write the database password in the URL: give it by reference with --db-password env:NAME \
                 or keyring:NAME (set with `vigil secret set NAME`).",
            ));
        }
        Ok(Location::Postgres { url: text.to_owned(), password: None })
    }

    /// The same location, its password read from `reference` when it is opened.
    pub fn with_password(self, reference: Option<TokenRef>) -> Location {
        match self {
            Location::Postgres { url, .. } => Location::Postgres { url, password: reference },
            sqlite => sqlite,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Location::Sqlite(_) => Backend::Sqlite,
            Location::Postgres { .. } => Backend::Postgres,
        }
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::Sqlite(path)
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::Sqlite(path.to_owned())
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres { url, .. } => f.write_str(url),
        }
    }
}

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

/// The environment variable that gives a team database's password by reference.
pub const DB_PASSWORD_ENV: &str = "VIGIL_DB_PASSWORD";

/// Resolves where the store is: an explicit `--db` first, then `VIGIL_DB`, then the team store
/// chosen in the desktop's Settings (`choice.rs`), then the default file; a PostgreSQL password
/// by reference from `--db-password`, else `VIGIL_DB_PASSWORD`, else the chosen store's.
pub fn resolve(explicit: Option<&str>, password: Option<&str>) -> Result<Location> {
    let password = named(password, DB_PASSWORD_ENV)
        .map(|reference| TokenRef::parse(&reference).map_err(|err| VigilError::invalid("db_password", err)))
        .transpose()?;
    let location = match named(explicit, DB_ENV) {
        Some(text) => Location::parse(&text)?,
        None => match choice::choice_file().ok().and_then(|file| choice::saved(&file)) {
            Some(chosen) if password.is_none() => return chosen.location(),
            Some(chosen) => chosen.location()?,
            None => Location::Sqlite(default_db_path()?),
        },
    };
    Ok(location.with_password(password))
}

/// What chose the store instead of Settings, if anything: `--db` or `VIGIL_DB`.
pub fn chosen_elsewhere(explicit: Option<&str>) -> Option<&'static str> {
    match (explicit.filter(|t| !t.is_empty()), named(None, DB_ENV)) {
        (Some(_), _) => Some("--db"),
        (None, Some(_)) => Some(DB_ENV),
        (None, None) => None,
    }
}

/// `explicit` when given, else the non-empty value of `variable`.
fn named(explicit: Option<&str>, variable: &str) -> Option<String> {
    explicit
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .or_else(|| std::env::var(variable).ok().filter(|t| !t.is_empty()))
}

/// Opens (creating if needed) the store and applies pending migrations.
pub async fn open(location: &Location) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let (pool, migrations) = match location {
        Location::Sqlite(path) => (open_sqlite(path).await?, &SQLITE_MIGRATIONS),
        Location::Postgres { url, password } => (open_postgres(url, password.as_ref()).await?, &POSTGRES_MIGRATIONS),
    };
    migrations.run(&pool).await?;
    Ok(pool)
}

/// Which store `pool` opens connections to.
pub fn backend_of(pool: &AnyPool) -> Backend {
    match pool.connect_options().database_url.scheme() {
        "postgres" | "postgresql" => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// Which store a connection is to.
pub fn backend_of_connection(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name() == "PostgreSQL" {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// Begins a write on `pool`. On SQLite it takes the write lock as it begins (`BEGIN IMMEDIATE`),
/// so it waits for other writers up to the busy timeout: a deferred transaction that reads
/// first fails at once when another connection wrote since its read began
/// (SQLITE_BUSY_SNAPSHOT, "database is locked"), which no waiting cures. PostgreSQL locks rows
/// as they are written.
pub async fn begin(pool: &AnyPool) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    Ok(match backend_of(pool) {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    })
}

/// Waits until this transaction is the only one, of every engine on the store, working on
/// `what` (the audit chain, one model's drift windows), and holds that until it ends: on
/// PostgreSQL an advisory lock keyed by `what`; on SQLite the write transaction already
/// excludes every other writer. For read-modify-write work that must not interleave.
pub(crate) async fn lock(conn: &mut sqlx::AnyConnection, what: &str) -> Result<()> {
    if backend_of_connection(conn) == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))").bind(what).execute(conn).await?;
    }
    Ok(())
}

/// The database role this connection acts as, as the database authenticated it
/// (`current_user`): on PostgreSQL, where each person of a team connects as their own; None on
/// SQLite.
pub(crate) async fn database_role(conn: &mut sqlx::AnyConnection) -> Result<Option<String>> {
    if backend_of_connection(conn) == Backend::Sqlite {
        return Ok(None);
    }
    Ok(Some(sqlx::query_scalar("SELECT current_user::text").fetch_one(conn).await?))
}

async fn open_sqlite(path: &Path) -> Result<AnyPool> {
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
    let options =
        AnyConnectOptions::from_str(&format!("sqlite://{}?mode=rwc", encode_path(path)))?.disable_statement_logging();
    let unopened = |err: sqlx::Error| {
        let why = crate::error::sqlite_trouble(&err)
            .map_or("Check the path and its permissions, or choose another with --db.", |trouble| trouble.words());
        VigilError::Database {
            message: format!("Vigil could not open its database at {}. {why}", path.display()),
            detail: err.to_string(),
        }
    };
    // One connection first, so that a damaged file is named at once in SQLite's words (a pool
    // would retry until its timeout).
    let mut first = options.connect().await.map_err(unopened)?;
    first.execute(CONNECTION_PRAGMAS).await.map_err(unopened)?;
    sqlx::Connection::close(first).await.map_err(unopened)?;
    // Readers do not wait for the writer (WAL); enough connections that a few writes waiting
    // for the write lock do not leave the window's reads without one.
    AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(CONNECTION_PRAGMAS).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(unopened)
}

/// How every SQLite connection is set up: WAL, synced at checkpoints, foreign keys on, five
/// seconds' wait for a busy writer, and a page cache of 512 KiB. SQLite's default of 2 MiB a
/// connection, eight connections in the pool, kept up to 16 MiB of copies of the same pages in
/// the window's process (`vigil-bench window`); a page missing from a small cache is read from
/// the operating system's cache of the file, a copy away.
const CONNECTION_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                                  PRAGMA busy_timeout = 5000; PRAGMA cache_size = -512;";

/// The URL a connection to the team database opens with: `url` and the password its reference
/// names, read now. Never shown or stored.
pub(crate) async fn connect_url(url: &str, password: Option<&TokenRef>) -> Result<String> {
    let mut with_password = url::Url::parse(url).map_err(|err| VigilError::invalid("db", err.to_string()))?;
    if let Some(reference) = password {
        let secret = reference.read().await.map_err(|err| VigilError::invalid("db_password", err))?;
        with_password
            .set_password(Some(&secret))
            .map_err(|_| VigilError::invalid("db", format!("{url} cannot carry a password")))?;
    }
    Ok(with_password.into())
}

async fn open_postgres(url: &str, password: Option<&TokenRef>) -> Result<AnyPool> {
    // Statements are prepared afresh each time, not cached: sqlx's Any driver sends a missing
    // `f64` typed as PostgreSQL's 4-byte `real` (and a missing `f32` as `double precision`), so a
    // statement cached from a call with a missing value would refuse the next call's 8-byte value
    // ("incorrect binary data format in bind parameter").
    let mut with_password = url::Url::parse(&connect_url(url, password).await?)
        .map_err(|err| VigilError::invalid("db", err.to_string()))?;
    with_password.query_pairs_mut().append_pair("statement-cache-capacity", "0");
    let options = AnyConnectOptions::from_str(with_password.as_str())?.disable_statement_logging();
    // One connection first, so that a refusal comes back at once in the database's own words (a
    // pool would retry until its timeout). The URL is named as given: it carries no password.
    let unreachable = |err: sqlx::Error| VigilError::Database {
        message: format!(
            "Vigil could not connect to the team database {url}: {err}. Check that PostgreSQL runs there, that \
             the role may log in, and the password reference (--db-password)."
        ),
        detail: err.to_string(),
    };
    sqlx::Connection::close(options.connect().await.map_err(unreachable)?).await.map_err(unreachable)?;
    AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(unreachable)
}

/// `path` as it goes into a `sqlite://` URL.
pub(crate) fn encode_path(path: &Path) -> String {
    percent_encoding::utf8_percent_encode(&path.to_string_lossy(), PATH).to_string()
}

/// The newest change to the SQLite layout this version knows.
pub(crate) fn newest_migration() -> i64 {
    SQLITE_MIGRATIONS.iter().map(|migration| migration.version).max().unwrap_or_default()
}

/// What a SQLite path escapes in its URL: everything but letters, digits and `/-_.~`.
const PATH: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_a_new_file_in_wal_mode_with_foreign_keys_and_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/vigil.db");
        let pool = open(&path.as_path().into()).await.unwrap();
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
        let location = testing::scratch(dir.path()).await;
        let pool = open(&location).await.unwrap();
        sqlx::query("INSERT INTO audit_log (at, actor, action, subject) VALUES ('t', 'a', 'b', 'c')")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let pool = open(&location).await.unwrap();
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
        let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite");
        for entry in std::fs::read_dir(&all).unwrap() {
            let name = entry.unwrap().file_name();
            if name.to_string_lossy().as_ref() < "0005" {
                std::fs::copy(all.join(&name), first_four.join(&name)).unwrap();
            }
        }
        let path = dir.path().join("vigil.db");
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let old = sqlx::SqlitePool::connect_with(options).await.unwrap();
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

        let pool = open(&path.as_path().into()).await.unwrap();
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
        let pool = open(&testing::scratch(dir.path()).await).await.unwrap();
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
        let err = open(&blocker.join("vigil.db").into()).await.unwrap_err();
        assert_eq!(err.field(), Some("db"));
        assert!(err.to_string().contains("--db"), "{err}");
    }

    #[test]
    fn each_store_has_every_migration_the_other_has() {
        let names = |store: &str| -> Vec<String> {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations").join(store);
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let (sqlite, postgres) = (names("sqlite"), names("postgres"));
        let missing_in = |have: &[String], want: &[String]| -> Vec<String> {
            want.iter().filter(|name| !have.contains(name)).cloned().collect()
        };
        assert!(sqlite.len() >= 17, "{sqlite:?}");
        assert_eq!(missing_in(&postgres, &sqlite), Vec::<String>::new(), "migrations/postgres lacks these");
        assert_eq!(missing_in(&sqlite, &postgres), Vec::<String>::new(), "migrations/sqlite lacks these");
    }

    #[test]
    fn a_postgres_url_is_a_team_store_and_a_password_in_it_is_refused() {
        assert_eq!(Location::parse("/tmp/v.db").unwrap(), Location::Sqlite("/tmp/v.db".into()));
        let team = Location::parse("postgres://ana@db.internal:5432/vigil").unwrap();
        assert_eq!(team.backend(), Backend::Postgres);
        assert_eq!(team.to_string(), "postgres://ana@db.internal:5432/vigil");
        let err = Location::parse("postgres://ana:hunter2@db/vigil").unwrap_err().to_string();
        assert!(err.contains("--db-password") && !err.contains("hunter2"), "{err}");
    }
}
