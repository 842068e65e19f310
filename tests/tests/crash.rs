//! kill -9 in the middle of heavy writing (the short version; the loop of 20 belongs in
//! `make bench`). `vigil collect` polls the demo fleet every 200 ms while another process adds
//! servers through the CLI as fast as it can; the collector is killed with SIGKILL at a random
//! moment, five times. After each kill: SQLite's `integrity_check` is ok, every server whose add
//! was acknowledged (the CLI exited 0) is there, nothing stored before is gone, the audit chain
//! verifies, and the next start needs nothing from anyone.

use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use vigil_core::store::Location;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_fleet::{Fleet, FleetConfig, Scenario};

const KILLS: usize = 5;

fn vigil(db: &Path) -> Command {
    let mut command = Command::new(vigil_tests::workspace_binary("vigil"));
    command.arg("--db").arg(db).stdin(Stdio::null());
    command
}

/// The store as a plain reader finds it: `integrity_check`'s verdict, and the rows of the tables
/// polls write.
async fn inspect(db: &Path) -> (String, i64) {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", db.display());
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect_with(AnyConnectOptions::from_str(&url).expect("url"))
        .await
        .expect("open read-only");
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.expect("check");
    let rows: i64 =
        sqlx::query_scalar("SELECT (SELECT count(*) FROM metric_points) + (SELECT count(*) FROM health_events)")
            .fetch_one(&pool)
            .await
            .expect("count");
    pool.close().await;
    (verdict, rows)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_collector_killed_mid_write_leaves_a_sound_store_with_everything_acknowledged_and_starts_again() {
    let config = FleetConfig { scenarios: vec![Scenario::Healthy], seed: 11, ..FleetConfig::default() };
    let fleet = Fleet::start(config).await.expect("the demo fleet");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("vigil.db");
    {
        let engine = Engine::open(EngineOptions::new(Location::Sqlite(db.clone()))).await.expect("open");
        for server in fleet.servers() {
            let new =
                NewServer { name: server.name, base_url: server.url, kind: ServerKind::Auto, ..Default::default() };
            engine.servers().add(new).await.expect("register");
        }
    }
    let url = fleet.servers()[0].url.clone();
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut before = 0;
    let mut random = 0x9e37_79b9_u64;
    for round in 0..KILLS {
        let mut collector = vigil(&db)
            .args(["collect", "--poll-interval", "0.2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vigil collect");
        // Another process writes beside it: each add the CLI acknowledges must survive.
        let stop = Arc::new(AtomicBool::new(false));
        let adder = {
            let (db, url, stop, acknowledged) = (db.clone(), url.clone(), stop.clone(), acknowledged.clone());
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let name = format!("crash-{round}-{i}");
                    let added = vigil(&db).args(["server", "add", &name, &url]).output().expect("vigil server add");
                    if added.status.success() {
                        acknowledged.lock().unwrap().push(name);
                    }
                }
            })
        };
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        tokio::time::sleep(Duration::from_millis(800 + random % 1_200)).await;
        collector.kill().expect("SIGKILL");
        let killed = collector.wait().expect("reaped");
        assert!(!killed.success(), "killed, not finished");
        stop.store(true, Ordering::Relaxed);
        adder.join().expect("the adder");

        let (verdict, rows) = inspect(&db).await;
        assert_eq!(verdict, "ok", "integrity after kill {round}");
        assert!(rows >= before, "kill {round}: {rows} rows of polls, fewer than the {before} before it");
        before = rows;
        let listed = vigil(&db).args(["server", "list", "--no-check", "--json"]).output().expect("list");
        assert!(listed.status.success(), "the next start needs nothing: {}", String::from_utf8_lossy(&listed.stderr));
        let listed = String::from_utf8_lossy(&listed.stdout).to_string();
        let missing: Vec<String> = acknowledged
            .lock()
            .unwrap()
            .iter()
            .filter(|name| !listed.contains(&format!("\"{name}\"")))
            .cloned()
            .collect();
        assert!(missing.is_empty(), "acknowledged but gone after kill {round}: {missing:?}");
        let verified = vigil(&db).args(["audit", "verify"]).output().expect("verify");
        assert!(
            verified.status.success(),
            "audit chain after kill {round}: {}",
            String::from_utf8_lossy(&verified.stdout)
        );
    }
    assert!(before > 0, "the collector wrote polls between the kills");
    let adds = acknowledged.lock().unwrap().len();
    assert!(adds >= KILLS, "the CLI wrote beside it ({adds} adds acknowledged)");
    println!("{KILLS} kills: {before} rows of polls and {adds} acknowledged adds, all kept, integrity ok each time");
    fleet.stop().await;
}
