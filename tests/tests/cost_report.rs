//! What a server runs on, and what it costs, through the real `vigil` binary against the demo
//! fleet: fraud placed on two g5.xlarge, polled for a few seconds, then each of its revisions'
//! part of the cost (split by compute time) and its cost per 1,000 successful predictions.

use serde_json::Value;
use vigil_fleet::config::TrafficConfig;
use vigil_fleet::{Fleet, FleetConfig, Scenario};
use vigil_tests::cli::{temp_db, vigil};

const AS: [&str; 4] = ["--as", "ana", "--role", "engineer"];

#[tokio::test(flavor = "multi_thread")]
async fn a_placed_server_costs_its_instances_and_each_revision_gets_its_part_per_1000_predictions() {
    let (_dir, db) = temp_db();
    let traffic = TrafficConfig { peak_rps: 150.0, start_hour: 16.0, invalid_share: 0.0, ..TrafficConfig::default() };
    let config = FleetConfig {
        scenarios: vec![Scenario::Healthy],
        canary_percent: 30,
        traffic,
        seed: 7,
        ..FleetConfig::default()
    };
    let fleet = Fleet::start(config).await.expect("start the fleet");
    let fraud = fleet.servers().into_iter().find(|s| s.name == "fraud").expect("the fraud server");
    assert!(vigil(&db, &["server", "add", "fraud", &fraud.url]).await.success());

    let unknown =
        vigil(&db, &[&AS[..], &["cost", "place", "fraud", "--instance", "aws/us-east-1/x9.mega"]].concat()).await;
    assert!(!unknown.success() && unknown.stderr.contains("no aws us-east-1 x9.mega"), "{unknown:?}");
    let placed = vigil(
        &db,
        &[&AS[..], &["cost", "place", "fraud", "--instance", "aws/us-east-1/g5.xlarge", "--replicas", "2"]].concat(),
    )
    .await;
    assert!(placed.success(), "{placed:?}");
    assert!(vigil(&db, &["collect", "--poll-interval", "1", "--for", "4"]).await.success());

    let run = vigil(&db, &["cost", "report", "--window", "1", "--json"]).await;
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("JSON ({err}): {run:?}"));
    let server = &report["servers"][0];
    assert_eq!(server["placement"], "aws us-east-1 g5.xlarge × 2");
    // 2 × $1.006 an hour; 720 hours of it.
    assert_eq!(server["hourly"], 2.012);
    assert!((server["monthly"].as_f64().unwrap_or_default() - 1448.64).abs() < 1e-9, "{server}");
    let window = server["window_cost"].as_f64().unwrap_or_default();
    assert!(window > 0.0 && window < 2.012 * 10.0 / 3600.0, "seconds of two instances: {window}");

    let revisions = report["revisions"].as_array().cloned().unwrap_or_default();
    let versions: Vec<&str> = revisions.iter().filter_map(|r| r["version"].as_str()).collect();
    assert_eq!(versions, ["12", "13"], "{report:#}");
    let parts: f64 = revisions.iter().filter_map(|r| r["cost"].as_f64()).sum();
    assert!((parts - window).abs() < 1e-12, "the revisions' parts add up to the server's cost: {parts} vs {window}");
    for revision in &revisions {
        assert_eq!(revision["split"], "compute time");
        let per_thousand = revision["per_thousand"].as_f64().expect("both served predictions");
        let expected =
            revision["cost"].as_f64().unwrap_or_default() / revision["successful"].as_f64().unwrap_or(1.0) * 1000.0;
        assert!((per_thousand - expected).abs() < 1e-12, "{revision}");
    }
    let words = vigil(&db, &["cost", "report", "--window", "1"]).await;
    assert!(words.stdout.contains("PER 1,000") && words.stdout.contains("fraud 13"), "{words:?}");
    fleet.stop().await;
}
