//! `vigil backup` and `vigil restore` on a SQLite store: a backup taken while a collector polls
//! is sound and complete up to its moment; a restore puts the store back as the backup had it, in
//! one transaction, the audit chain whole; it refuses while a collector runs, and refuses a
//! damaged backup or one from a newer Vigil, changing nothing.

use std::process::Command;
use std::time::Duration;

use vigil_core::store::Location;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_tests::loopback::ReadinessServer;

fn vigil(db: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(vigil_tests::workspace_binary("vigil"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run vigil");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

async fn names(engine: &Engine) -> Vec<String> {
    engine.servers().list().await.expect("list").into_iter().map(|s| s.name).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_while_polling_restores_the_store_as_it_was_and_bad_backups_change_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("vigil.db");
    let options =
        EngineOptions { poll_interval: Duration::from_millis(200), ..EngineOptions::new(Location::Sqlite(db.clone())) };
    let engine = Engine::open(options).await.expect("open");
    let server = ReadinessServer::start().await;
    let new = NewServer { name: "fraud".into(), base_url: server.url(), kind: ServerKind::OipV2, ..Default::default() };
    engine.servers().add(new).await.expect("add");
    let poller = engine.polling().start();
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Taken while the collector writes: checked, and the trail verified in it.
    let backup = dir.path().join("before.db");
    let (ok, said) = vigil(&db, &["backup", backup.to_str().unwrap()]);
    assert!(ok && said.contains("integrity checked") && said.contains("audit chain verified (1 entries)"), "{said}");
    let (ok, said) = vigil(&db, &["backup", backup.to_str().unwrap()]);
    assert!(!ok && said.contains("already exists"), "never written over: {said}");

    // Restoring while the collector runs is refused, naming it; nothing changes.
    let (ok, said) = vigil(&db, &["restore", backup.to_str().unwrap()]);
    assert!(!ok && said.contains(poller.collector()) && said.contains("stop it first"), "{said}");
    poller.stop().await;

    // After the backup: another server, and its entry on the trail. The restore takes them away.
    let later =
        NewServer { name: "churn".into(), base_url: server.url(), kind: ServerKind::OipV2, ..Default::default() };
    engine.servers().add(later).await.expect("add");
    assert_eq!(names(&engine).await, ["churn", "fraud"]);
    let (ok, said) = vigil(&db, &["restore", backup.to_str().unwrap()]);
    assert!(ok && said.contains("counts match") && said.contains("audit chain verified (1 entries)"), "{said}");
    assert_eq!(names(&engine).await, ["fraud"], "the store is as the backup had it");
    assert!(engine.verify_audit().await.expect("verify").first_broken.is_none());
    let newest = engine.audit_log(1).await.expect("trail").remove(0);
    assert_eq!((newest.action.as_str(), newest.subject.as_str()), ("store.restore", backup.to_str().unwrap()));

    // A damaged backup, and one from a newer Vigil: refused, the store unchanged.
    let damaged = dir.path().join("damaged.db");
    std::fs::write(&damaged, b"not a backup".repeat(100)).expect("write");
    let (ok, said) = vigil(&db, &["restore", damaged.to_str().unwrap()]);
    assert!(!ok && said.contains("not a sound Vigil backup"), "{said}");
    let newer = dir.path().join("newer.db");
    std::fs::copy(&backup, &newer).expect("copy");
    let pool = vigil_core::store::open(&Location::Sqlite(newer.clone())).await.expect("open the copy");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', 1, x'00', 1)",
    )
    .execute(&pool)
    .await
    .expect("mark it newer");
    pool.close().await;
    let (ok, said) = vigil(&db, &["restore", newer.to_str().unwrap()]);
    assert!(!ok && said.contains("newer version of Vigil"), "{said}");
    assert_eq!(names(&engine).await, ["fraud"]);

    // Into a damaged store's place: a new file.
    let fresh = dir.path().join("fresh.db");
    let (ok, said) = vigil(&fresh, &["restore", backup.to_str().unwrap()]);
    assert!(ok, "{said}");
    let (ok, said) = vigil(&fresh, &["server", "list", "--no-check"]);
    assert!(ok && said.contains("fraud"), "{said}");
}
