//! The demo fleet inside the desktop app (cargo feature `demo`, on by default): `--demo` at
//! launch, or Settings, starts a `vigil-fleet` on loopback and registers its servers with the
//! engine; Stop closes its ports; quitting the app drops it with the process.
//!
//! Its servers are registered by the fleet's names (`fraud`, `churn`, `pricing`; not the router)
//! with kind `auto`, a short poll interval so the first screen comes alive quickly, and the
//! label `source=vigil-fleet`, by which they are found again: a later start updates their URL
//! when it changed, and "Remove demo servers" removes exactly them. A server of the same name
//! without that label is the person's own and is never touched.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde::Serialize;
use tauri::Manager;
use tokio::sync::{watch, Mutex};
use ts_rs::TS;
use vigil_core::drift::ingest::IngestServer;
use vigil_core::drift::reference::ReferenceRequest;
use vigil_core::drift::schema::ColumnUse;
use vigil_core::rollouts::people::{Person, Role};
use vigil_core::rollouts::plan::{Gate, Metric, Plan, Step};
use vigil_core::rollouts::targets::TargetSpec;
use vigil_core::servers::Labels;
use vigil_core::{Engine, EngineEvent, NewServer, Server, ServerKind, VigilError};
use vigil_fleet::config::SERVER_NAMES;
use vigil_fleet::{Fleet, FleetConfig, FleetError, RunningFleet, Scenario, ServerInfo};

use crate::forward;

/// The label every demo server carries, as name and value.
pub const LABEL: (&str, &str) = ("source", "vigil-fleet");
/// What each demo server is said to run on and which team owns it, as server labels the cost
/// domain reads (`instance`, `replicas`, `team`): so the Cost view has figures at first open.
const COST_LABELS: [(&str, &str, &str, &str); 3] = [
    ("fraud", "aws/us-east-1/g4dn.xlarge", "2", "payments"),
    ("churn", "aws/us-east-1/c5.2xlarge", "1", "growth"),
    ("pricing", "gcp/us-central1/e2-standard-4", "2", "marketplace"),
];
/// What `--demo` plays when it names no scenario.
pub const DEFAULT_SCENARIOS: [Scenario; 3] = [Scenario::Healthy, Scenario::Drift, Scenario::BadCanary];
/// The name of the event that carries the demo fleet's status to the window.
const DEMO_EVENT: &str = "demo";
/// How long the demo waits for a poll of each of its servers before importing references.
const METADATA_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// Rows of reference data the demo imports for each model.
const REFERENCE_ROWS: usize = 5_000;
/// The demo's ports (fraud, churn, pricing, router), fixed so its servers keep their URLs from
/// one run to the next, and below Linux's ephemeral range (32768–60999) so that no outgoing
/// connection holds one; free ports are used when these are taken.
const PORT_BASE: u16 = 17810;
/// Seconds between polls of a demo server, so rates and latencies show within seconds.
const POLL_INTERVAL_SECS: f64 = 2.0;

/// Whether the demo fleet is serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DemoState {
    Stopped,
    /// Training its models and opening its ports (a few seconds).
    Starting,
    Running,
}

/// One server of the running demo fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DemoServer {
    pub name: String,
    /// What it imitates: `triton`, `mlserver` or `kserve`.
    pub kind: String,
    pub url: String,
    /// `MODEL:VERSION` of each version it hosts.
    pub models: Vec<String>,
}

/// What the Settings view shows of the demo fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DemoStatus {
    /// Grows with each change, so the window can drop a status that arrives after a newer one.
    pub revision: u32,
    pub state: DemoState,
    /// The scenarios it plays, or will play when started.
    pub scenarios: Vec<String>,
    /// Its servers while it runs.
    pub servers: Vec<DemoServer>,
    /// Registered servers labelled `source=vigil-fleet`, by name, running or not.
    pub registered: Vec<String>,
    /// Why the last start failed, until the next start.
    pub error: Option<String>,
}

/// The part of the status that changes without the database: what the window is told about.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    revision: u32,
    state: DemoState,
    servers: Vec<DemoServer>,
    error: Option<String>,
}

/// The demo fleet of this app: at most one, started and stopped one operation at a time.
pub struct Demo {
    config: FleetConfig,
    fleet: Mutex<Option<RunningFleet>>,
    phase: watch::Sender<Phase>,
}

/// The fleet configuration `--demo` starts: `scenarios` on the demo's fixed ports, logging its
/// payloads to `ingest`.
pub fn config(scenarios: Vec<Scenario>, ingest: Option<&IngestServer>) -> FleetConfig {
    let log_url = ingest.and_then(|ingest| url::Url::parse(&ingest.logger_url()).ok());
    FleetConfig { scenarios, port_base: Some(PORT_BASE), log_url, ..FleetConfig::default() }
}

/// Gives `app` (its engine and ingest endpoint in its state) a demo fleet that plays `launch`'s
/// scenarios, the default ones when it names none, and tells the window of each change. `launch`
/// is `--demo`: when given, the fleet starts at once.
pub fn setup(app: &tauri::App, launch: Option<Vec<Scenario>>) {
    let start = launch.is_some();
    let scenarios = launch.filter(|s| !s.is_empty()).unwrap_or_else(|| DEFAULT_SCENARIOS.to_vec());
    app.manage(Demo::new(config(scenarios, Some(&app.state::<IngestServer>()))));

    let handle = app.handle().clone();
    let mut changes = app.state::<Demo>().changes();
    tauri::async_runtime::spawn(async move {
        while changes.changed().await.is_ok() {
            match handle.state::<Demo>().status(&handle.state::<Engine>()).await {
                Ok(status) => forward::emit(&handle, DEMO_EVENT, &status),
                Err(err) => tracing::warn!("could not read the demo fleet's status: {err}"),
            }
        }
    });

    if start {
        let handle = app.handle().clone();
        tauri::async_runtime::spawn(async move {
            if let Err(err) = handle.state::<Demo>().start(&handle.state::<Engine>()).await {
                eprintln!("error: {err}");
            }
        });
    }
}

/// Imports each demo model's reference data (its outputs and true outcome with it), for the
/// models that have none with a target yet. It waits for a stored poll of each demo server first
/// (at most [`METADATA_WAIT`]), so that the models' metadata says which output is the label and
/// which the probability, and the labelled rows calibrate the performance estimates (CBPE).
async fn import_references(engine: &Engine, fleet: &RunningFleet) -> Result<(), VigilError> {
    let mut events = engine.subscribe();
    let mut unpolled: Vec<String> = fleet.servers().into_iter().map(|server| server.name).collect();
    let _ = tokio::time::timeout(METADATA_WAIT, async {
        while !unpolled.is_empty() {
            match events.recv().await {
                Ok(EngineEvent::Polled { servers, .. }) => unpolled.retain(|name| !servers.contains(name)),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                _ => {}
            }
        }
    })
    .await;
    for reference in fleet.references(REFERENCE_ROWS) {
        let stored = engine.drift().reference(&reference.model, None).await?;
        if stored.is_some_and(|stored| stored.target.is_some()) {
            continue;
        }
        let path =
            std::env::temp_dir().join(format!("vigil-demo-reference-{}-{}.csv", reference.model, std::process::id()));
        std::fs::write(&path, &reference.csv)
            .map_err(|err| VigilError::Internal(format!("writing {}: {err}", path.display())))?;
        let skip = || ColumnUse::Skip { reason: "the model's predicted label".into() };
        let request = ReferenceRequest {
            model: reference.model,
            prediction: Some(reference.prediction.into()),
            target: Some(reference.target.into()),
            columns: reference.other_outputs.iter().map(|name| (name.to_string(), skip())).collect(),
            ..ReferenceRequest::default()
        };
        let imported =
            engine.drift().import_reference(path.clone(), request, |_| {}, Arc::new(AtomicBool::new(false))).await;
        let _ = std::fs::remove_file(&path);
        imported?;
    }
    Ok(())
}

/// The demo's release pipeline: fraud's rollouts take effect at the fleet's router, by a plan
/// whose steps last 10 s (and need 10 requests) so a rollout plays out in about a minute; once
/// fraud's version 13 has been seen, the pipeline starts rolling it out (unless a rollout of fraud
/// is under way). With bad-canary it is rolled back; healthy, it waits for sign-off before 100 %.
async fn deploy_through_router(engine: &Engine, fleet: &RunningFleet) -> Result<(), VigilError> {
    let pipeline = Person::new("release pipeline", Role::Engineer, "vigil-demo")?;
    let url = format!("{}/admin/routes/fraud", fleet.router_url());
    let rollouts = engine.rollouts();
    let current = rollouts.targets().await?.into_iter().find(|t| t.model == "fraud");
    if current.is_none_or(|t| t.spec != TargetSpec::Router { url: url.clone() }) {
        rollouts.set_target(&pipeline, "fraud", TargetSpec::Router { url }, None).await?;
    }
    if rollouts.plan("fraud").await? == Plan::default() {
        let step = |weight| Step { weight, min_duration_s: 10, approval: false, shadow: false };
        let gates = vec![
            Gate { metric: Metric::ErrorShare, max: Some(0.05), max_vs_stable: None, min: None },
            Gate { metric: Metric::P99S, max: None, max_vs_stable: Some(2.0), min: None },
        ];
        let plan =
            Plan { steps: vec![step(10), step(25), step(50), step(100)], gates, min_requests: 10, ..Plan::default() };
        rollouts.set_plan(&pipeline, "fraud", plan).await?;
    }
    let engine = engine.clone();
    tauri::async_runtime::spawn(async move {
        for _ in 0..60 {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let under_way =
                engine.rollouts().list(Some("fraud"), 1).await.map(|r| r.iter().any(|v| v.rollout.state.active()));
            if under_way.unwrap_or(true) {
                return;
            }
            let reason = Some("the demo's release pipeline deploys fraud 13");
            if engine.rollouts().start(&pipeline, "fraud", "13", Some("12"), reason).await.is_ok() {
                return;
            }
        }
    });
    Ok(())
}

/// Whether `server` was registered by the demo.
pub fn is_demo(server: &Server) -> bool {
    server.labels.get(LABEL.0).is_some_and(|value| value == LABEL.1)
}

impl Demo {
    /// A stopped demo that plays `config` when started.
    pub fn new(config: FleetConfig) -> Demo {
        let phase = Phase { revision: 0, state: DemoState::Stopped, servers: Vec::new(), error: None };
        Demo { config, fleet: Mutex::new(None), phase: watch::channel(phase).0 }
    }

    /// Wakes each time the state, the servers or the error change.
    pub fn changes(&self) -> watch::Receiver<Phase> {
        self.phase.subscribe()
    }

    /// The demo as it is now, with the demo servers registered in `engine` (read after the
    /// phase, so they are at least as new as its revision).
    pub async fn status(&self, engine: &Engine) -> Result<DemoStatus, VigilError> {
        let phase = self.phase.borrow().clone();
        let registered = engine.servers().list().await?.into_iter().filter(is_demo).map(|s| s.name).collect();
        Ok(DemoStatus {
            revision: phase.revision,
            state: phase.state,
            scenarios: self.config.scenarios.iter().map(|s| s.to_string()).collect(),
            servers: phase.servers,
            registered,
            error: phase.error,
        })
    }

    /// Starts the fleet and registers its servers; nothing when it already runs. Refused, with
    /// nothing started, when a server of a demo server's name is the person's own.
    pub async fn start(&self, engine: &Engine) -> Result<(), VigilError> {
        let mut slot = self.fleet.lock().await;
        if slot.is_some() {
            return Ok(());
        }
        self.set(DemoState::Starting, Vec::new(), None);
        let started = async {
            for name in SERVER_NAMES {
                registration(engine, name).await?;
            }
            let fleet = start_fleet(&self.config).await?;
            let registered = async {
                register(engine, &fleet.servers()).await?;
                // The release pipeline first, so fraud's canary is rolling out as soon as it is
                // seen; the references (a poll of every server and three imports) after it.
                deploy_through_router(engine, &fleet).await?;
                import_references(engine, &fleet).await
            };
            match registered.await {
                Ok(()) => Ok(fleet),
                Err(err) => {
                    fleet.stop().await;
                    Err(err)
                }
            }
        }
        .await;
        match started {
            Ok(fleet) => {
                self.set(DemoState::Running, fleet.servers().into_iter().map(DemoServer::from).collect(), None);
                *slot = Some(fleet);
                Ok(())
            }
            Err(err) => {
                self.set(DemoState::Stopped, Vec::new(), Some(err.to_string()));
                Err(err)
            }
        }
    }

    /// Stops the fleet: its ports close, and its servers, still registered, go down.
    pub async fn stop(&self) {
        self.stop_fleet(&mut *self.fleet.lock().await).await;
    }

    /// Stops the fleet and removes every demo server from `engine`, each on the audit trail; no
    /// start can come between the two. The status told at the stop may list some of them still:
    /// a new revision follows the removals.
    pub async fn remove_servers(&self, engine: &Engine) -> Result<(), VigilError> {
        let mut slot = self.fleet.lock().await;
        self.stop_fleet(&mut slot).await;
        let removed = async {
            for server in engine.servers().list().await?.into_iter().filter(is_demo) {
                engine.servers().remove(&server.name).await?;
            }
            Ok(())
        }
        .await;
        self.phase.send_modify(|phase| phase.revision += 1);
        removed
    }

    /// Stops the fleet in `slot`, if any, keeping the last start's error in view.
    async fn stop_fleet(&self, slot: &mut Option<RunningFleet>) {
        if let Some(fleet) = slot.take() {
            fleet.stop().await;
        }
        let error = self.phase.borrow().error.clone();
        self.set(DemoState::Stopped, Vec::new(), error);
    }

    fn set(&self, state: DemoState, servers: Vec<DemoServer>, error: Option<String>) {
        self.phase.send_modify(|phase| *phase = Phase { revision: phase.revision + 1, state, servers, error });
    }
}

impl From<ServerInfo> for DemoServer {
    fn from(info: ServerInfo) -> DemoServer {
        DemoServer { name: info.name, kind: info.kind, url: info.url, models: info.models }
    }
}

/// The demo's registration of `name`, if any; refused when `name` is the person's own server.
async fn registration(engine: &Engine, name: &str) -> Result<Option<Server>, VigilError> {
    match engine.servers().get(name).await {
        Ok(server) if is_demo(&server) => Ok(Some(server)),
        Ok(_) => Err(VigilError::Conflict {
            field: "name",
            message: format!(
                "A server named '{name}' is already registered and is not the demo's, so the demo fleet \
                 did not start. Rename or remove that server (Fleet → Edit, or `vigil server remove {name}`), \
                 then start the demo fleet again."
            ),
        }),
        Err(VigilError::NotFound(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Starts `config`, on free ports when its fixed ones are taken.
async fn start_fleet(config: &FleetConfig) -> Result<RunningFleet, VigilError> {
    let failed = |err: FleetError| VigilError::Conflict {
        field: "demo",
        message: format!("The demo fleet could not start: {err}."),
    };
    match Fleet::start(config.clone()).await {
        Err(FleetError::Bind { addr, .. }) if config.port_base.is_some() => {
            tracing::warn!("the demo fleet's port {addr} is taken; starting it on free ports instead");
            Fleet::start(FleetConfig { port_base: None, ..config.clone() }).await.map_err(failed)
        }
        started => started.map_err(failed),
    }
}

/// Registers each fleet server, or points an earlier registration of it at its current URL.
async fn register(engine: &Engine, servers: &[ServerInfo]) -> Result<(), VigilError> {
    for info in servers {
        match registration(engine, &info.name).await? {
            Some(existing) if existing.base_url == info.url => {}
            Some(existing) => {
                let edit = NewServer { base_url: info.url.clone(), ..existing.settings() };
                engine.servers().update(&info.name, edit).await?;
            }
            None => {
                let new = NewServer {
                    name: info.name.clone(),
                    base_url: info.url.clone(),
                    kind: ServerKind::Auto,
                    poll_interval_secs: Some(POLL_INTERVAL_SECS),
                    labels: demo_labels(&info.name),
                    ..NewServer::default()
                };
                engine.servers().add(new).await?;
            }
        }
    }
    Ok(())
}

/// The labels a demo server is registered with: where it comes from, and its cost labels.
fn demo_labels(server: &str) -> Labels {
    let mut labels: Labels = [(LABEL.0.to_owned(), LABEL.1.to_owned())].into();
    if let Some((_, instance, replicas, team)) = COST_LABELS.iter().find(|(name, ..)| *name == server) {
        for (key, value) in [("instance", instance), ("replicas", replicas), ("team", team)] {
            labels.insert(key.to_owned(), (*value).to_owned());
        }
    }
    labels
}

#[cfg(test)]
mod tests;
