//! Gate evaluation cost: `vigil collect` polling the poller benchmark's loopback targets (1,000
//! every 5 s), its share of one core without rollouts and with rollouts under way, each of which
//! has its gates measured at every stored poll of its model. The first R targets serve a model of
//! their own in revisions v1 and v2; each such model has the [`router`](super::router) as its
//! target and a plan whose first step lasts a day, so its rollout of v2 over v1 stays in that
//! step and is measured at every poll.
//!
//! Two databases hold the same servers, targets and plans; only one has the rollouts under way.
//! Runs alternate without / with (a fresh `vigil collect` each), and CPU is counted as the
//! poller benchmark counts it: utime + stime from `/proc/PID/stat` between the end of the
//! warm-up and the end of the measured window, over its wall time.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vigil_core::rollouts::people::{Person, Role};
use vigil_core::rollouts::plan::{Gate, Metric, OnFailure, Plan, Step};
use vigil_core::rollouts::record::RolloutState;
use vigil_core::rollouts::targets::TargetSpec;
use vigil_core::{Engine, EngineOptions};

use super::router::Router;
use crate::poller::process::{self, Measured, Process};
use crate::poller::targets::{self, Targets};

/// How long a `vigil collect` may take to take the rollout lease over from the one before.
const LEASE_WAIT: Duration = Duration::from_secs(20);

pub struct Options {
    pub targets: usize,
    pub rollouts: usize,
    pub interval: Duration,
    pub warmup: Duration,
    pub measured: Duration,
    /// Runs of each kind, alternating without / with.
    pub runs: usize,
    pub vigil: PathBuf,
}

/// One measured run.
pub struct Run {
    pub with_rollouts: bool,
    pub cpu_seconds: f64,
    pub window: Duration,
    /// Rollouts whose gates this run's `vigil collect` measured (with rollouts).
    pub measured_rollouts: usize,
}

impl Run {
    pub fn share(&self) -> f64 {
        self.cpu_seconds / self.window.as_secs_f64()
    }
}

/// Runs the without / with runs in turn and returns them in order.
pub async fn measure(options: &Options, dir: &Path) -> Result<Vec<Run>, String> {
    process::allow_open_files(options.targets as u64 * 2 + 512)?;
    let targets = Targets::start_with_models(options.targets, options.rollouts).await?;
    let models: Vec<String> = (0..options.rollouts).map(targets::model_name).collect();
    let router = Router::start(&models).await?;
    let (without, with) = (dir.join("without.db"), dir.join("with.db"));
    println!(
        "Registering {} targets in two databases, {} with rollouts under way ...",
        targets.addresses.len(),
        options.rollouts
    );
    let mut ids = Vec::new();
    for (db, start) in [(&without, false), (&with, true)] {
        crate::poller::register(db, &targets.addresses, options.interval).await?;
        ids = prepare(db, &models, &router, start).await?;
    }
    let mut runs = Vec::with_capacity(options.runs * 2);
    let mut previous_holder = None;
    for round in 0..options.runs * 2 {
        let with_rollouts = round % 2 == 1;
        let db = if with_rollouts { &with } else { &without };
        let mut collect = spawn_collect(options, db, dir, round)?;
        let spawned_ms = chrono::Utc::now().timestamp_millis();
        if with_rollouts {
            previous_holder = Some(wait_for_lease(db, &mut collect, previous_holder.as_deref()).await?);
        }
        tokio::time::sleep(options.warmup).await;
        let before = collect.cpu_seconds()?;
        let start = Instant::now();
        tokio::time::sleep(options.measured).await;
        let (after, window) = (collect.cpu_seconds()?, start.elapsed());
        if !collect.running() {
            return Err(format!(
                "vigil collect stopped early; see {}",
                dir.join(format!("collect-{round}.err")).display()
            ));
        }
        collect.stop();
        let measured_rollouts = if with_rollouts { measured_since(db, &ids, spawned_ms).await? } else { 0 };
        let run = Run { with_rollouts, cpu_seconds: after - before, window, measured_rollouts };
        println!(
            "  run {} {}: vigil collect {:.1} % of one core over {:.0} s{}",
            round + 1,
            if with_rollouts { "with rollouts   " } else { "without rollouts" },
            run.share() * 100.0,
            window.as_secs_f64(),
            if with_rollouts {
                format!(" ({measured_rollouts} of {} rollouts measured by this run)", ids.len())
            } else {
                String::new()
            }
        );
        runs.push(run);
    }
    drop(router);
    Ok(runs)
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
            Gate { metric: Metric::ErrorShare, max: Some(0.05), max_vs_stable: None },
            Gate { metric: Metric::P99S, max: None, max_vs_stable: Some(1.5) },
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
    let pid = format!("@{}#", collect.proc_entry());
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

/// Starts `vigil --db DB collect` for long enough, its output in `dir`.
fn spawn_collect(options: &Options, db: &Path, dir: &Path, round: usize) -> Result<Process, String> {
    let file = |name: String| {
        let path = dir.join(name);
        std::fs::File::create(&path).map_err(|error| format!("cannot write {}: {error}", path.display()))
    };
    let seconds = LEASE_WAIT + options.warmup + options.measured + Duration::from_secs(30);
    let mut command = Command::new(&options.vigil);
    command
        .arg("--db")
        .arg(db)
        .args(["collect", "--poll-interval", &options.interval.as_secs_f64().to_string()])
        .args(["--for", &seconds.as_secs_f64().to_string()])
        .env("VIGIL_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(file(format!("collect-{round}.out"))?)
        .stderr(file(format!("collect-{round}.err"))?);
    Process::spawn("vigil collect", &mut command)
}
