//! One model server of the fleet: the models it hosts, how long they take, what scenarios do
//! to them, and how it serves an inference from request to recorded metrics.
//!
//! An inference is decoded against the model's schema, waits for one of the version's model
//! instances (so load builds a real queue), runs for a service time drawn from the version's
//! latency distribution (plus any scenario's tail), may fail as a scenario says, and is
//! recorded for the metrics page and sent to the payload logger. Every draw comes from the
//! stream of the k-th inference of that version, so counts are reproducible from the seed.

pub mod listener;
pub mod routes;
pub mod style;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::metrics::host::CpuUtilization;
use crate::metrics::{Endpoint, Outcome, Recorder, Timing};
use crate::models::Model;
use crate::oip::{self, BadRequest};
use crate::payload_log::{InferenceRecord, PayloadLogger};
use crate::rng::Rng;

pub use style::Style;

/// How long a model version takes to run one request: log-normal around `median`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceTime {
    pub median: Duration,
    pub sigma: f64,
}

impl ServiceTime {
    fn draw(self, rng: &mut Rng) -> Duration {
        self.median.mul_f64((self.sigma * rng.normal()).exp().min(50.0))
    }
}

/// What scenarios do to one model version while it serves.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VersionFaults {
    /// Share of inferences that fail in the model.
    pub error_rate: f64,
    /// Share of inferences that take extra time, drawn uniformly from `tail`.
    pub tail_share: f64,
    pub tail: (Duration, Duration),
    /// Time added to every inference (a slow server).
    pub extra: Duration,
}

/// One model version a server hosts.
#[derive(Debug, Clone)]
pub struct Hosted {
    pub model: Arc<Model>,
    pub service: ServiceTime,
    /// Model instances: inferences of this version that run at once.
    pub instances: usize,
    pub faults: VersionFaults,
}

/// What a server is: its name, the server it imitates, what it hosts.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub name: String,
    pub style: Style,
    pub hosted: Vec<Hosted>,
    /// Added before every answer but inferences' (a slow server; its inferences are slowed by
    /// their versions' `faults.extra`).
    pub answer_delay: Duration,
}

/// A hosted version while the server runs.
struct Running {
    hosted: Hosted,
    instances: Semaphore,
    /// Inferences started, numbering each one's random stream.
    started: AtomicU64,
    stream: String,
}

/// A server's state while it runs: what a restart starts afresh (counters included, as a real
/// restart does).
pub struct ServerState {
    pub spec: ServerSpec,
    seed: u64,
    running: Vec<Running>,
    pub recorder: Recorder,
    pub cpu: CpuUtilization,
    payload_log: Option<PayloadLogger>,
}

/// An HTTP answer: status, JSON body (None for an empty body), extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    pub fn json(status: StatusCode, body: Value) -> Answer {
        Answer { status, body: Some(body), headers: Vec::new() }
    }

    pub fn error((status, message): (StatusCode, String)) -> Answer {
        Answer::json(status, oip::error_body(&message))
    }
}

impl ServerState {
    pub fn new(spec: ServerSpec, seed: u64, payload_log: Option<PayloadLogger>) -> ServerState {
        let running = spec
            .hosted
            .iter()
            .map(|hosted| Running {
                instances: Semaphore::new(hosted.instances.max(1)),
                started: AtomicU64::new(0),
                stream: format!("serve/{}/{}/{}", spec.name, hosted.model.name, hosted.model.version),
                hosted: hosted.clone(),
            })
            .collect();
        let recorder = match spec.style {
            Style::Triton => {
                Recorder::with_revisions(spec.hosted.iter().map(|h| (h.model.name.as_str(), h.model.version.as_str())))
            }
            Style::Mlserver | Style::Kserve => Recorder::default(),
        };
        ServerState { spec, seed, running, recorder, cpu: CpuUtilization::default(), payload_log }
    }

    /// The versions of `model` in load order.
    pub fn versions(&self, model: &str) -> Vec<&str> {
        self.running.iter().filter(|r| r.hosted.model.name == model).map(|r| r.hosted.model.version.as_str()).collect()
    }

    /// Every hosted model name, once each, in load order.
    pub fn model_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for running in &self.running {
            if !names.contains(&running.hosted.model.name.as_str()) {
                names.push(&running.hosted.model.name);
            }
        }
        names
    }

    /// The hosted version a request for `model` (and `version`, if named) reaches.
    fn find(&self, model: &str, version: Option<&str>) -> Option<&Running> {
        let version = match version {
            Some(version) => version,
            None => self.spec.style.default_version(&self.versions(model))?,
        };
        self.running.iter().find(|r| r.hosted.model.name == model && r.hosted.model.version == version)
    }

    /// The model a request for `model` (and `version`) reaches, if this server hosts it.
    pub fn model(&self, model: &str, version: Option<&str>) -> Option<&Model> {
        self.find(model, version).map(|running| running.hosted.model.as_ref())
    }

    /// The model repository index: every hosted version, ready.
    pub fn repository_index(&self) -> Value {
        let entries: Vec<Value> = self
            .running
            .iter()
            .map(|r| {
                let (name, version) = (&r.hosted.model.name, &r.hosted.model.version);
                serde_json::json!({"name": name, "version": version, "state": "READY", "reason": ""})
            })
            .collect();
        Value::Array(entries)
    }

    /// Serves one `infer` request for `model` (and `version`, if the path named one).
    pub async fn infer(&self, model: &str, version: Option<&str>, body: &[u8]) -> Answer {
        let arrived = Instant::now();
        let answer = self.infer_timed(model, version, body, arrived).await;
        let path = match version {
            Some(_) => "/v2/models/{model_name}/versions/{model_version}/infer",
            None => "/v2/models/{model_name}/infer",
        };
        self.recorder.http(Endpoint { method: "POST", path, status: answer.status.as_u16() }, arrived.elapsed());
        answer
    }

    async fn infer_timed(&self, model: &str, version: Option<&str>, body: &[u8], arrived: Instant) -> Answer {
        let style = self.spec.style;
        let Some(running) = self.find(model, version) else {
            return Answer::error(style.unknown_model(model, version));
        };
        let request = match oip::parse(body) {
            Ok(request) => request,
            Err(bad) => return Answer::error((StatusCode::BAD_REQUEST, bad.message().to_owned())),
        };
        let served = &running.hosted.model;
        let label = style.version_label(version, &served.version);
        let index = running.started.fetch_add(1, Ordering::Relaxed);
        let mut rng = Rng::item(self.seed, &running.stream, index);
        self.recorder.in_progress(true);
        let mut timing = Timing::default();
        let decoded = oip::decode(&request, &served.schema);
        timing.input = arrived.elapsed();
        let id = decoded.as_ref().ok().and_then(|d| d.id.clone()).unwrap_or_else(|| rng.uuid());
        let (outcome, rows, answer) = match decoded {
            Err(BadRequest::Malformed(message)) => (None, 0, Answer::error((StatusCode::BAD_REQUEST, message))),
            Err(BadRequest::Mismatch(message)) => {
                (Some(Outcome::BadInput), 0, Answer::error(style.input_error(&message)))
            }
            Ok(decoded) => {
                let rows = decoded.rows.len() as u64;
                let (outcome, answer) = self.run(running, &label, &decoded.rows, &id, &mut rng, &mut timing).await;
                (Some(outcome), rows, answer)
            }
        };
        timing.total = arrived.elapsed();
        if let Some(outcome) = outcome {
            self.recorder.inference(model, &label, outcome, rows, timing);
        }
        self.recorder.in_progress(false);
        if let (Some(logger), Some(response)) = (&self.payload_log, &answer.body) {
            logger.log(InferenceRecord {
                id,
                server: self.spec.name.clone(),
                model: model.to_owned(),
                version: served.version.clone(),
                request,
                response: response.clone(),
                at: chrono::Utc::now(),
            });
        }
        answer
    }

    /// Queues for a model instance, runs the model, and answers.
    async fn run(
        &self,
        running: &Running,
        label: &str,
        rows: &[crate::schema::Row],
        id: &str,
        rng: &mut Rng,
        timing: &mut Timing,
    ) -> (Outcome, Answer) {
        let (style, hosted) = (self.spec.style, &running.hosted);
        let (model, version) = (hosted.model.name.as_str(), hosted.model.version.as_str());
        let queued = Instant::now();
        self.recorder.waiting(model, label, true);
        let permit = running.instances.acquire().await;
        self.recorder.waiting(model, label, false);
        timing.queue = queued.elapsed();

        let started = Instant::now();
        let faults = hosted.faults;
        let mut service = hosted.service.draw(rng) + faults.extra;
        if rng.chance(faults.tail_share) {
            let (low, high) = faults.tail;
            service += low + (high.saturating_sub(low)).mul_f64(rng.uniform());
        }
        tokio::time::sleep(service).await;
        let failed = rng.chance(faults.error_rate);
        let outputs = (!failed).then(|| hosted.model.predict(rows));
        drop(permit);
        timing.infer = started.elapsed();

        let Some(outputs) = outputs else {
            let message = format!("model {model} version {version} failed to run: inference worker crashed");
            return (Outcome::ModelFailure, Answer::error(style.model_error(&message)));
        };
        let encoding = Instant::now();
        let body = oip::response(model, version, id, &outputs, style.output_parameters().as_ref());
        timing.output = encoding.elapsed();
        let headers = style.response_headers(model, id);
        (Outcome::Success, Answer { status: StatusCode::OK, body: Some(body), headers })
    }
}

#[cfg(test)]
mod tests;
