//! The poller's schedule: each server is polled on its own interval.

use std::time::Duration;

use vigil_core::{Engine, EngineEvent, EngineOptions, NewServer, ServerKind};
use vigil_tests::loopback::MlserverLike;

#[tokio::test(flavor = "multi_thread")]
async fn a_server_with_its_own_interval_is_polled_on_it_and_the_others_on_the_default() {
    let (fast, slow) = (MlserverLike::start().await, MlserverLike::start().await);
    let dir = tempfile::tempdir().expect("temp dir");
    let options =
        EngineOptions { poll_interval: Duration::from_secs(10), ..EngineOptions::new(dir.path().join("vigil.db")) };
    let engine = Engine::open(options).await.expect("open the engine");
    let every = |seconds| NewServer { kind: ServerKind::Mlserver, poll_interval_secs: seconds, ..Default::default() };
    engine
        .servers()
        .add(NewServer { name: "fast".into(), base_url: fast.url(), ..every(Some(0.2)) })
        .await
        .expect("add");
    engine.servers().add(NewServer { name: "slow".into(), base_url: slow.url(), ..every(None) }).await.expect("add");

    let mut events = engine.subscribe();
    let _poller = engine.polling().start();
    let (mut fast_polls, mut slow_polls) = (0, 0);
    let until = tokio::time::Instant::now() + Duration::from_millis(1500);
    while let Ok(Ok(event)) = tokio::time::timeout_at(until, events.recv()).await {
        if let EngineEvent::Polled { servers, .. } = event {
            fast_polls += servers.iter().filter(|s| *s == "fast").count();
            slow_polls += servers.iter().filter(|s| *s == "slow").count();
        }
    }
    assert_eq!(slow_polls, 1, "polled once at start, next in 10 s");
    assert!(fast_polls >= 4, "every 0.2 s for 1.5 s, but only {fast_polls} polls");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_server_is_polled_at_once_at_its_new_address_out_of_its_backoff() {
    let live = MlserverLike::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let options =
        EngineOptions { poll_interval: Duration::from_millis(300), ..EngineOptions::new(dir.path().join("vigil.db")) };
    let engine = Engine::open(options).await.expect("open the engine");
    let wrong = NewServer {
        name: "iris".into(),
        base_url: vigil_tests::loopback::closed_port_url(),
        kind: ServerKind::Mlserver,
        ..Default::default()
    };
    engine.servers().add(wrong.clone()).await.expect("add");
    let mut events = engine.subscribe();
    let _poller = engine.polling().start();
    // Refused four times in a row (0.3 + 0.6 + 1.2 s): the next try is 2.4 s away.
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    assert_eq!(engine.servers().get("iris").await.expect("stored").health, vigil_core::HealthState::Down);

    let fixed = NewServer { base_url: live.url(), ..wrong };
    let edited_at = tokio::time::Instant::now();
    engine.servers().update("iris", fixed).await.expect("edit");
    let up = async {
        loop {
            match events.recv().await {
                Ok(EngineEvent::HealthChanged { to: vigil_core::HealthState::Up, .. }) => break,
                Ok(_) => continue,
                Err(err) => panic!("events ended: {err}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_millis(1_500), up)
        .await
        .expect("up at its new address without waiting out the backoff");
    assert!(edited_at.elapsed() < Duration::from_millis(1_500));
}
