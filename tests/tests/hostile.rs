//! Hostile servers (`vigil_tests::hostile`), each beside a healthy one: every kind of
//! misbehaviour ends in a state that names what the server did, and the healthy server is read
//! as if they were not there; then a short soak of the crowd, the healthy servers' schedule
//! checked from their own logs (the full 10-minute soak is `vigil-bench hostile`).

use std::time::Duration;

use vigil_core::{Engine, EngineOptions, HealthState, NewServer, ServerKind};
use vigil_tests::hostile::{HostileServer, Hostility};

async fn engine_with(servers: &[HostileServer], dir: &std::path::Path, interval: Duration) -> Engine {
    let options = EngineOptions {
        request_timeout: Duration::from_secs(1),
        poll_interval: interval,
        ..EngineOptions::new(dir.join("vigil.db"))
    };
    let engine = Engine::open(options).await.expect("open the engine");
    for (index, server) in servers.iter().enumerate() {
        let name = format!("{}-{index}", server.hostility.name());
        let new = NewServer { name, base_url: server.url(), kind: ServerKind::Mlserver, ..Default::default() };
        engine.servers().add(new).await.expect("add a server");
    }
    engine
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_server_shows_what_it_did_and_the_healthy_one_is_read_as_usual() {
    let mut servers = vec![HostileServer::start(Hostility::Healthy).await];
    for hostility in Hostility::HOSTILE {
        servers.push(HostileServer::start(hostility).await);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine_with(&servers, dir.path(), Duration::from_secs(5)).await;

    engine.polling().check_all().await.expect("first round");
    let polled = engine.polling().check_all().await.expect("second round");
    for server in &servers[1..] {
        let name = format!("{}-", server.hostility.name());
        let state = polled.iter().find(|s| s.name.starts_with(&name)).expect("the server");
        let said = format!(
            "{} {}",
            state.health_reason.as_deref().unwrap_or_default(),
            state.metrics_error.as_deref().unwrap_or_default()
        );
        let words = server.hostility.expected_words();
        assert!(said.contains(words), "{name}: expected {words:?} in {said:?}");
    }
    let healthy = polled.iter().find(|s| s.name == "healthy-0").expect("the healthy server");
    assert_eq!((healthy.health, healthy.metrics_error.as_deref()), (HealthState::Up, None), "{healthy:?}");
    let revisions = engine.dashboard().revision_signals().await.expect("signals");
    let healthy_iris = revisions.iter().find(|r| r.server == "healthy-0").expect("the healthy server's model");
    assert!(healthy_iris.requests_seen > 0.0, "its requests are counted: {healthy_iris:?}");
    // Only the deep-JSON server's metrics page is sound; nothing is counted from the others.
    let mut counted: Vec<&str> =
        revisions.iter().filter(|r| r.requests_seen > 0.0).map(|r| r.server.as_str()).collect();
    counted.sort();
    assert_eq!(counted, ["deep-json-13", "healthy-0"], "counted from a broken page");
}

#[tokio::test(flavor = "multi_thread")]
async fn polled_on_schedule_the_crowd_never_holds_back_the_healthy_servers() {
    let interval = Duration::from_secs(1);
    let mut servers =
        vec![HostileServer::start(Hostility::Healthy).await, HostileServer::start(Hostility::Healthy).await];
    for hostility in Hostility::HOSTILE {
        servers.push(HostileServer::start(hostility).await);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine_with(&servers, dir.path(), interval).await;
    let poller = engine.polling().start();
    tokio::time::sleep(Duration::from_secs(6)).await;
    drop(poller);
    // Six seconds at one poll a second; a hanging, dripping or flooding neighbour costs the
    // healthy servers no turn (the lag itself is measured by `vigil-bench hostile`).
    for healthy in &servers[..2] {
        let reads = healthy.metrics_reads().len();
        assert!(reads >= 5, "a healthy server was read {reads} times in 6 s");
    }
    let stored = engine.servers().list().await.expect("servers");
    assert_eq!(stored.len(), servers.len(), "every server is still there");
}
