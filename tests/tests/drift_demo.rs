//! The demo fleet's `drift` scenario against the real ingest endpoint: the fleet logs every
//! inference as KServe does, each model's reference comes from its training distributions,
//! and the drift report finds the features the scenario shifts, and only those.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use vigil_core::drift::report::ColumnRole;
use vigil_core::{Engine, EngineOptions};
use vigil_fleet::config::{DriftConfig, TrafficConfig};
use vigil_fleet::scenario::drifts;
use vigil_fleet::schema::Drift;
use vigil_fleet::{Fleet, FleetConfig, Scenario};
use vigil_tests::references::import_fleet_references;
use vigil_tests::wait_for;

const TOKEN: &str = "the-demo-drift-test-token";
/// Requests the fleet's traffic sends in all (loopback, bounded).
const REQUESTS: u64 = 9_000;

#[tokio::test(flavor = "multi_thread")]
async fn the_drift_scenario_is_found_on_the_shifted_features_and_only_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions::new(vigil_tests::store(dir.path()).await)).await.unwrap();
    let ingest = engine.drift().start_ingest("127.0.0.1:0".parse().unwrap(), TOKEN.into()).await.unwrap();
    let config = FleetConfig {
        scenarios: vec![Scenario::Drift],
        log_url: Some(ingest.logger_url().parse().unwrap()),
        drift: DriftConfig { at: Duration::ZERO },
        traffic: TrafficConfig { peak_rps: 400.0, max_requests: Some(REQUESTS), ..TrafficConfig::default() },
        ..FleetConfig::default()
    };
    let fleet = Fleet::start(config).await.expect("the demo fleet starts");
    let models: Vec<String> = fleet.references(0).into_iter().map(|reference| reference.model).collect();
    import_fleet_references(&engine, &fleet, 5_000, dir.path()).await;
    wait_for("the fleet's payloads to arrive", Duration::from_secs(90), || async {
        (ingest.stats().rows >= REQUESTS * 9 / 10).then_some(())
    })
    .await;
    ingest.flush().await.unwrap();
    fleet.stop().await;

    let now = Utc::now();
    for model in models {
        let report = engine.drift().report(&model, None, now - chrono::Duration::hours(1), now).await.unwrap();
        let drifted: BTreeSet<&str> = report
            .columns
            .iter()
            .filter(|column| column.role == ColumnRole::Feature && column.test.as_ref().is_some_and(|t| t.drifted))
            .map(|column| column.column.as_str())
            .collect();
        let shifted: BTreeSet<&str> = drifts(&model)
            .iter()
            .map(|drift| match drift {
                Drift::Numeric { feature, .. } | Drift::Mix { feature, .. } => *feature,
            })
            .collect();
        assert_eq!(drifted, shifted, "{model}: {} live rows; {:#?}", report.current_rows, report.columns);
        assert!(report.current_rows > 500, "{model} saw {} rows", report.current_rows);
    }
}
