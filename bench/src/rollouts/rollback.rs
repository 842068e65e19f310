//! Time to roll back: the demo fleet's bad canary (fraud 13 over 12, behind the fleet's traffic
//! router), an engine in this process polling fraud every 200 ms with the router as fraud's
//! target, and a plan whose first step is short and whose second failed measurement rolls back.
//! Each rollout is timed from the stored poll in which its gates failed the last time allowed
//! (`failed_at_ms`) to the router confirmed back at 100 % stable (`ended_at`), and the router is
//! then read again by this benchmark, apart from the engine, to check it serves 12 only.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vigil_core::rollouts::people::{Person, Role};
use vigil_core::rollouts::plan::{Gate, Metric, OnFailure, Plan, Step};
use vigil_core::rollouts::record::RolloutState;
use vigil_core::rollouts::targets::TargetSpec;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_fleet::config::{BadCanaryConfig, TrafficConfig};
use vigil_fleet::{Fleet, FleetConfig, RunningFleet, Scenario};

/// How often the engine polls fraud.
pub const POLL_EVERY: Duration = Duration::from_millis(200);
/// The fleet's traffic, requests per second at its peak; bounded in count.
const PEAK_RPS: f64 = 300.0;
const MAX_REQUESTS: u64 = 200_000;
/// How long one rollout may take to be rolled back before the benchmark gives up.
const ROLLOUT_DEADLINE: Duration = Duration::from_secs(30);

/// One rollout rolled back.
pub struct Rollback {
    /// From the stored poll that failed it to the router confirmed at 100 % stable.
    pub time: Duration,
    /// From the rollout's start to the router confirmed at 100 % stable, for context.
    pub started_to_ended: Duration,
    pub failures: String,
}

/// Rolls fraud 13 out over 12 `runs` times on a fresh demo fleet, each rolled back.
pub async fn measure(runs: usize, dir: &Path) -> Result<Vec<Rollback>, String> {
    let traffic = TrafficConfig {
        peak_rps: PEAK_RPS,
        start_hour: 16.0,
        invalid_share: 0.0,
        max_requests: Some(MAX_REQUESTS),
        ..TrafficConfig::default()
    };
    let config = FleetConfig {
        scenarios: vec![Scenario::BadCanary],
        canary_percent: 0,
        traffic,
        bad_canary: BadCanaryConfig { error_rate: 0.4, ..BadCanaryConfig::default() },
        seed: 7,
        ..FleetConfig::default()
    };
    let fleet = Fleet::start(config).await.map_err(|error| format!("cannot start the demo fleet: {error}"))?;
    let outcome = measure_on(&fleet, runs, dir).await;
    fleet.stop().await;
    outcome
}

async fn measure_on(fleet: &RunningFleet, runs: usize, dir: &Path) -> Result<Vec<Rollback>, String> {
    let text = |error: vigil_core::VigilError| error.to_string();
    let options = EngineOptions { poll_interval: POLL_EVERY, ..EngineOptions::new(dir.join("rollback.db")) };
    let engine = Engine::open(options).await.map_err(text)?;
    let fraud = fleet.servers().into_iter().find(|server| server.name == "fraud").ok_or("the fleet has no fraud")?;
    let new = NewServer { name: fraud.name, base_url: fraud.url, kind: ServerKind::Auto, ..Default::default() };
    engine.servers().add(new).await.map_err(text)?;
    let route = format!("{}/admin/routes/fraud", fleet.router_url());
    let person = Person::new("bench", Role::Engineer, "vigil-bench").map_err(text)?;
    engine
        .rollouts()
        .set_target(&person, "fraud", TargetSpec::Router { url: route.clone() }, None)
        .await
        .map_err(text)?;
    engine.rollouts().set_plan(&person, "fraud", plan()).await.map_err(text)?;
    let _poller = engine.polling().start();
    let _driver = engine.rollouts().start_driver();
    seen(&engine).await?;

    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().map_err(|error| error.to_string())?;
    let mut rollbacks = Vec::with_capacity(runs);
    for run in 1..=runs {
        set_route(&http, &route, json!({"12": 100, "13": 0})).await?;
        let started =
            engine.rollouts().start(&person, "fraud", "13", Some("12"), Some("vigil-bench")).await.map_err(text)?;
        let id = started.rollout.id;
        let deadline = Instant::now() + ROLLOUT_DEADLINE;
        let ended = loop {
            let view = engine.rollouts().view(id).await.map_err(text)?;
            if !view.rollout.state.active() {
                break view.rollout;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "rollout {run} was not rolled back within {} s: {}",
                    ROLLOUT_DEADLINE.as_secs(),
                    view.sentence
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        if ended.state != RolloutState::RolledBack {
            return Err(format!(
                "rollout {run} ended {:?}, not rolled back: {:?} {:?}",
                ended.state, ended.reason, ended.error
            ));
        }
        let weights = route_weights(&http, &route).await?;
        let serving_stable_only =
            weights["12"].as_u64() == Some(100) && weights.get("13").and_then(Value::as_u64).unwrap_or(0) == 0;
        if !serving_stable_only {
            return Err(format!("rollout {run} was recorded rolled back, but the router serves {weights}"));
        }
        let (Some(failed_ms), Some(ended_at)) = (ended.failed_at_ms, ended.ended_at) else {
            return Err(format!("rollout {run} was rolled back without a failing poll or an end time"));
        };
        let millis = |ms: i64| Duration::from_millis(u64::try_from(ms).unwrap_or(0));
        let failures = ended.evidence.as_ref().map(|evidence| evidence.failures().join(", ")).unwrap_or_default();
        let rollback = Rollback {
            time: millis(ended_at.timestamp_millis() - failed_ms),
            started_to_ended: millis(ended_at.timestamp_millis() - ended.started_at.timestamp_millis()),
            failures,
        };
        println!(
            "  rollout {run}: rolled back {} ms after the failing poll ({} ms after its start; {}); the router serves {weights}",
            rollback.time.as_millis(),
            rollback.started_to_ended.as_millis(),
            rollback.failures
        );
        rollbacks.push(rollback);
    }
    Ok(rollbacks)
}

/// 10 % for 1 s, 50 %, 100 %; the error share at most 5 % over at least 10 requests; the second
/// failed measurement rolls back.
fn plan() -> Plan {
    let step = |weight| Step { weight, min_duration_s: 1, approval: false, shadow: false };
    Plan {
        steps: vec![step(10), step(50), step(100)],
        gates: vec![Gate { metric: Metric::ErrorShare, max: Some(0.05), max_vs_stable: None, min: None }],
        min_requests: 10,
        failure_limit: 1,
        on_failure: OnFailure::Rollback,
    }
}

/// Waits until fraud's revision 13 has been polled, so a rollout may name it.
async fn seen(engine: &Engine) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let history = engine.rollouts().history("fraud").await.map_err(|error| error.to_string())?;
        if history.revisions.iter().any(|revision| revision.version == "13") {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("fraud 13 was not seen within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn set_route(http: &reqwest::Client, route: &str, weights: Value) -> Result<(), String> {
    let answer = http.put(route).json(&json!({ "weights": weights })).send().await;
    match answer {
        Ok(answer) if answer.status().is_success() => Ok(()),
        Ok(answer) => Err(format!("the router refused {weights}: {}", answer.status())),
        Err(error) => Err(format!("cannot reach the router: {error}")),
    }
}

async fn route_weights(http: &reqwest::Client, route: &str) -> Result<Value, String> {
    let answer = http.get(route).send().await.map_err(|error| format!("cannot read the router: {error}"))?;
    let route: Value = answer.json().await.map_err(|error| format!("the router's answer: {error}"))?;
    Ok(route["weights"].clone())
}
