//! The `prometheus` kind against a real Prometheus scraping live MLServer-style servers: Vigil
//! reads the same request counts, error rate and latency through Prometheus' query API as it
//! does polling the server directly, in the same polls; and many servers read through one
//! Prometheus cost it one query a round, each server's health Prometheus' word on its target.

use std::time::Duration;

use vigil_core::points::signal;
use vigil_core::{Engine, EngineOptions, HealthState, NewServer, ServerKind};
use vigil_tests::loopback::MlserverLike;
use vigil_tests::prometheus::RealPrometheus;

#[tokio::test(flavor = "multi_thread")]
async fn the_prometheus_kind_reports_the_same_signals_as_polling_the_server_directly() {
    let model_server = MlserverLike::start().await;
    let target = model_server.url().trim_start_matches("http://").to_owned();
    let prometheus = RealPrometheus::start("mlserver", &[target]).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let options =
        EngineOptions { request_timeout: Duration::from_secs(5), ..EngineOptions::new(dir.path().join("vigil.db")) };
    let engine = Engine::open(options).await.expect("open the engine");
    let direct = NewServer {
        name: "direct".into(),
        base_url: model_server.url(),
        kind: ServerKind::Mlserver,
        ..Default::default()
    };
    engine.servers().add(direct).await.expect("add the server");
    let through = NewServer {
        name: "through-prometheus".into(),
        base_url: prometheus.url.clone(),
        kind: ServerKind::Prometheus,
        source_kind: Some(ServerKind::Mlserver),
        selector: Some(r#"job="mlserver""#.into()),
        ..Default::default()
    };
    engine.servers().add(through).await.expect("add Prometheus");

    // A baseline both ways, once Prometheus has scraped it.
    model_server.serve(3, 0, 0.002);
    prometheus.wait_for_value("model_infer_request_success_total", 3.0).await;
    let servers = engine.polling().check_all().await.expect("first poll");
    assert!(servers.iter().all(|s| s.health == HealthState::Up), "{servers:?}");

    model_server.serve(6, 2, 0.015);
    prometheus.wait_for_value("model_infer_request_failure_total", 2.0).await;
    prometheus.wait_for_value("model_infer_request_success_total", 9.0).await;
    engine.polling().check_all().await.expect("second poll");

    let revisions = engine.dashboard().revision_signals().await.expect("signals");
    let of = |server: &str| revisions.iter().find(|r| r.server == server && r.version == "v1").cloned();
    let (direct, through) = (of("direct").expect("direct"), of("through-prometheus").expect("through Prometheus"));
    assert_eq!((direct.requests_seen, direct.errors_seen), (8.0, 2.0));
    assert_eq!((through.requests_seen, through.errors_seen), (8.0, 2.0), "the same counts: {through:?}");
    // Exactly equal: the same counters, read in the same polls.
    assert_eq!(through.latest[signal::ERROR_RATE], direct.latest[signal::ERROR_RATE]);
    assert!((through.latest[signal::LATENCY_MEAN] - 0.015).abs() < 1e-9, "{through:?}");
    // The rate divides by each poll's own elapsed time, which differ by milliseconds: 5 %.
    let (a, b) = (direct.latest[signal::REQUEST_RATE], through.latest[signal::REQUEST_RATE]);
    assert!((a - b).abs() <= 0.05 * a, "request rates {a} and {b} differ by more than 5 %");
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_behind_one_prometheus_share_one_query_and_each_is_as_healthy_as_its_target() {
    let model_servers = [MlserverLike::start().await, MlserverLike::start().await, MlserverLike::start().await];
    let targets: Vec<String> =
        model_servers.iter().map(|server| server.url().trim_start_matches("http://").to_owned()).collect();
    let prometheus = RealPrometheus::start("models", &targets).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineOptions::new(dir.path().join("vigil.db"))).await.expect("open the engine");
    for (number, target) in targets.iter().enumerate() {
        let server = NewServer {
            name: format!("model-{number}"),
            base_url: prometheus.url.clone(),
            kind: ServerKind::Prometheus,
            source_kind: Some(ServerKind::Mlserver),
            selector: Some(format!(r#"job="models",instance="{target}""#)),
            ..Default::default()
        };
        engine.servers().add(server).await.expect("add a server read through Prometheus");
    }
    for (number, server) in model_servers.iter().enumerate() {
        server.serve(number as u64 + 1, 0, 0.01);
    }
    prometheus.wait_for_value("model_infer_request_success_total", 6.0).await;
    prometheus.wait_for_value("up", 3.0).await;

    let before = prometheus.queries_answered().await;
    let servers = engine.polling().check_all().await.expect("first round");
    assert_eq!(prometheus.queries_answered().await - before, 1.0, "one query for the three servers");
    for server in &servers {
        assert_eq!(server.health, HealthState::Up, "{server:?}");
        assert_eq!(server.health_reason.as_deref(), Some("Prometheus scraped it (up = 1)"));
    }

    // Each server's counts are its own target's, not the others'.
    for (number, server) in model_servers.iter().enumerate() {
        server.serve(10 * (number as u64 + 1), number as u64, 0.01);
    }
    prometheus.wait_for_value("model_infer_request_success_total", 66.0).await;
    engine.polling().check_all().await.expect("second round");
    let revisions = engine.dashboard().revision_signals().await.expect("signals");
    for number in 0..3 {
        let name = format!("model-{number}");
        let revision = revisions.iter().find(|r| r.server == name && r.version == "v1").expect("its revision");
        let expected = (10.0 * (number as f64 + 1.0) + number as f64, number as f64);
        assert_eq!((revision.requests_seen, revision.errors_seen), expected, "{name}: {revision:?}");
    }

    // A target Prometheus cannot scrape is down, in Prometheus' words; the others stay up.
    model_servers[1].break_metrics(true);
    prometheus.wait_for_value("up", 2.0).await;
    let servers = engine.polling().check_all().await.expect("third round");
    let health = |name: &str| servers.iter().find(|s| s.name == name).map(|s| (s.health, s.health_reason.clone()));
    assert_eq!(
        health("model-1"),
        Some((HealthState::Down, Some("Prometheus could not scrape it at its last scrape (up = 0)".into())))
    );
    assert_eq!(health("model-0").map(|h| h.0), Some(HealthState::Up));
    assert_eq!(health("model-2").map(|h| h.0), Some(HealthState::Up));
}
