//! Payload logging for the demo fleet: every inference a fleet server answers is posted, off the
//! request path, to a receiver URL as two CloudEvents, exactly as KServe's inference logger does
//! in a real cluster, so Vigil's drift ingest sees the same traffic from the fleet as from KServe.
//!
//! # The convention (KServe's inference logger)
//!
//! Verified against `kserve/kserve`, `pkg/logger/worker.go`, `pkg/logger/handler.go` and
//! `cmd/agent/main.go`, with the agent's arguments from `pkg/webhook/admission/pod/agent_injector.go`:
//!
//! - one HTTP POST per event, CloudEvents 1.0 in *binary* mode: attributes in `Ce-*` headers, the
//!   payload as the body, `Content-Type` the payload's (here always `application/json`);
//! - per inference a request event, `Ce-Type: org.kubeflow.serving.inference.request`, whose body
//!   is the request, and a response event, `Ce-Type: org.kubeflow.serving.inference.response`,
//!   whose body is the response; both carry the same `Ce-Id`, the inference id;
//! - `Ce-Specversion: 1.0`, `Ce-Source` (the agent's `--source-uri`: the pod's name as injected, or
//!   `http://localhost:9081/` by default), `Ce-Time` (the Go SDK client is built `WithTimeNow`);
//! - extensions `Ce-Inferenceservicename`, `Ce-Namespace`, `Ce-Component` (`predictor`,
//!   `transformer` or `explainer`), `Ce-Endpoint` (the revision's endpoint label) and
//!   `Ce-Metadata` (a JSON object of allow-listed request headers, `{}` when none are).
//!
//! Seldon Core's executor (`SeldonIO/seldon-core`, `executor/logger/worker.go`) follows the same
//! shape with `io.seldon.serving.inference.request`/`.response` types and `Ce-Requestid`,
//! `Ce-Modelid`, `Ce-Inferenceservicename`, `Ce-Namespace`, `Ce-Endpoint` extensions; a drift
//! ingest that accepts KServe's events reads the same header names.
//!
//! # How the fleet fills it
//!
//! `Ce-Id` is the inference id, `Ce-Source` the fleet server's name (as KServe's injector passes
//! the pod's name), `Ce-Time` the record's time in RFC 3339, `Ce-Inferenceservicename` the model,
//! `Ce-Namespace` `vigil-demo`, `Ce-Component` `predictor`, `Ce-Endpoint` the model version (or
//! `default` when there is none), `Ce-Metadata` `{}`. Header values are percent-encoded as the
//! CloudEvents HTTP binding requires, and header names go out in the `Ce-Id` case Go's client uses.
//! One difference: KServe sends the response event only for status 200, the fleet also for errors,
//! with the error body.
//!
//! # Delivery
//!
//! [`PayloadLogger::log`] never waits: a record goes into a bounded queue or, when it is full, is
//! dropped and counted. A background task takes whatever is queued as one batch and posts the
//! batch's events concurrently (at most `CONCURRENCY` at once) over kept-alive connections, each
//! with a `TIMEOUT`; an event that fails is retried once unless it timed out, then counted as
//! failed, with one debug line per batch. Every counter counts events (two per record), so once the
//! queue is idle `sent + failed + dropped` is twice the number of records logged.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinSet};

/// Records the queue holds before new ones are dropped.
const QUEUE_CAPACITY: usize = 4096;
/// Records taken from the queue as one batch at most.
const MAX_BATCH: usize = 512;
/// Events of a batch in flight at once.
const CONCURRENCY: usize = 8;
/// Time allowed for one POST, connection included.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Events posted per record: the request's and the response's.
const EVENTS_PER_RECORD: u64 = 2;

const REQUEST_TYPE: &str = "org.kubeflow.serving.inference.request";
const RESPONSE_TYPE: &str = "org.kubeflow.serving.inference.response";
const NAMESPACE: &str = "vigil-demo";
const COMPONENT: &str = "predictor";
const DEFAULT_ENDPOINT: &str = "default";

/// One inference a fleet server answered, as it is logged.
#[derive(Debug, Clone, PartialEq)]
pub struct InferenceRecord {
    /// The inference id (also the response's `"id"`).
    pub id: String,
    /// The fleet server's name.
    pub server: String,
    pub model: String,
    pub version: String,
    /// The OIP request body as received.
    pub request: serde_json::Value,
    /// The OIP response body as sent (or the error body).
    pub response: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// A clone-able handle on one payload logger: clones share its queue and counters, and the
/// background task ends once the last clone is dropped and the queue is drained.
#[derive(Debug, Clone)]
pub struct PayloadLogger {
    queue: mpsc::Sender<InferenceRecord>,
    counters: Arc<Counters>,
}

/// Events delivered, dropped because the queue was full, and not delivered.
#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

impl PayloadLogger {
    /// Starts a background task posting to `url`; never blocks the caller. Needs a tokio runtime.
    pub fn start(url: url::Url) -> PayloadLogger {
        Self::start_with_capacity(url, QUEUE_CAPACITY)
    }

    /// [`PayloadLogger::start`] with a queue of `capacity` records (at least one).
    pub(crate) fn start_with_capacity(url: url::Url, capacity: usize) -> PayloadLogger {
        let (queue, records) = mpsc::channel(capacity.max(1));
        let counters = Arc::new(Counters::default());
        tokio::spawn(deliver(url, records, Arc::clone(&counters)));
        PayloadLogger { queue, counters }
    }

    /// Queues one inference (dropped, and counted, when the queue is full).
    pub fn log(&self, record: InferenceRecord) {
        if self.queue.try_send(record).is_err() {
            self.counters.dropped.fetch_add(EVENTS_PER_RECORD, Ordering::Relaxed);
        }
    }

    /// Events the receiver accepted (answered with a 2xx status).
    pub fn sent(&self) -> u64 {
        self.counters.sent.load(Ordering::Relaxed)
    }

    /// Events never posted because the queue was full (two per record).
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// Events posted but not accepted: no connection, a timeout, or a non-2xx status.
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }
}

/// The background task: posts each batch of queued records until every handle is gone.
async fn deliver(url: url::Url, mut records: mpsc::Receiver<InferenceRecord>, counters: Arc<Counters>) {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .pool_max_idle_per_host(CONCURRENCY)
        .http1_title_case_headers()
        .build();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while records.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let events: Vec<CloudEvent> = batch.drain(..).flat_map(CloudEvent::pair).collect();
        let total = events.len();
        let outcome = match &client {
            Ok(client) => post_all(client, &url, events, &counters).await,
            Err(error) => {
                counters.failed.fetch_add(total as u64, Ordering::Relaxed);
                BatchOutcome { failed: total, first_error: Some(error.to_string()) }
            }
        };
        if let Some(error) = outcome.first_error {
            tracing::debug!(%url, failed = outcome.failed, events = total, %error, "payload log: events not delivered");
        }
    }
}

/// Posts `events` with at most [`CONCURRENCY`] in flight, counting each as it settles.
async fn post_all(
    client: &reqwest::Client,
    url: &url::Url,
    events: Vec<CloudEvent>,
    counters: &Counters,
) -> BatchOutcome {
    let mut outcome = BatchOutcome::default();
    let mut in_flight = JoinSet::new();
    for event in events {
        if in_flight.len() >= CONCURRENCY {
            if let Some(settled) = in_flight.join_next().await {
                outcome.count(settled, counters);
            }
        }
        in_flight.spawn(event.post(client.clone(), url.clone()));
    }
    while let Some(settled) = in_flight.join_next().await {
        outcome.count(settled, counters);
    }
    outcome
}

/// Failures of one batch, for its single debug line.
#[derive(Debug, Default)]
struct BatchOutcome {
    failed: usize,
    first_error: Option<String>,
}

impl BatchOutcome {
    fn count(&mut self, settled: Result<Result<(), reqwest::Error>, JoinError>, counters: &Counters) {
        let error = match settled {
            Ok(Ok(())) => {
                counters.sent.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(Err(error)) => error.to_string(),
            Err(error) => error.to_string(),
        };
        counters.failed.fetch_add(1, Ordering::Relaxed);
        self.failed += 1;
        self.first_error.get_or_insert(error);
    }
}

/// One CloudEvent in binary mode: its `ce-*` headers and its JSON body.
#[derive(Debug)]
struct CloudEvent {
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl CloudEvent {
    /// The request event and the response event of one inference.
    fn pair(record: InferenceRecord) -> [CloudEvent; 2] {
        [
            CloudEvent::new(&record, REQUEST_TYPE, &record.request),
            CloudEvent::new(&record, RESPONSE_TYPE, &record.response),
        ]
    }

    fn new(record: &InferenceRecord, kind: &str, body: &serde_json::Value) -> CloudEvent {
        let endpoint = if record.version.is_empty() { DEFAULT_ENDPOINT } else { &record.version };
        let headers = vec![
            ("ce-specversion", "1.0".to_owned()),
            ("ce-id", header_value(&record.id)),
            ("ce-type", kind.to_owned()),
            ("ce-source", header_value(&record.server)),
            ("ce-time", record.at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            ("ce-inferenceservicename", header_value(&record.model)),
            ("ce-namespace", NAMESPACE.to_owned()),
            ("ce-component", COMPONENT.to_owned()),
            ("ce-endpoint", header_value(endpoint)),
            ("ce-metadata", "{}".to_owned()),
        ];
        // A `Value` always serializes; an empty body would only stand in for the impossible.
        CloudEvent { headers, body: serde_json::to_vec(body).unwrap_or_default() }
    }

    /// Posts the event, once more if the first attempt failed for a reason other than a timeout
    /// or a client-side (4xx) refusal.
    async fn post(self, client: reqwest::Client, url: url::Url) -> Result<(), reqwest::Error> {
        match self.post_once(&client, &url).await {
            Err(error) if worth_retrying(&error) => self.post_once(&client, &url).await,
            settled => settled,
        }
    }

    async fn post_once(&self, client: &reqwest::Client, url: &url::Url) -> Result<(), reqwest::Error> {
        let mut request =
            client.post(url.clone()).header(reqwest::header::CONTENT_TYPE, "application/json").body(self.body.clone());
        for (name, value) in &self.headers {
            request = request.header(*name, value.as_str());
        }
        let response = request.send().await?.error_for_status()?;
        // Reading the (accepted) answer to its end returns the connection to the pool.
        let _ = response.bytes().await;
        Ok(())
    }
}

fn worth_retrying(error: &reqwest::Error) -> bool {
    match error.status() {
        Some(status) => status.is_server_error(),
        None => !error.is_timeout(),
    }
}

/// Percent-encodes what the CloudEvents HTTP binding (3.1.3.2) forbids raw in a header value:
/// space, `"`, `%` and anything outside printable ASCII.
fn header_value(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'!'..=b'~' if byte != b'"' && byte != b'%' => encoded.push(char::from(byte)),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashMap;
    use std::net::SocketAddr;
    use std::sync::Mutex;

    use axum::body::Bytes;
    use axum::extract::{ConnectInfo, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use axum::Router;
    use chrono::TimeZone;
    use serde_json::json;

    /// What a receiver got in one POST.
    #[derive(Debug)]
    struct Post {
        peer: SocketAddr,
        headers: HeaderMap,
        body: serde_json::Value,
    }

    type Received = Arc<Mutex<Vec<Post>>>;

    /// A real receiver on loopback; `hang` makes it never answer.
    async fn receiver(hang: bool) -> (url::Url, Received) {
        let received = Received::default();
        let app = Router::new().route("/", post(receive)).with_state((received.clone(), hang));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let url = format!("http://{}/", listener.local_addr().expect("its address")).parse().expect("a URL");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        (url, received)
    }

    async fn receive(
        State((received, hang)): State<(Received, bool)>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        if hang {
            std::future::pending::<()>().await;
        }
        let body = serde_json::from_slice(&body).expect("a JSON body");
        received.lock().expect("not poisoned").push(Post { peer, headers, body });
        StatusCode::OK
    }

    fn record(n: usize) -> InferenceRecord {
        InferenceRecord {
            id: format!("inference-{n}"),
            server: "fleet-mlserver".to_owned(),
            model: "iris".to_owned(),
            version: "v2".to_owned(),
            request: json!({"id": format!("inference-{n}"), "inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [n]}]}),
            response: json!({"id": format!("inference-{n}"), "model_name": "iris", "outputs": []}),
            at: Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).single().expect("a time")
                + chrono::Duration::milliseconds(n as i64),
        }
    }

    /// Polls `done` for up to ten seconds; a bound on waiting, not a timing assertion.
    async fn eventually(done: impl Fn() -> bool) -> bool {
        for _ in 0..500 {
            if done() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        done()
    }

    fn header<'a>(post: &'a Post, name: &str) -> &'a str {
        post.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("header {name}"))
    }

    #[tokio::test]
    async fn every_inference_becomes_a_request_and_a_response_event() {
        let (url, received) = receiver(false).await;
        let logger = PayloadLogger::start(url);
        let records: Vec<InferenceRecord> = (0..50).map(record).collect();
        for record in &records {
            logger.log(record.clone());
        }

        assert!(eventually(|| logger.sent() == 100).await, "sent {}", logger.sent());
        assert_eq!((logger.dropped(), logger.failed()), (0, 0));
        let posts = received.lock().expect("not poisoned");
        assert_eq!(posts.len(), 100);

        let mut by_id: HashMap<&str, Vec<&Post>> = HashMap::new();
        for post in posts.iter() {
            by_id.entry(header(post, "ce-id")).or_default().push(post);
        }
        assert_eq!(by_id.len(), 50);
        for record in &records {
            let pair = &by_id[record.id.as_str()];
            let of_type = |kind: &str| {
                let matching: Vec<&&Post> = pair.iter().filter(|p| header(p, "ce-type") == kind).collect();
                assert_eq!(matching.len(), 1, "one {kind} event for {}", record.id);
                *matching[0]
            };
            let request = of_type("org.kubeflow.serving.inference.request");
            let response = of_type("org.kubeflow.serving.inference.response");
            assert_eq!(request.body, record.request);
            assert_eq!(response.body, record.response);
            for post in [request, response] {
                assert_eq!(header(post, "content-type"), "application/json");
                assert_eq!(header(post, "ce-specversion"), "1.0");
                assert_eq!(header(post, "ce-source"), "fleet-mlserver");
                assert_eq!(header(post, "ce-inferenceservicename"), "iris");
                assert_eq!(header(post, "ce-namespace"), "vigil-demo");
                assert_eq!(header(post, "ce-component"), "predictor");
                assert_eq!(header(post, "ce-endpoint"), "v2");
                assert_eq!(header(post, "ce-metadata"), "{}");
                let time = DateTime::parse_from_rfc3339(header(post, "ce-time")).expect("RFC 3339");
                assert_eq!(time, record.at);
            }
        }
        // Kept-alive connections: far fewer connections than events.
        let connections: std::collections::HashSet<SocketAddr> = posts.iter().map(|p| p.peer).collect();
        assert!(connections.len() < posts.len(), "{} connections", connections.len());
    }

    #[tokio::test]
    async fn a_hanging_receiver_never_blocks_logging_and_overflow_is_counted() {
        let (url, _received) = receiver(true).await;
        let logger = PayloadLogger::start_with_capacity(url, 4);
        // `log` is not async, and on this single-threaded runtime the posting task cannot run
        // until the test awaits: the queue takes 4 records, the other 996 are dropped.
        for n in 0..1000 {
            logger.log(record(n));
        }
        assert_eq!(logger.dropped(), 2 * 996);
        // The 4 queued records' events time out against the hanging receiver, without a retry.
        assert!(eventually(|| logger.failed() == 8).await, "failed {}", logger.failed());
        assert_eq!((logger.sent(), logger.dropped()), (0, 2 * 996));
    }

    #[tokio::test]
    async fn a_receiver_that_is_down_counts_failures() {
        // A bound but not listening socket: the port is ours, and connections to it are refused.
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket.bind("127.0.0.1:0".parse().expect("an address")).expect("bind a loopback port");
        let url = format!("http://{}/", socket.local_addr().expect("its address")).parse().expect("a URL");
        let logger = PayloadLogger::start(url);
        for n in 0..10 {
            logger.log(record(n));
        }
        assert!(eventually(|| logger.failed() == 20).await, "failed {}", logger.failed());
        assert_eq!((logger.sent(), logger.dropped()), (0, 0));
        // The task survived the failures: it still takes records.
        logger.log(record(10));
        assert!(eventually(|| logger.failed() == 22).await, "failed {}", logger.failed());
    }

    #[test]
    fn header_values_are_percent_encoded_as_the_binding_requires() {
        assert_eq!(header_value("iris-v2_ok.1"), "iris-v2_ok.1");
        assert_eq!(header_value("a b\"c%d"), "a%20b%22c%25d");
        assert_eq!(header_value("é\n"), "%C3%A9%0A");
    }
}
