//! Tests: a SQLite store in trouble — written by a newer Vigil, damaged, read-only, on a full
//! disk — gets words that say what happened and what to do, and loses nothing already stored.
//! Root ignores file modes, so a read-only file is opened read-only; a full disk is a page limit
//! (`PRAGMA max_page_count`).

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use super::{open, Location};
use crate::VigilError;

/// A store at `dir/vigil.db` with one server in it.
async fn store_with_a_server(dir: &std::path::Path) -> Location {
    let location = Location::Sqlite(dir.join("vigil.db"));
    let pool = open(&location).await.unwrap();
    sqlx::query("INSERT INTO servers (id, name, base_url, created_at) VALUES (1, 'fraud', 'http://h', 't')")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    location
}

/// One connection to `location` as `mode` (`ro`, `rw`) allows, for writing around Vigil.
async fn raw(location: &Location, mode: &str) -> AnyPool {
    let Location::Sqlite(path) = location else { unreachable!("these are SQLite files") };
    let options = AnyConnectOptions::from_str(&format!("sqlite://{}?mode={mode}", path.display())).unwrap();
    AnyPoolOptions::new().max_connections(1).connect_with(options).await.unwrap()
}

async fn servers_in(location: &Location) -> i64 {
    let pool = raw(location, "ro").await;
    sqlx::query_scalar("SELECT count(*) FROM servers").fetch_one(&pool).await.unwrap()
}

fn message(err: VigilError) -> String {
    err.to_string()
}

#[tokio::test]
async fn a_database_from_a_newer_vigil_is_named_as_such_and_left_as_it_was() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let location = store_with_a_server(dir.path()).await;
    let newer = raw(&location, "rw").await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', 1, x'00', 1)",
    )
    .execute(&newer)
    .await
    .unwrap();
    newer.close().await;
    let refused = message(open(&location).await.unwrap_err());
    assert!(refused.contains("written by a newer version of Vigil") && refused.contains("9999"), "{refused}");
    assert_eq!(servers_in(&location).await, 1);
}

#[tokio::test]
async fn a_damaged_file_is_named_as_such_with_what_to_do_and_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    let garbage = b"not a database, but a note someone saved here\n".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    let refused = message(open(&Location::Sqlite(path.clone())).await.unwrap_err());
    assert!(refused.contains("damaged or is not a Vigil database") && refused.contains("vigil restore"), "{refused}");
    assert!(refused.contains(&path.display().to_string()), "names the file: {refused}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "the file is left as it was");
}

#[tokio::test]
async fn a_write_to_a_read_only_store_says_so_and_what_is_stored_stays() {
    let dir = tempfile::tempdir().unwrap();
    let location = store_with_a_server(dir.path()).await;
    let read_only = raw(&location, "ro").await;
    let write =
        sqlx::query("INSERT INTO servers (id, name, base_url, created_at) VALUES (2, 'churn', 'http://h', 't')")
            .execute(&read_only)
            .await;
    let refused = message(write.unwrap_err().into());
    assert!(refused.contains("cannot be written") && refused.contains("read-only"), "{refused}");
    read_only.close().await;
    assert_eq!(servers_in(&location).await, 1);
}

#[tokio::test]
async fn a_full_disk_stops_a_write_whole_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let location = store_with_a_server(dir.path()).await;
    let pool = raw(&location, "rw").await;
    pool.execute("CREATE TABLE filler (text TEXT NOT NULL)").await.unwrap();
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&pool).await.unwrap();
    pool.execute(format!("PRAGMA max_page_count = {}", pages + 2).as_str()).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let mut full = None;
    sqlx::query("INSERT INTO servers (id, name, base_url, created_at) VALUES (2, 'churn', 'http://h', 't')")
        .execute(&mut *tx)
        .await
        .unwrap();
    for _ in 0..2_000 {
        let insert =
            sqlx::query("INSERT INTO filler (text) VALUES ($1)").bind("x".repeat(1_000)).execute(&mut *tx).await;
        if let Err(err) = insert {
            full = Some(err);
            break;
        }
    }
    let refused = message(full.expect("the page limit is reached").into());
    assert!(
        refused.contains("disk that holds Vigil's database is full") && refused.contains("nothing is half-written"),
        "{refused}"
    );
    // SQLite has already rolled the whole transaction back on SQLITE_FULL; this is a no-op then.
    let _ = tx.rollback().await;
    pool.close().await;
    assert_eq!(servers_in(&location).await, 1, "the failed write left nothing behind");
}
