//! A fresh store for a test: a SQLite file in the test's folder, or — when `VIGIL_TEST_STORE` is
//! `postgres` — a new database of its own on the PostgreSQL server `VIGIL_TEST_POSTGRES` names
//! (`make test` starts one on loopback and runs the store tests a second time so), so that
//! every store test runs against both stores. Tests of team mode itself take a database on
//! that server whichever store the others use.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor};

use super::Location;

/// The variable naming the PostgreSQL server tests use, e.g. `postgres://vigil@127.0.0.1:5544/postgres`.
pub const POSTGRES_ENV: &str = "VIGIL_TEST_POSTGRES";
/// The variable choosing the store of [`scratch`]: `postgres`, else SQLite.
pub const STORE_ENV: &str = "VIGIL_TEST_STORE";

/// A new, empty store: `dir/vigil.db`, or a new database on the test PostgreSQL.
pub async fn scratch(dir: &Path) -> Location {
    if std::env::var(STORE_ENV).is_ok_and(|store| store == "postgres") {
        postgres().await
    } else {
        Location::Sqlite(dir.join("vigil.db"))
    }
}

/// A new database on the test PostgreSQL server.
pub async fn postgres() -> Location {
    let server = std::env::var(POSTGRES_ENV).ok().filter(|url| !url.is_empty()).unwrap_or_else(|| {
        panic!(
            "{POSTGRES_ENV} names no PostgreSQL server: run the tests through scripts/with-postgres (make test does)"
        )
    });
    new_database(&server).await
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

/// The PostgreSQL database at `location` reached as a login role of its own for `person`, as a
/// team gives each person theirs: created (named after the database and the person) with what
/// Vigil needs on the tables already there. The test server trusts loopback connections, so the
/// role has no password.
pub async fn as_new_role(location: &Location, person: &str) -> Location {
    let Location::Postgres { url, .. } = location else { panic!("a database role needs a PostgreSQL store") };
    let mut url = url::Url::parse(url).expect("a PostgreSQL URL");
    let database = url.path().trim_start_matches('/').to_owned();
    let role = format!("{database}_{person}");
    let mut admin = AnyConnectOptions::from_str(url.as_str())
        .expect("a PostgreSQL URL")
        .disable_statement_logging()
        .connect()
        .await
        .expect("the test PostgreSQL server accepts connections");
    for statement in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT USAGE, CREATE ON SCHEMA public TO {role}"),
        format!("GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"),
    ] {
        admin.execute(statement.as_str()).await.unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    admin.close().await.ok();
    url.set_username(&role).expect("a URL with a user");
    Location::Postgres { url: url.to_string(), password: None }
}

/// A new store (see [`scratch`]), opened, holding server 1 (`s`) serving model `m` in each of
/// `versions`: (version, its metadata, when it was first seen). Returns the pool and the
/// revisions' ids, in order.
pub async fn one_server_with_revisions(
    dir: &Path,
    versions: &[(&str, Option<&str>, chrono::DateTime<chrono::Utc>)],
) -> (sqlx::AnyPool, Vec<i64>) {
    let pool = super::open(&scratch(dir).await).await.expect("open the store");
    let mut conn = pool.acquire().await.expect("a connection");
    sqlx::query("INSERT INTO servers (id, name, base_url, created_at) VALUES (1, 's', 'http://h', 't')")
        .execute(&mut *conn)
        .await
        .expect("server 1");
    let mut ids = Vec::new();
    for (version, metadata, seen) in versions {
        let key = crate::signals::RevisionKey { model: "m".into(), version: Some((*version).into()) };
        ids.push(crate::revisions::upsert(&mut conn, 1, &key, *metadata, *seen).await.expect("a revision"));
    }
    drop(conn);
    (pool, ids)
}
