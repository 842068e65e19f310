//! The plain-words sentences agree with the figures shown beside them: the demo fleet runs each
//! of its serving scenarios (healthy, a bad canary, an outage, a slow server), the engine polls
//! it, and every model's sentence is checked against its own overview: the rate and failed share
//! it states, the canary's share, each broken objective, and never "healthy" while a revision
//! breaks one or a server is down.

use std::time::Duration;

use vigil_core::dashboard::overview::{ModelOverview, ModelState};
use vigil_core::dashboard::roles::RevisionRole;
use vigil_core::objectives::Breach;
use vigil_core::{Engine, EngineOptions, NewServer};
use vigil_fleet::config::{BadCanaryConfig, OutageConfig, SlowConfig, TrafficConfig};
use vigil_fleet::{Fleet, FleetConfig, Scenario};

/// `overview.sentence` against the figures of `overview`; panics naming the scenario.
fn check(scenario: Scenario, overview: &ModelOverview) {
    let sentence = &overview.sentence;
    let why = format!("{}: {sentence}\n{overview:#?}", scenario.as_str());
    assert!(sentence.starts_with(&format!("{} on {} ", overview.model, overview.server)), "{why}");
    let breaking = overview.revisions.iter().any(|r| !r.breaches.is_empty());
    let healthy = sentence.contains(" is healthy ");
    assert_eq!(healthy, matches!(overview.status.state, ModelState::Up | ModelState::Serving), "{why}");
    assert!(!(healthy && breaking), "healthy while an objective is broken: {why}");
    if overview.status.state == ModelState::Down {
        assert!(sentence.contains(" is down: "), "{why}");
        return;
    }
    if let Some(rate) = overview.rate {
        assert!(sentence.contains(&format!("({rate:.1} requests a second")), "{why}");
    }
    if let Some(share) = overview.error_share {
        assert!(sentence.contains(&format!("{:.1} % failing", share * 100.0)), "{why}");
    }
    let canary = overview.revisions.iter().find(|r| r.role == RevisionRole::Canary);
    if let Some(share) = canary.and_then(|c| c.share) {
        assert!(sentence.contains(&format!("{} % of traffic", (share * 100.0).round())), "{why}");
    }
    for revision in overview.revisions.iter().filter(|r| r.breaches.contains(&Breach::ErrorShare)) {
        let share = revision.error_share.unwrap();
        assert!(sentence.contains(&format!("fails {:.1} % of its requests", share * 100.0)), "{why}");
    }
    for revision in overview.revisions.iter().filter(|r| r.breaches.contains(&Breach::P99)) {
        assert!(sentence.contains("has a p99 latency of"), "{why}");
        assert!(revision.p99_s.is_some(), "{why}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_models_sentence_states_the_figures_beside_it_in_each_scenario() {
    let traffic = TrafficConfig { peak_rps: 120.0, start_hour: 16.0, invalid_share: 0.0, ..TrafficConfig::default() };
    for scenario in [Scenario::Healthy, Scenario::BadCanary, Scenario::Outage, Scenario::Slow] {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(EngineOptions::new(vigil_tests::store(dir.path()).await)).await.unwrap();
        let config = FleetConfig {
            scenarios: vec![scenario],
            canary_percent: 30,
            traffic: traffic.clone(),
            bad_canary: BadCanaryConfig { error_rate: 0.4, ..BadCanaryConfig::default() },
            outage: OutageConfig {
                at: Duration::from_secs(2),
                lasting: Duration::from_secs(600),
                ..OutageConfig::default()
            },
            // Past the default p99 objective of 1 s, on a server whose metrics give a p99.
            slow: SlowConfig { server: "pricing".into(), delay: Duration::from_millis(1_200) },
            seed: 11,
            ..FleetConfig::default()
        };
        let fleet = Fleet::start(config).await.expect("start the fleet");
        for server in fleet.servers() {
            let new = NewServer { name: server.name.clone(), base_url: server.url.clone(), ..Default::default() };
            engine.servers().add(new).await.unwrap();
        }
        // Three rounds a second and a half apart: rates need two reads, the outage begins at 2 s.
        for _ in 0..3 {
            engine.polling().check_all().await.unwrap();
            tokio::time::sleep(Duration::from_millis(1_500)).await;
        }
        engine.polling().check_all().await.unwrap();
        let overviews = engine.dashboard().model_overviews().await.unwrap();
        fleet.stop().await;
        assert!(overviews.len() >= 3, "{}: {overviews:#?}", scenario.as_str());
        for overview in &overviews {
            check(scenario, overview);
        }
        let states: Vec<ModelState> = overviews.iter().map(|o| o.status.state).collect();
        match scenario {
            Scenario::Healthy => assert!(states.iter().all(|s| *s == ModelState::Up), "{states:?}"),
            Scenario::BadCanary => assert!(states.contains(&ModelState::Breaching), "{states:?}"),
            // churn answers 400 ms late, past no default objective: its sentence only states it.
            Scenario::Slow => {
                assert!(overviews.iter().any(|o| o.p99_s.is_some_and(|p99| p99 >= 0.4)), "{overviews:#?}")
            }
            Scenario::Outage => assert!(states.contains(&ModelState::Down), "{states:?}"),
            _ => unreachable!(),
        }
    }
}
