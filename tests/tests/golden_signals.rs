//! Golden signals end to end in the engine: a live server in MLServer's style on loopback is
//! detected, its model revision discovered, and the requests it serves between two polls are
//! stored as counts, error rate and latency, across a restart of the server too.

use std::time::Duration;

use vigil_core::dashboard::RevisionSignals;
use vigil_core::points::signal;
use vigil_core::{Engine, EngineOptions, HealthState, NewServer, ServerKind};
use vigil_tests::loopback::MlserverLike;

async fn engine_with(server: &MlserverLike) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().expect("temp dir");
    let options =
        EngineOptions { request_timeout: Duration::from_secs(2), ..EngineOptions::new(dir.path().join("vigil.db")) };
    let engine = Engine::open(options).await.expect("open the engine");
    let new = NewServer { name: "fraud".into(), base_url: server.url(), kind: ServerKind::Auto, ..Default::default() };
    engine.servers().add(new).await.expect("add");
    (dir, engine)
}

async fn poll(engine: &Engine) -> RevisionSignals {
    engine.polling().check_all().await.expect("poll");
    let revisions = engine.dashboard().revision_signals().await.expect("read signals");
    assert_eq!(revisions.len(), 1, "one revision discovered: {revisions:?}");
    revisions.into_iter().next().expect("one revision")
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_errors_and_latency_between_polls_are_stored_per_revision() {
    let server = MlserverLike::start().await;
    let (_dir, engine) = engine_with(&server).await;

    // The first poll discovers the revision; with nothing to compare against, no signals yet.
    let first = poll(&engine).await;
    assert_eq!((first.server.as_str(), first.model.as_str(), first.version.as_str()), ("fraud", "iris", "v1"));
    assert!(first.latest.is_empty(), "{first:?}");
    // Its metadata, as the server gave it when the revision was first seen.
    assert_eq!(first.metadata["name"], "iris");
    assert_eq!(first.metadata["inputs"], serde_json::json!([]));

    server.serve(7, 2, 0.010);
    let second = poll(&engine).await;
    assert_eq!((second.requests_seen, second.errors_seen), (9.0, 2.0));
    assert_eq!(second.latest[signal::ERROR_RATE], 2.0 / 9.0);
    assert!((second.latest[signal::LATENCY_MEAN] - 0.010).abs() < 1e-12, "{second:?}");
    assert!(second.latest[signal::REQUEST_RATE] > 0.0);

    server.serve(1, 0, 0.020);
    let third = poll(&engine).await;
    assert_eq!((third.requests_seen, third.errors_seen), (10.0, 2.0), "counts add up across polls");
    assert_eq!(third.latest[signal::ERROR_RATE], 0.0);
    assert!((third.latest[signal::LATENCY_MEAN] - 0.020).abs() < 1e-12, "{third:?}");

    // The last hour reads at poll resolution: one point per poll after the first.
    let now = chrono::Utc::now();
    let hour = engine
        .dashboard()
        .series(("fraud", "iris", "v1"), signal::REQUESTS, now - chrono::Duration::hours(1), now)
        .await;
    let hour = hour.expect("a series");
    assert_eq!(hour.resolution_secs, 0);
    assert_eq!(hour.points.iter().map(|(_, v)| v).collect::<Vec<_>>(), [&9.0, &1.0]);
    // A month reads hourly rollups: both polls fall in one or two hours, their mean per hour.
    let month =
        engine.dashboard().series(("fraud", "iris", "v1"), signal::REQUESTS, now - chrono::Duration::days(30), now);
    assert_eq!(month.await.expect("a series").resolution_secs, 3600);
    let missing = engine
        .dashboard()
        .series(("fraud", "iris", "v9"), signal::REQUESTS, now - chrono::Duration::hours(1), now)
        .await;
    assert!(missing.unwrap_err().to_string().contains("No revision 'v9' of model 'iris' on server 'fraud'"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restart_counts_only_the_requests_since_it() {
    let server = MlserverLike::start().await;
    let (_dir, engine) = engine_with(&server).await;
    server.serve(1000, 10, 0.005);
    poll(&engine).await;
    server.restart();
    server.serve(3, 1, 0.005);
    let after = poll(&engine).await;
    assert_eq!((after.requests_seen, after.errors_seen), (4.0, 1.0), "{after:?}");
    assert!(after.latest[signal::REQUEST_RATE] >= 0.0);
    assert_eq!(after.latest[signal::ERROR_RATE], 0.25);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unloaded_model_makes_its_server_degraded_and_the_transition_is_stored() {
    let server = MlserverLike::start().await;
    let (dir, engine) = engine_with(&server).await;
    let servers = engine.polling().check_all().await.expect("poll");
    assert_eq!(servers[0].health, HealthState::Up, "{servers:?}");

    server.unload();
    let servers = engine.polling().check_all().await.expect("poll");
    assert_eq!(servers[0].health, HealthState::Degraded);
    let reason = servers[0].health_reason.clone().unwrap_or_default();
    assert_eq!(reason, "model iris v1 is not ready: /v2/models/iris/versions/v1/ready answered HTTP 404");

    let db = vigil_core::store::open(&dir.path().join("vigil.db").into()).await.expect("open the database");
    let events: Vec<(Option<String>, String, String, String)> = sqlx::query_as(
        "SELECT r.version, e.from_state, e.to_state, e.reason FROM health_events e
         LEFT JOIN revisions r ON r.id = e.revision_id ORDER BY e.id",
    )
    .fetch_all(&db)
    .await
    .expect("read health events");
    let model_events: Vec<_> = events.iter().filter(|(version, ..)| version.is_some()).collect();
    assert_eq!(model_events.len(), 2, "ready, then not ready: {events:?}");
    assert_eq!((model_events[0].1.as_str(), model_events[0].2.as_str()), ("unknown", "up"));
    assert_eq!((model_events[1].1.as_str(), model_events[1].2.as_str()), ("up", "down"));
    assert!(model_events[1].3.ends_with("HTTP 404"), "{events:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_wide_gpu_cpu_and_memory_are_stored_for_the_server_beside_its_revisions() {
    let triton = vigil_tests::loopback::RecordedServer::start_with(
        &[("/v2/health/ready", "mlserver-1.7.1/health-ready.http")],
        vec![vigil_tests::loopback::metrics_fixture("/metrics", "triton.prom")],
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineOptions::new(dir.path().join("vigil.db"))).await.expect("open the engine");
    let new =
        NewServer { name: "gpu-box".into(), base_url: triton.url(), kind: ServerKind::Triton, ..Default::default() };
    engine.servers().add(new).await.expect("add");
    engine.polling().check_all().await.expect("first poll");
    engine.polling().check_all().await.expect("second poll");

    let resources = engine.dashboard().server_resources().await.expect("resources");
    assert_eq!(resources.len(), 1, "{resources:?}");
    let latest = &resources[0].latest;
    assert_eq!((resources[0].server.as_str(), latest[signal::GPU_UTILIZATION]), ("gpu-box", 0.37));
    assert_eq!((latest[signal::CPU_UTILIZATION], latest[signal::GPU_MEMORY_BYTES]), (0.125, 3_221_225_472.0));

    // Two polls of server-wide points fold into one rollup row per bucket, not one per poll.
    let db = vigil_core::store::open(&dir.path().join("vigil.db").into()).await.expect("open the database");
    let after_both_polls = chrono::Utc::now().timestamp_millis() + 2 * 3_600_000;
    vigil_core::points::fold(&mut db.acquire().await.expect("connection"), after_both_polls).await.expect("fold");
    let (rows, folded): (i64, i64) = sqlx::query_as(
        "SELECT count(*), sum(count) FROM metric_rollups WHERE revision_id = 0 AND signal = $1 AND resolution = 3600",
    )
    .bind(signal::GPU_UTILIZATION)
    .fetch_one(&db)
    .await
    .expect("rollups");
    let buckets: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT at_ms / 3600000) FROM metric_points WHERE revision_id IS NULL AND signal = $1",
    )
    .bind(signal::GPU_UTILIZATION)
    .fetch_one(&db)
    .await
    .expect("points");
    assert_eq!((rows, folded), (buckets, 2));

    let revisions = engine.dashboard().revision_signals().await.expect("revisions");
    assert!(revisions.iter().any(|r| r.model == "resnet50_trt" && r.version == "2"), "{revisions:?}");
}
