//! A fresh store for a test: a SQLite file in the test's folder, or — when `VIGIL_TEST_POSTGRES`
//! names a PostgreSQL server (`make test` starts one on loopback) — a new database of its own
//! there, so that every store test runs against both stores.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor};

use super::Location;

/// The variable naming the PostgreSQL server tests use, e.g. `postgres://vigil@127.0.0.1:5544/postgres`.
pub const POSTGRES_ENV: &str = "VIGIL_TEST_POSTGRES";

/// A new, empty store: `dir/vigil.db`, or a new database on the test PostgreSQL.
pub async fn scratch(dir: &Path) -> Location {
    match postgres_server() {
        Some(server) => new_database(&server).await,
        None => Location::Sqlite(dir.join("vigil.db")),
    }
}

/// The test PostgreSQL server, when one is named.
pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|url| !url.is_empty())
}

/// Creates a database of its own on `server` and returns where it is.
pub async fn new_database(server: &str) -> Location {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    sqlx::any::install_default_drivers();
    let name = format!("vigil_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let mut admin = AnyConnectOptions::from_str(server)
        .expect("VIGIL_TEST_POSTGRES is a URL")
        .disable_statement_logging()
        .connect()
        .await
        .expect("the test PostgreSQL server accepts connections");
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("a test database can be created");
    admin.close().await.ok();
    let mut url = url::Url::parse(server).expect("VIGIL_TEST_POSTGRES is a URL");
    url.set_path(&name);
    Location::Postgres { url: url.to_string(), password: None }
}
