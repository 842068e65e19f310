//! Model discovery for each kind, from answers a real server gives (captured, or written from
//! its documented format) served on loopback: which models and versions Vigil finds, whether
//! each is ready, what metadata it keeps, and which revision requests naming no version are
//! counted against.

use std::time::Duration;

use vigil_core::dashboard::RevisionSignals;
use vigil_core::{Engine, EngineOptions, HealthState, NewServer, ServerKind};
use vigil_tests::loopback::{metrics_fixture, RecordedServer};

/// A server of one kind and what Vigil must find on it.
struct Case {
    kind: ServerKind,
    recorded: Vec<(&'static str, &'static str)>,
    metrics: Option<(&'static str, &'static str)>,
    /// The management API is on the same loopback server, under this path.
    management: Option<&'static str>,
    /// (model, version, health) of each revision found, in order.
    expected: Vec<(&'static str, &'static str, HealthState)>,
}

/// Registers the case's server, polls it twice (signals need two polls) and returns what was
/// found, with the server as stored.
async fn discover(case: &Case) -> (Vec<RevisionSignals>, vigil_core::Server) {
    let bodies = case.metrics.map(|(path, file)| vec![metrics_fixture(path, file)]).unwrap_or_default();
    let server = RecordedServer::start_with(&case.recorded, bodies).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let options =
        EngineOptions { request_timeout: Duration::from_secs(2), ..EngineOptions::new(dir.path().join("vigil.db")) };
    let engine = Engine::open(options).await.expect("open the engine");
    let new = NewServer {
        name: "under-test".into(),
        base_url: server.url(),
        kind: case.kind,
        management_url: case.management.map(|path| format!("{}{path}", server.url())),
        ..Default::default()
    };
    engine.servers().add(new).await.expect("add");
    engine.polling().check_all().await.expect("first poll");
    let servers = engine.polling().check_all().await.expect("second poll");
    (engine.dashboard().revision_signals().await.expect("revisions"), servers[0].clone())
}

fn found(revisions: &[RevisionSignals]) -> Vec<(&str, &str, HealthState)> {
    revisions.iter().map(|r| (r.model.as_str(), r.version.as_str(), r.health)).collect()
}

fn revision<'a>(revisions: &'a [RevisionSignals], model: &str) -> &'a RevisionSignals {
    revisions.iter().find(|r| r.model == model).unwrap_or_else(|| panic!("{model} not found: {revisions:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn mlserver_lists_its_repository_with_each_versions_state() {
    let case = Case {
        kind: ServerKind::Mlserver,
        recorded: vec![
            ("/v2/health/ready", "mlserver-1.7.1/health-ready.http"),
            ("/v2/repository/index", "mlserver-1.7.1/repository-index-after-unload.http"),
        ],
        metrics: None,
        management: None,
        expected: vec![],
    };
    // An unloaded model that was never seen serving is not a deployment.
    let (revisions, server) = discover(&case).await;
    assert_eq!(found(&revisions), case.expected);
    assert_eq!(server.health, HealthState::Up);

    let loaded = Case {
        recorded: vec![
            ("/v2/health/ready", "mlserver-1.7.1/health-ready.http"),
            ("/v2/repository/index", "mlserver-1.7.1/repository-index.http"),
            ("/v2/models/iris/versions/v1", "mlserver-1.7.1/model-metadata.http"),
        ],
        expected: vec![("iris", "v1", HealthState::Up)],
        ..case
    };
    let (revisions, _) = discover(&loaded).await;
    assert_eq!(found(&revisions), loaded.expected);
    assert_eq!(revisions[0].metadata["name"], "iris", "OIP metadata read for a new revision");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_repository_index_stands_for_the_readiness_check() {
    // No readiness endpoint here: MLServer's index answered, so the server is up, and its
    // one model is ready as the index says.
    let case = Case {
        kind: ServerKind::Mlserver,
        recorded: vec![
            ("/v2/repository/index", "mlserver-1.7.1/repository-index.http"),
            ("/v2/models/iris/versions/v1", "mlserver-1.7.1/model-metadata.http"),
        ],
        metrics: None,
        management: None,
        expected: vec![("iris", "v1", HealthState::Up)],
    };
    let (revisions, server) = discover(&case).await;
    assert_eq!(found(&revisions), case.expected);
    assert_eq!(server.health, HealthState::Up);
    assert_eq!(server.health_reason.as_deref(), Some("/v2/repository/index answered HTTP 200"));
}

#[tokio::test(flavor = "multi_thread")]
async fn kserve_lists_model_names() {
    let case = Case {
        kind: ServerKind::OipV2,
        recorded: vec![
            ("/v2/health/ready", "kserve-0.21.0/health-ready.http"),
            ("/v2/models", "kserve-0.21.0/v2-models.http"),
            ("/v2/models/iris/ready", "kserve-0.21.0/v2-model-ready.http"),
            ("/v2/models/iris", "kserve-0.21.0/v2-model-metadata.http"),
        ],
        metrics: None,
        management: None,
        expected: vec![("iris", "", HealthState::Up)],
    };
    let (revisions, _) = discover(&case).await;
    assert_eq!(found(&revisions), case.expected);
    assert_eq!(revisions[0].metadata["name"], "iris");
}

#[tokio::test(flavor = "multi_thread")]
async fn torchserve_lists_versions_through_its_management_api_and_a_version_without_ready_workers_degrades_it() {
    let case = Case {
        kind: ServerKind::Torchserve,
        recorded: vec![
            ("/ping", "written/torchserve-ping.http"),
            ("/management/models", "written/torchserve-models.http"),
            ("/management/models/resnet-18/all", "written/torchserve-resnet-all.http"),
            ("/management/models/resnet-18", "written/torchserve-resnet-default.http"),
            ("/management/models/bert_seq_clf/all", "written/torchserve-bert-all.http"),
            ("/management/models/bert_seq_clf", "written/torchserve-bert-all.http"),
        ],
        metrics: Some(("/metrics", "torchserve.prom")),
        management: Some("/management"),
        expected: vec![
            ("bert_seq_clf", "1.0", HealthState::Down),
            ("resnet-18", "1.0", HealthState::Up),
            ("resnet-18", "2.0", HealthState::Up),
        ],
    };
    let (revisions, server) = discover(&case).await;
    assert_eq!(found(&revisions), case.expected, "no separate default-version revision");
    // Requests naming no version ("default" on the metrics page) are measured as the default, 1.0.
    let measured = |version: &str| revisions.iter().any(|r| r.version == version && r.latest.contains_key("requests"));
    assert!(measured("1.0") && measured("2.0"), "{revisions:?}");
    let resnet = revisions.iter().find(|r| r.version == "2.0").expect("resnet-18 2.0");
    assert_eq!((resnet.metadata["batchSize"].as_i64(), resnet.metadata["maxBatchDelay"].as_i64()), (Some(8), Some(50)));
    assert_eq!(server.health, HealthState::Degraded);
    assert_eq!(
        server.health_reason.as_deref(),
        Some("model bert_seq_clf 1.0 is not ready: none of its 1 workers is READY")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tf_serving_versions_come_from_each_model_status_and_take_its_unversioned_requests() {
    let case = Case {
        kind: ServerKind::Tfserving,
        recorded: vec![("/v1/models/half_plus_two", "written/tfserving-model-status.http")],
        metrics: Some(("/monitoring/prometheus/metrics", "tfserving.prom")),
        management: None,
        expected: vec![("half_plus_two", "123", HealthState::Up)],
    };
    let (revisions, _) = discover(&case).await;
    assert_eq!(found(&revisions), case.expected, "no separate default-version revision");
}

#[tokio::test(flavor = "multi_thread")]
async fn vllm_lists_its_served_models_with_their_context_length() {
    let case = Case {
        kind: ServerKind::Vllm,
        recorded: vec![("/health", "written/vllm-health.http"), ("/v1/models", "written/vllm-models.http")],
        metrics: None,
        management: None,
        expected: vec![("meta-llama/Llama-3.1-8B-Instruct", "", HealthState::Up)],
    };
    let (revisions, _) = discover(&case).await;
    assert_eq!(found(&revisions), case.expected);
    assert_eq!(revisions[0].metadata["max_model_len"], 8192);
}

#[tokio::test(flavor = "multi_thread")]
async fn tgi_names_its_one_model_with_the_weights_commit_as_version_and_its_requests_count_there() {
    let case = Case {
        kind: ServerKind::Tgi,
        recorded: vec![("/health", "written/vllm-health.http"), ("/info", "written/tgi-info.http")],
        metrics: Some(("/metrics", "tgi.prom")),
        management: None,
        expected: vec![("bigscience/bloom-560m", "e985a63cdc139290c5f700ff1929f0b5942cced2", HealthState::Up)],
    };
    let (revisions, _) = discover(&case).await;
    assert_eq!(found(&revisions), case.expected, "TGI's metrics name no model: they belong to the one it serves");
    assert!(revision(&revisions, "bigscience/bloom-560m").latest.contains_key("requests"), "{revisions:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ray_deployments_come_from_the_dashboard_with_their_status() {
    let case = Case {
        kind: ServerKind::Ray,
        recorded: vec![
            ("/-/healthz", "written/ray-healthz.http"),
            ("/dashboard/api/serve/applications/", "written/ray-applications.http"),
        ],
        metrics: None,
        management: Some("/dashboard"),
        expected: vec![("Embedder", "", HealthState::Down), ("Ranker", "", HealthState::Up)],
    };
    let (revisions, server) = discover(&case).await;
    assert_eq!(found(&revisions), case.expected);
    assert_eq!(revision(&revisions, "Ranker").metadata["application"], "recsys");
    assert_eq!(
        server.health_reason.as_deref(),
        Some("model Embedder default version is not ready: Ray says UNHEALTHY: The deployment failed to start 3 times in a row.")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_naming_no_version_are_added_to_the_default_version_as_one_series() {
    let server = RecordedServer::start_with(
        &[
            ("/v2/health/ready", "mlserver-1.7.1/health-ready.http"),
            ("/v2/repository/index", "mlserver-1.7.1/repository-index.http"),
        ],
        vec![metrics_fixture("/metrics", "mlserver-1.7.1.prom")],
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineOptions::new(dir.path().join("vigil.db"))).await.expect("open the engine");
    let new =
        NewServer { name: "iris".into(), base_url: server.url(), kind: ServerKind::Mlserver, ..Default::default() };
    engine.servers().add(new).await.expect("add");
    for _ in 0..3 {
        engine.polling().check_all().await.expect("poll");
    }
    // The page has iris v1 and iris version="None"; the index lists v1 alone, so both are v1's.
    let revisions = engine.dashboard().revision_signals().await.expect("revisions");
    assert_eq!(found(&revisions), [("iris", "v1", HealthState::Up)]);
    let db =
        sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("vigil.db")))
            .await
            .expect("open the database");
    let per_poll: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT at_ms, count(*) FROM metric_points WHERE signal = 'requests' GROUP BY at_ms ORDER BY at_ms",
    )
    .fetch_all(&db)
    .await
    .expect("points");
    assert_eq!(per_poll.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [1, 1], "one point per poll: {per_poll:?}");
}
