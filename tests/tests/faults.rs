//! Servers that misbehave: one refuses connections, one hangs, one sends a 50 MB metrics page,
//! one sends garbage. Each gets a clear error state, and a healthy server polled in the same
//! rounds is still read on time, its requests counted.

use std::time::{Duration, Instant};

use vigil_core::{Engine, EngineEvent, EngineOptions, HealthState, NewServer, Server, ServerKind};
use vigil_tests::loopback::{closed_port_url, MlserverLike, ReadinessServer, RecordedServer};

const TIMEOUT: Duration = Duration::from_millis(500);

fn find<'a>(servers: &'a [Server], name: &str) -> &'a Server {
    servers.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no server {name}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn each_faulty_server_gets_a_clear_error_and_the_healthy_one_keeps_its_schedule() {
    let hanging = ReadinessServer::start_with_delay(Duration::from_secs(30)).await;
    let huge = RecordedServer::with_bodies(vec![
        ("/v2/health/ready", 200, Vec::new()),
        ("/metrics", 200, "x_total 1\n".repeat(5 * 1024 * 1024).into_bytes()),
    ])
    .await;
    let garbage_page: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let garbage =
        RecordedServer::with_bodies(vec![("/v2/health/ready", 200, Vec::new()), ("/metrics", 200, garbage_page)]).await;
    let healthy = MlserverLike::start().await;

    let dir = tempfile::tempdir().expect("temp dir");
    let options = EngineOptions { request_timeout: TIMEOUT, ..EngineOptions::new(dir.path().join("vigil.db")) };
    let engine = Engine::open(options).await.expect("open the engine");
    for (name, url, kind) in [
        ("refusing", closed_port_url(), ServerKind::OipV2),
        ("hanging", hanging.url(), ServerKind::OipV2),
        ("huge", huge.url(), ServerKind::Mlserver),
        ("garbage", garbage.url(), ServerKind::Mlserver),
        ("healthy", healthy.url(), ServerKind::Mlserver),
    ] {
        let new = NewServer { name: name.into(), base_url: url, kind, ..Default::default() };
        engine.servers().add(new).await.expect("add");
    }

    engine.polling().check_all().await.expect("first round");
    healthy.serve(5, 1, 0.01);
    let started = Instant::now();
    let servers = engine.polling().check_all().await.expect("second round");
    let took = started.elapsed();
    // Every server is polled at once; the hanging one costs one timeout, not the healthy one's turn.
    assert!(took < TIMEOUT * 4, "a round took {took:?} with a {TIMEOUT:?} timeout");

    let refusing = find(&servers, "refusing");
    assert_eq!((refusing.health, refusing.health_reason.as_deref()), (HealthState::Down, Some("connection refused")));
    let hanging = find(&servers, "hanging");
    assert_eq!(hanging.health, HealthState::Down);
    assert_eq!(hanging.health_reason.as_deref(), Some("no answer from /v2/health/ready within 0.5 s"));
    let huge = find(&servers, "huge");
    assert_eq!(huge.health, HealthState::Up, "its readiness is fine");
    assert!(huge.metrics_error.as_deref().unwrap_or_default().contains("larger than 16 MB"), "{huge:?}");
    let garbage = find(&servers, "garbage");
    let error = garbage.metrics_error.as_deref().unwrap_or_default();
    assert!(error.contains("is not in the Prometheus text format"), "{garbage:?}");

    let healthy = find(&servers, "healthy");
    assert_eq!((healthy.health, healthy.metrics_error.as_deref()), (HealthState::Up, None));
    let revisions = engine.dashboard().revision_signals().await.expect("signals");
    let iris = revisions.iter().find(|r| r.server == "healthy").expect("the healthy server's model");
    assert_eq!((iris.requests_seen, iris.errors_seen), (6.0, 1.0));
    assert!(revisions.iter().all(|r| r.server == "healthy"), "nothing read from the faulty pages: {revisions:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_server_never_delays_the_schedule_of_the_others() {
    let hanging = ReadinessServer::start_with_delay(Duration::from_secs(30)).await;
    let healthy = MlserverLike::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let options = EngineOptions {
        poll_interval: Duration::from_millis(200),
        request_timeout: Duration::from_secs(10),
        ..EngineOptions::new(dir.path().join("vigil.db"))
    };
    let engine = Engine::open(options).await.expect("open the engine");
    for (name, url, kind) in
        [("hanging", hanging.url(), ServerKind::OipV2), ("healthy", healthy.url(), ServerKind::Mlserver)]
    {
        engine
            .servers()
            .add(NewServer { name: name.into(), base_url: url, kind, ..Default::default() })
            .await
            .expect("add");
    }
    let mut events = engine.subscribe();
    let _poller = engine.polling().start();

    // For two seconds the hanging server's first poll is still waiting on its 10 s timeout;
    // the healthy one goes on being polled every 200 ms or so.
    let (mut healthy_polls, mut hanging_polls) = (0, 0);
    let until = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Ok(event)) = tokio::time::timeout_at(until, events.recv()).await {
        if let vigil_core::EngineEvent::Polled { servers, .. } = event {
            healthy_polls += servers.iter().filter(|s| *s == "healthy").count();
            hanging_polls += servers.iter().filter(|s| *s == "hanging").count();
        }
    }
    assert_eq!(hanging_polls, 0, "the hanging server's poll has not finished");
    assert!(healthy_polls >= 5, "the healthy server was polled only {healthy_polls} times in 2 s");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_metrics_page_that_breaks_while_the_server_stays_up_is_reported_as_it_happens() {
    let server = MlserverLike::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineOptions::new(dir.path().join("vigil.db"))).await.expect("open the engine");
    let new =
        NewServer { name: "iris".into(), base_url: server.url(), kind: ServerKind::Mlserver, ..Default::default() };
    engine.servers().add(new).await.expect("add");
    engine.polling().check_all().await.expect("first round");
    let mut events = engine.subscribe();

    let updated = |events: &mut tokio::sync::broadcast::Receiver<EngineEvent>| {
        std::iter::from_fn(|| events.try_recv().ok())
            .filter_map(|event| match event {
                EngineEvent::ServerUpdated { server } => Some(server),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    server.break_metrics(true);
    engine.polling().check_all().await.expect("second round");
    let broken = updated(&mut events);
    assert_eq!(broken.len(), 1, "one update: {broken:?}");
    assert_eq!(broken[0].health, HealthState::Up, "the server still serves");
    assert_eq!(broken[0].metrics_error.as_deref(), Some("the metrics page answered HTTP 500"));

    engine.polling().check_all().await.expect("third round");
    assert!(updated(&mut events).is_empty(), "no news while nothing changes");

    server.break_metrics(false);
    engine.polling().check_all().await.expect("fourth round");
    let mended = updated(&mut events);
    assert_eq!(mended.iter().map(|s| s.metrics_error.clone()).collect::<Vec<_>>(), [None]);
}
