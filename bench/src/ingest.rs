//! The ingest benchmark (issue 6): the drift ingest endpoint (`Engine::start_ingest`) on
//! loopback, on one CPU core, fed as KServe's payload logger feeds it — a CloudEvent for each
//! inference's request and one for its response, paired by id — by a load generator on the
//! other cores. It measures accepted events per second, request latency and the server's CPU,
//! then checks that the live profiles are up to date: the rows stored in the model's hourly
//! windows (`current_rows` of a drift report over the last hour) equal the rows accepted within
//! 2 s after the load stops. Prints the figures and the goals met or missed, and writes them as
//! JSON.
//!
//! Usage: `vigil-bench ingest [--quick] [--out FILE] [--seconds S] [--warmup S]
//! [--reference-seconds S] [--connections N] [--max-events N]`. Defaults: 20 s measured after 3 s
//! of warm-up, each reference measured 8 s (`--quick`: 6 s after 1 s, references 3 s), 32
//! connections, at most 5,000,000 events a phase.
//!
//! The run, in this process: the engine (a fresh database, the model `churn` given a reference
//! of 12 features — 7 numeric, 4 categorical, 1 binary — its prediction and a numeric target, so
//! that the prediction log logs each response's value by the output rule and its cost is counted) runs on a
//! current-thread tokio runtime in a thread pinned to the first allowed core with
//! `sched_setaffinity`; threads it starts (SQLite's workers) inherit that core. The generator
//! runs on the other cores: raw HTTP/1.1 over keep-alive TCP connections, each sending an
//! inference's two events one after the other (the response first for a third of them) and the
//! next inference once both are answered. The same generator and the same bytes are measured
//! first against two references on the same core: a canned responder that only finds each
//! request's end and answers 202 (the generator's own ceiling), and a bare axum route answering
//! 202 (the ceiling of this HTTP stack on one core). CPU time is each thread's, from
//! `/proc/self/task/TID/schedstat`, summed by the core it is pinned to.

use crate::goal::{self, Goal};
use crate::random::Random;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use vigil_core::drift::ingest::{IngestServer, IngestStats};
use vigil_core::drift::reference::ReferenceRequest;
use vigil_core::{Engine, EngineOptions};

/// The goals of issue 20 (issue 6 asked for 20,000 events/s): events a second on one core, and
/// their share of a bare axum route's on the same core.
const GOAL_EVENTS_PER_S: f64 = 50_000.0;
const MIN_VS_AXUM: f64 = 0.5;
const MAX_STORE_LAG: Duration = Duration::from_secs(2);
/// How long the bench waits for the stored rows before it gives up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(10);

const TOKEN: &str = "vigil-bench-ingest-token-0123456789abcdef";
const MODEL: &str = "churn";
const VERSION: &str = "v3";
const PREDICTION: &str = "churn_probability";
/// The reference's numeric target: beside a numeric prediction it makes the prediction a value
/// the prediction log keeps (`performance::outputs`), so the bench counts the log's cost.
const TARGET: &str = "churn_score";
const REFERENCE_ROWS: usize = 5_000;
/// Distinct inferences the generator cycles through (each sent under a fresh id).
const PAYLOADS: usize = 2_048;

struct Options {
    out: Option<PathBuf>,
    measured: Duration,
    warmup: Duration,
    reference_measured: Duration,
    connections: usize,
    max_events: u64,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let seconds = |full: u64, quick_seconds: u64| Duration::from_secs(if quick { quick_seconds } else { full });
    let mut options = Options {
        out: None,
        measured: seconds(20, 6),
        warmup: seconds(3, 1),
        reference_measured: seconds(8, 3),
        connections: 32,
        max_events: 5_000_000,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let seconds = |text: String| match text.parse::<f64>() {
            Ok(seconds) if seconds > 0.0 && seconds <= 3600.0 => Ok(Duration::from_secs_f64(seconds)),
            _ => Err(format!("{flag} needs a number of seconds up to 3600, not {text}")),
        };
        let count = |text: String| text.parse::<u64>().ok().filter(|n| *n > 0).ok_or(format!("{flag} needs a count"));
        match flag.as_str() {
            "--out" => options.out = Some(value()?.into()),
            "--seconds" => options.measured = seconds(value()?)?,
            "--warmup" => options.warmup = seconds(value()?)?,
            "--reference-seconds" => options.reference_measured = seconds(value()?)?,
            "--connections" => options.connections = count(value()?)?.min(1024) as usize,
            "--max-events" => options.max_events = count(value()?)?,
            other => return Err(format!("unknown argument {other}; {}", crate::USAGE)),
        }
    }
    Ok(options)
}

/// Runs the ingest benchmark with the command-line arguments that follow `ingest`.
pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let cpus = allowed_cpus()?;
    let Some((server_core, generator_cores)) = cpus.split_first() else {
        return Err("this process may run on no CPU at all".into());
    };
    if generator_cores.is_empty() {
        return Err("the ingest benchmark needs two CPU cores: one for the endpoint, one for the load".into());
    }
    // Threads started from here on (the generator's) inherit the generator's cores.
    pin_this_thread(generator_cores)?;
    let dir = tempfile::Builder::new()
        .prefix("vigil-bench-ingest-")
        .tempdir()
        .map_err(|error| format!("cannot make a temporary folder: {error}"))?;
    println!("Starting the engine on core {server_core}, the load on core(s) {generator_cores:?} ...");
    let server = Server::start(*server_core, dir.path())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(generator_cores.len())
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start tokio: {error}"))?;
    let outcome = runtime.block_on(measure(&options, &server));
    drop(server);
    report(&options, (*server_core, generator_cores), &outcome?)
}

/// The engine's side: a thread pinned to one core, running a current-thread runtime with the
/// ingest endpoint and the two reference endpoints.
struct Server {
    handle: tokio::runtime::Handle,
    engine: Engine,
    ingest: Arc<IngestServer>,
    bare_axum: SocketAddr,
    canned: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Started {
    handle: tokio::runtime::Handle,
    engine: Engine,
    ingest: Arc<IngestServer>,
    bare_axum: SocketAddr,
    canned: SocketAddr,
}

impl Server {
    fn start(core: usize, dir: &Path) -> Result<Server, String> {
        let (started_tx, started_rx) = std::sync::mpsc::channel::<Result<Started, String>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let dir = dir.to_owned();
        let thread = std::thread::Builder::new()
            .name("ingest-engine".into())
            .spawn(move || {
                let runtime = pin_this_thread(&[core]).and_then(|()| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|error| format!("cannot start tokio: {error}"))
                });
                let runtime = match runtime {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = started_tx.send(Err(error));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let started = set_up(&dir).await;
                    let failed = started.is_err();
                    let _ = started_tx.send(started);
                    if !failed {
                        let _ = stop_rx.await;
                    }
                });
            })
            .map_err(|error| format!("cannot start the engine's thread: {error}"))?;
        let started = started_rx.recv().map_err(|_| "the engine's thread ended before it started".to_owned())??;
        Ok(Server {
            handle: started.handle,
            engine: started.engine,
            ingest: started.ingest,
            bare_axum: started.bare_axum,
            canned: started.canned,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Runs `work` on the engine's core and waits for it.
    async fn on_engine_core<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Result<T, String> {
        self.handle.spawn(work).await.map_err(|error| format!("the engine's task failed: {error}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Opens a fresh engine, gives the model its reference, and starts the three endpoints.
async fn set_up(dir: &Path) -> Result<Started, String> {
    let engine =
        Engine::open(EngineOptions::new(dir.join("vigil.db"))).await.map_err(|error| format!("engine: {error}"))?;
    let csv = dir.join("reference.csv");
    std::fs::write(&csv, reference_csv()).map_err(|error| format!("cannot write {}: {error}", csv.display()))?;
    let request = ReferenceRequest {
        model: MODEL.into(),
        prediction: Some(PREDICTION.into()),
        target: Some(TARGET.into()),
        ..Default::default()
    };
    let summary = engine
        .drift()
        .import_reference(csv, request, |_| {}, Arc::new(AtomicBool::new(false)))
        .await
        .map_err(|error| format!("reference import: {error}"))?;
    let skipped: Vec<String> = summary
        .columns
        .iter()
        .filter(|column| matches!(column.column_use, vigil_core::drift::schema::ColumnUse::Skip { .. }))
        .map(|column| column.name.clone())
        .collect();
    if !skipped.is_empty() {
        return Err(format!("the reference import skipped {skipped:?}; every column should be typed"));
    }
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let ingest =
        engine.drift().start_ingest(loopback, TOKEN.into()).await.map_err(|error| format!("start_ingest: {error}"))?;
    // One client here sends what a whole fleet's loggers would: the per-client limit is lifted,
    // as `--ingest-rate 0` does (the check itself stays in the path).
    ingest.set_client_rate(0);

    let bare = TcpListener::bind(loopback).await.map_err(|error| format!("cannot listen: {error}"))?;
    let bare_axum = bare.local_addr().map_err(|error| error.to_string())?;
    let app = Router::new().route("/ingest", post(|_body: Bytes| async { StatusCode::ACCEPTED }));
    tokio::spawn(async move {
        let _ = axum::serve(bare, app).await;
    });
    let canned = TcpListener::bind(loopback).await.map_err(|error| format!("cannot listen: {error}"))?;
    let canned_addr = canned.local_addr().map_err(|error| error.to_string())?;
    tokio::spawn(canned_responder(canned));
    Ok(Started {
        handle: tokio::runtime::Handle::current(),
        engine,
        ingest: Arc::new(ingest),
        bare_axum,
        canned: canned_addr,
    })
}

/// The generator's ceiling: answers each request 202 as soon as its end has arrived, reading
/// nothing but the header block's end and its content length.
async fn canned_responder(listener: TcpListener) {
    const ANSWER: &[u8] = b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n";
    while let Ok((mut stream, _)) = listener.accept().await {
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let mut buffer = Vec::with_capacity(8192);
            let mut chunk = [0u8; 8192];
            loop {
                while let Some(length) = message_length(&buffer) {
                    buffer.drain(..length);
                    if stream.write_all(ANSWER).await.is_err() {
                        return;
                    }
                }
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                }
            }
        });
    }
}

/// The length of the whole HTTP/1.1 message at the start of `buffer` (head and body, by its
/// content length), once all of it has arrived.
fn message_length(buffer: &[u8]) -> Option<usize> {
    let head = buffer.windows(4).position(|window| window == b"\r\n\r\n")? + 4;
    let body = buffer[..head]
        .split(|byte| *byte == b'\n')
        .find_map(|line| {
            let (name, value) = line.split_at(line.iter().position(|byte| *byte == b':')?);
            name.eq_ignore_ascii_case(b"content-length")
                .then(|| std::str::from_utf8(&value[1..]).ok()?.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    (buffer.len() >= head + body).then_some(head + body)
}

// ---------------------------------------------------------------------------------------------
// The model and its payloads.

/// One feature's value as a tensor gives it.
#[derive(Clone)]
enum Feature {
    Float(f64),
    Int(i64),
    Text(&'static str),
}

/// The model's 12 features: (name, OIP v2 datatype).
const FEATURES: [(&str, &str); 12] = [
    ("amount", "FP64"),
    ("age", "INT64"),
    ("tenure_months", "INT64"),
    ("balance", "FP64"),
    ("credit_score", "INT64"),
    ("sessions_30d", "INT64"),
    ("avg_session_minutes", "FP64"),
    ("channel", "BYTES"),
    ("country", "BYTES"),
    ("device", "BYTES"),
    ("plan", "BYTES"),
    ("is_member", "INT64"),
];

/// One inference: its 12 feature values and its prediction.
fn inference(random: &mut Random) -> (Vec<Feature>, f64) {
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let features = vec![
        Feature::Float(round((3.9 + 0.6 * random.normal()).exp())),
        Feature::Int((42.0 + 12.0 * random.normal()).clamp(18.0, 90.0) as i64),
        Feature::Int((random.uniform() * 120.0) as i64),
        Feature::Float(round((2_500.0 + 1_800.0 * random.normal()).max(0.0))),
        Feature::Int((680.0 + 60.0 * random.normal()).clamp(300.0, 850.0) as i64),
        Feature::Int((12.0 + 5.0 * random.normal()).max(0.0) as i64),
        Feature::Float(round((7.0 + 2.5 * random.normal()).max(0.1))),
        Feature::Text(random.pick(&["online", "online", "in_store", "phone"])),
        Feature::Text(random.pick(&["DE", "FR", "ES", "IT", "NL", "PL"])),
        Feature::Text(random.pick(&["ios", "android", "web"])),
        Feature::Text(random.pick(&["basic", "basic", "plus", "premium"])),
        Feature::Int(i64::from(random.uniform() < 0.35)),
    ];
    let prediction = (random.uniform() * 0.6 + 0.05 * random.normal()).clamp(0.0, 1.0);
    (features, (prediction * 1e4).round() / 1e4)
}

/// The reference CSV: [`REFERENCE_ROWS`] inferences from the same distributions.
fn reference_csv() -> String {
    let mut random = Random::new(0xC0FFEE);
    let names: Vec<&str> = FEATURES.iter().map(|(name, _)| *name).collect();
    let mut text = format!("{},{PREDICTION},{TARGET}\n", names.join(","));
    for _ in 0..REFERENCE_ROWS {
        let (features, prediction) = inference(&mut random);
        for feature in features {
            match feature {
                Feature::Float(x) => text += &format!("{x},"),
                Feature::Int(n) => text += &format!("{n},"),
                Feature::Text(word) => text += &format!("{word},"),
            }
        }
        text += &format!("{prediction},{}\n", (prediction + 0.1 * random.normal()).clamp(0.0, 1.0));
    }
    text
}

/// One inference's two CloudEvent bodies: the OIP v2 request (a tensor per feature, as the demo
/// fleet's models take them) and the response (the prediction).
fn payload_bodies(random: &mut Random) -> (Vec<u8>, Vec<u8>) {
    let (features, prediction) = inference(random);
    let inputs: Vec<Value> = FEATURES
        .iter()
        .zip(features)
        .map(|((name, datatype), feature)| {
            let data = match feature {
                Feature::Float(x) => json!([x]),
                Feature::Int(n) => json!([n]),
                Feature::Text(word) => json!([word]),
            };
            json!({"name": name, "shape": [1], "datatype": datatype, "data": data})
        })
        .collect();
    let request = json!({"inputs": inputs});
    let response = json!({"model_name": MODEL, "model_version": VERSION,
        "outputs": [{"name": "probability", "shape": [1], "datatype": "FP64", "data": [prediction]}]});
    let bytes = |value: &Value| serde_json::to_vec(value).unwrap_or_default();
    (bytes(&request), bytes(&response))
}

// ---------------------------------------------------------------------------------------------
// The load.

/// What a phase's generator shares between its connections.
#[derive(Default)]
struct Counters {
    events: AtomicU64,
    inferences: AtomicU64,
    /// Answers other than 202, and connections that failed.
    errors: AtomicU64,
    recording: AtomicBool,
    stop: AtomicBool,
}

/// What one phase measured.
struct Phase {
    name: &'static str,
    window: Duration,
    events: u64,
    inferences: u64,
    /// Events answered 202 over the whole phase, warm-up included.
    total_events: u64,
    total_inferences: u64,
    errors: u64,
    first_error: Option<String>,
    latencies_us: Vec<u32>,
    server_cpu_s: f64,
    generator_cpu_s: f64,
    /// When the last answer arrived.
    ended: Instant,
}

impl Phase {
    fn per_second(&self, count: u64) -> f64 {
        count as f64 / self.window.as_secs_f64()
    }

    fn events_per_s(&self) -> f64 {
        self.per_second(self.events)
    }

    fn latency_ms(&self, quantile: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((self.latencies_us.len() - 1) as f64 * quantile).round() as usize;
        f64::from(self.latencies_us[rank]) / 1e3
    }
}

/// Sends the events of `payloads` to `target` over `connections` keep-alive connections:
/// warm-up, then the measured window (or until `max_events`), then waits for the inferences
/// under way to finish.
async fn load(
    name: &'static str,
    target: SocketAddr,
    payloads: &Arc<Vec<(Vec<u8>, Vec<u8>)>>,
    options: &Options,
    measured: Duration,
    server_core: usize,
) -> Result<Phase, String> {
    let counters = Arc::new(Counters::default());
    let mut tasks = Vec::new();
    for connection in 0..options.connections {
        let stream =
            TcpStream::connect(target).await.map_err(|error| format!("cannot connect to {target}: {error}"))?;
        stream.set_nodelay(true).map_err(|error| error.to_string())?;
        let (counters, payloads) = (counters.clone(), payloads.clone());
        let max_events = options.max_events;
        tasks.push(tokio::spawn(async move {
            let outcome = send_events(stream, target, connection, &payloads, &counters, max_events).await;
            if outcome.is_err() {
                counters.errors.fetch_add(1, Ordering::Relaxed);
            }
            outcome
        }));
    }
    tokio::time::sleep(options.warmup).await;
    let cpu_before = cpu_by_core(server_core)?;
    let start = (Instant::now(), counters.events.load(Ordering::Relaxed), counters.inferences.load(Ordering::Relaxed));
    counters.recording.store(true, Ordering::Relaxed);
    let deadline = start.0 + measured;
    while Instant::now() < deadline && !counters.stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(20).min(deadline.saturating_duration_since(Instant::now()))).await;
    }
    let end = (Instant::now(), counters.events.load(Ordering::Relaxed), counters.inferences.load(Ordering::Relaxed));
    let cpu_after = cpu_by_core(server_core)?;
    counters.recording.store(false, Ordering::Relaxed);
    counters.stop.store(true, Ordering::Relaxed);
    let mut latencies_us = Vec::new();
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok(latencies)) => latencies_us.extend(latencies),
            Ok(Err(error)) => {
                first_error.get_or_insert(error);
            }
            Err(error) => {
                first_error.get_or_insert(error.to_string());
            }
        }
    }
    let ended = Instant::now();
    latencies_us.sort_unstable();
    Ok(Phase {
        name,
        window: end.0 - start.0,
        events: end.1 - start.1,
        inferences: end.2 - start.2,
        total_events: counters.events.load(Ordering::Relaxed),
        total_inferences: counters.inferences.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        first_error,
        latencies_us,
        server_cpu_s: cpu_after.0 - cpu_before.0,
        generator_cpu_s: cpu_after.1 - cpu_before.1,
        ended,
    })
}

/// One connection's loop: inference after inference, each its request event and its response
/// event (the response first for every third), until told to stop. Returns the latencies
/// (microseconds) of the events answered while recording.
async fn send_events(
    mut stream: TcpStream,
    target: SocketAddr,
    connection: usize,
    payloads: &[(Vec<u8>, Vec<u8>)],
    counters: &Counters,
    max_events: u64,
) -> Result<Vec<u32>, String> {
    const REQUEST: &str = "org.kubeflow.serving.inference.request";
    const RESPONSE: &str = "org.kubeflow.serving.inference.response";
    let mut latencies = Vec::new();
    let mut message = Vec::with_capacity(4096);
    let mut answer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let mut sequence = 0usize;
    while !counters.stop.load(Ordering::Relaxed) {
        if counters.events.load(Ordering::Relaxed) >= max_events {
            counters.stop.store(true, Ordering::Relaxed);
            break;
        }
        let (request, response) = &payloads[(connection * 7_919 + sequence) % payloads.len()];
        let mut events = [(REQUEST, request), (RESPONSE, response)];
        if sequence % 3 == 0 {
            events.reverse();
        }
        for (kind, body) in events {
            message.clear();
            use std::io::Write;
            write!(
                message,
                "POST /ingest?token={TOKEN} HTTP/1.1\r\nhost: {target}\r\ncontent-type: application/json\r\n\
                 ce-specversion: 1.0\r\nce-id: inference-{connection}-{sequence}\r\nce-type: {kind}\r\n\
                 ce-source: churn-predictor-00003-deployment\r\nce-time: 2025-06-02T10:00:00Z\r\n\
                 ce-inferenceservicename: {MODEL}\r\nce-namespace: vigil-demo\r\nce-component: predictor\r\n\
                 ce-endpoint: {VERSION}\r\nce-metadata: {{}}\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .map_err(|error| error.to_string())?;
            message.extend_from_slice(body);
            let sent = Instant::now();
            // A 503 says Vigil is still storing what came before: sent again shortly, as a payload
            // logger retries; only 202s count.
            let length = loop {
                stream.write_all(&message).await.map_err(|error| format!("cannot send: {error}"))?;
                let length = loop {
                    if let Some(length) = message_length(&answer) {
                        break length;
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) => return Err("the endpoint closed the connection".into()),
                        Ok(read) => answer.extend_from_slice(&chunk[..read]),
                        Err(error) => return Err(format!("cannot read the answer: {error}")),
                    }
                };
                if answer.get(9..12) != Some(b"503") {
                    break length;
                }
                if counters.stop.load(Ordering::Relaxed) {
                    return Ok(latencies);
                }
                answer.drain(..length);
                tokio::time::sleep(Duration::from_millis(5)).await;
            };
            let status = answer.get(9..12).unwrap_or_default();
            if status != b"202" {
                let text = String::from_utf8_lossy(&answer[..length]).into_owned();
                counters.errors.fetch_add(1, Ordering::Relaxed);
                return Err(format!("answered other than 202: {text}"));
            }
            answer.drain(..length);
            if counters.recording.load(Ordering::Relaxed) {
                latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            }
            counters.events.fetch_add(1, Ordering::Relaxed);
        }
        counters.inferences.fetch_add(1, Ordering::Relaxed);
        sequence += 1;
    }
    Ok(latencies)
}

// ---------------------------------------------------------------------------------------------
// The run.

struct Outcome {
    canned: Phase,
    bare_axum: Phase,
    ingest: Phase,
    stats: IngestStats,
    /// From the last answer to stored rows equal to rows accepted, without asking for a flush.
    store_lag: Option<Duration>,
    stored_rows_at_lag: u64,
    /// `current_rows` after `flush()`.
    stored_rows: u64,
    reports_read: u32,
    /// The first inference's request and response bodies, in bytes.
    body_sizes: (usize, usize),
}

async fn measure(options: &Options, server: &Server) -> Result<Outcome, String> {
    let server_core = match server.on_engine_core(async { allowed_cpus() }).await??.as_slice() {
        [core] => *core,
        other => return Err(format!("the engine's thread runs on {other:?}, not one core")),
    };
    let mut random = Random::new(0x5EED);
    let payloads: Arc<Vec<(Vec<u8>, Vec<u8>)>> = Arc::new((0..PAYLOADS).map(|_| payload_bodies(&mut random)).collect());
    let sizes = (payloads[0].0.len(), payloads[0].1.len());
    println!("Payloads: {PAYLOADS} inferences of 12 features, request body {} B, response body {} B", sizes.0, sizes.1);

    let phase = |name, target, measured| load(name, target, &payloads, options, measured, server_core);
    println!("Generator ceiling: a canned 202 responder, {:.0} s ...", options.reference_measured.as_secs_f64());
    let canned = phase("canned 202 responder", server.canned, options.reference_measured).await?;
    println!(
        "HTTP stack ceiling: a bare axum route answering 202, {:.0} s ...",
        options.reference_measured.as_secs_f64()
    );
    let bare_axum = phase("bare axum 202", server.bare_axum, options.reference_measured).await?;
    println!(
        "Vigil's ingest endpoint: {:.0} s after {:.0} s of warm-up ...",
        options.measured.as_secs_f64(),
        options.warmup.as_secs_f64()
    );
    let ingest = phase("vigil ingest", server.ingest.addr(), options.measured).await?;

    // Profiles kept up to date: poll what a drift report reads until it holds every row
    // accepted, as the endpoint stores them by itself (four times a second).
    let mut store_lag = None;
    let mut stored_rows_at_lag = 0;
    let mut reports_read = 0;
    let expected = server.ingest.stats().rows;
    while ingest.ended.elapsed() < GIVE_UP_AFTER {
        let rows = stored_rows(server).await?;
        reports_read += 1;
        if rows >= expected {
            store_lag = Some(ingest.ended.elapsed());
            stored_rows_at_lag = rows;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ingest_server = server.ingest.clone();
    server.on_engine_core(async move { ingest_server.flush().await }).await?.map_err(|error| error.to_string())?;
    let stored_rows = stored_rows(server).await?;
    Ok(Outcome {
        canned,
        bare_axum,
        ingest,
        stats: server.ingest.stats(),
        store_lag,
        stored_rows_at_lag,
        stored_rows,
        reports_read,
        body_sizes: sizes,
    })
}

/// The rows of live data a drift report over the last hour finds, read on the engine's core.
async fn stored_rows(server: &Server) -> Result<u64, String> {
    let engine = server.engine.clone();
    let report = server
        .on_engine_core(async move {
            let now = chrono::Utc::now();
            engine
                .drift()
                .report(MODEL, None, now - chrono::Duration::hours(1), now + chrono::Duration::minutes(1))
                .await
        })
        .await?
        .map_err(|error| format!("drift report: {error}"))?;
    Ok(report.current_rows)
}

// ---------------------------------------------------------------------------------------------
// Cores and CPU time.

pub(crate) fn allowed_cpus() -> Result<Vec<usize>, String> {
    affinity_of(0)
}

/// The CPUs thread `tid` may run on (0: the calling thread).
fn affinity_of(tid: libc::pid_t) -> Result<Vec<usize>, String> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set, and sched_getaffinity writes at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::sched_getaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if got != 0 {
        return Err(format!("sched_getaffinity: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: CPU_ISSET reads the set within its size.
    Ok((0..libc::CPU_SETSIZE as usize).filter(|cpu| unsafe { libc::CPU_ISSET(*cpu, &set) }).collect())
}

/// Pins the calling thread (and the threads it starts afterwards) to `cpus`.
pub(crate) fn pin_this_thread(cpus: &[usize]) -> Result<(), String> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes within it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for cpu in cpus {
        unsafe { libc::CPU_SET(*cpu, &mut set) };
    }
    // SAFETY: the set is initialized and its size is given.
    let set_ok = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) } == 0;
    if set_ok {
        Ok(())
    } else {
        Err(format!("cannot pin to cores {cpus:?}: {}", std::io::Error::last_os_error()))
    }
}

/// CPU seconds used so far by this process's threads pinned to `server_core` alone, and by its
/// other threads (the generator's).
fn cpu_by_core(server_core: usize) -> Result<(f64, f64), String> {
    let tasks =
        std::fs::read_dir("/proc/self/task").map_err(|error| format!("cannot read /proc/self/task: {error}"))?;
    let (mut server, mut generator) = (0.0, 0.0);
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|name| name.parse::<libc::pid_t>().ok()) else { continue };
        // A thread that ended in between counts no more.
        let (Ok(cores), Some(seconds)) = (affinity_of(tid), thread_cpu_seconds(&task.path())) else { continue };
        if cores == [server_core] {
            server += seconds;
        } else {
            generator += seconds;
        }
    }
    Ok((server, generator))
}

/// A thread's CPU time: nanoseconds on a CPU from `schedstat`, else ticks from `stat`.
fn thread_cpu_seconds(task: &Path) -> Option<f64> {
    if let Ok(text) = std::fs::read_to_string(task.join("schedstat")) {
        if let Some(nanos) = text.split_whitespace().next().and_then(|field| field.parse::<u64>().ok()) {
            return Some(nanos as f64 / 1e9);
        }
    }
    let stat = std::fs::read_to_string(task.join("stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1);
    Some(ticks as f64 / per_second as f64)
}

// ---------------------------------------------------------------------------------------------
// The report.

/// Prints the table of the three phases: rates, latencies, CPU shares and errors.
fn print_phases(options: &Options, (server_core, generator_cores): (usize, &[usize]), outcome: &Outcome) {
    let Outcome { canned, bare_axum, ingest, .. } = outcome;
    println!(
        "\nIngest throughput: {} keep-alive connections on loopback, KServe CloudEvents (request + response per \
         inference, 12 features); endpoint on core {server_core}, load on core(s) {generator_cores:?}\n",
        options.connections
    );
    println!(
        "{:<22} {:>8} {:>12} {:>11} {:>9} {:>9} {:>12} {:>14} {:>7}",
        "", "window", "events/s", "rows/s", "p50", "p99", "server CPU", "generator CPU", "errors"
    );
    let share = |seconds: f64, phase: &Phase| seconds / phase.window.as_secs_f64() * 100.0;
    for phase in [canned, bare_axum, ingest] {
        println!(
            "{:<22} {:>6.1} s {:>12.0} {:>11.0} {:>6.2} ms {:>6.2} ms {:>10.1} % {:>12.1} % {:>7}",
            phase.name,
            phase.window.as_secs_f64(),
            phase.events_per_s(),
            phase.per_second(phase.inferences),
            phase.latency_ms(0.5),
            phase.latency_ms(0.99),
            share(phase.server_cpu_s, phase),
            share(phase.generator_cpu_s, phase),
            phase.errors
        );
    }
}

/// How long after the last answer the stored rows caught up, or that they did not in time.
fn lag_text(outcome: &Outcome) -> String {
    outcome.store_lag.map_or(
        format!("not within {} s ({} rows stored)", GIVE_UP_AFTER.as_secs(), outcome.stored_rows_at_lag),
        |lag| format!("{} ms", lag.as_millis()),
    )
}

/// Prints the `ratios` (over bare axum, over the ceiling), per-core rates, counts and stored rows.
fn print_counts(outcome: &Outcome, (ratio_axum, ratio_canned): (f64, f64), lag_text: &str) {
    let Outcome { canned, bare_axum, ingest, stats, .. } = outcome;
    println!(
        "\nvigil ingest / bare axum: {ratio_axum:.2}x; vigil ingest / generator ceiling: {ratio_canned:.2}x \
         (the generator reached {:.0} events/s against the canned responder)",
        canned.events_per_s()
    );
    let per_core = |phase: &Phase| phase.events as f64 / phase.server_cpu_s.max(1e-9);
    println!(
        "Events per CPU-second of the endpoint's core (what one whole core would take): canned {:.0}, bare axum \
         {:.0}, vigil ingest {:.0}",
        per_core(canned),
        per_core(bare_axum),
        per_core(ingest)
    );
    println!(
        "Endpoint's own count: {} accepted, {} rejected ({} busy storing, sent again), {} rows, {} predictions logged; \
         the generator had {} events answered 202, {} inferences",
        stats.accepted,
        stats.rejected,
        stats.busy,
        stats.rows,
        stats.predictions,
        ingest.total_events,
        ingest.total_inferences
    );
    println!(
        "Stored rows (drift report over the last hour, current_rows): {} after the load, {lag_text} after the last \
         answer ({} reports read); {} after flush()",
        outcome.stored_rows_at_lag, outcome.reports_read, outcome.stored_rows
    );
    if let Some(error) = [canned, bare_axum, ingest].iter().find_map(|phase| phase.first_error.as_ref()) {
        println!("First error: {error}");
    }
}

/// Prints the `Goals:` block and returns it as JSON.
fn print_goals(outcome: &Outcome, lag_text: &str, ratio_axum: f64) -> Value {
    let Outcome { ingest, stats, .. } = outcome;
    let server_share = ingest.server_cpu_s / ingest.window.as_secs_f64();
    let rows_match = outcome.stored_rows == stats.rows
        && stats.rows == ingest.total_inferences
        && stats.accepted == ingest.total_events
        && stats.rejected == stats.busy;
    let in_time = outcome.store_lag.is_some_and(|lag| lag <= MAX_STORE_LAG);
    println!();
    goal::print(&[
        Goal::new(
            format!("ingest at {GOAL_EVENTS_PER_S:.0} events/s or more on one core"),
            ingest.events_per_s() >= GOAL_EVENTS_PER_S && ingest.errors == 0,
            format!("{:.0} events/s, {:.0} rows/s", ingest.events_per_s(), ingest.per_second(ingest.inferences)),
        ),
        Goal::new(
            format!(
                "profiles up to date: stored rows = rows accepted within {} s of the load's end",
                MAX_STORE_LAG.as_secs()
            ),
            rows_match && in_time,
            format!("{} stored of {} accepted, {lag_text}", outcome.stored_rows, stats.rows),
        ),
        Goal::new(
            "the endpoint used at most one core",
            // schedstat is exact; 2 % covers the edges of the window.
            server_share <= 1.02,
            format!("{:.1} % of one core", server_share * 100.0),
        ),
        Goal::new(
            format!("vigil ingest / bare axum route, events/s, {MIN_VS_AXUM}x or more"),
            ratio_axum >= MIN_VS_AXUM,
            format!("{ratio_axum:.2}x"),
        ),
    ])
}

/// One phase's figures as JSON.
fn phase_json(phase: &Phase) -> Value {
    json!({
        "window_s": phase.window.as_secs_f64(),
        "events": phase.events,
        "inferences": phase.inferences,
        "events_per_s": phase.events_per_s(),
        "rows_per_s": phase.per_second(phase.inferences),
        "latency_p50_ms": phase.latency_ms(0.5),
        "latency_p99_ms": phase.latency_ms(0.99),
        "latency_max_ms": phase.latency_ms(1.0),
        "server_cpu_share_of_one_core": phase.server_cpu_s / phase.window.as_secs_f64(),
        "events_per_server_cpu_second": phase.events as f64 / phase.server_cpu_s.max(1e-9),
        "generator_cpu_share_of_one_core": phase.generator_cpu_s / phase.window.as_secs_f64(),
        "errors": phase.errors,
        "first_error": phase.first_error,
    })
}

/// The figures, `ratios` and `goals` as the JSON that `--out` writes.
fn results(
    options: &Options,
    (server_core, generator_cores): (usize, &[usize]),
    outcome: &Outcome,
    (ratio_axum, ratio_canned): (f64, f64),
    goals: Value,
) -> Value {
    let Outcome { canned, bare_axum, ingest, stats, .. } = outcome;
    json!({
        "benchmark": "drift ingest endpoint throughput on one core",
        "setup": {
            "connections": options.connections,
            "warmup_s": options.warmup.as_secs_f64(),
            "measured_s": options.measured.as_secs_f64(),
            "reference_measured_s": options.reference_measured.as_secs_f64(),
            "max_events_per_phase": options.max_events,
            "server_core": server_core,
            "generator_cores": generator_cores,
            "payload": "KServe CloudEvents binary mode, a request event (OIP v2, a [1] tensor per feature: 7 numeric, \
                        4 categorical, 1 binary) and a response event (the prediction) per inference, paired by ce-id",
            "request_body_bytes": outcome.body_sizes.0,
            "response_body_bytes": outcome.body_sizes.1,
            "reference_rows": REFERENCE_ROWS,
        },
        "method": {
            "server": "Engine::start_ingest in this process, a current-thread tokio runtime in a thread pinned to one core \
                       (sched_setaffinity); its SQLite threads inherit the core",
            "generator": "raw HTTP/1.1 over keep-alive TCP on the other cores, closed loop, one inference's two events \
                          after the other",
            "cpu": "sum of /proc/self/task/TID/schedstat run time of the threads pinned to the server's core, over the window",
            "store_lag": "from the last answer until a drift report over the last hour has current_rows = rows accepted, \
                          with no flush (the endpoint stores four times a second)",
        },
        "machine": crate::machine(),
        "generator_ceiling": phase_json(canned),
        "bare_axum": phase_json(bare_axum),
        "vigil_ingest": phase_json(ingest),
        "endpoint_stats": {
            "accepted": stats.accepted, "rejected": stats.rejected, "rows": stats.rows, "predictions": stats.predictions,
        },
        "stored": {
            "rows_after_load": outcome.stored_rows_at_lag,
            "store_lag_ms": outcome.store_lag.map(|lag| lag.as_secs_f64() * 1e3),
            "rows_after_flush": outcome.stored_rows,
        },
        "ratios": { "ingest_over_bare_axum": ratio_axum, "ingest_over_generator_ceiling": ratio_canned },
        "goals": goals,
    })
}

/// Prints the phases, the counts, the ratios and the goals, and writes the JSON to `--out` if given.
fn report(options: &Options, cores: (usize, &[usize]), outcome: &Outcome) -> Result<(), String> {
    let Outcome { canned, bare_axum, ingest, .. } = outcome;
    print_phases(options, cores, outcome);
    let ratios = (ingest.events_per_s() / bare_axum.events_per_s(), ingest.events_per_s() / canned.events_per_s());
    let lag_text = lag_text(outcome);
    print_counts(outcome, ratios, &lag_text);
    let goals = print_goals(outcome, &lag_text, ratios.0);
    let results = results(options, cores, outcome, ratios, goals);
    match &options.out {
        Some(out) => crate::write_results(out, &results),
        None => Ok(()),
    }
}
