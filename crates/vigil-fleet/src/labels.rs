//! Delayed ground truth: the fleet knows the truth of the rows its traffic sends, and once a
//! label is due (some time after the inference, as real outcomes come: a chargeback, a
//! cancellation, a sale) it posts it to Vigil's labels endpoint, so that Vigil can join it to
//! the logged prediction by inference id.
//!
//! # The contract
//!
//! `POST <ingest base>/ingest/{model}/labels` with the payload log's token as
//! `Authorization: Bearer TOKEN`, body `{"labels":[{"id":"<inference id>","label":<1|0 for
//! classifiers, a number for regressors>}]}`, answered 202 `{"accepted":N}`. The ingest base and
//! the token come from the payload log's receiver URL ([`labels_base`]): Vigil gives loggers
//! `http://HOST:PORT/ingest?token=TOKEN`.
//!
//! # Delivery
//!
//! [`LabelSender::send`] never waits: a label goes into a bounded queue or, when it is full, is
//! dropped and counted. A background task holds each label until it is due (at most
//! [`MAX_PENDING`] at once), and every [`FLUSH_EVERY`] posts what has come due, one POST per
//! model and batch of at most [`MAX_BATCH`], each with a 5 s timeout; a POST that fails is
//! retried once unless it timed out or was refused (4xx). Every counter counts labels, so once
//! the queue is idle `sent + failed + dropped` is the number of labels given; labels still
//! waiting when the fleet stops are counted as dropped.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Labels the queue holds before new ones are dropped.
const QUEUE_CAPACITY: usize = 4096;
/// Labels held until they are due, at most.
pub const MAX_PENDING: usize = 200_000;
/// Labels in one POST, at most.
pub const MAX_BATCH: usize = 500;
/// How often labels that came due are posted.
pub const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// Time allowed for one POST, connection included.
const TIMEOUT: Duration = Duration::from_secs(5);

/// One label: the truth for one inference of `model`.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub model: String,
    /// The inference id (the answer's `"id"`, the payload log's `Ce-Id`).
    pub id: String,
    /// 1 or 0 for a classifier, the value for a regressor.
    pub value: f64,
}

/// Where labels go: the ingest base (the labels path is added per model) and the token.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelsEndpoint {
    base: url::Url,
    token: Option<String>,
}

impl LabelsEndpoint {
    /// The URL `model`'s labels are posted to.
    pub fn url(&self, model: &str) -> url::Url {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend([model, "labels"]);
        }
        url
    }
}

/// The labels endpoint that goes with the payload log's receiver `log_url`: the same host, the
/// path up to its `ingest` segment (the whole path when it has none), and the `token` query
/// parameter, which goes in an `Authorization` header instead of the URL.
pub fn labels_base(log_url: &url::Url) -> LabelsEndpoint {
    let token = log_url.query_pairs().find(|(name, _)| name == "token").map(|(_, value)| value.into_owned());
    let mut base = log_url.clone();
    base.set_query(None);
    base.set_fragment(None);
    let segments: Vec<String> =
        log_url.path_segments().map(|s| s.filter(|s| !s.is_empty()).map(str::to_owned).collect()).unwrap_or_default();
    let kept = segments.iter().position(|s| s == "ingest").map_or(segments.len(), |at| at + 1);
    if let Ok(mut path) = base.path_segments_mut() {
        path.clear().extend(&segments[..kept]);
    }
    LabelsEndpoint { base, token }
}

/// A clone-able handle on one label sender: clones share its queue and counters, and the
/// background task ends once the last clone is dropped.
#[derive(Debug, Clone)]
pub struct LabelSender {
    queue: mpsc::Sender<(Instant, Label)>,
    counters: Arc<Counters>,
}

/// Labels accepted by the receiver, dropped (queue full, or still waiting at the end), and not
/// accepted.
#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

impl LabelSender {
    /// Starts a background task posting labels to `endpoint` once due. Needs a tokio runtime.
    pub fn start(endpoint: LabelsEndpoint) -> LabelSender {
        Self::start_with_capacity(endpoint, QUEUE_CAPACITY)
    }

    /// [`LabelSender::start`] with a queue of `capacity` labels (at least one).
    pub(crate) fn start_with_capacity(endpoint: LabelsEndpoint, capacity: usize) -> LabelSender {
        let (queue, labels) = mpsc::channel(capacity.max(1));
        let counters = Arc::new(Counters::default());
        tokio::spawn(deliver(endpoint, labels, Arc::clone(&counters)));
        LabelSender { queue, counters }
    }

    /// Queues `label` to be posted once `due` (dropped, and counted, when the queue is full).
    pub fn send(&self, due: Instant, label: Label) {
        if self.queue.try_send((due, label)).is_err() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Labels the receiver accepted (answered with a 2xx status).
    pub fn sent(&self) -> u64 {
        self.counters.sent.load(Ordering::Relaxed)
    }

    /// Labels never posted: the queue or the waiting labels were full, or the fleet stopped first.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// Labels posted but not accepted: no connection, a timeout, or a non-2xx status.
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }
}

/// The background task: holds labels until due and posts what came due, until every handle is
/// gone.
async fn deliver(endpoint: LabelsEndpoint, mut queue: mpsc::Receiver<(Instant, Label)>, counters: Arc<Counters>) {
    let client = reqwest::Client::builder().timeout(TIMEOUT).build();
    // Waiting labels by due time, then arrival (the sequence number).
    let mut pending: BTreeMap<(Instant, u64), Label> = BTreeMap::new();
    let mut arrivals = 0u64;
    let mut flushes = tokio::time::interval(FLUSH_EVERY);
    flushes.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            received = queue.recv() => match received {
                Some((due, label)) if pending.len() < MAX_PENDING => {
                    pending.insert((due, arrivals), label);
                    arrivals += 1;
                }
                Some(_) => {
                    counters.dropped.fetch_add(1, Ordering::Relaxed);
                }
                None => break,
            },
            _ = flushes.tick() => {
                let still_waiting = pending.split_off(&(Instant::now(), u64::MAX));
                let due = std::mem::replace(&mut pending, still_waiting);
                if !due.is_empty() {
                    post_due(&client, &endpoint, due.into_values(), &counters).await;
                }
            }
        }
    }
    counters.dropped.fetch_add(pending.len() as u64, Ordering::Relaxed);
}

/// Posts `labels`, one POST per model and batch, counting each label as its POST settles.
async fn post_due(
    client: &Result<reqwest::Client, reqwest::Error>,
    endpoint: &LabelsEndpoint,
    labels: impl Iterator<Item = Label>,
    counters: &Counters,
) {
    let mut by_model: BTreeMap<String, Vec<Label>> = BTreeMap::new();
    for label in labels {
        by_model.entry(label.model.clone()).or_default().push(label);
    }
    for (model, labels) in by_model {
        for batch in labels.chunks(MAX_BATCH) {
            let outcome = match client {
                Ok(client) => post(client, endpoint, &model, batch).await,
                Err(error) => Err(error.to_string()),
            };
            let counter = match outcome {
                Ok(()) => &counters.sent,
                Err(error) => {
                    tracing::debug!(model, labels = batch.len(), %error, "labels not delivered");
                    &counters.failed
                }
            };
            counter.fetch_add(batch.len() as u64, Ordering::Relaxed);
        }
    }
}

/// Posts one batch, once more if the first attempt failed for a reason other than a timeout or
/// a refusal.
async fn post(client: &reqwest::Client, endpoint: &LabelsEndpoint, model: &str, batch: &[Label]) -> Result<(), String> {
    let body = json!({"labels": batch.iter().map(|l| json!({"id": l.id, "label": l.value})).collect::<Vec<_>>()});
    let attempt = || async {
        let mut request = client.post(endpoint.url(model)).json(&body);
        if let Some(token) = &endpoint.token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await?.error_for_status()?;
        // Reading the (accepted) answer to its end returns the connection to the pool.
        let _ = answer.bytes().await;
        Ok::<(), reqwest::Error>(())
    };
    match attempt().await {
        Err(error) if worth_retrying(&error) => attempt().await,
        settled => settled,
    }
    .map_err(|error| error.to_string())
}

fn worth_retrying(error: &reqwest::Error) -> bool {
    match error.status() {
        Some(status) => status.is_server_error(),
        None => !error.is_timeout(),
    }
}

#[cfg(test)]
mod tests;
