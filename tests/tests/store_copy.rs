//! `vigil store copy`: a desktop's SQLite history moved into a team PostgreSQL and back with
//! the real binary — every table's rows counted on both sides, the audit chain verified, the
//! entries identical byte for byte after the round trip, the team store usable at once (new
//! rows get new ids), and a copy into a store that already holds data refused with nothing
//! changed.

use std::time::Duration;

use vigil_core::objectives::ModelObjectives;
use vigil_core::store::Location;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_fleet::{Fleet, FleetConfig, Scenario};
use vigil_tests::cli::vigil_with_env;
use vigil_tests::references::import_fleet_references;

/// Every table's rows and the audit trail's (id, at, actor, hash), read straight from a store.
async fn contents(location: &Location) -> (Vec<(String, i64)>, Vec<(i64, String, String, String)>) {
    let pool = vigil_core::store::open(location).await.expect("open");
    let mut counts = Vec::new();
    for table in vigil_core::store_copy::TABLES {
        let n: i64 =
            sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&pool).await.expect("count");
        counts.push((table.to_string(), n));
    }
    let trail =
        sqlx::query_as("SELECT id, at, actor, hash FROM audit_log ORDER BY id").fetch_all(&pool).await.expect("trail");
    pool.close().await;
    (counts, trail)
}

fn url(location: &Location) -> String {
    location.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desktops_history_moves_into_postgresql_and_back_with_every_row_and_the_chain_intact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let desktop = Location::Sqlite(dir.path().join("desktop.db"));
    let fleet = Fleet::start(FleetConfig { scenarios: vec![Scenario::Healthy], ..FleetConfig::default() })
        .await
        .expect("the demo fleet starts");
    {
        let engine = Engine::open(EngineOptions::new(desktop.clone())).await.expect("open the desktop's store");
        for server in fleet.servers() {
            let new =
                NewServer { name: server.name, base_url: server.url, kind: ServerKind::Auto, ..Default::default() };
            engine.servers().add(new).await.expect("register");
        }
        for _ in 0..3 {
            engine.polling().check_all().await.expect("a poll");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let own = ModelObjectives { max_error_share: Some(0.02), max_p99_s: None };
        engine.objectives().set("fraud", own).await.expect("objective");
        import_fleet_references(&engine, &fleet, 500, dir.path()).await;
        engine.alerts().evaluate(chrono::Utc::now()).await.expect("alerts evaluated");
    }
    fleet.stop().await;
    let (before, trail) = contents(&desktop).await;
    let rows = |counts: &[(String, i64)], table: &str| counts.iter().find(|(t, _)| t == table).map(|(_, n)| *n);
    for table in
        ["servers", "revisions", "metric_points", "health_events", "drift_columns", "instance_types", "alert_rules"]
    {
        assert!(rows(&before, table) > Some(0), "the desktop's store has {table} rows to move");
    }

    let team = vigil_core::store::testing::postgres().await;
    let moved = vigil_with_env(None, &["store", "copy", "--from", &url(&desktop), "--to", &url(&team)]).await;
    assert!(moved.success(), "{moved:?}");
    assert!(moved.stdout.contains("counts match on both sides"), "{moved:?}");
    assert!(moved.stdout.contains(&format!("audit chain of {} entries verified", trail.len())), "{moved:?}");
    let (in_team, team_trail) = contents(&team).await;
    assert_eq!(in_team, before, "every table's rows, counted in the team store");
    assert_eq!(team_trail, trail, "the trail as it was, hashes and all");

    // The team store works at once: a new server gets a new id, and the chain goes on.
    let engine = Engine::open(EngineOptions::new(team.clone())).await.expect("open the team store");
    let new = NewServer { name: "added-in-team".into(), base_url: "http://127.0.0.1:9".into(), ..Default::default() };
    let added = engine.servers().add(new).await.expect("a new server in the team store");
    let most: i64 = engine.servers().list().await.expect("list").iter().map(|s| s.id).max().unwrap_or(0);
    assert_eq!(added.id, most, "the new server's id comes after every copied one");
    assert_eq!(engine.verify_audit().await.expect("verify").first_broken, None);

    // And back into a new SQLite file: the same rows, the same trail (plus the new server).
    let back = Location::Sqlite(dir.path().join("back.db"));
    let returned = vigil_with_env(None, &["store", "copy", "--from", &url(&team), "--to", &url(&back)]).await;
    assert!(returned.success(), "{returned:?}");
    let (in_back, back_trail) = contents(&back).await;
    assert_eq!(rows(&in_back, "servers"), rows(&before, "servers").map(|n| n + 1));
    assert_eq!(rows(&in_back, "metric_points"), rows(&before, "metric_points"));
    assert_eq!(&back_trail[..trail.len()], &trail[..], "the desktop's entries unchanged after the round trip");

    // A store that already holds data is refused, and keeps what it had.
    let refused = vigil_with_env(None, &["store", "copy", "--from", &url(&desktop), "--to", &url(&team)]).await;
    assert!(!refused.success(), "{refused:?}");
    assert!(
        refused.stderr.contains("already holds data") && refused.stderr.contains("new, empty store"),
        "{refused:?}"
    );
    let (after_refusal, _) = contents(&team).await;
    assert_eq!(rows(&after_refusal, "servers"), rows(&before, "servers").map(|n| n + 1));
}
