//! Servers of every kind Vigil knows: registered as `auto`, each is recognised from the answers
//! a real server of that kind gives (captured, or written from its documented format), and its
//! health is then read from that kind's own readiness endpoint.

use std::time::Duration;

use vigil_core::{Engine, EngineOptions, HealthState, NewServer, Server, ServerKind};
use vigil_tests::loopback::RecordedServer;

async fn engine() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().expect("temp dir");
    let options =
        EngineOptions { request_timeout: Duration::from_secs(2), ..EngineOptions::new(dir.path().join("vigil.db")) };
    (dir, Engine::open(options).await.expect("open the engine"))
}

/// Registers `url` with `kind`, checks the fleet once and returns the server as stored.
async fn register_and_check(engine: &Engine, url: &str, kind: ServerKind) -> Server {
    engine
        .servers()
        .add(NewServer { name: "under-test".into(), base_url: url.into(), kind, ..Default::default() })
        .await
        .expect("add");
    let servers = engine.polling().check_all().await.expect("check");
    servers.into_iter().find(|s| s.name == "under-test").expect("the server is listed")
}

/// A server of one kind: what it is, the answers it gives, and what Vigil must make of them.
struct KindCase {
    what: &'static str,
    /// (path, recorded answer)
    routes: Vec<(&'static str, &'static str)>,
    kind: ServerKind,
    readiness: &'static str,
}

fn fleet_of_every_kind() -> Vec<KindCase> {
    vec![
        KindCase {
            what: "MLServer 1.7.1 (captured)",
            routes: vec![
                ("/v2", "mlserver-1.7.1/server-metadata.http"),
                ("/v2/health/ready", "mlserver-1.7.1/health-ready.http"),
            ],
            kind: ServerKind::Mlserver,
            readiness: "/v2/health/ready",
        },
        KindCase {
            what: "KServe 0.21 (captured)",
            routes: vec![
                ("/v2", "kserve-0.21.0/server-metadata.http"),
                ("/v2/health/ready", "kserve-0.21.0/health-ready.http"),
            ],
            kind: ServerKind::OipV2,
            readiness: "/v2/health/ready",
        },
        KindCase {
            what: "BentoML 1.4.40 (captured)",
            routes: vec![("/livez", "bentoml-1.4.40/livez.http"), ("/readyz", "bentoml-1.4.40/readyz.http")],
            kind: ServerKind::Bentoml,
            readiness: "/readyz",
        },
        KindCase {
            what: "Triton",
            routes: vec![
                ("/v2", "written/triton-server-metadata.http"),
                ("/v2/health/ready", "mlserver-1.7.1/health-ready.http"),
            ],
            kind: ServerKind::Triton,
            readiness: "/v2/health/ready",
        },
        KindCase {
            what: "TorchServe",
            routes: vec![("/ping", "written/torchserve-ping.http")],
            kind: ServerKind::Torchserve,
            readiness: "/ping",
        },
        KindCase {
            what: "vLLM",
            routes: vec![("/v1/models", "written/vllm-models.http"), ("/health", "written/vllm-health.http")],
            kind: ServerKind::Vllm,
            readiness: "/health",
        },
        KindCase {
            what: "TGI",
            routes: vec![("/info", "written/tgi-info.http"), ("/health", "written/vllm-health.http")],
            kind: ServerKind::Tgi,
            readiness: "/health",
        },
        KindCase {
            what: "Ray Serve",
            routes: vec![("/-/healthz", "written/ray-healthz.http")],
            kind: ServerKind::Ray,
            readiness: "/-/healthz",
        },
        KindCase {
            what: "Prometheus",
            routes: vec![("/-/ready", "written/prometheus-ready.http")],
            kind: ServerKind::Prometheus,
            readiness: "/-/ready",
        },
        KindCase {
            what: "TF Serving",
            routes: vec![("/v1/models", "written/tfserving-models.http")],
            kind: ServerKind::Tfserving,
            readiness: "/v1/models",
        },
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_is_detected_and_checked_on_its_own_readiness_endpoint() {
    for KindCase { what, routes, kind, readiness } in fleet_of_every_kind() {
        let server = RecordedServer::start(&routes).await;
        let (_dir, engine) = engine().await;
        let stored = register_and_check(&engine, &server.url(), ServerKind::Auto).await;
        assert_eq!(stored.kind, ServerKind::Auto, "{what}: the registration is kept as given");
        assert_eq!(stored.detected_kind, Some(kind), "{what}: {stored:?}");
        assert_eq!(stored.health, HealthState::Up, "{what}: {stored:?}");
        let reason = stored.health_reason.unwrap_or_default();
        assert!(reason.starts_with(readiness), "{what}: health read from {readiness}, got {reason:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kind_given_at_registration_is_used_without_probing() {
    // Only TorchServe's /ping answers: no probe of other endpoints is needed to be up.
    let server = RecordedServer::start(&[("/ping", "written/torchserve-ping.http")]).await;
    let (_dir, engine) = engine().await;
    let stored = register_and_check(&engine, &server.url(), ServerKind::Torchserve).await;
    assert_eq!((stored.health, stored.detected_kind), (HealthState::Up, None));
    assert_eq!(stored.health_reason.as_deref(), Some("/ping answered HTTP 200"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_vigil_does_not_recognise_is_down_with_advice_and_stays_auto() {
    let server = RecordedServer::start(&[]).await;
    let (_dir, engine) = engine().await;
    let stored = register_and_check(&engine, &server.url(), ServerKind::Auto).await;
    assert_eq!((stored.health, stored.detected_kind), (HealthState::Down, None));
    let reason = stored.health_reason.unwrap_or_default();
    assert!(reason.contains("not like any server kind") && reason.contains("register it with its kind"), "{reason}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_detected_kind_is_stored_and_survives_a_restart() {
    let server = RecordedServer::start(&[
        ("/v2", "mlserver-1.7.1/server-metadata.http"),
        ("/v2/health/ready", "mlserver-1.7.1/health-ready.http"),
    ])
    .await;
    let (dir, engine) = engine().await;
    register_and_check(&engine, &server.url(), ServerKind::Auto).await;
    drop(engine);
    let reopened = Engine::open(EngineOptions::new(dir.path().join("vigil.db"))).await.expect("reopen");
    let servers = reopened.servers().list().await.expect("list");
    assert_eq!((servers[0].kind, servers[0].detected_kind), (ServerKind::Auto, Some(ServerKind::Mlserver)));
}
