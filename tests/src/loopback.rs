//! Real HTTP servers on 127.0.0.1 that stand in for a model server's readiness endpoint.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A server speaking enough of the Open Inference Protocol to be detected as `oip-v2`
/// (`GET /v2` server metadata) and answering `GET /v2/health/ready` with a status the test sets
/// (200 at first).
/// Dropping it, or calling [`ReadinessServer::stop`], closes the port.
pub struct ReadinessServer {
    served: Served,
    status: Arc<AtomicU16>,
}

impl ReadinessServer {
    /// Starts on a free loopback port.
    pub async fn start() -> Self {
        Self::start_with_delay(Duration::ZERO).await
    }

    /// Starts a server that waits `delay` before each answer (a hanging server).
    pub async fn start_with_delay(delay: Duration) -> Self {
        let status = Arc::new(AtomicU16::new(200));
        let app = Router::new()
            .route(
                "/v2/health/ready",
                get(move |State(status): State<Arc<AtomicU16>>| async move {
                    tokio::time::sleep(delay).await;
                    let status = StatusCode::from_u16(status.load(Ordering::SeqCst))
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    (status, header_close())
                }),
            )
            .route("/v2", get(|| async { (header_close(), r#"{"name":"vigil-test","version":"1","extensions":[]}"#) }))
            .with_state(status.clone());
        let served = Served::start(app).await;
        Self { served, status }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.served.url()
    }

    /// Makes the readiness endpoint answer `status` from now on.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Stops serving and closes the port.
    pub fn stop(&self) {
        self.served.task.abort();
    }
}

/// A router served on a free loopback port until dropped: for a test's own stand-in server.
pub struct Served {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Served {
    pub async fn start(app: Router) -> Served {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Served { addr, task }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// No keep-alive: once stopped, a server must look stopped to every client.
fn header_close() -> [(header::HeaderName, &'static str); 1] {
    [(header::CONNECTION, "close")]
}

/// A server that replays HTTP responses captured from a real model server
/// (`tests/fixtures/http/SERVER/NAME.http`: status line, headers, blank line, body), one per
/// path, whatever the method; any other path answers 404.
pub struct RecordedServer {
    served: Served,
}

/// One captured response, as read from a fixture file.
#[derive(Clone)]
struct Recorded {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: axum::body::Bytes,
}

/// The folder of captured HTTP responses.
pub fn http_fixture_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/http")
}

fn read_recorded(file: &str) -> Recorded {
    let path = http_fixture_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let text = text.replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let code: u16 = status_line.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status code");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let status = StatusCode::from_u16(code).expect("valid status");
    Recorded { status, headers, body: axum::body::Bytes::from(body.to_owned()) }
}

impl RecordedServer {
    /// Serves each `(path, fixture file)` pair, e.g. `("/v2", "mlserver-1.7.1/server-metadata.http")`.
    pub async fn start(routes: &[(&str, &str)]) -> Self {
        Self::start_with(routes, Vec::new()).await
    }

    /// Serves each `(path, status, body)`: for answers no real server would give (a 50 MB
    /// metrics page, garbage).
    pub async fn with_bodies(routes: Vec<(&str, u16, Vec<u8>)>) -> Self {
        Self::start_with(&[], routes).await
    }

    /// Serves recorded answers and raw bodies side by side.
    pub async fn start_with(recorded: &[(&str, &str)], bodies: Vec<(&str, u16, Vec<u8>)>) -> Self {
        let bodies = bodies.into_iter().map(|(path, status, body)| {
            let status = StatusCode::from_u16(status).expect("valid status");
            (path.to_owned(), Recorded { status, headers: Vec::new(), body: body.into() })
        });
        let recorded = recorded.iter().map(|(path, file)| (path.to_string(), read_recorded(file)));
        Self::serve(recorded.chain(bodies).collect()).await
    }

    async fn serve(routes: Vec<(String, Recorded)>) -> Self {
        let mut app = Router::new();
        for (path, recorded) in routes {
            app = app.route(
                &path,
                axum::routing::any(move || {
                    let recorded = recorded.clone();
                    async move {
                        let mut response = axum::response::Response::new(axum::body::Body::from(recorded.body));
                        *response.status_mut() = recorded.status;
                        for (name, value) in recorded.headers {
                            if let (Ok(name), Ok(value)) =
                                (header::HeaderName::try_from(name), header::HeaderValue::try_from(value))
                            {
                                response.headers_mut().insert(name, value);
                            }
                        }
                        response
                    }
                }),
            );
        }
        let served = Served::start(app).await;
        Self { served }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.served.url()
    }
}

/// A metrics page from `tests/fixtures/metrics/`, as `(path, status, body)` for
/// [`RecordedServer::start_with`].
pub fn metrics_fixture(path: &'static str, file: &str) -> (&'static str, u16, Vec<u8>) {
    let file = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/metrics").join(file);
    (path, 200, std::fs::read(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display())))
}

/// A loopback port that nothing listens on (bound, then released).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("bound address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A live server in MLServer's style: detected as `mlserver`, ready, with model `iris` version
/// `v1` ready until unloaded, and a metrics page whose counters grow as the test "serves"
/// requests.
pub struct MlserverLike {
    served: Served,
    counters: Arc<std::sync::Mutex<InferCounters>>,
    loaded: Arc<std::sync::atomic::AtomicBool>,
    metrics_broken: Arc<std::sync::atomic::AtomicBool>,
}

/// MLServer's per-model counters: successes, failures, and the summary of durations.
#[derive(Default, Clone, Copy)]
struct InferCounters {
    success: u64,
    failure: u64,
    duration_sum_s: f64,
}

impl InferCounters {
    fn page(self) -> String {
        let InferCounters { success, failure, duration_sum_s } = self;
        let count = success + failure;
        format!(
            "# HELP model_infer_request_success_total Model infer request success count\n\
             # TYPE model_infer_request_success_total counter\n\
             model_infer_request_success_total{{model=\"iris\",version=\"v1\"}} {success}.0\n\
             # HELP model_infer_request_failure_total Model infer request failure count\n\
             # TYPE model_infer_request_failure_total counter\n\
             model_infer_request_failure_total{{model=\"iris\",version=\"v1\"}} {failure}.0\n\
             # HELP model_infer_request_duration Model infer request duration\n\
             # TYPE model_infer_request_duration summary\n\
             model_infer_request_duration_count{{model=\"iris\",version=\"v1\"}} {count}.0\n\
             model_infer_request_duration_sum{{model=\"iris\",version=\"v1\"}} {duration_sum_s}\n"
        )
    }
}

impl MlserverLike {
    pub async fn start() -> Self {
        let counters = Arc::new(std::sync::Mutex::new(InferCounters::default()));
        let loaded = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let metrics_broken = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (page, ready, broken) = (counters.clone(), loaded.clone(), metrics_broken.clone());
        let app = Router::new()
            // As MLServer 1.7.1 answered (tests/fixtures/http/mlserver-1.7.1/model-metadata.http).
            .route(
                "/v2/models/iris/versions/v1",
                get(|| async {
                    let metadata =
                        r#"{"name":"iris","versions":[],"platform":"","inputs":[],"outputs":[],"parameters":{}}"#;
                    (header_close(), metadata)
                }),
            )
            .route(
                "/v2/models/iris/versions/v1/ready",
                get(move || {
                    let status = if ready.load(Ordering::SeqCst) { StatusCode::OK } else { StatusCode::NOT_FOUND };
                    async move { (status, header_close()) }
                }),
            )
            .route(
                "/v2",
                get(|| async { (header_close(), r#"{"name":"mlserver","version":"1.7.1","extensions":[]}"#) }),
            )
            .route("/v2/health/ready", get(|| async { (header_close(), "") }))
            .route(
                "/metrics",
                get(move || {
                    let status =
                        if broken.load(Ordering::SeqCst) { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
                    let text = page.lock().expect("counters").page();
                    async move { (status, header_close(), text) }
                }),
            );
        let served = Served::start(app).await;
        Self { served, counters, loaded, metrics_broken }
    }

    pub fn url(&self) -> String {
        self.served.url()
    }

    /// Unloads model iris v1: its readiness answers 404 from now on, as MLServer's does.
    pub fn unload(&self) {
        self.loaded.store(false, Ordering::SeqCst);
    }

    /// Makes the metrics page answer HTTP 500 (`true`) or the counters again (`false`).
    pub fn break_metrics(&self, broken: bool) {
        self.metrics_broken.store(broken, Ordering::SeqCst);
    }

    /// Counts `good` successful and `bad` failed requests, each taking `seconds`.
    pub fn serve(&self, good: u64, bad: u64, seconds: f64) {
        let mut counters = self.counters.lock().expect("counters");
        counters.success += good;
        counters.failure += bad;
        counters.duration_sum_s += (good + bad) as f64 * seconds;
    }

    /// Starts the counters from zero again, as a restarted server does.
    pub fn restart(&self) {
        *self.counters.lock().expect("counters") = InferCounters::default();
    }
}

/// An Open Inference Protocol server that answers only requests bearing `Authorization:
/// Bearer TOKEN`, and 401 to the rest.
pub struct GuardedServer {
    served: Served,
}

impl GuardedServer {
    pub async fn start(token: &str) -> Self {
        let expected = format!("Bearer {token}");
        let guard = move |headers: axum::http::HeaderMap| {
            let allowed = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(expected.as_str());
            if allowed {
                StatusCode::OK
            } else {
                StatusCode::UNAUTHORIZED
            }
        };
        let (metadata_guard, ready_guard) = (guard.clone(), guard);
        let app = Router::new()
            .route(
                "/v2",
                get(move |headers| async move { (metadata_guard(headers), header_close(), r#"{"name":"kserve"}"#) }),
            )
            .route("/v2/health/ready", get(move |headers| async move { (ready_guard(headers), header_close()) }));
        let served = Served::start(app).await;
        Self { served }
    }

    pub fn url(&self) -> String {
        self.served.url()
    }
}
