//! Rollouts on the demo fleet, driven by the engine against the fleet's real traffic router:
//! a bad canary fails its gates and is rolled back (the router read back at 100 % stable, the
//! failing values on the audit trail); a healthy one climbs its steps and waits for both roles
//! before promotion; a late approval aborts when the policy says so; a restart in the middle of
//! a step resumes from what the router really serves; a cost gate waits for a price, then judges
//! the candidate's cost per 1,000 predictions against the stable's; a parity gate holds the step
//! until the candidate has a parity check (its environment gathered as it starts), and rolls back a candidate that does not answer the
//! notebook's golden set as the stable does, the check kept in the evidence.

use std::time::Duration;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{json, Value};
use vigil_core::rollouts::gates::Verdict;
use vigil_core::rollouts::people::{Person, Policy, Role};
use vigil_core::rollouts::plan::{Gate, Metric, OnFailure, Plan, Step};
use vigil_core::rollouts::record::RolloutState;
use vigil_core::rollouts::targets::TargetSpec;
use vigil_core::rollouts::view::RolloutView;
use vigil_core::store::testing::as_new_role;
use vigil_core::store::Location;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_fleet::config::{BadCanaryConfig, TrafficConfig};
use vigil_fleet::{Fleet, FleetConfig, RunningFleet, Scenario};
use vigil_tests::wait_for;

/// fraud on the demo fleet with all traffic on v12, v13 loaded beside it.
async fn fleet(scenario: Scenario) -> RunningFleet {
    let traffic = TrafficConfig {
        peak_rps: 150.0,
        start_hour: 16.0,
        invalid_share: 0.0,
        max_requests: Some(20_000),
        ..TrafficConfig::default()
    };
    let bad_canary = BadCanaryConfig { error_rate: 0.4, ..BadCanaryConfig::default() };
    let config = FleetConfig {
        scenarios: vec![scenario],
        canary_percent: 0,
        traffic,
        bad_canary,
        seed: 7,
        ..FleetConfig::default()
    };
    Fleet::start(config).await.expect("start the fleet")
}

/// An engine polling fraud every 200 ms, with the fleet's router as fraud's target.
async fn engine(fleet: &RunningFleet, store: &Location) -> Engine {
    let options = EngineOptions { poll_interval: Duration::from_millis(200), ..EngineOptions::new(store.clone()) };
    let engine = Engine::open(options).await.expect("open the engine");
    let fraud = fleet.servers().into_iter().find(|s| s.name == "fraud").expect("fraud");
    if engine.servers().list().await.expect("list").is_empty() {
        let new = NewServer { name: fraud.name, base_url: fraud.url, kind: ServerKind::Auto, ..Default::default() };
        engine.servers().add(new).await.expect("register fraud");
        let url = format!("{}/admin/routes/fraud", fleet.router_url());
        engine.rollouts().set_target(&engineer(), "fraud", TargetSpec::Router { url }, None).await.expect("target");
    }
    engine
}

fn engineer() -> Person {
    Person::new("ada", Role::Engineer, "tester").expect("a person")
}

fn data_scientist() -> Person {
    Person::new("bo", Role::DataScientist, "tester").expect("a person")
}

/// Steps of `weights`, each held `hold_s`; the error share at most 5 %; `limit` failures tolerated.
fn plan(weights: &[u32], hold_s: u64, limit: u32) -> Plan {
    Plan {
        steps: weights
            .iter()
            .map(|&weight| Step { weight, min_duration_s: hold_s, approval: false, shadow: false })
            .collect(),
        gates: vec![Gate { metric: Metric::ErrorShare, max: Some(0.05), max_vs_stable: None, min: None }],
        min_requests: 10,
        failure_limit: limit,
        on_failure: OnFailure::Rollback,
    }
}

/// Waits until fraud's v13 has been seen, so a rollout may name it.
async fn seen(engine: &Engine) {
    wait_for("fraud v13 seen", Duration::from_secs(20), || async {
        let history = engine.rollouts().history("fraud").await.ok()?;
        history.revisions.iter().any(|r| r.version == "13").then_some(())
    })
    .await;
}

async fn until(
    engine: &Engine,
    id: i64,
    what: &str,
    deadline: Duration,
    done: impl Fn(&RolloutView) -> bool,
) -> RolloutView {
    wait_for(what, deadline, || async {
        let view = engine.rollouts().view(id).await.expect("view");
        done(&view).then_some(view)
    })
    .await
}

async fn router_weights(fleet: &RunningFleet) -> Value {
    let route: Value = reqwest::get(format!("{}/admin/routes/fraud", fleet.router_url()))
        .await
        .expect("router")
        .json()
        .await
        .expect("json");
    route["weights"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_canary_fails_its_gates_and_is_rolled_back_with_the_failing_values_on_the_trail() {
    let fleet = fleet(Scenario::BadCanary).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&fleet, &vigil_tests::store(dir.path()).await).await;
    engine.rollouts().set_plan(&engineer(), "fraud", plan(&[10, 50, 100], 1, 1)).await.expect("plan");
    let _poller = engine.polling().start();
    let _driver = engine.rollouts().start_driver();
    seen(&engine).await;

    let started = engine.rollouts().start(&engineer(), "fraud", "13", None, Some("new features")).await.expect("start");
    assert_eq!((started.rollout.stable.as_str(), started.rollout.candidate.as_str()), ("12", "13"));
    let ended =
        until(&engine, started.rollout.id, "rolled back", Duration::from_secs(30), |v| !v.rollout.state.active()).await;
    assert_eq!(ended.rollout.state, RolloutState::RolledBack, "{ended:#?}");
    assert_eq!(router_weights(&fleet).await, serde_json::json!({"12": 100, "13": 0}), "the router serves v12 only");
    assert!(ended.sentence.contains("stopped at 10 % and rolled back"), "{}", ended.sentence);
    assert!(ended.rollout.failed_at_ms.is_some());

    let trail = engine.audit_log(100).await.expect("audit");
    let rollback = trail.iter().find(|e| e.action == "rollout.rollback").expect("the rollback is on the trail");
    assert_eq!(rollback.actor, "vigil");
    let detail: Value = serde_json::from_str(&rollback.detail).expect("json");
    let gates = detail["gates"].as_array().expect("the gates with their values");
    assert!(
        gates[0].as_str().unwrap_or_default().starts_with("error share")
            && gates[0].as_str().unwrap_or_default().contains("> 5.0 %"),
        "{detail:#}"
    );
    assert!(detail["reason"].as_str().unwrap_or_default().contains("gates failed"), "{detail:#}");
    let report = engine.rollouts().report().await.expect("report");
    assert_eq!((report.overall.rolled_back, report.overall.change_failure_rate), (1, Some(1.0)));
    assert!(report.overall.time_to_roll_back_mean_s.is_some_and(|s| s < 5.0), "{report:#?}");
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_canary_climbs_and_waits_for_the_engineer_and_the_data_scientist_before_promotion() {
    let fleet = fleet(Scenario::Healthy).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = vigil_tests::store(dir.path()).await;
    let engine = engine(&fleet, &store).await;
    engine.rollouts().set_plan(&engineer(), "fraud", plan(&[25, 100], 1, 1)).await.expect("plan");
    let _poller = engine.polling().start();
    let _driver = engine.rollouts().start_driver();
    seen(&engine).await;
    // The data scientist at a desktop of their own: on PostgreSQL, as their own database role.
    let bo_store = match &store {
        Location::Postgres { .. } => as_new_role(&store, "bo").await,
        Location::Sqlite(_) => store.clone(),
    };
    let bo_desk = crate::engine(&fleet, &bo_store).await;

    let id = engine.rollouts().start(&engineer(), "fraud", "13", None, None).await.expect("start").rollout.id;
    let waiting = until(&engine, id, "waiting for sign-off", Duration::from_secs(30), |v| {
        v.rollout.state == RolloutState::Waiting
    })
    .await;
    assert_eq!(waiting.waiting_for, vec![Role::Engineer, Role::DataScientist]);
    assert_eq!(router_weights(&fleet).await, serde_json::json!({"12": 75, "13": 25}));

    let after_one = engine.rollouts().approve(&engineer(), id, Some("latency fine")).await.expect("approve");
    assert_eq!(after_one.waiting_for, vec![Role::DataScientist], "still waiting for the data scientist");
    let twice = Person::new("ada", Role::DataScientist, "tester").expect("person");
    let refused = engine.rollouts().approve(&twice, id, None).await.unwrap_err().to_string();
    assert!(refused.contains("cannot sign for two roles"), "{refused}");
    bo_desk.rollouts().approve(&data_scientist(), id, None).await.expect("approve");
    let done =
        until(&engine, id, "promoted", Duration::from_secs(10), |v| v.rollout.state == RolloutState::Promoted).await;
    assert!(done.sentence.contains("fraud v13 replaced v12"), "{}", done.sentence);
    assert_eq!(router_weights(&fleet).await, serde_json::json!({"12": 0, "13": 100}));
    let history = engine.rollouts().history("fraud").await.expect("history");
    let causes: Vec<&str> = history.traffic.iter().map(|t| t.cause.as_str()).collect();
    assert_eq!(causes, ["step", "promote"]);
    let newest: Vec<&str> = history.timeline[..2].iter().map(|e| e.text.as_str()).collect();
    assert!(newest.contains(&"Rollout of v13 promoted"), "newest first, in words: {:?}", history.timeline);
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cost_gate_waits_for_a_price_then_judges_the_candidates_cost_per_1000_predictions_against_the_stables() {
    let fleet = fleet(Scenario::Healthy).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&fleet, &vigil_tests::store(dir.path()).await).await;
    let cost_gate = Gate { metric: Metric::CostPerThousand, max: None, max_vs_stable: Some(1.5), min: None };
    let plan = Plan { gates: vec![cost_gate], ..plan(&[50, 100], 1, 1) };
    engine.rollouts().set_plan(&engineer(), "fraud", plan).await.expect("plan");
    let _poller = engine.polling().start();
    let _driver = engine.rollouts().start_driver();
    seen(&engine).await;

    // fraud has no price yet: the gate is measured but not judged, saying what to do, and the
    // rollout holds its first step.
    let id = engine.rollouts().start(&engineer(), "fraud", "13", None, None).await.expect("start").rollout.id;
    let unpriced = until(&engine, id, "an unpriced measurement", Duration::from_secs(20), |v| {
        v.rollout.evidence.as_ref().is_some_and(|e| e.candidate.requests >= 10.0)
    })
    .await;
    let evidence = unpriced.rollout.evidence.clone().expect("evidence");
    assert_eq!((evidence.verdict, evidence.gates[0].verdict), (Verdict::Inconclusive, Verdict::Inconclusive));
    assert!(unpriced.gate_lines[0].contains("set its instance type with vigil cost place"), "{unpriced:#?}");
    assert_eq!((unpriced.rollout.weight, unpriced.rollout.state), (50, RolloutState::Running));

    // Placed on two g5.xlarge, each revision's part of the cost is its compute time: the
    // candidate's cost per 1,000 is judged against 1.5 × the stable's, and the step passes.
    engine.cost().place(&engineer(), "fraud", ("aws", "us-east-1", "g5.xlarge"), 2).await.expect("place");
    let waiting = until(&engine, id, "waiting for sign-off", Duration::from_secs(30), |v| {
        v.rollout.state == RolloutState::Waiting
    })
    .await;
    let evidence = waiting.rollout.evidence.clone().expect("evidence");
    let (candidate, stable) = (evidence.candidate.cost_per_thousand, evidence.stable.cost_per_thousand);
    let (candidate, stable) = candidate.zip(stable).expect("both priced and predicting");
    let gate = &evidence.gates[0];
    assert_eq!((gate.verdict, gate.measured, gate.stable), (Verdict::Pass, Some(candidate), Some(stable)));
    assert!(candidate > 0.0 && gate.threshold.is_some_and(|t| (t - 1.5 * stable).abs() < 1e-15), "{evidence:#?}");
    assert!(waiting.gate_lines[0].starts_with("cost per 1,000 predictions $"), "{:?}", waiting.gate_lines);
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parity_gate_holds_the_step_until_the_candidate_is_checked_and_rolls_back_one_that_answers_otherwise() {
    let fleet = fleet(Scenario::Healthy).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&fleet, &vigil_tests::store(dir.path()).await).await;
    let parity_gate = Gate { metric: Metric::ParityShare, max: None, max_vs_stable: None, min: Some(0.999) };
    let plan = Plan { gates: vec![parity_gate], ..plan(&[50, 100], 1, 0) };
    engine.rollouts().set_plan(&engineer(), "fraud", plan).await.expect("plan");
    let _poller = engine.polling().start();
    let _driver = engine.rollouts().start_driver();
    let _environments = engine.environment().start();
    seen(&engine).await;

    // v13 was never checked: the gate waits and says how to check it; the step holds.
    let id = engine.rollouts().start(&engineer(), "fraud", "13", None, None).await.expect("start").rollout.id;
    let unchecked = until(&engine, id, "an unchecked measurement", Duration::from_secs(20), |v| {
        v.rollout.evidence.as_ref().is_some_and(|e| e.candidate.requests >= 10.0)
    })
    .await;
    let evidence = unchecked.rollout.evidence.clone().expect("evidence");
    assert_eq!(evidence.gates[0].verdict, Verdict::Inconclusive);
    assert!(unchecked.gate_lines[0].contains("run vigil parity run"), "{:?}", unchecked.gate_lines);
    assert_eq!((unchecked.rollout.weight, unchecked.rollout.state), (50, RolloutState::Running));
    // Where v13 serves was gathered as the rollout started, for whoever signs it off.
    let gathered = wait_for("v13's environment gathered", Duration::from_secs(10), || async {
        let fingerprints = engine.environment().fingerprints("fraud").await.ok()?;
        fingerprints.into_iter().find(|f| f.version == "13")
    })
    .await;
    assert!(gathered.summary.starts_with("triton "), "{gathered:?}");

    // The notebook's golden set holds the answers of the model it built, which v12 serves; v13
    // is another model (retrained), and answers otherwise.
    let reference = fleet.references(300).into_iter().find(|r| r.model == "fraud").expect("fraud's reference");
    let golden = dir.path().join("fraud-golden.csv");
    std::fs::write(&golden, &reference.csv).expect("golden set");
    let check = |version: &str| vigil_core::parity::ParityRequest {
        model: "fraud".into(),
        version: Some(version.into()),
        golden_file: golden.display().to_string(),
        ..Default::default()
    };
    let parity = engine.parity();
    let stable = parity.run(&engineer(), &check("12"), |_| {}, Arc::default()).await.expect("parity v12");
    assert!(stable.passed, "the model the notebook built answers as it did: {}", stable.sentence);
    let outputs: Vec<&str> = stable.outputs.iter().map(|o| o.rule.output.as_str()).collect();
    assert_eq!(outputs, ["fraud_probability", "is_fraud"], "the outputs fraud's metadata lists, compared");
    let candidate = parity.run(&engineer(), &check("13"), |_| {}, Arc::default()).await.expect("parity v13");
    assert!(!candidate.passed, "{}", candidate.sentence);

    // The gate fails on the candidate's check, kept in the evidence; the plan rolls it back.
    let ended = until(&engine, id, "rolled back", Duration::from_secs(30), |v| !v.rollout.state.active()).await;
    assert_eq!(ended.rollout.state, RolloutState::RolledBack, "{ended:#?}");
    let evidence = ended.rollout.evidence.clone().expect("evidence");
    assert_eq!(evidence.gates[0].verdict, Verdict::Fail);
    assert_eq!(evidence.parity.as_ref().map(|p| (p.report, p.matched)), Some((candidate.id, candidate.matched)));
    let reason = ended.rollout.reason.clone().unwrap_or_default();
    assert!(reason.contains("parity on the golden set") && reason.contains("< 99.9 %"), "{reason}");
    assert_eq!(router_weights(&fleet).await, serde_json::json!({"12": 100, "13": 0}));
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_waiting_past_the_policys_limit_aborts_the_rollout() {
    let fleet = fleet(Scenario::Healthy).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&fleet, &vigil_tests::store(dir.path()).await).await;
    engine.rollouts().set_plan(&engineer(), "fraud", plan(&[25, 100], 1, 1)).await.expect("plan");
    let policy = Policy { approval_timeout_s: Some(2), abort_on_timeout: true, ..Policy::default() };
    engine.rollouts().set_policy(&engineer(), "fraud", policy).await.expect("policy");
    let _poller = engine.polling().start();
    let _driver = engine.rollouts().start_driver();
    seen(&engine).await;

    let id = engine.rollouts().start(&engineer(), "fraud", "13", None, None).await.expect("start").rollout.id;
    let ended = until(&engine, id, "aborted", Duration::from_secs(30), |v| !v.rollout.state.active()).await;
    assert_eq!(ended.rollout.state, RolloutState::Aborted);
    assert!(
        ended.rollout.reason.as_deref().unwrap_or_default().contains("no sign-off from engineer and data scientist"),
        "{ended:#?}"
    );
    assert_eq!(router_weights(&fleet).await, serde_json::json!({"12": 100, "13": 0}));
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_in_the_middle_of_a_step_resumes_from_what_the_router_serves() {
    let fleet = fleet(Scenario::Healthy).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = vigil_tests::store(dir.path()).await;
    let id = {
        let engine = engine(&fleet, &db).await;
        engine.rollouts().set_plan(&engineer(), "fraud", plan(&[10, 50, 100], 3600, 1)).await.expect("plan");
        engine.polling().check_all().await.expect("a poll");
        seen(&engine).await;
        let view = engine.rollouts().start(&engineer(), "fraud", "13", None, None).await.expect("start");
        assert_eq!(view.rollout.weight, 10, "set and read back at once");
        view.rollout.id
    };
    // The engine stopped just after setting the next step, before recording it.
    let set = reqwest::Client::new()
        .put(format!("{}/admin/routes/fraud", fleet.router_url()))
        .json(&serde_json::json!({"weights": {"12": 50, "13": 50}}))
        .send()
        .await
        .expect("router");
    assert!(set.status().is_success());
    let engine = engine(&fleet, &db).await;
    // The old engine's lease lapses; the new one takes over and reads the router back.
    let _driver = engine.rollouts().start_driver();
    let resumed =
        until(&engine, id, "the landed step recorded", Duration::from_secs(20), |v| v.rollout.weight == 50).await;
    assert_eq!(resumed.rollout.state, RolloutState::Running);
    assert_eq!(resumed.rollout.step, 1);
    fleet.stop().await;
}

/// How the stand-in router misbehaves.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Works,
    Refuses,
    Hangs,
    IgnoresChanges,
}

/// What the stand-in router holds: how it behaves, and the weights it serves.
type RouterState = Arc<(Mutex<Mode>, Mutex<Value>)>;

/// A router with one route at `GET/PUT /route`, as the fleet's, that misbehaves as told.
struct FaultyRouter {
    url: String,
    state: RouterState,
    _task: tokio::task::JoinHandle<()>,
}

impl FaultyRouter {
    async fn start() -> FaultyRouter {
        let state: RouterState = Arc::new((Mutex::new(Mode::Works), Mutex::new(json!({"12": 100, "13": 0}))));
        let read = |State(state): State<RouterState>| async move {
            let weights = state.1.lock().expect("lock").clone();
            json!({ "weights": weights }).to_string()
        };
        let write = |State(state): State<RouterState>, body: axum::body::Bytes| async move {
            let body: Value = serde_json::from_slice(&body).unwrap_or_default();
            let mode = *state.0.lock().expect("lock");
            match mode {
                Mode::Refuses => return (StatusCode::INTERNAL_SERVER_ERROR, r#"{"error":"the router is on fire"}"#),
                Mode::Hangs => tokio::time::sleep(Duration::from_secs(3)).await,
                Mode::IgnoresChanges => {}
                Mode::Works => *state.1.lock().expect("lock") = body["weights"].clone(),
            }
            (StatusCode::OK, "{}")
        };
        let app = axum::Router::new().route("/route", get(read).put(write)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/route", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FaultyRouter { url, state, _task: task }
    }

    fn behave(&self, mode: Mode) {
        *self.state.0.lock().expect("lock") = mode;
    }

    fn weights(&self) -> Value {
        self.state.1.lock().expect("lock").clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_that_refuses_hangs_or_ignores_a_change_never_leaves_the_rollout_marked_done_and_retrying_is_safe() {
    let fleet = fleet(Scenario::Healthy).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&fleet, &vigil_tests::store(dir.path()).await).await;
    let router = FaultyRouter::start().await;
    let spec = TargetSpec::Router { url: router.url.clone() };
    engine.rollouts().set_target(&engineer(), "fraud", spec, Some(Duration::from_millis(500))).await.expect("target");
    engine.rollouts().set_plan(&engineer(), "fraud", plan(&[10, 100], 3600, 1)).await.expect("plan");
    engine.polling().check_all().await.expect("a poll");
    seen(&engine).await;
    let steps_recorded = || async {
        let trail = engine.audit_log(200).await.expect("audit");
        trail.iter().filter(|e| e.action == "rollout.step").count()
    };

    router.behave(Mode::Refuses);
    let view = engine.rollouts().start(&engineer(), "fraud", "13", Some("12"), None).await.expect("start");
    let id = view.rollout.id;
    assert_eq!(view.rollout.state, RolloutState::Paused);
    let error = view.rollout.error.clone().unwrap_or_default();
    assert!(error.contains("answered HTTP 500: the router is on fire"), "the target's own words: {error}");

    for (mode, words) in
        [(Mode::Hangs, "no answer"), (Mode::IgnoresChanges, "reads back 12 100 % instead of 12 90 % · 13 10 %")]
    {
        router.behave(mode);
        let view = engine.rollouts().resume(&engineer(), id, None).await.expect("resume");
        assert_eq!(view.rollout.state, RolloutState::Paused, "not done");
        assert_eq!(view.rollout.weight, 0);
        let error = view.rollout.error.clone().unwrap_or_default();
        assert!(error.contains(words), "{words:?} in {error}");
    }
    assert_eq!(steps_recorded().await, 0, "no step was recorded as done");
    assert!(engine.rollouts().history("fraud").await.expect("history").traffic.is_empty());
    assert_eq!(router.weights(), json!({"12": 100, "13": 0}), "the recorded state matches the real one");

    // Once the router works, resuming sets the same step again: safe to repeat.
    router.behave(Mode::Works);
    let view = engine.rollouts().resume(&engineer(), id, None).await.expect("resume");
    assert_eq!((view.rollout.state, view.rollout.weight), (RolloutState::Running, 10));
    assert_eq!(router.weights(), json!({"12": 90, "13": 10}));
    assert_eq!(steps_recorded().await, 1);

    // A rollback the router refuses leaves the rollout failed, not rolled back.
    router.behave(Mode::Refuses);
    let view = engine.rollouts().rollback(&engineer(), "fraud", None, Some("errors")).await.expect("rollback asked");
    assert_eq!(view.rollout.state, RolloutState::Failed);
    assert!(view.rollout.error.unwrap_or_default().contains("the target serves 12 90 % · 13 10 %"));
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn of_two_engines_on_one_database_exactly_one_drives_the_other_acts_through_it_and_takes_over_when_it_stops() {
    let fleet = fleet(Scenario::Healthy).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = vigil_tests::store(dir.path()).await;
    let (desktop, cli) = (engine(&fleet, &db).await, engine(&fleet, &db).await);
    let desktop_driver = desktop.rollouts().start_driver();
    let holder = wait_for("a driver to take the lease", Duration::from_secs(5), || async {
        desktop.rollouts().lease().await.expect("lease").map(|(holder, _)| holder)
    })
    .await;
    assert_eq!(holder, desktop.rollouts().holder());

    // The other engine acts through the store: a start is recorded and the driver sets its
    // first step; an abort is asked of the driver, which does it at the router and answers.
    cli.polling().check_all().await.expect("a poll");
    seen(&cli).await;
    cli.rollouts().set_plan(&engineer(), "fraud", plan(&[25, 100], 3600, 1)).await.expect("plan");
    let started = cli.rollouts().start(&engineer(), "fraud", "13", Some("12"), None).await;
    let id = started.expect("a start is recorded through the store").rollout.id;
    let view = wait_for("the driver to set the first step", Duration::from_secs(5), || async {
        let view = cli.rollouts().view(id).await.ok()?;
        (view.rollout.weight == 25).then_some(view)
    })
    .await;
    assert_eq!(view.rollout.state, RolloutState::Running);
    let (still, _) = cli.rollouts().lease().await.expect("lease").expect("held");
    assert_eq!(still, desktop.rollouts().holder(), "the other engine does not drive while the first does");
    let aborted = cli.rollouts().abort(&engineer(), id, Some("wrong build")).await.expect("the driver aborts it");
    assert_eq!(aborted.rollout.state, RolloutState::Aborted);
    assert_eq!(router_weights(&fleet).await, json!({"12": 100, "13": 0}), "read back at the router");
    let entry =
        cli.audit_log(20).await.expect("trail").into_iter().find(|e| e.action == "rollout.abort").expect("abort");
    let detail: Value = serde_json::from_str(&entry.detail).expect("detail");
    assert_eq!((entry.actor.as_str(), detail["engine"].as_str()), ("ada", Some(desktop.rollouts().holder())));

    // The desktop quits: its lease lapses, the other engine takes over and drives.
    drop(desktop_driver);
    let cli_driver = cli.rollouts().start_driver();
    wait_for("the other engine to take over", Duration::from_secs(20), || async {
        let (holder, _) = cli.rollouts().lease().await.ok()??;
        (holder == cli.rollouts().holder()).then_some(())
    })
    .await;
    let again = cli.rollouts().start(&engineer(), "fraud", "13", Some("12"), None).await.expect("a start").rollout.id;
    until(&cli, again, "the new driver to set the first step", Duration::from_secs(5), |v| v.rollout.weight == 25)
        .await;
    assert_eq!(router_weights(&fleet).await, json!({"12": 75, "13": 25}));
    drop(cli_driver);
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_collector_holding_the_models_server_drives_its_rollout_and_the_survivor_takes_it_over_when_it_dies() {
    let fleet = fleet(Scenario::Healthy).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = vigil_tests::store(dir.path()).await;
    let (a, b, desktop) = (engine(&fleet, &db).await, engine(&fleet, &db).await, engine(&fleet, &db).await);
    let churn = fleet.servers().into_iter().find(|s| s.name == "churn").expect("churn");
    a.servers().add(NewServer { name: churn.name, base_url: churn.url, ..Default::default() }).await.expect("churn");
    let (poller_a, poller_b) = (a.polling().start(), b.polling().start());
    let holder_of_fraud = wait_for("each collector to hold one server", Duration::from_secs(15), || async {
        let shares = a.polling().collectors().await.ok()?;
        let live: Vec<_> = shares.iter().filter(|s| s.alive && s.servers.len() == 1).collect();
        let fraud = live.iter().find(|s| s.servers == ["fraud"])?;
        (live.len() == 2).then(|| fraud.holder.clone())
    })
    .await;
    let (owner, owner_poller, other, other_poller) = match holder_of_fraud == a.rollouts().holder() {
        true => (&a, poller_a, &b, poller_b),
        false => (&b, poller_b, &a, poller_a),
    };
    // The other collector takes the rollout lease first, so what drives fraud is the server's lease.
    let other_driver = other.rollouts().start_driver();
    wait_for("the other collector to hold the rollout lease", Duration::from_secs(5), || async {
        let (holder, _) = other.rollouts().lease().await.ok()??;
        (holder == other.rollouts().holder()).then_some(())
    })
    .await;
    let owner_driver = owner.rollouts().start_driver();
    seen(&desktop).await;
    desktop.rollouts().set_plan(&engineer(), "fraud", plan(&[25, 50, 100], 3600, 1)).await.expect("plan");
    let id = desktop.rollouts().start(&engineer(), "fraud", "13", Some("12"), None).await.expect("start").rollout.id;
    until(&desktop, id, "fraud's collector to set the first step", Duration::from_secs(5), |v| v.rollout.weight == 25)
        .await;
    let engine_of = |action: &'static str| {
        let desktop = desktop.clone();
        async move {
            let trail = desktop.audit_log(50).await.expect("trail");
            let entry = trail.into_iter().find(|e| e.action == action).expect("on the trail");
            let detail: Value = serde_json::from_str(&entry.detail).expect("detail");
            detail["engine"].as_str().unwrap_or_default().to_owned()
        }
    };
    assert_eq!(engine_of("rollout.step").await, owner.rollouts().holder(), "driven by the holder of fraud's lease");

    // fraud's collector dies (no goodbye): the survivor takes the server, then its rollout.
    drop((owner_poller, owner_driver));
    wait_for("the survivor to hold fraud", Duration::from_secs(10), || async {
        let shares = other.polling().collectors().await.ok()?;
        shares.iter().any(|s| s.alive && s.holder == other.rollouts().holder() && s.servers.len() == 2).then_some(())
    })
    .await;
    let promoted = desktop
        .rollouts()
        .promote(&engineer(), id, false, Some("latency holds at 25 %"))
        .await
        .expect("promoted by the survivor");
    assert_eq!(promoted.rollout.weight, 50);
    assert_eq!(router_weights(&fleet).await, json!({"12": 50, "13": 50}), "read back at the router");
    assert_eq!(engine_of("rollout.step").await, other.rollouts().holder(), "the survivor drives it now");
    let trail = desktop.audit_log(50).await.expect("trail");
    let step = trail.iter().find(|e| e.action == "rollout.step").expect("the promotion is on the trail");
    let detail: Value = serde_json::from_str(&step.detail).expect("detail");
    assert_eq!(detail["reason"], "latency holds at 25 %", "the reason asked through the store reaches the trail");
    assert_eq!(step.actor, "ada", "{step:?}");
    drop((other_driver, other_poller));
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shadow_step_mirrors_live_traffic_to_the_candidate_and_its_measurements_gate_the_first_real_step() {
    let fleet = fleet(Scenario::Healthy).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&fleet, &vigil_tests::store(dir.path()).await).await;
    let mut shadow = plan(&[0, 50, 100], 1, 1);
    shadow.steps[0].shadow = true;
    engine.rollouts().set_plan(&engineer(), "fraud", shadow).await.expect("a shadow step on a router that mirrors");
    let _poller = engine.polling().start();
    let _driver = engine.rollouts().start_driver();
    seen(&engine).await;

    let started = engine.rollouts().start(&engineer(), "fraud", "13", Some("12"), None).await.expect("start");
    let route: Value = reqwest::get(format!("{}/admin/routes/fraud", fleet.router_url()))
        .await
        .expect("router")
        .json()
        .await
        .expect("json");
    assert_eq!((route["weights"].clone(), route["mirror"].clone()), (json!({"12": 100, "13": 0}), json!("13")));
    // v13 answers only copies, yet it is measured: the first real step follows its passing gates.
    let stepped =
        until(&engine, started.rollout.id, "the 50 % step", Duration::from_secs(30), |v| v.rollout.weight == 50).await;
    let trail = engine.audit_log(50).await.expect("audit");
    let entered =
        trail.iter().find(|e| e.action == "rollout.step" && e.detail.contains("\"weight\":50")).expect("on the trail");
    assert!(entered.detail.contains("candidate_requests"), "the shadow step's evidence: {}", entered.detail);
    assert_eq!(stepped.rollout.state, RolloutState::Running);
    let route: Value = reqwest::get(format!("{}/admin/routes/fraud", fleet.router_url()))
        .await
        .expect("router")
        .json()
        .await
        .expect("json");
    assert_eq!((route["weights"].clone(), route["mirror"].clone()), (json!({"12": 50, "13": 50}), Value::Null));
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_desktops_on_one_postgresql_see_each_others_approvals_within_a_second_and_one_person_signs_one_role() {
    let fleet = fleet(Scenario::Healthy).await;
    let team = vigil_core::store::testing::postgres().await;
    // The team's collector polls and drives; the two desktops only read and act, as in team mode.
    let collector = engine(&fleet, &team).await;
    collector.rollouts().set_plan(&engineer(), "fraud", plan(&[25, 100], 1, 1)).await.expect("plan");
    let _poller = collector.polling().start();
    let _driver = collector.rollouts().start_driver();
    // Each person connects as their own database role.
    let (ada_role, bo_role) = (as_new_role(&team, "ada").await, as_new_role(&team, "bo").await);
    let (ada_desk, bo_desk) = (engine(&fleet, &ada_role).await, engine(&fleet, &bo_role).await);
    seen(&ada_desk).await;
    let mut bo_hears = bo_desk.subscribe();

    let id = ada_desk.rollouts().start(&engineer(), "fraud", "13", None, None).await.expect("start").rollout.id;
    until(&bo_desk, id, "waiting for sign-off", Duration::from_secs(30), |v| v.rollout.state == RolloutState::Waiting)
        .await;
    while bo_hears.try_recv().is_ok() {}
    let approved_at = std::time::Instant::now();
    ada_desk.rollouts().approve(&engineer(), id, Some("latency fine")).await.expect("ada approves");
    let heard = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            if let vigil_core::EngineEvent::Audited { entry } = bo_hears.recv().await.expect("bo's events") {
                if entry.action == "rollout.approve" {
                    return entry;
                }
            }
        }
    })
    .await
    .expect("bo's desktop hears of ada's approval within a second");
    assert_eq!(heard.actor, "ada");
    println!("approval seen on the other desktop after {:?}", approved_at.elapsed());
    assert_eq!(bo_desk.rollouts().view(id).await.expect("view").waiting_for, vec![Role::DataScientist]);

    // The same person on the other desktop cannot sign the step again under another role.
    let ada_as_data_scientist = Person::new("ada", Role::DataScientist, "tester").expect("person");
    let refused = bo_desk.rollouts().approve(&ada_as_data_scientist, id, None).await.unwrap_err().to_string();
    assert!(refused.contains("cannot sign for two roles"), "{refused}");
    // Nor under another name, from another desktop connected as her database role.
    let ada_elsewhere = engine(&fleet, &ada_role).await;
    let renamed = Person::new("a.lovelace", Role::DataScientist, "tester").expect("person");
    let refused = ada_elsewhere.rollouts().approve(&renamed, id, None).await.unwrap_err().to_string();
    assert!(refused.contains("_ada already signed this step as ada, engineer; one person cannot sign"), "{refused}");
    bo_desk.rollouts().approve(&data_scientist(), id, None).await.expect("bo approves");
    until(&ada_desk, id, "promoted", Duration::from_secs(15), |v| v.rollout.state == RolloutState::Promoted).await;
    let trail = collector.audit_log(50).await.expect("trail");
    let signers: Vec<(&str, String)> = trail
        .iter()
        .filter(|e| e.action == "rollout.approve")
        .map(|e| (e.actor.as_str(), e.database_role.clone().unwrap_or_default()))
        .collect();
    let role_of = |location: &Location| match location {
        Location::Postgres { url, .. } => url::Url::parse(url).expect("url").username().to_owned(),
        Location::Sqlite(_) => unreachable!("team mode is on PostgreSQL"),
    };
    assert_eq!(
        signers,
        [("bo", role_of(&bo_role)), ("ada", role_of(&ada_role))],
        "both sign-offs on the one trail, newest first, each with the database role it connected as"
    );
    assert_eq!(collector.verify_audit().await.expect("verify").first_broken, None, "the chain holds");
    fleet.stop().await;
}
