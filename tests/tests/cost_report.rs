//! What a server runs on, and what it costs, through the real `vigil` binary against the demo
//! fleet: fraud placed on two g5.xlarge by a person, churn on three by its labels, pricing
//! labelled with an instance type the catalog lacks; polled for a few seconds, then each
//! revision's part of the cost (split by compute time) and its cost per 1,000 successful
//! predictions, idle cost, models, teams, canary against stable, the sentences and the hourly
//! series. And through the engine, against a server in MLServer's style: a counter reset in the
//! window neither loses nor doubles predictions.

use std::time::Duration;

use serde_json::Value;
use vigil_core::rollouts::people::{Person, Role};
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_fleet::config::TrafficConfig;
use vigil_fleet::{Fleet, FleetConfig, Scenario};
use vigil_tests::cli::{temp_db, vigil};
use vigil_tests::loopback::MlserverLike;

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
    let url = |name: &str| fleet.servers().into_iter().find(|s| s.name == name).expect("a demo server").url;
    assert!(vigil(&db, &["server", "add", "fraud", &url("fraud"), "--label", "team=risk"]).await.success());
    let churn = ["--label", "instance=g5.xlarge", "--label", "replicas=3", "--label", "team=growth"];
    assert!(vigil(&db, &[&["server", "add", "churn", &url("churn")][..], &churn].concat()).await.success());
    let pricing = ["server", "add", "pricing", &url("pricing"), "--label", "instance=aws/us-east-1/x9.mega"];
    assert!(vigil(&db, &pricing).await.success());

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
    let server = server_named(&report, "fraud");
    assert_eq!(server["placement"], "aws us-east-1 g5.xlarge × 2");
    // 2 × $1.006 an hour; 720 hours of it.
    assert_eq!(server["hourly"], 2.012);
    assert!((server["monthly"].as_f64().unwrap_or_default() - 1448.64).abs() < 1e-9, "{server}");
    let window = server["window_cost"].as_f64().unwrap_or_default();
    assert!(window > 0.0 && window < 2.012 * 10.0 / 3600.0, "seconds of two instances: {window}");

    let revisions: Vec<Value> =
        report["revisions"].as_array().into_iter().flatten().filter(|r| r["server"] == "fraud").cloned().collect();
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
    check_the_rest(&report, window);

    let words = vigil(&db, &["cost", "report", "--window", "1"]).await;
    assert!(words.stdout.contains("PER 1,000") && words.stdout.contains("fraud 13"), "{words:?}");
    assert!(
        words.stdout.starts_with("pricing's label instance=aws/us-east-1/x9.mega names no instance type"),
        "{words:?}"
    );
    assert!(words.stdout.contains("IDLE COST") && words.stdout.contains("growth"), "{words:?}");

    // A label edited later is a new placement from then on; the earlier one keeps its stretch.
    assert!(vigil(&db, &["server", "edit", "churn", "--label", "replicas=1"]).await.success());
    let run = vigil(&db, &["cost", "report", "--window", "1", "--json"]).await;
    let again: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("JSON ({err}): {run:?}"));
    let churn_now = server_named(&again, "churn");
    assert_eq!(churn_now["placement"], "aws us-east-1 g5.xlarge × 1");
    assert_eq!(churn_now["hourly"], 1.006);
    let before = server_named(&report, "churn")["window_cost"].as_f64().unwrap_or_default();
    assert!(churn_now["window_cost"].as_f64().unwrap_or_default() > before, "the 3 replicas' stretch is kept");
    fleet.stop().await;
}

fn server_named<'a>(report: &'a Value, name: &str) -> &'a Value {
    let servers = report["servers"].as_array().map(Vec::as_slice).unwrap_or_default();
    servers.iter().find(|s| s["server"] == name).unwrap_or_else(|| panic!("{name} in {report:#}"))
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap_or(f64::NAN) - b).abs() < 1e-9
}

/// Idle cost, label placement, models, teams, the canary against the stable, the sentences and
/// the series of the report of the demo fleet; `fraud_cost` is fraud's cost over the window.
fn check_the_rest(report: &Value, fraud_cost: f64) {
    // fraud reports its host's CPU share: what it did not use of what it paid for is idle.
    let fraud = server_named(report, "fraud");
    let used = fraud["utilization"].as_f64().expect("Triton reports its CPU share");
    assert!((0.0..=1.0).contains(&used), "{fraud}");
    assert!(
        close(&fraud["idle_cost"], fraud_cost * (1.0 - used)) && close(&fraud["idle_share"], 1.0 - used),
        "{fraud}"
    );
    assert_eq!((&fraud["placed_by"], &fraud["team"]), (&Value::from("ana"), &Value::from("risk")));

    // churn is placed by its labels, from when it was registered.
    let churn = server_named(report, "churn");
    assert_eq!(
        (&churn["placement"], &churn["placed_by"]),
        (&Value::from("aws us-east-1 g5.xlarge × 3"), &Value::from("label"))
    );
    assert!(close(&churn["monthly"], 3.0 * 1.006 * 720.0), "{churn}");
    assert!(report["servers"].as_array().is_some_and(|s| s.len() == 2), "pricing is not costed at $0: {report:#}");

    // fraud's model is the sum of its two revisions; teams are most expensive first.
    let models = report["models"].as_array().cloned().unwrap_or_default();
    let fraud_model = models.iter().find(|m| m["model"] == "fraud").expect("fraud's model");
    assert!(close(&fraud_model["window_cost"], fraud_cost) && close(&fraud_model["monthly"], 1448.64), "{fraud_model}");
    let teams: Vec<&str> =
        report["teams"].as_array().into_iter().flatten().filter_map(|t| t["team"].as_str()).collect();
    assert_eq!(teams, ["growth", "risk"], "three replicas since registration cost more than two since placing");

    // 13 is the canary, 12 the stable; the sentence says by how much 13 is dearer or cheaper.
    let comparison = &report["comparisons"][0];
    assert_eq!((&comparison["candidate"], &comparison["stable"]), (&Value::from("13"), &Value::from("12")));
    let (candidate, stable) =
        (comparison["candidate_per_thousand"].as_f64(), comparison["stable_per_thousand"].as_f64());
    let change = candidate.zip(stable).map(|(c, s)| c / s - 1.0).expect("both served predictions");
    assert!(close(&comparison["change"], change), "{comparison}");
    let expected = match (change * 100.0).round() {
        0.0 => "fraud v13 costs about the same per prediction as v12".to_owned(),
        p if p > 0.0 => format!("fraud v13 costs {p:.0} % more per prediction than v12"),
        p => format!("fraud v13 costs {:.0} % less per prediction than v12", -p),
    };
    assert_eq!(comparison["sentence"], expected.as_str());

    // The sentences: the label problem first, then the most money first, fraud's comparison after it.
    let sentences: Vec<&str> = report["sentences"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(sentences[0].contains("instance=aws/us-east-1/x9.mega names no instance type"), "{sentences:?}");
    assert!(sentences[1].starts_with("serving churn costs $2,173 a month"), "{sentences:?}");
    assert!(sentences[2].starts_with("serving fraud costs $1,449 a month, "), "{sentences:?}");
    assert_eq!(sentences[3], expected);

    // The series: an hour or two of buckets; fraud's hours add up to its cost over the window.
    let hours = report["series"]["hours_ms"].as_array().map_or(0, Vec::len);
    assert!((1..=2).contains(&hours), "{}", report["series"]);
    let line = |kind: &str, name: &str| -> f64 {
        let lines = report["series"][kind].as_array().cloned().unwrap_or_default();
        let line = lines.iter().find(|l| l["name"] == name).unwrap_or_else(|| panic!("{name}: {lines:?}"));
        line["values"].as_array().into_iter().flatten().filter_map(Value::as_f64).sum()
    };
    assert!((line("models", "fraud/fraud") - fraud_cost).abs() < 1e-9);
    assert!((line("teams", "growth") - churn["window_cost"].as_f64().unwrap_or_default()).abs() < 1e-9);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_counter_reset_in_the_window_neither_loses_nor_doubles_predictions() {
    let server = MlserverLike::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let options = EngineOptions {
        request_timeout: Duration::from_secs(2),
        ..EngineOptions::new(vigil_tests::store(dir.path()).await)
    };
    let engine = Engine::open(options).await.expect("open the engine");
    let new = NewServer { name: "iris".into(), base_url: server.url(), kind: ServerKind::Auto, ..Default::default() };
    engine.servers().add(new).await.expect("add");
    let ada = Person::new("ada", Role::Engineer, "tester").expect("a person");
    engine.cost().place(&ada, "iris", ("aws", "us-east-1", "g5.xlarge"), 1).await.expect("place");

    // Before Vigil's first poll 1,000 requests were served: not in the window. Then 210 (10
    // failed), then the server restarts, its counters back at 0, and serves 30: 240 requests,
    // 230 predictions, not 30 - 1,210 nor 1,210 + 30.
    server.serve(1000, 0, 0.005);
    engine.polling().check_all().await.expect("poll");
    server.serve(200, 10, 0.005);
    engine.polling().check_all().await.expect("poll");
    server.restart();
    server.serve(30, 0, 0.005);
    engine.polling().check_all().await.expect("poll");

    let report = engine.cost().report(chrono::Duration::hours(1)).await.expect("a report");
    let revision = &report.revisions[0];
    assert_eq!((revision.requests, revision.successful), (240.0, 230.0), "{report:#?}");
    let expected = revision.cost / 230.0 * 1000.0;
    assert!(revision.cost > 0.0 && revision.per_thousand.is_some_and(|p| (p - expected).abs() < 1e-12), "{revision:?}");
}
