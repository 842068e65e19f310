//! The ingest endpoint: model servers' payload loggers post each inference here (KServe/Seldon
//! CloudEvents, or plain OIP v2 / KServe v1 JSON), and Vigil keeps it in the model's live
//! windows. A request and its response are paired by id; a half whose other half has not come
//! within [`PAIR_WAIT`] is kept alone. A response's prediction is logged by inference id
//! (`performance::log`, by the model's output rule, `performance::outputs`). Rows, predictions
//! and posted labels are gathered in memory and stored four times a second, in one write. Each
//! client address may send [`DEFAULT_CLIENT_RATE`] requests a second unless set
//! otherwise (`client_rate`); more are answered 429 unread.
//!
//! `POST /ingest` (the model named by `ce-inferenceservicename`, `ce-modelid` or the body's
//! `model_name`) or `POST /ingest/{model}`, with the token as `Authorization: Bearer TOKEN` or
//! `?token=TOKEN` (for loggers that take only a URL). Answers 202 when kept, 400 with why when
//! the payload cannot be read, 401 without the token. `GET /ingest/health` answers 200.
//!
//! `POST /ingest/{model}/labels`, same token, posts ground truth (`performance::labels`):
//! `{"labels":[{"id":"…","label":1,"at":"RFC 3339, optional"}]}`; answers 202 with
//! `{"accepted":N}`, or 400 naming what is wrong (nothing kept).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use ts_rs::TS;

use super::client_rate::{self, ClientRate};
use super::live::LiveProfiles;
use super::payload::{self, Columns, Envelope, Part, Payload};
use super::reference::kinds_of;
use super::stats::ColumnKind;
use super::table::{Cell, Field};
use super::Drift;
use crate::performance::labels::{self, Label};
use crate::performance::log::{PredictionLog, Source};
use crate::performance::outputs::{self, ModelOutputs};
use crate::performance::settings;
use crate::{Result, VigilError};

/// Requests a second each client address may send unless set otherwise.
pub const DEFAULT_CLIENT_RATE: u32 = client_rate::DEFAULT_PER_SECOND;

/// The largest payload read, in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// How long half of an inference waits for its other half.
pub const PAIR_WAIT: Duration = Duration::from_secs(10);
/// The most halves waiting at once; past it, a half is kept alone at once.
const MAX_WAITING: usize = 100_000;
/// The most labels and predictions taken and not yet stored. Past it, payloads are answered 503
/// (retry in a second) rather than 202, so that a 202 keeps its promise: stored within a second
/// however fast they come (the write of this many takes a fraction of one).
const MAX_UNSTORED: usize = 10_000;
/// How often gathered rows are stored.
const STORE_EVERY: Duration = Duration::from_millis(250);
/// How long what Vigil knows of a model's columns is trusted before it is read again.
const COLUMNS_FRESH: Duration = Duration::from_secs(30);

/// What the endpoint has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
pub struct IngestStats {
    #[ts(type = "number")]
    pub accepted: u64,
    /// Refused, whatever the reason: the sum of the five below.
    #[ts(type = "number")]
    pub rejected: u64,
    /// Refused for a missing or wrong token.
    #[ts(type = "number")]
    pub unauthorized: u64,
    /// Refused because it could not be read (not JSON, a ragged tensor, no model named…).
    #[ts(type = "number")]
    pub unreadable: u64,
    /// Refused unread for being over [`MAX_BODY_BYTES`].
    #[ts(type = "number")]
    pub too_large: u64,
    /// Refused unread for coming faster than the client's rate limit allows.
    #[ts(type = "number")]
    pub rate_limited: u64,
    /// Answered 503 (retry) while more waited to be stored than a second's write holds.
    #[ts(type = "number")]
    pub busy: u64,
    /// Rows kept in live windows (a paired request and response make one).
    #[ts(type = "number")]
    pub rows: u64,
    /// Predictions gathered for the prediction log.
    #[ts(type = "number")]
    pub predictions: u64,
    /// Labels accepted.
    #[ts(type = "number")]
    pub labels: u64,
}

/// A running ingest endpoint; dropping it stops it. What it gathered since the last store is
/// stored only by [`IngestServer::flush`] or [`IngestServer::finish`], which a clean stop calls.
pub struct IngestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl IngestServer {
    /// The address it listens on (the port chosen when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL a payload logger posts to, token included.
    pub fn logger_url(&self) -> String {
        logger_url(self.addr, &self.shared.token)
    }

    pub fn stats(&self) -> IngestStats {
        let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        IngestStats {
            accepted: count(&self.shared.accepted),
            rejected: count(&self.shared.unauthorized)
                + count(&self.shared.unreadable)
                + count(&self.shared.too_large)
                + count(&self.shared.rate_limited)
                + count(&self.shared.busy),
            unauthorized: count(&self.shared.unauthorized),
            unreadable: count(&self.shared.unreadable),
            too_large: count(&self.shared.too_large),
            rate_limited: count(&self.shared.rate_limited),
            busy: count(&self.shared.busy),
            rows: count(&self.shared.rows),
            predictions: count(&self.shared.predictions_logged),
            labels: count(&self.shared.labels_accepted),
        }
    }

    /// Requests a second each client address may send from now on (0: no limit); until set,
    /// [`DEFAULT_CLIENT_RATE`]. A request over it is answered 429 unread.
    pub fn set_client_rate(&self, per_second: u32) {
        self.shared.client_rate.set(per_second);
    }

    /// Stores what was gathered now (also done four times a second).
    pub async fn flush(&self) -> Result<()> {
        self.shared.store(PAIR_WAIT).await
    }

    /// Stores everything before a clean stop, halves still waiting for their other half too
    /// (kept alone, as after [`PAIR_WAIT`]).
    pub async fn finish(&self) -> Result<()> {
        self.shared.store(Duration::ZERO).await
    }
}

impl Drop for IngestServer {
    fn drop(&mut self) {
        self.tasks.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

/// A model's columns as its reference has them, where its prediction is, and whether it keeps inputs.
struct Known {
    features: Vec<String>,
    prediction: Option<String>,
    kinds: HashMap<String, ColumnKind>,
    outputs: ModelOutputs,
    keep_inputs: bool,
}

struct Shared {
    drift: Drift,
    token: String,
    known: Mutex<HashMap<String, (Instant, Arc<Known>)>>,
    waiting: Mutex<HashMap<String, (Instant, Payload)>>,
    gathered: Mutex<HashMap<String, LiveProfiles>>,
    predictions: Mutex<PredictionLog>,
    /// Posted labels by model, with when they came (Unix ms).
    labels: Mutex<Vec<(String, i64, Vec<Label>)>>,
    accepted: AtomicU64,
    unauthorized: AtomicU64,
    unreadable: AtomicU64,
    too_large: AtomicU64,
    rate_limited: AtomicU64,
    /// Answered 503 while too much waited to be stored.
    busy: AtomicU64,
    client_rate: ClientRate,
    /// Labels and predictions taken and not yet stored.
    unstored: std::sync::atomic::AtomicUsize,
    rows: AtomicU64,
    predictions_logged: AtomicU64,
    labels_accepted: AtomicU64,
}

/// Starts the endpoint on `addr`, accepting payloads that carry `token`.
pub(super) async fn start(drift: Drift, addr: SocketAddr, token: String) -> Result<IngestServer> {
    if token.trim().len() < 16 {
        return Err(VigilError::invalid("token", "The ingest token must be at least 16 characters."));
    }
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|err| {
        VigilError::invalid(
            "ingest",
            format!("Vigil could not listen for payloads on {addr}: {err}. Choose another address with --ingest."),
        )
    })?;
    let addr = listener.local_addr().map_err(|err| VigilError::Internal(err.to_string()))?;
    let shared = Arc::new(Shared {
        drift,
        token,
        known: Mutex::default(),
        waiting: Mutex::default(),
        gathered: Mutex::default(),
        predictions: Mutex::default(),
        labels: Mutex::default(),
        accepted: AtomicU64::new(0),
        unauthorized: AtomicU64::new(0),
        unreadable: AtomicU64::new(0),
        too_large: AtomicU64::new(0),
        rate_limited: AtomicU64::new(0),
        busy: AtomicU64::new(0),
        client_rate: ClientRate::new(client_rate::DEFAULT_PER_SECOND),
        unstored: Default::default(),
        rows: AtomicU64::new(0),
        predictions_logged: AtomicU64::new(0),
        labels_accepted: AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/ingest/health", get(|| async { StatusCode::OK }))
        .route("/ingest", post(receive))
        .route("/ingest/{model}", post(receive_for))
        .route("/ingest/{model}/labels", post(receive_labels))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(shared.clone(), within_rate))
        .with_state(shared.clone());
    let serve = tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!("the ingest endpoint stopped: {err}");
        }
    });
    let storer = shared.clone();
    let store = tokio::spawn(async move {
        let mut every = tokio::time::interval(STORE_EVERY);
        loop {
            every.tick().await;
            if let Err(err) = storer.store(PAIR_WAIT).await {
                tracing::warn!("live drift data and predictions could not be stored: {err}");
            }
        }
    });
    Ok(IngestServer { addr, shared, tasks: vec![serve, store] })
}

/// A request's body as read, or why it could not be (over [`MAX_BODY_BYTES`], cut short).
type Body = std::result::Result<Bytes, BytesRejection>;

/// An answer: its status and its words.
type Answer = (StatusCode, String);

async fn receive(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Body) -> Answer {
    shared.receive(None, &uri, &headers, body).await
}

async fn receive_for(
    State(shared): State<Arc<Shared>>,
    Path(model): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    shared.receive(Some(model), &uri, &headers, body).await
}

async fn receive_labels(
    State(shared): State<Arc<Shared>>,
    Path(model): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let body = match shared.admit(&uri, &headers, body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    match labels::parse_post(&body, now_ms) {
        Ok(posted) => {
            let accepted = posted.len();
            shared.labels_accepted.fetch_add(accepted as u64, Ordering::Relaxed);
            shared.unstored.fetch_add(accepted, Ordering::Relaxed);
            shared.labels.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push((model, now_ms, posted));
            (StatusCode::ACCEPTED, serde_json::json!({ "accepted": accepted }).to_string())
        }
        Err(why) => {
            shared.unreadable.fetch_add(1, Ordering::Relaxed);
            (StatusCode::BAD_REQUEST, why)
        }
    }
}

/// Passes a request on if its client is within its rate; otherwise answers 429 unread.
async fn within_rate(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if shared.client_rate.admit(client.ip(), Instant::now()) {
        return next.run(request).await;
    }
    shared.rate_limited.fetch_add(1, Ordering::Relaxed);
    let why = format!(
        "over {} requests a second from {}: slow down, or raise the limit (--ingest-rate)",
        shared.client_rate.per_second(),
        client.ip()
    );
    (StatusCode::TOO_MANY_REQUESTS, [(axum::http::header::RETRY_AFTER, "1")], why).into_response()
}

const UNAUTHORIZED: &str = "send the ingest token as Authorization: Bearer TOKEN or ?token=TOKEN";

impl Shared {
    async fn receive(&self, model: Option<String>, uri: &Uri, headers: &HeaderMap, body: Body) -> Answer {
        let body = match self.admit(uri, headers, body) {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        match self.keep(model, headers, &body).await {
            Ok(()) => {
                self.accepted.fetch_add(1, Ordering::Relaxed);
                (StatusCode::ACCEPTED, String::new())
            }
            Err(why) => {
                self.unreadable.fetch_add(1, Ordering::Relaxed);
                (StatusCode::BAD_REQUEST, why)
            }
        }
    }

    /// The body of a request that carries the token and could be read whole; otherwise the
    /// refusal, counted by its reason.
    fn admit(&self, uri: &Uri, headers: &HeaderMap, body: Body) -> std::result::Result<Bytes, Answer> {
        if !self.authorized(uri, headers) {
            self.unauthorized.fetch_add(1, Ordering::Relaxed);
            return Err((StatusCode::UNAUTHORIZED, UNAUTHORIZED.into()));
        }
        if self.unstored.load(Ordering::Relaxed) >= MAX_UNSTORED {
            self.busy.fetch_add(1, Ordering::Relaxed);
            let why = format!(
                "Vigil is still storing the {MAX_UNSTORED} labels and predictions before this: retry in a second"
            );
            return Err((StatusCode::SERVICE_UNAVAILABLE, why));
        }
        body.map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                self.too_large.fetch_add(1, Ordering::Relaxed);
                (status, format!("the body is over {} MB: send one inference per request", MAX_BODY_BYTES >> 20))
            } else {
                self.unreadable.fetch_add(1, Ordering::Relaxed);
                (status, format!("the body could not be read: {}", rejection.body_text()))
            }
        })
    }

    fn authorized(&self, uri: &Uri, headers: &HeaderMap) -> bool {
        let bearer = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let query =
            uri.query().into_iter().flat_map(|query| query.split('&')).find_map(|pair| pair.strip_prefix("token="));
        [bearer, query].into_iter().flatten().any(|given| constant_time_eq(given.as_bytes(), self.token.as_bytes()))
    }

    async fn keep(&self, model: Option<String>, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
        let body = payload::Body::parse(body)?;
        let envelope = envelope(headers);
        let model = model
            .or_else(|| envelope.ce_model.map(str::to_owned))
            .or_else(|| body.model_name().map(str::to_owned))
            .ok_or("name the model: post to /ingest/{model}, or send ce-inferenceservicename or model_name")?;
        let known = self.known(&model).await.map_err(|err| err.to_string())?;
        let columns = Columns { features: &known.features, prediction: known.prediction.as_deref() };
        let mut payload = payload::read_body(&body, &envelope, &columns)?;
        payload.model = Some(model);
        let whole = match payload.id.clone() {
            Some(id) => {
                let mut waiting = self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                match waiting.remove(&id) {
                    Some((_, other)) => Some((pair(other, payload), true)),
                    None if waiting.len() < MAX_WAITING => {
                        waiting.insert(id, (Instant::now(), payload));
                        None
                    }
                    None => Some((payload, false)),
                }
            }
            None => Some((payload, false)),
        };
        if let Some((payload, paired)) = whole {
            self.gather(payload, &known, paired);
        }
        Ok(())
    }

    /// What the model's reference says of its columns, read at most every [`COLUMNS_FRESH`].
    async fn known(&self, model: &str) -> Result<Arc<Known>> {
        if let Some((read_at, known)) = self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(model) {
            // A reference may be imported any moment: without one, ask again sooner.
            let fresh = if known.kinds.is_empty() { COLUMNS_FRESH / 10 } else { COLUMNS_FRESH };
            if read_at.elapsed() < fresh {
                return Ok(known.clone());
            }
        }
        let reference = self.drift.reference(model, None).await?;
        let mut conn = self.drift.context().pool().acquire().await?;
        let known = Arc::new(Known {
            features: reference
                .iter()
                .flat_map(|reference| {
                    let other =
                        |name: &String| [&reference.prediction, &reference.target].contains(&&Some(name.clone()));
                    reference.columns.iter().map(|column| &column.name).filter(move |name| !other(name)).cloned()
                })
                .collect(),
            prediction: reference.as_ref().and_then(|reference| reference.prediction.clone()),
            kinds: kinds_of(reference.as_ref()),
            outputs: outputs::of_model(&mut conn, model, reference.as_ref()).await?,
            keep_inputs: settings::of(&mut conn, model).await?.keep_inputs,
        });
        let mut cache = self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.insert(model.to_owned(), (Instant::now(), known.clone()));
        Ok(known)
    }

    /// Adds a whole payload's rows to its model's live profiles, and its predictions to the log
    /// when it carries the model's answer (it is a response, or a request `paired` with one).
    fn gather(&self, payload: Payload, known: &Known, paired: bool) {
        let Some(model) = payload.model.as_deref() else { return };
        let at_ms = chrono::Utc::now().timestamp_millis();
        let version = payload.version.as_deref().unwrap_or("");
        let rows = payload.rows.len() as u64;
        {
            let mut log = self.predictions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if paired || payload.part == Part::Response {
                let source = Source {
                    model,
                    version,
                    id: payload.id.as_deref(),
                    at_ms,
                    columns: &payload.columns,
                    rule: known.outputs.for_version(version),
                    keep_inputs: known.keep_inputs,
                    leave_out: &[],
                };
                let before = log.len();
                log.log(&source, payload.rows.len(), |row, column| {
                    payload.rows[row].get(column).map_or(Field::Missing, Cell::as_field)
                });
                self.predictions_logged.fetch_add((log.len() - before) as u64, Ordering::Relaxed);
                self.unstored.fetch_add(log.len() - before, Ordering::Relaxed);
            } else {
                let why = format!(
                    "requests came without their response within {} s: no prediction to log",
                    PAIR_WAIT.as_secs()
                );
                log.skip(model, &why, rows, at_ms);
            }
        }
        let mut gathered = self.gathered.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let live = match gathered.get_mut(model) {
            Some(live) => live,
            None => gathered.entry(model.to_owned()).or_insert_with(|| LiveProfiles::new(model, known.kinds.clone())),
        };
        let positions: Vec<usize> = payload.columns.iter().map(|column| live.column(column)).collect();
        for row in &payload.rows {
            live.add_row(version, at_ms, positions.iter().copied().zip(row.iter().map(Cell::as_field)));
        }
        self.rows.fetch_add(rows, Ordering::Relaxed);
    }

    /// Keeps halves that waited `pair_wait` or longer alone, then stores everything gathered.
    async fn store(&self, pair_wait: Duration) -> Result<()> {
        let expired: Vec<Payload> = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let old: Vec<String> =
                waiting.iter().filter(|(_, (at, _))| at.elapsed() >= pair_wait).map(|(id, _)| id.clone()).collect();
            old.iter().filter_map(|id| waiting.remove(id)).map(|(_, payload)| payload).collect()
        };
        for payload in expired {
            let model = payload.model.clone().unwrap_or_default();
            let known = self.known(&model).await?;
            self.gather(payload, &known, false);
        }
        let gathered: Vec<LiveProfiles> = {
            let mut gathered = self.gathered.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            gathered.drain().map(|(_, live)| live).filter(|live| !live.is_empty()).collect()
        };
        let predictions =
            std::mem::take(&mut *self.predictions.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        let posted = std::mem::take(&mut *self.labels.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        let taken = predictions.len() + posted.iter().map(|(_, _, labels)| labels.len()).sum::<usize>();
        if gathered.is_empty() && predictions.is_empty() && posted.is_empty() {
            return Ok(());
        }
        let stored = self.write(gathered, predictions, posted).await;
        // Each was counted before it could be taken (under the log's lock, or before the push);
        // it no longer waits once written, or lost with the write (the error is logged).
        self.unstored.fetch_sub(taken, Ordering::Relaxed);
        stored
    }

    /// Writes what [`Shared::store`] took, in one transaction.
    async fn write(
        &self,
        gathered: Vec<LiveProfiles>,
        predictions: PredictionLog,
        posted: Vec<(String, i64, Vec<Label>)>,
    ) -> Result<()> {
        let mut write = self.drift.context().write().await?;
        for live in gathered {
            live.store(&mut write).await?;
        }
        predictions.store(&mut write).await?;
        let mut by_model: std::collections::BTreeMap<&str, Vec<(&Label, i64)>> = Default::default();
        for (model, received_at_ms, posted) in &posted {
            by_model.entry(model).or_default().extend(posted.iter().map(|label| (label, *received_at_ms)));
        }
        for (model, received) in by_model {
            labels::store_received(&mut write, model, received).await?;
        }
        write.commit().await?;
        Ok(())
    }
}

/// The CloudEvents attributes a payload came with, from its request's headers (binary mode).
pub(crate) fn envelope(headers: &HeaderMap) -> Envelope<'_> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    Envelope {
        ce_type: header("ce-type"),
        ce_id: header("ce-id"),
        ce_model: header("ce-inferenceservicename").or_else(|| header("ce-modelid")),
        ce_endpoint: header("ce-endpoint"),
    }
}

/// A request and its response as one payload: the request's columns, then the response's.
fn pair(first: Payload, second: Payload) -> Payload {
    let (request, response) = if first.part == Part::Request { (first, second) } else { (second, first) };
    if request.rows.len() != response.rows.len() {
        // Not the same rows after all: keep the request's inputs.
        return request;
    }
    let mut columns = request.columns;
    columns.extend(response.columns);
    let rows: Vec<Vec<Cell>> = request
        .rows
        .into_iter()
        .zip(response.rows)
        .map(|(mut a, b)| {
            a.extend(b);
            a
        })
        .collect();
    Payload { version: request.version.or(response.version), columns, rows, ..request }
}

/// A fresh random token for the ingest endpoint (32 hex digits).
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| VigilError::Internal(format!("no randomness for a token: {err}")))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// The URL a payload logger posts to: the endpoint with its token in the query.
pub fn logger_url(addr: SocketAddr, token: &str) -> String {
    format!("http://{addr}/ingest?token={token}")
}

/// Compares secrets in time that does not depend on where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
