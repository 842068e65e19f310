//! Load tests and the capacity planner against the demo fleet on loopback: a server in the
//! `slow` scenario sustains a lower rate than a fast one; what was measured is stored per
//! instance type, and the planner's replica count follows from it; a host outside loopback is
//! refused until a person allows it; a request the model refuses is shown in the server's own words;
//! a cancel stops a test early.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vigil_core::cost::capacity::CapacityRequest;
use vigil_core::cost::loadtest::{LoadTestProgress, LoadTestRequest};
use vigil_core::kinds::ServerKind;
use vigil_core::rollouts::people::{Person, Role};
use vigil_core::servers::NewServer;
use vigil_core::{Engine, EngineOptions};
use vigil_fleet::config::TrafficConfig;
use vigil_fleet::{Fleet, FleetConfig, RunningFleet, Scenario};
use vigil_tests::references::import_fleet_references;

fn engineer() -> Person {
    Person::new("ada", Role::Engineer, "tester").expect("a person")
}

/// The fleet with churn slowed by 250 ms an answer, and no traffic but the load tests'.
async fn slow_fleet() -> RunningFleet {
    let traffic = TrafficConfig { enabled: false, ..TrafficConfig::default() };
    let config = FleetConfig { scenarios: vec![Scenario::Slow], traffic, seed: 7, ..FleetConfig::default() };
    Fleet::start(config).await.expect("start the fleet")
}

/// An engine that has seen churn and pricing once, with their models' reference data.
async fn engine(fleet: &RunningFleet, dir: &std::path::Path) -> Engine {
    let engine = Engine::open(EngineOptions::new(vigil_tests::store(dir).await)).await.expect("open the engine");
    for server in fleet.servers().into_iter().filter(|s| s.name != "fraud") {
        let new = NewServer { name: server.name, base_url: server.url, kind: ServerKind::Auto, ..Default::default() };
        engine.servers().add(new).await.expect("register a server");
    }
    engine.polling().check_all().await.expect("a poll");
    import_fleet_references(&engine, fleet, 300, dir).await;
    engine
}

fn request(server: &str, model: &str) -> LoadTestRequest {
    LoadTestRequest {
        server: server.into(),
        model: model.into(),
        rates: Some(vec![5.0, 10.0, 20.0, 40.0]),
        step_seconds: Some(2.0),
        p99_objective_ms: Some(1000.0),
        max_error_share: Some(0.01),
        ..LoadTestRequest::default()
    }
}

/// A plan for `model` at `peak` requests a second, with 30 % headroom and nothing else asked.
fn plan_for(model: &str, peak: f64) -> CapacityRequest {
    CapacityRequest {
        model: model.into(),
        peak_rate: peak,
        p99_objective_ms: None,
        headroom: 1.3,
        preferred: None,
        preferred_cap: None,
        growth: 0.0,
        target_utilization: 1.0,
        hours_off_per_day: 0.0,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_server_sustains_a_lower_rate_and_the_plan_follows_from_what_was_measured() {
    let fleet = slow_fleet().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let engine = engine(&fleet, dir.path()).await;
    let cost = engine.cost();
    cost.place(&engineer(), "pricing", ("aws", "us-east-1", "c5.2xlarge"), 2).await.expect("place pricing");
    cost.place(&engineer(), "churn", ("aws", "us-east-1", "c5.2xlarge"), 1).await.expect("place churn");

    let heard: Arc<Mutex<Vec<LoadTestProgress>>> = Arc::default();
    let log = heard.clone();
    let listen = move |progress: LoadTestProgress| log.lock().expect("progress log").push(progress);
    let no_cancel = || Arc::new(AtomicBool::new(false));
    // No server named: price is served by pricing alone.
    let fast = cost.load_test(&engineer(), request("", "price"), listen, no_cancel()).await.expect("fast test");
    assert_eq!(fast.server, "pricing");
    let slow = cost.load_test(&engineer(), request("churn", "churn"), |_| {}, no_cancel()).await.expect("slow test");

    // price answers in about 5 ms with 4 instances: every step holds. churn takes 250 ms more:
    // 4 instances serve about 15 a second, so 40 a second builds a queue past the 1 s p99.
    assert_eq!(fast.sustainable_rate, Some(40.0), "{}", fast.sentence);
    assert!(fast.steps.iter().all(|step| step.within && step.errors == 0), "{:?}", fast.steps);
    assert!(slow.sustainable_rate.unwrap_or(0.0) < 40.0, "{}", slow.sentence);
    let missed = slow.steps.last().expect("a step");
    assert!(!missed.within && missed.p99_ms > 1000.0, "{missed:?}");
    assert!(slow.sentence.contains("p99 rose to"), "{}", slow.sentence);
    assert_eq!((fast.per_replica_rate, fast.instance.as_deref()), (Some(20.0), Some("aws/us-east-1/c5.2xlarge")));

    let heard = heard.lock().expect("progress log").clone();
    assert!(heard.iter().any(|p| p.step == 4 && p.rate == 40.0 && p.sent > 0), "every step reported");
    assert!(heard.windows(2).all(|pair| pair[1].fraction >= pair[0].fraction), "progress only moves forward");

    let stored = cost.load_tests(Some("price")).await.expect("stored tests");
    assert_eq!((stored.len(), stored[0].sustainable_rate), (1, Some(40.0)));

    // 100 req/s at peak with no headroom, at 20 a replica: 5 replicas of c5.2xlarge, 720 h × $0.34.
    let peak = CapacityRequest { p99_objective_ms: Some(1000.0), headroom: 1.0, ..plan_for("price", 100.0) };
    let plan = cost.capacity_plan(&peak).await.expect("a plan");
    let cheapest = plan.cheapest.expect("a tested instance type");
    assert_eq!((cheapest.instance.as_str(), cheapest.replicas), ("aws/us-east-1/c5.2xlarge", 5));
    assert!((cheapest.monthly_on_demand - 5.0 * 0.34 * 720.0).abs() < 1e-6, "{cheapest:?}");
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_outside_loopback_is_refused_until_allowed_and_a_cancel_stops_a_test() {
    let fleet = slow_fleet().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let engine = engine(&fleet, dir.path()).await;
    let cost = engine.cost();
    let remote = NewServer {
        name: "remote".into(),
        base_url: "http://models.example.com:8080".into(),
        kind: ServerKind::OipV2,
        ..Default::default()
    };
    engine.servers().add(remote).await.expect("register a remote server");
    let no_cancel = || Arc::new(AtomicBool::new(false));
    let refused = cost.load_test(&engineer(), request("remote", "price"), |_| {}, no_cancel()).await.unwrap_err();
    let refused = refused.to_string();
    assert!(refused.contains("only loopback") && refused.contains("models.example.com"), "{refused}");

    let bad = cost.set_allowed_hosts(&engineer(), &["http://models.example.com/".into()]).await.unwrap_err();
    assert!(bad.to_string().contains("without scheme"), "{bad}");
    let allowed = cost.set_allowed_hosts(&engineer(), &[" Models.Example.com ".into()]).await.expect("allow");
    assert_eq!(allowed, ["models.example.com"]);
    let past_the_check = cost.load_test(&engineer(), request("remote", "price"), |_| {}, no_cancel()).await;
    let message = past_the_check.unwrap_err().to_string();
    assert!(message.contains("serves no model 'price'"), "allowed now, it fails on what it serves: {message}");

    let payload = dir.path().join("wrong.json");
    std::fs::write(&payload, r#"{"inputs": [{"name": "rooms", "shape": [1], "datatype": "INT64", "data": [3]}]}"#)
        .expect("write a payload");
    let wrong = LoadTestRequest {
        rates: Some(vec![10.0]),
        step_seconds: Some(1.0),
        payload_file: Some(payload.display().to_string()),
        ..request("pricing", "price")
    };
    let failed = cost.load_test(&engineer(), wrong, |_| {}, no_cancel()).await.expect("a test that fails");
    assert_eq!(failed.sustainable_rate, None);
    assert!(
        failed.sentence.contains("(the first: HTTP 500") && failed.sentence.contains("is missing"),
        "{}",
        failed.sentence
    );

    cost.place(&engineer(), "pricing", ("aws", "us-east-1", "c5.2xlarge"), 1).await.expect("place pricing");
    let cancel = Arc::new(AtomicBool::new(false));
    let pull = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        pull.store(true, Ordering::Relaxed);
    });
    let long =
        LoadTestRequest { rates: Some(vec![20.0, 40.0]), step_seconds: Some(30.0), ..request("pricing", "price") };
    let started = std::time::Instant::now();
    let cancelled = cost.load_test(&engineer(), long, |_| {}, cancel).await.expect("a cancelled test");
    assert!(cancelled.cancelled && started.elapsed() < Duration::from_secs(10), "stopped in {:?}", started.elapsed());
    assert!(cancelled.sentence.contains("load test was cancelled"), "{}", cancelled.sentence);
    let plan = cost.capacity_plan(&plan_for("price", 10.0)).await.expect("a plan");
    assert!(plan.cheapest.is_none(), "a cancelled test is not planned from: {plan:?}");
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_refuses_a_remote_host_keeps_the_allowed_list_and_plans_without_tests() {
    use vigil_tests::cli::{temp_db, vigil};
    let (_dir, db) = temp_db();
    let add = vigil(&db, &["server", "add", "remote", "http://models.example.com:8080", "--kind", "oip-v2"]).await;
    assert!(add.success(), "{add:?}");
    let as_ana = ["--as", "ana", "--role", "engineer"];
    let refused = vigil(&db, &[&as_ana[..], &["loadtest", "price", "--server", "remote"]].concat()).await;
    assert!(
        !refused.success() && refused.stderr.contains("vigil loadtest hosts --allow models.example.com"),
        "{refused:?}"
    );
    let allowed = vigil(&db, &[&as_ana[..], &["loadtest", "hosts", "--allow", "models.example.com"]].concat()).await;
    assert!(allowed.stdout.contains("Load tests may reach loopback and: models.example.com"), "{allowed:?}");
    let forbidden = vigil(&db, &[&as_ana[..], &["loadtest", "hosts", "--forbid", "MODELS.example.com"]].concat()).await;
    assert!(forbidden.stdout.contains("Only loopback hosts are load-tested"), "{forbidden:?}");

    let plan = vigil(&db, &["capacity", "plan", "price", "--peak", "100", "--json"]).await;
    let plan: serde_json::Value =
        serde_json::from_str(&plan.stdout).unwrap_or_else(|err| panic!("JSON ({err}): {plan:?}"));
    assert!(plan["cheapest"].is_null() && plan["untested"].as_array().is_some_and(|all| all.len() == 20), "{plan:#}");
    let bad = vigil(&db, &["capacity", "plan", "price", "--peak", "100", "--utilization", "2"]).await;
    assert!(!bad.success() && bad.stderr.contains("Target utilization is a share"), "{bad:?}");
}
