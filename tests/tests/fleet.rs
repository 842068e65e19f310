//! The demo fleet (`vigil-fleet`) against Vigil's engine: its servers are registered with kind
//! `auto`, detected and discovered by the real adapters, and what its scenarios do shows up in
//! the stored golden signals and health transitions.
//!
//! About p99: no OIP server exposes a latency histogram per model version. The fleet's
//! Triton-style server reports latency quantiles per version as Triton does with
//! `--metrics-config summary_latencies=true` (the summary `nv_inference_request_summary_us`),
//! which Vigil stores as p50/p95/p99; that is where the bad canary's p99 is compared. MLServer
//! reports no quantiles (its summary has only `_sum` and `_count`); p99 from a histogram is
//! asserted on the KServe-style server, which has one per model.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::SqlitePool;
use vigil_core::dashboard::RevisionSignals;
use vigil_core::points::signal;
use vigil_core::{Engine, EngineOptions, HealthState, NewServer, ServerKind};
use vigil_fleet::config::{OutageConfig, TrafficConfig};
use vigil_fleet::{Fleet, FleetConfig, RunningFleet, Scenario};
use vigil_tests::wait_for;

/// A fleet whose traffic runs at `peak_rps` from the busiest hour of its day, 5,000 requests
/// at most.
fn config(scenarios: &[Scenario], peak_rps: f64) -> FleetConfig {
    let traffic = TrafficConfig {
        peak_rps,
        start_hour: 16.0,
        day: Duration::from_secs(3600),
        max_requests: Some(5_000),
        ..TrafficConfig::default()
    };
    FleetConfig { scenarios: scenarios.to_vec(), seed: 7, traffic, ..FleetConfig::default() }
}

/// An engine on a fresh database with every fleet server registered as `auto`.
async fn engine_watching(fleet: &RunningFleet, dir: &Path) -> Engine {
    let options = EngineOptions {
        poll_interval: Duration::from_millis(200),
        request_timeout: Duration::from_secs(1),
        ..EngineOptions::new(dir.join("vigil.db"))
    };
    let engine = Engine::open(options).await.expect("open the engine");
    for server in fleet.servers() {
        let new = NewServer { name: server.name, base_url: server.url, kind: ServerKind::Auto, ..Default::default() };
        engine.servers().add(new).await.expect("register a fleet server");
    }
    engine
}

fn revision<'a>(revisions: &'a [RevisionSignals], server: &str, model: &str, version: &str) -> &'a RevisionSignals {
    revisions
        .iter()
        .find(|r| r.server == server && r.model == model && r.version == version)
        .unwrap_or_else(|| panic!("no revision {server}/{model}/{version} in {revisions:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fleet_server_is_detected_discovered_and_measured_by_vigils_adapters() {
    let fleet = Fleet::start(config(&[Scenario::Healthy], 150.0)).await.expect("start the fleet");
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine_watching(&fleet, dir.path()).await;

    let servers = engine.polling().check_all().await.expect("first poll");
    let detected: Vec<(&str, Option<ServerKind>, HealthState)> =
        servers.iter().map(|s| (s.name.as_str(), s.detected_kind, s.health)).collect();
    assert_eq!(
        detected,
        [
            ("churn", Some(ServerKind::Mlserver), HealthState::Up),
            ("fraud", Some(ServerKind::Triton), HealthState::Up),
            ("pricing", Some(ServerKind::OipV2), HealthState::Up),
        ],
        "{servers:#?}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    engine.polling().check_all().await.expect("second poll");
    let revisions = engine.dashboard().revision_signals().await.expect("signals");
    for (server, model, version) in
        [("fraud", "fraud", "12"), ("fraud", "fraud", "13"), ("churn", "churn", "v3"), ("pricing", "price", "")]
    {
        let found = revision(&revisions, server, model, version);
        assert!(found.latest.get(signal::REQUEST_RATE).is_some_and(|rate| *rate > 0.0), "{found:#?}");
        assert!(found.latest.contains_key(signal::LATENCY_MEAN), "{found:#?}");
        assert_eq!(found.metadata["inputs"].as_array().map(Vec::len), Some(6), "schema in the metadata: {found:#?}");
    }
    // Triton and MLServer count errors; KServe counts none but has a latency histogram.
    assert!(revision(&revisions, "fraud", "fraud", "12").latest.contains_key(signal::ERROR_RATE));
    assert!(revision(&revisions, "churn", "churn", "v3").latest.contains_key(signal::ERROR_RATE));
    let price = revision(&revisions, "pricing", "price", "");
    assert!(price.latest.get(signal::LATENCY_P99).is_some_and(|p99| *p99 >= price.latest[signal::LATENCY_P50]));
    // Triton's queue and batch counters and its reported quantiles reach Vigil too.
    let stable = revision(&revisions, "fraud", "fraud", "12");
    for signal in [signal::BATCH_MEAN, signal::QUEUE_MEAN, signal::LATENCY_P99] {
        assert!(stable.latest.contains_key(signal), "{signal}: {stable:#?}");
    }
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_bad_canary_v13_has_a_higher_error_rate_and_p99_than_v12() {
    let fleet = Fleet::start(FleetConfig { canary_percent: 50, ..config(&[Scenario::BadCanary], 150.0) })
        .await
        .expect("start the fleet");
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine_watching(&fleet, dir.path()).await;

    engine.polling().check_all().await.expect("first poll");
    tokio::time::sleep(Duration::from_secs(6)).await;
    engine.polling().check_all().await.expect("second poll");
    let revisions = engine.dashboard().revision_signals().await.expect("signals");
    let (stable, canary) = (revision(&revisions, "fraud", "fraud", "12"), revision(&revisions, "fraud", "fraud", "13"));
    for served in [stable, canary] {
        assert!(served.requests_seen > 100.0, "enough traffic to compare: {served:#?}");
    }
    let error_rate = |r: &RevisionSignals| r.latest[signal::ERROR_RATE];
    let p99 = |r: &RevisionSignals| r.latest[signal::LATENCY_P99];
    let mean = |r: &RevisionSignals| r.latest[signal::LATENCY_MEAN];
    assert!(error_rate(canary) > 0.04, "v13 fails about 8%: {canary:#?}");
    assert!(error_rate(canary) > 3.0 * error_rate(stable), "v12 {} vs v13 {}", error_rate(stable), error_rate(canary));
    // 15% of v13's inferences take 150-400 ms longer: its p99 is in that tail, v12's is not.
    assert!(p99(canary) > 0.15 && p99(stable) < 0.1, "p99: v12 {} s vs v13 {} s", p99(stable), p99(canary));
    assert!(p99(canary) > 3.0 * p99(stable), "p99: v12 {} s vs v13 {} s", p99(stable), p99(canary));
    assert!(mean(canary) > 2.0 * mean(stable), "mean: v12 {} s vs v13 {} s", mean(stable), mean(canary));
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_is_stored_as_the_server_going_down_and_coming_back_up() {
    let outage = OutageConfig { server: "pricing".into(), at: Duration::from_secs(1), lasting: Duration::from_secs(2) };
    let fleet =
        Fleet::start(FleetConfig { outage, ..config(&[Scenario::Outage], 20.0) }).await.expect("start the fleet");
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine_watching(&fleet, dir.path()).await;
    let _poller = engine.polling().start();

    let db = SqlitePool::connect_with(SqliteConnectOptions::new().filename(dir.path().join("vigil.db")))
        .await
        .expect("open the database");
    let transitions = wait_for("pricing to go down and come back up", Duration::from_secs(15), || async {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT e.from_state, e.to_state, e.reason FROM health_events e JOIN servers s ON s.id = e.server_id
             WHERE s.name = 'pricing' AND e.model_id IS NULL AND e.revision_id IS NULL ORDER BY e.id",
        )
        .fetch_all(&db)
        .await
        .ok()?;
        rows.iter().any(|(from, to, _)| from == "down" && to == "up").then_some(rows)
    })
    .await;
    let states: Vec<(&str, &str)> = transitions.iter().map(|(from, to, _)| (from.as_str(), to.as_str())).collect();
    assert_eq!(states, [("unknown", "up"), ("up", "down"), ("down", "up")], "{transitions:#?}");
    assert!(!transitions[1].2.is_empty(), "the down transition says why: {transitions:#?}");

    // The other servers stayed up throughout.
    let others: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM health_events e JOIN servers s ON s.id = e.server_id
         WHERE s.name != 'pricing' AND e.model_id IS NULL AND e.to_state != 'up'",
    )
    .fetch_one(&db)
    .await
    .expect("count");
    assert_eq!(others, 0);
    fleet.stop().await;
}
