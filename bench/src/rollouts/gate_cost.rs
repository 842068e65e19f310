//! Gate evaluation cost: `vigil collect` polling the poller benchmark's loopback targets (1,000
//! every 5 s), its share of one core without rollouts and with rollouts under way, each of which
//! has its gates measured at every stored poll of its model. The first R targets serve a model of
//! their own in revisions v1 and v2; each such model has the [`router`](super::router) as its
//! target and a plan whose first step lasts a day, so its rollout of v2 over v1 stays in that
//! step and is measured at every poll.
//!
//! Two databases hold the same servers, targets and plans; only one has the rollouts under way;
//! `collect_cost` runs them in turn.

use std::path::Path;
use std::time::{Duration, Instant};

use vigil_core::rollouts::people::{Person, Role};
use vigil_core::rollouts::plan::{Gate, Metric, OnFailure, Plan, Step};
use vigil_core::rollouts::record::RolloutState;
use vigil_core::rollouts::targets::TargetSpec;
use vigil_core::{Engine, EngineOptions};

use super::router::Router;
use crate::collect_cost::{self, Feature, Options, Run};
use crate::poller::process::{self, Measured, Process};
use crate::poller::targets::{self, Targets};

/// How long a `vigil collect` may take to take the rollout lease over from the one before.
const LEASE_WAIT: Duration = Duration::from_secs(20);

/// Runs the without / with runs in turn and returns them in order.
pub async fn measure(options: &Options, rollouts: usize, dir: &Path) -> Result<Vec<Run>, String> {
    process::allow_open_files(options.targets as u64 * 2 + 512)?;
    let targets = Targets::start_with_models(options.targets, rollouts).await?;
    let models: Vec<String> = (0..rollouts).map(targets::model_name).collect();
    let router = Router::start(&models).await?;
    let (without, with) = (dir.join("without.db"), dir.join("with.db"));
    println!(
        "Registering {} targets in two databases, {rollouts} with rollouts under way ...",
        targets.addresses.len()
    );
    let mut ids = Vec::new();
    for (db, start) in [(&without, false), (&with, true)] {
        crate::poller::register(db.as_path(), &targets.addresses, options.interval).await?;
        ids = prepare(db, &models, &router, start).await?;
    }
    let mut feature = Rollouts { ids, previous_holder: None };
    let runs = collect_cost::alternate(options, (&without, &with), dir, &mut feature).await?;
    drop(router);
    Ok(runs)
}

/// The rollouts under way, and which `vigil collect` last held their lease.
struct Rollouts {
    ids: Vec<i64>,
    previous_holder: Option<String>,
}

impl Feature for Rollouts {
    fn noun(&self) -> &'static str {
        "rollouts"
    }

    async fn started(&mut self, db: &Path, collect: &mut Process) -> Result<(), String> {
        self.previous_holder = Some(wait_for_lease(db, collect, self.previous_holder.as_deref()).await?);
        Ok(())
    }

    async fn served(&mut self, db: &Path, since_ms: i64) -> Result<usize, String> {
        measured_since(db, &self.ids, since_ms).await
    }
}

/// Gives each model the router as its target and the long-step plan; polls every server once;
/// with `start`, starts a rollout of v2 over v1 for each model. Returns the rollouts' ids.
async fn prepare(db: &Path, models: &[String], router: &Router, start: bool) -> Result<Vec<i64>, String> {
    let text = |error: vigil_core::VigilError| error.to_string();
    let engine = Engine::open(EngineOptions::new(db.to_owned())).await.map_err(text)?;
    let person = Person::new("bench", Role::Engineer, "vigil-bench").map_err(text)?;
    for model in models {
        engine
            .rollouts()
            .set_target(&person, model, TargetSpec::Router { url: router.url(model) }, None)
            .await
            .map_err(text)?;
        engine.rollouts().set_plan(&person, model, plan()).await.map_err(text)?;
    }
    engine.polling().check_all().await.map_err(text)?;
    let mut ids = Vec::new();
    if start {
        for model in models {
            let view =
                engine.rollouts().start(&person, model, "v2", Some("v1"), Some("vigil-bench")).await.map_err(text)?;
            if view.rollout.state != RolloutState::Running || view.rollout.weight != 10 {
                return Err(format!("{model}'s rollout did not enter its first step: {}", view.sentence));
            }
            ids.push(view.rollout.id);
        }
    }
    Ok(ids)
}

/// 10 % for a day, then 100 %; the error share at most 5 % and p99 at most 1.5× stable.
fn plan() -> Plan {
    Plan {
        steps: vec![
            Step { weight: 10, min_duration_s: 86_400, approval: false, shadow: false },
            Step { weight: 100, min_duration_s: 0, approval: false, shadow: false },
        ],
        gates: vec![
            Gate { metric: Metric::ErrorShare, max: Some(0.05), max_vs_stable: None, min: None },
            Gate { metric: Metric::P99S, max: None, max_vs_stable: Some(1.5), min: None },
        ],
        min_requests: 20,
        failure_limit: 2,
        on_failure: OnFailure::Rollback,
    }
}

/// Waits until `collect` holds the rollout lease of `db` (the one before it let it lapse), and
/// returns its holder.
async fn wait_for_lease(db: &Path, collect: &mut Process, previous: Option<&str>) -> Result<String, String> {
    let engine = Engine::open(EngineOptions::new(db.to_owned())).await.map_err(|error| error.to_string())?;
    // An engine's holder name is HOST/PID/NONCE (`context.rs`).
    let pid = format!("/{}/", collect.proc_entry());
    let deadline = Instant::now() + LEASE_WAIT;
    loop {
        let lease = engine.rollouts().lease().await.map_err(|error| error.to_string())?;
        if let Some((holder, _)) =
            lease.filter(|(holder, _)| holder.contains(&pid) && Some(holder.as_str()) != previous)
        {
            return Ok(holder);
        }
        if Instant::now() > deadline || !collect.running() {
            return Err(format!("vigil collect did not take the rollout lease within {} s", LEASE_WAIT.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many of rollouts `ids` are still in their first step with a measurement from a poll
/// stored at or after `since_ms`.
async fn measured_since(db: &Path, ids: &[i64], since_ms: i64) -> Result<usize, String> {
    let text = |error: vigil_core::VigilError| error.to_string();
    let engine = Engine::open(EngineOptions::new(db.to_owned())).await.map_err(text)?;
    let mut measured = 0;
    for id in ids {
        let rollout = engine.rollouts().view(*id).await.map_err(text)?.rollout;
        if rollout.state != RolloutState::Running || rollout.step != 0 {
            return Err(format!(
                "rollout {id} of {} left its first step: {:?}, {:?}",
                rollout.model, rollout.state, rollout.error
            ));
        }
        if rollout.evidence.is_some_and(|evidence| evidence.poll_ms >= since_ms) {
            measured += 1;
        }
    }
    Ok(measured)
}
