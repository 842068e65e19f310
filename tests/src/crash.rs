//! The crash loop that the crash tests and `vigil-bench crash` share: a [`Victim`] — `vigil
//! collect`, or the desktop window under Xvfb — polls the demo fleet every 200 ms into a SQLite
//! store, drives fraud's rollouts at the fleet's router, and takes ground-truth labels on its
//! ingest endpoint from a load generator that logs when each was answered 202. Meanwhile one CLI
//! process after another adds servers as fast as it can, and another starts, signs off, promotes
//! and aborts fraud's rollouts (asked of the victim through the store, which makes each change at
//! the router and answers). The victim is killed with SIGKILL at a random moment, again and
//! again. After each kill the store is inspected as a plain reader finds it, held against the
//! load generator's and the CLI's logs and the durability promise (an ingested payload is stored
//! within [`INGEST_WINDOW`] of its 202; an acknowledged action is on the audit trail), and the
//! next start is timed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use vigil_core::rollouts::people::{Person, Role};
use vigil_core::rollouts::plan::{OnFailure, Plan, Step};
use vigil_core::rollouts::targets::TargetSpec;
use vigil_core::store::Location;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_fleet::{Fleet, FleetConfig, Scenario};

/// How long after its 202 an ingested payload may still be lost to a crash (README, "What Vigil
/// keeps"): the ingest endpoint stores what it took once a second.
pub const INGEST_WINDOW: Duration = Duration::from_secs(1);
/// The ingest token of every round.
const TOKEN: &str = "crash-loop-ingest-token-0123456789";

/// The process killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Victim {
    /// `vigil collect --ingest`.
    Collector,
    /// `vigil-desktop`, under an Xvfb of the loop's own.
    Desktop,
}

/// What one kill left behind.
#[derive(Debug, Clone)]
pub struct AfterKill {
    /// `PRAGMA integrity_check`'s verdict: "ok" when sound.
    pub integrity: String,
    /// Rows polls had written before this round and after the kill (metric points and health events).
    pub polls_before: i64,
    pub polls_after: i64,
    /// Servers whose add the CLI acknowledged (exit 0) so far, and those of them now missing.
    pub acknowledged: usize,
    pub lost: Vec<String>,
    /// Labels the ingest endpoint answered 202 for this round; and for each of them missing,
    /// how long before the kill its 202 came (lost within [`INGEST_WINDOW`] is allowed).
    pub ingested: usize,
    pub ingest_lost: Vec<Duration>,
    /// Rollout actions the CLI acknowledged (exit 0) so far, and those of them missing from the
    /// audit trail, as "ACTION REASON".
    pub actions: usize,
    pub actions_lost: Vec<String>,
    /// Whether the audit chain verified.
    pub audit_verified: bool,
    /// How long the next start took to answer (`vigil server list --no-check`), and whether it did.
    pub restart: Duration,
    pub restarted: bool,
}

/// The crash loop over one store.
pub struct CrashLoop {
    victim: Victim,
    vigil: PathBuf,
    db: PathBuf,
    fleet: vigil_fleet::RunningFleet,
    /// The desktop's X server and display.
    xvfb: Option<(std::process::Child, String)>,
    dir: tempfile::TempDir,
    acknowledged: Arc<Mutex<Vec<String>>>,
    /// Rollout actions the CLI acknowledged: the audit action each wrote, and its reason.
    acted: Arc<Mutex<Vec<(String, String)>>>,
    random: u64,
}

impl AfterKill {
    /// Labels lost that were answered 202 longer than `window` before the kill.
    pub fn ingest_lost_outside(&self, window: Duration) -> usize {
        self.ingest_lost.iter().filter(|age| **age >= window).count()
    }
}

impl CrashLoop {
    /// A store in a new folder with the demo fleet's servers registered, to kill `victim` over;
    /// `vigil` is the CLI (`vigil-desktop` is beside it).
    pub async fn new(victim: Victim, vigil: &Path, seed: u64) -> Result<CrashLoop, String> {
        let config =
            FleetConfig { scenarios: vec![Scenario::Healthy], canary_percent: 0, seed, ..FleetConfig::default() };
        let fleet = Fleet::start(config).await.map_err(|err| format!("the demo fleet: {err}"))?;
        let dir = tempfile::tempdir().map_err(|err| err.to_string())?;
        let db = dir.path().join("vigil.db");
        let engine = Engine::open(EngineOptions::new(Location::Sqlite(db.clone()))).await.map_err(|e| e.to_string())?;
        for server in fleet.servers() {
            let new =
                NewServer { name: server.name, base_url: server.url, kind: ServerKind::Auto, ..Default::default() };
            engine.servers().add(new).await.map_err(|e| e.to_string())?;
        }
        // Polled once, so that fraud's v13 is known and a rollout may name it from the first round.
        engine.polling().check_all().await.map_err(|e| e.to_string())?;
        // fraud's rollouts go through the router, each step held an hour: only people move them.
        let ada = Person::new("ada", Role::Engineer, "crash-loop").map_err(|e| e.to_string())?;
        let url = format!("{}/admin/routes/fraud", fleet.router_url());
        let rollouts = engine.rollouts();
        rollouts.set_target(&ada, "fraud", TargetSpec::Router { url }, None).await.map_err(|e| e.to_string())?;
        let steps =
            [10, 50, 100].map(|weight| Step { weight, min_duration_s: 3_600, approval: false, shadow: false }).to_vec();
        let plan = Plan { steps, gates: vec![], min_requests: 1, failure_limit: 1, on_failure: OnFailure::Rollback };
        rollouts.set_plan(&ada, "fraud", plan).await.map_err(|e| e.to_string())?;
        let xvfb = match victim {
            Victim::Desktop => Some(crate::desktop::start_xvfb(dir.path()).await),
            Victim::Collector => None,
        };
        let (vigil, acknowledged, acted) = (vigil.to_owned(), Arc::default(), Arc::default());
        Ok(CrashLoop { victim, vigil, db, fleet, xvfb, dir, acknowledged, acted, random: seed | 1 })
    }

    /// Starts the victim, its ingest endpoint on `ingest`, its log in `victim-ROUND.log`.
    fn start_victim(&self, ingest: &str, round: usize) -> Result<std::process::Child, String> {
        use std::os::unix::process::CommandExt;
        let mut command = match (self.victim, &self.xvfb) {
            (Victim::Desktop, Some((_, display))) => {
                let mut desktop = Command::new(self.vigil.with_file_name("vigil-desktop"));
                desktop.arg("--db").arg(&self.db).args(["--poll-interval", "0.2", "--ingest", ingest]);
                desktop.env("DISPLAY", display).env("XDG_RUNTIME_DIR", self.dir.path());
                desktop
            }
            _ => {
                let mut collector = self.vigil();
                collector.args(["collect", "--poll-interval", "0.2", "--ingest", ingest]);
                collector
            }
        };
        // Its own process group, so that the kill takes the window's web processes too.
        let log =
            std::fs::File::create(self.dir.path().join(format!("victim-{round}.log"))).map_err(|e| e.to_string())?;
        command.env("VIGIL_INGEST_TOKEN", TOKEN).stdout(Stdio::null()).stderr(log).process_group(0);
        command.spawn().map_err(|err| format!("start the {:?}: {err}", self.victim))
    }

    fn vigil(&self) -> Command {
        cli(&self.vigil, &self.db)
    }

    /// Runs the victim, the adder, the rollout actor and the ingest load for 0.8–2 s once the
    /// victim answers, kills the victim, and inspects the store.
    pub async fn kill_once(&mut self, round: usize) -> Result<AfterKill, String> {
        let (_, polls_before) = self.inspect().await?;
        let ingest = format!("127.0.0.1:{}", crate::free_port());
        let mut victim = self.start_victim(&ingest, round)?;
        let health = format!("http://{ingest}/ingest/health");
        let http = reqwest::Client::new();
        let up = crate::wait_until(Duration::from_secs(30), || {
            let answer = http.get(&health).send();
            async move { answer.await.ok().filter(|a| a.status().is_success()) }
        })
        .await;
        if up.is_none() {
            crate::signal_group(&victim, libc::SIGKILL);
            let _ = victim.wait();
            return Err(format!("the {:?}'s ingest endpoint never answered", self.victim));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let url = self.fleet.servers()[0].url.clone();
        let adder = {
            let (vigil, db) = (self.vigil.clone(), self.db.clone());
            let (stop, acknowledged) = (stop.clone(), self.acknowledged.clone());
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let name = format!("crash-{round}-{i}");
                    let added = cli(&vigil, &db).args(["server", "add", &name, &url]).output();
                    if added.is_ok_and(|out| out.status.success()) {
                        acknowledged.lock().unwrap_or_else(|e| e.into_inner()).push(name);
                    }
                }
            })
        };
        let actor = {
            let log = self.dir.path().join(format!("actor-{round}.log"));
            let (vigil, db, stop, acted) = (self.vigil.clone(), self.db.clone(), stop.clone(), self.acted.clone());
            std::thread::spawn(move || act_on_rollouts(&vigil, &db, &log, round, &stop, &acted))
        };
        let load = tokio::spawn(post_labels(http, format!("http://{ingest}/ingest/crash/labels"), round, stop.clone()));
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        tokio::time::sleep(Duration::from_millis(800 + self.random % 1_200)).await;
        crate::signal_group(&victim, libc::SIGKILL);
        let killed_at = Instant::now();
        victim.wait().map_err(|err| err.to_string())?;
        stop.store(true, Ordering::Relaxed);
        adder.join().map_err(|_| "the adder panicked".to_owned())?;
        actor.join().map_err(|_| "the rollout actor panicked".to_owned())?;
        let answered = load.await.map_err(|_| "the ingest load panicked".to_owned())?;

        let (integrity, polls_after) = self.inspect().await?;
        let stored = self.stored_labels(round).await?;
        let ingest_lost = answered
            .iter()
            .filter(|(id, _)| !stored.contains(id))
            .map(|(_, at)| killed_at.saturating_duration_since(*at));
        let started = Instant::now();
        let listed =
            self.vigil().args(["server", "list", "--no-check", "--json"]).output().map_err(|e| e.to_string())?;
        let restart = started.elapsed();
        let listed_text = String::from_utf8_lossy(&listed.stdout).to_string();
        let acknowledged = self.acknowledged.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let lost = acknowledged.iter().filter(|name| !listed_text.contains(&format!("\"{name}\""))).cloned().collect();
        let trail = self.trail().await?;
        let acted = self.acted.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let actions_lost =
            acted.iter().filter(|done| !trail.contains(done)).map(|(action, reason)| format!("{action} {reason}"));
        let verified = self.vigil().args(["audit", "verify"]).output().map_err(|e| e.to_string())?;
        Ok(AfterKill {
            integrity,
            polls_before,
            polls_after,
            acknowledged: acknowledged.len(),
            lost,
            ingested: answered.len(),
            ingest_lost: ingest_lost.collect(),
            actions: acted.len(),
            actions_lost: actions_lost.collect(),
            audit_verified: verified.status.success(),
            restart,
            restarted: listed.status.success(),
        })
    }

    /// The ids of round `round`'s labels in the store.
    async fn stored_labels(&self, round: usize) -> Result<std::collections::HashSet<String>, String> {
        let pool = self.reader().await?;
        let ids: Vec<String> = sqlx::query_scalar("SELECT inference_id FROM ground_truth WHERE inference_id LIKE $1")
            .bind(format!("r{round}-%"))
            .fetch_all(&pool)
            .await
            .map_err(|e| e.to_string())?;
        pool.close().await;
        Ok(ids.into_iter().collect())
    }

    /// The rollout entries of the audit trail: each one's action and reason.
    async fn trail(&self) -> Result<std::collections::HashSet<(String, String)>, String> {
        let pool = self.reader().await?;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT action, detail FROM audit_log WHERE action LIKE 'rollout.%'")
                .fetch_all(&pool)
                .await
                .map_err(|e| e.to_string())?;
        pool.close().await;
        let reason = |detail: &str| {
            let detail: serde_json::Value = serde_json::from_str(detail).unwrap_or_default();
            detail["reason"].as_str().unwrap_or_default().to_owned()
        };
        Ok(rows.into_iter().map(|(action, detail)| (action, reason(&detail))).collect())
    }

    /// How long a start takes after a clean stop: the reference for a start after a kill.
    pub fn clean_start(&self) -> Result<Duration, String> {
        let started = Instant::now();
        let listed =
            self.vigil().args(["server", "list", "--no-check", "--json"]).output().map_err(|e| e.to_string())?;
        listed.status.success().then(|| started.elapsed()).ok_or_else(|| "a clean start failed".to_owned())
    }

    /// The store as a plain reader finds it: `integrity_check`'s verdict, and the rows polls wrote.
    async fn inspect(&self) -> Result<(String, i64), String> {
        let pool = self.reader().await?;
        let verdict: String =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.map_err(|e| e.to_string())?;
        let rows: i64 =
            sqlx::query_scalar("SELECT (SELECT count(*) FROM metric_points) + (SELECT count(*) FROM health_events)")
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
        pool.close().await;
        Ok((verdict, rows))
    }

    /// A read-only connection to the store.
    async fn reader(&self) -> Result<sqlx::AnyPool, String> {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=ro", self.db.display());
        let options = AnyConnectOptions::from_str(&url).map_err(|e| e.to_string())?;
        AnyPoolOptions::new().max_connections(1).connect_with(options).await.map_err(|e| e.to_string())
    }

    /// The folder of the store and the victims' logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub async fn stop(mut self) {
        if let Some((xvfb, _)) = &mut self.xvfb {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
        self.fleet.stop().await;
    }
}

/// Posts labels of round `round` to `url`, ten a request, until `stop`: the load generator. Its
/// log: each label the endpoint answered 202 for, with when the answer came.
async fn post_labels(
    http: reqwest::Client,
    url: String,
    round: usize,
    stop: Arc<AtomicBool>,
) -> Vec<(String, Instant)> {
    let mut answered = Vec::new();
    for batch in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let ids: Vec<String> = (0..10).map(|i| format!("r{round}-{batch}-{i}")).collect();
        let labels: Vec<serde_json::Value> = ids.iter().map(|id| serde_json::json!({"id": id, "label": 1})).collect();
        let posted = http.post(&url).bearer_auth(TOKEN).json(&serde_json::json!({ "labels": labels })).send().await;
        match posted {
            Ok(answer) if answer.status() == 202 => {
                let at = Instant::now();
                answered.extend(ids.into_iter().map(|id| (id, at)));
            }
            // Killed: nothing more will be answered.
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    answered
}

/// Starts, signs off, promotes and aborts fraud's rollouts through the CLI as ada the engineer
/// until `stop`, each command with a reason of its own; logs into `acted` each command that
/// answered (exit 0) with the audit action it must have written. A command still running at
/// `stop` is killed: its outcome is unknown, so it is not counted.
fn act_on_rollouts(
    vigil: &Path,
    db: &Path,
    log: &Path,
    round: usize,
    stop: &AtomicBool,
    acted: &Mutex<Vec<(String, String)>>,
) {
    let rollout = |args: &[&str], reason: &str| {
        let mut command = cli(vigil, db);
        command.arg("rollout").args(args).args(["--reason", reason, "--json", "--as", "ada", "--role", "engineer"]);
        let output = output_unless_stopped(command, log, stop)?;
        serde_json::from_slice::<serde_json::Value>(&output).ok()
    };
    let done =
        |action: &str, reason: String| acted.lock().unwrap_or_else(|e| e.into_inner()).push((action.into(), reason));
    for cycle in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let reason = |what: &str| format!("crash-{round}-{cycle}-{what}");
        let Some(started) = rollout(&["start", "fraud", "--to", "13", "--from", "12"], &reason("start")) else {
            // v13 not seen yet, or a rollout left under way by a kill: end whatever is under way.
            if rollout(&["rollback", "fraud", "--to", "12"], &reason("rollback")).is_some() {
                done("rollout.rollback", reason("rollback"));
            }
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        done("rollout.start", reason("start"));
        let id = started["rollout"]["id"].to_string();
        for (what, action) in [("approve", "rollout.approve"), ("promote", "rollout.step"), ("abort", "rollout.abort")]
        {
            if rollout(&[what, &id], &reason(what)).is_none() {
                break;
            }
            done(action, reason(what));
        }
    }
}

/// Runs `command` (its errors appended to `log`) to its end, or kills it once `stop` is set;
/// its standard output if it exited 0.
fn output_unless_stopped(mut command: Command, log: &Path, stop: &AtomicBool) -> Option<Vec<u8>> {
    let errors = std::fs::OpenOptions::new().create(true).append(true).open(log).ok()?;
    let mut child = command.stdout(Stdio::piped()).stderr(errors).spawn().ok()?;
    // Read as it comes, so that a long answer cannot fill the pipe and stall the command.
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut output = Vec::new();
        stdout.read_to_end(&mut output).map(|_| output)
    });
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return reader.join().ok()?.ok().filter(|_| status.success()),
            Ok(None) if stop.load(Ordering::Relaxed) => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => return None,
        }
    }
}

/// The CLI `vigil` on the store `db`, reading nothing from standard input.
fn cli(vigil: &Path, db: &Path) -> Command {
    let mut command = Command::new(vigil);
    command.arg("--db").arg(db).stdin(Stdio::null());
    command
}
