//! Starting and stopping a whole fleet: the models are trained, each server starts on its
//! loopback port with what its scenarios do to it, then the router, the outage timeline and
//! the traffic generator.
//!
//! | server | imitates (Vigil detects) | hosts | service time (median) |
//! |---|---|---|---|
//! | `fraud` | Triton 2.52 (`triton`) | `fraud` 12 and 13 | 8 ms, 9 ms |
//! | `churn` | MLServer 1.7.1 (`mlserver`) | `churn` v3 | 15 ms |
//! | `pricing` | KServe 0.21 (`oip-v2`) | `price` v7 | 5 ms |
//!
//! With the `feedback-loop` scenario, `fraud` also hosts `recs` 1, 2 and 3 (6 ms), and a
//! timeline moves all of recs' traffic to the next revision every `feedback_loop.every`. With
//! `log_url` set, the traffic's inferences also get their labels (see `labels`) unless
//! `labels.enabled` is off.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::config::{FleetConfig, SERVER_NAMES};
use crate::feedback;
use crate::labels::{self, LabelSender};
use crate::models::{catalog, Model, Task, TrainingError, Truth};
use crate::payload_log::PayloadLogger;
use crate::reference;
use crate::router::{self, Backend, Router};
use crate::scenario::{self, Scenario};
use crate::server::listener::Listener;
use crate::server::{routes, Hosted, ServerSpec, ServerState, ServiceTime, Style};
use crate::traffic::{Feedback, Labelling, Target, Traffic, TrafficPlan, TrafficStats};

/// Why a fleet did not start.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("invalid fleet configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Training(#[from] TrainingError),
    #[error("could not listen on {addr} for {what}: {source} (is the port free? choose another --port-base)")]
    Bind { what: String, addr: SocketAddr, source: std::io::Error },
    #[error("could not set up an HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// A hosted model version: model, version, median service time in milliseconds.
type Hosting = (&'static str, &'static str, u64);

/// Each server's name, what it imitates, and what it hosts, in port order.
const LAYOUT: [(&str, Style, &[Hosting]); 3] = [
    (
        "fraud",
        Style::Triton,
        &[("fraud", "12", 8), ("fraud", "13", 9), ("recs", "1", 6), ("recs", "2", 6), ("recs", "3", 6)],
    ),
    ("churn", Style::Mlserver, &[("churn", "v3", 15)]),
    ("pricing", Style::Kserve, &[("price", "v7", 5)]),
];

/// Model instances per hosted version.
const INSTANCES: usize = 4;
/// Spread of service times (σ of their logarithm).
const SERVICE_SIGMA: f64 = 0.35;
/// Share of requests each model gets from the traffic generator (recs only when it is served).
const TRAFFIC_MIX: [(&str, f64); 4] = [("fraud", 0.6), ("churn", 0.25), ("price", 0.15), ("recs", 0.3)];

/// One server of a running fleet, as a person or a test registers it in Vigil.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerInfo {
    pub name: String,
    /// What it imitates: `triton`, `mlserver` or `kserve` (which Vigil detects as `oip-v2`).
    pub kind: String,
    /// The base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// Served on the same port, at `/metrics`.
    pub metrics_url: String,
    /// `MODEL:VERSION` for each hosted version.
    pub models: Vec<String>,
}

/// A fleet server while the fleet runs: its spec (to start it again after an outage) and its
/// listener (None while it is down).
struct RunningServer {
    spec: ServerSpec,
    addr: SocketAddr,
    listener: Arc<Mutex<Option<Listener>>>,
}

/// Starts fleets.
pub struct Fleet;

/// A fleet serving on loopback. [`RunningFleet::stop`] closes every port; dropping it does too.
pub struct RunningFleet {
    servers: Vec<RunningServer>,
    router: Arc<Router>,
    router_listener: Option<Listener>,
    traffic: Option<Traffic>,
    /// The outage's and the revisions' timelines.
    timelines: Vec<JoinHandle<()>>,
    payload_log: Option<PayloadLogger>,
    labels: Option<LabelSender>,
    seed: u64,
}

impl Fleet {
    /// Trains the models and starts every server, the router and (if enabled) the traffic.
    pub async fn start(config: FleetConfig) -> Result<RunningFleet, FleetError> {
        config.validate().map_err(FleetError::Config)?;
        let models = train_all(&config).await?;
        let logger = config.log_url.clone().map(PayloadLogger::start);
        let labels = config
            .log_url
            .as_ref()
            .filter(|_| config.labels.enabled)
            .map(|url| LabelSender::start(labels::labels_base(url)));
        let port = |index: usize| config.port_base.map_or(0, |base| base + index as u16);

        let mut servers = Vec::new();
        for (index, (name, style, hosted)) in LAYOUT.iter().enumerate() {
            let hosted = hosted
                .iter()
                .filter_map(|(model, version, median_ms)| {
                    Some(Hosted {
                        model: models.get(&(model.to_string(), version.to_string()))?.clone(),
                        service: ServiceTime { median: Duration::from_millis(*median_ms), sigma: SERVICE_SIGMA },
                        instances: INSTANCES,
                        faults: scenario::version_faults(&config, name, model, version),
                    })
                })
                .collect();
            let spec = ServerSpec {
                name: name.to_string(),
                style: *style,
                hosted,
                answer_delay: scenario::answer_delay(&config, name),
            };
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port(index)));
            let listener = serve(&spec, addr, config.seed, logger.clone()).await?;
            let addr = listener.addr();
            servers.push(RunningServer { spec, addr, listener: Arc::new(Mutex::new(Some(listener))) });
        }

        let router = Arc::new(build_router(&config, &servers).map_err(|e| FleetError::Config(e.to_string()))?);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port(SERVER_NAMES.len())));
        let router_listener = Listener::serve(addr, router::http::app(router.clone())?)
            .await
            .map_err(|source| FleetError::Bind { what: "the router".into(), addr, source })?;

        let mut timelines = Vec::new();
        if config.has(Scenario::Outage) {
            timelines.push(outage(&config, &servers, logger.clone()));
        }
        if config.has(Scenario::FeedbackLoop) {
            timelines.push(successive_revisions(router.clone(), config.feedback_loop.every));
        }
        let traffic = if config.traffic.enabled {
            let plan = traffic_plan(&config, &models, labels.clone());
            Some(Traffic::start(plan, format!("http://{}", router_listener.addr()))?)
        } else {
            None
        };
        let router_listener = Some(router_listener);
        let seed = config.seed;
        Ok(RunningFleet { servers, router, router_listener, traffic, timelines, payload_log: logger, labels, seed })
    }
}

/// Trains every model of the catalog, each on its own blocking thread, and with the
/// `feedback-loop` scenario the revisions of `recs`, one after the other on one more.
async fn train_all(config: &FleetConfig) -> Result<BTreeMap<(String, String), Arc<Model>>, FleetError> {
    let seed = config.seed;
    let mut training: Vec<_> = catalog()
        .into_iter()
        .map(|spec| tokio::task::spawn_blocking(move || spec.train(seed).map(|model| vec![model])))
        .collect();
    if config.has(Scenario::FeedbackLoop) {
        let influence = config.feedback_loop.influence;
        training.push(tokio::task::spawn_blocking(move || feedback::revisions(seed, influence)));
    }
    let mut models = BTreeMap::new();
    for task in training {
        let trained = task.await.map_err(|err| FleetError::Config(format!("training stopped: {err}")))??;
        for model in trained {
            models.insert((model.name.clone(), model.version.clone()), Arc::new(model));
        }
    }
    Ok(models)
}

/// Serves a fresh state of `spec` (zero counters) on `addr`.
async fn serve(
    spec: &ServerSpec,
    addr: SocketAddr,
    seed: u64,
    logger: Option<PayloadLogger>,
) -> Result<Listener, FleetError> {
    let state = Arc::new(ServerState::new(spec.clone(), seed, logger));
    Listener::serve(addr, routes::router(state)).await.map_err(|source| FleetError::Bind {
        what: format!("server '{}'", spec.name),
        addr,
        source,
    })
}

/// A route per model over the versions the servers host; fraud's canary (13) gets
/// `canary_percent`, every other model's only version all of its traffic.
fn build_router(config: &FleetConfig, servers: &[RunningServer]) -> Result<Router, router::RouteError> {
    let mut backends: BTreeMap<String, Vec<Backend>> = BTreeMap::new();
    for server in servers {
        for hosted in &server.spec.hosted {
            backends.entry(hosted.model.name.clone()).or_default().push(Backend {
                version: hosted.model.version.clone(),
                server: server.spec.name.clone(),
                url: format!("http://{}", server.addr),
            });
        }
    }
    let routes = backends.into_iter().map(|(model, backends)| {
        let weights = match backends.as_slice() {
            [stable, canary] => BTreeMap::from([
                (stable.version.clone(), 100 - config.canary_percent),
                (canary.version.clone(), config.canary_percent),
            ]),
            _ => backends.first().map(|only| BTreeMap::from([(only.version.clone(), 100)])).unwrap_or_default(),
        };
        (model, backends, weights)
    });
    Router::new(config.seed, routes)
}

/// The outage: the server stops answering at `outage.at`, and serves again, afresh, on the
/// same port after `outage.lasting`.
fn outage(config: &FleetConfig, servers: &[RunningServer], logger: Option<PayloadLogger>) -> JoinHandle<()> {
    let outage = config.outage.clone();
    let seed = config.seed;
    let server =
        servers.iter().find(|s| s.spec.name == outage.server).map(|s| (s.spec.clone(), s.addr, s.listener.clone()));
    tokio::spawn(async move {
        let Some((spec, addr, slot)) = server else { return };
        tokio::time::sleep(outage.at).await;
        if let Some(listener) = slot.lock().await.take() {
            listener.stop().await;
        }
        tracing::info!("outage: server {} stops answering for {:?}", spec.name, outage.lasting);
        tokio::time::sleep(outage.lasting).await;
        match serve(&spec, addr, seed, logger).await {
            Ok(listener) => {
                *slot.lock().await = Some(listener);
                tracing::info!("outage over: server {} answers again on {addr}", spec.name);
            }
            Err(err) => tracing::error!("outage: server {} could not come back: {err}", spec.name),
        }
    })
}

/// Each revision of `recs` in turn takes all of its traffic, the next one every `every`.
fn successive_revisions(router: Arc<Router>, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        for version in feedback::REVISIONS.iter().skip(1) {
            tokio::time::sleep(every).await;
            let weights = BTreeMap::from([(version.to_string(), 100)]);
            if let Err(err) = router.set_split(feedback::MODEL, weights) {
                tracing::error!("feedback loop: could not move recs to revision {version}: {err}");
            }
        }
    })
}

/// The rule of each model's true outcome, by model name.
fn truths() -> BTreeMap<&'static str, Truth> {
    let specs = catalog().into_iter().chain([feedback::spec(feedback::REVISIONS[0])]);
    specs.map(|spec| (spec.name, spec.truth)).collect()
}

/// The traffic plan: the mix of models served, each with its schema and truth, drifted and not,
/// and where labels go.
fn traffic_plan(
    config: &FleetConfig,
    models: &BTreeMap<(String, String), Arc<Model>>,
    labels: Option<LabelSender>,
) -> TrafficPlan {
    let truths = truths();
    let targets = TRAFFIC_MIX
        .iter()
        .filter_map(|(name, weight)| {
            let model = models.iter().find(|((model, _), _)| model == name).map(|(_, model)| model)?;
            let truth = *truths.get(name)?;
            let feedback = match model.task {
                Task::Classifier { label, .. } if *name == feedback::MODEL => {
                    Some(Feedback { influence: config.feedback_loop.influence, recommended: label })
                }
                _ => None,
            };
            Some(Target {
                model: name.to_string(),
                weight: *weight,
                schema: model.schema.clone(),
                drifted: model.schema.drifted(&scenario::drifts(name)),
                truth,
                drifted_truth: scenario::concept_shift(truth, name),
                feedback,
            })
        })
        .collect();
    let drift_at = config.has(Scenario::Drift).then_some(config.drift.at);
    let labels = labels.map(|sender| Labelling { sender, config: config.labels.clone() });
    TrafficPlan { config: config.traffic.clone(), targets, drift_at, seed: config.seed, labels }
}

/// One model's reference data as CSV, and the roles of its columns.
#[derive(Debug, Clone)]
pub struct ReferenceData {
    pub model: String,
    /// The model's prediction: its probability, or its value.
    pub prediction: &'static str,
    /// Its other outputs (a classifier's label).
    pub other_outputs: Vec<&'static str>,
    /// The true outcome.
    pub target: &'static str,
    pub csv: String,
}

impl RunningFleet {
    /// Every model server, in port order.
    pub fn servers(&self) -> Vec<ServerInfo> {
        self.servers
            .iter()
            .map(|server| {
                let url = format!("http://{}", server.addr);
                ServerInfo {
                    name: server.spec.name.clone(),
                    kind: server.spec.style.as_str().into(),
                    metrics_url: format!("{url}/metrics"),
                    url,
                    models: server
                        .spec
                        .hosted
                        .iter()
                        .map(|h| format!("{}:{}", h.model.name, h.model.version))
                        .collect(),
                }
            })
            .collect()
    }

    /// The router's base URL: `POST /v2/models/{model}/infer`, admin at `/admin/routes`.
    pub fn router_url(&self) -> String {
        self.router_listener.as_ref().map(|l| format!("http://{}", l.addr())).unwrap_or_default()
    }

    /// The router itself, to read or set splits in-process.
    pub fn router(&self) -> Arc<Router> {
        self.router.clone()
    }

    /// How the traffic generator's requests went so far (None when traffic is off).
    pub fn traffic(&self) -> Option<TrafficStats> {
        self.traffic.as_ref().map(Traffic::stats)
    }

    /// Reference data for each model the fleet serves, from its first (stable) version, with
    /// `rows` rows; see [`crate::reference`].
    pub fn references(&self, rows: usize) -> Vec<ReferenceData> {
        let truths = truths();
        let mut references: Vec<ReferenceData> = Vec::new();
        for hosted in self.servers.iter().flat_map(|server| &server.spec.hosted) {
            let model = &hosted.model;
            let Some(truth) = truths.get(model.name.as_str()) else { continue };
            if !references.iter().any(|known| known.model == model.name) {
                references.push(ReferenceData {
                    model: model.name.clone(),
                    prediction: reference::prediction_column(model),
                    other_outputs: reference::other_outputs(model),
                    target: reference::TARGET_COLUMN,
                    csv: reference::reference_csv(model, *truth, self.seed, rows),
                });
            }
        }
        references
    }

    /// The payload logger, when `log_url` is set: how many events it sent, dropped, failed.
    pub fn payload_log(&self) -> Option<&PayloadLogger> {
        self.payload_log.as_ref()
    }

    /// The label sender, when `log_url` is set and labels are on: how many labels it sent,
    /// dropped, failed.
    pub fn labels(&self) -> Option<&LabelSender> {
        self.labels.as_ref()
    }

    /// Stops the traffic, the outage timeline, the router and every server; their ports close.
    pub async fn stop(mut self) {
        self.traffic.take();
        self.timelines.drain(..).for_each(|timeline| timeline.abort());
        if let Some(router) = self.router_listener.take() {
            router.stop().await;
        }
        for server in &self.servers {
            if let Some(listener) = server.listener.lock().await.take() {
                listener.stop().await;
            }
        }
    }
}

impl Drop for RunningFleet {
    fn drop(&mut self) {
        self.timelines.drain(..).for_each(|timeline| timeline.abort());
    }
}

#[cfg(test)]
mod tests;
