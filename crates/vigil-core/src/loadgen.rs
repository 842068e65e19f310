//! An open-loop HTTP load generator: the core of the cost domain's load tests.
//!
//! Request `i` is due at `start + i / rate`, and is sent when it is due whether or not the
//! earlier ones have been answered, so a server that stalls cannot slow the generator down and
//! hide its queue. Each latency is measured from when the request was **due**, not from when it
//! was sent (the coordinated-omission error that closed-loop tools such as wrk make).
//!
//! At most [`LoadPlan::max_in_flight`] requests are under way at once. When that cap is reached,
//! the schedule waits for a free slot: the requests due meanwhile are sent late, but their
//! latencies still count from their due times, so the wait shows in the quantiles; how many were
//! sent more than [`LATE_SEND`] after their due time is reported ([`LoadResult::sent_late`]).
//!
//! A run is bounded in time ([`LoadPlan::duration`]: no request is due after it, and none is
//! sent more than [`SEND_GRACE`] after it) and in count ([`LoadPlan::max_requests`]); each request has its own timeout.
//! A request due within the duration but not sent by its end (the server or the generator could
//! not keep up) is counted as [`LoadResult::unsent`], and counts against the error share. Setting the cancel flag stops
//! the schedule and abandons the requests under way (they are counted as
//! [`LoadResult::abandoned`], not as errors).
//!
//! Only loopback hosts are load-tested unless the caller passes the host in its allowed list
//! ([`check_host`]). [`run_steps`] runs steps of increasing rate until one misses the p99
//! objective or the error bound, and names the highest sustainable rate.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;
use url::Url;

use crate::{Result, VigilError};

/// A request sent more than this after its due time is counted in [`LoadResult::sent_late`].
pub const LATE_SEND: Duration = Duration::from_millis(10);
/// A request not sent by this long after the end of the duration is counted unsent (an error):
/// long enough that a busy machine's pause in scheduling is not taken for a server that could
/// not keep up (a late request's latency still counts from its due time).
pub const SEND_GRACE: Duration = Duration::from_millis(250);
/// How often the progress callback hears a snapshot.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// The most of a failed answer's body kept as its words.
pub const MAX_ERROR_TEXT: usize = 300;
/// The default cap on requests under way at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1_024;

/// What to send, how fast, and for how long.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Where each request is POSTed.
    pub url: Url,
    /// The request bodies, cycled in order (one body is sent every time).
    pub bodies: Vec<bytes::Bytes>,
    /// The `content-type` header of every request.
    pub content_type: String,
    /// Requests per second.
    pub rate: f64,
    /// No request is due after `start + duration`.
    pub duration: Duration,
    /// No more than this many requests are sent.
    pub max_requests: u64,
    /// A request not answered within this counts as a timeout.
    pub timeout: Duration,
    /// At most this many requests under way at once.
    pub max_in_flight: usize,
}

/// How a run went, so far (a progress snapshot) or in the end.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadResult {
    /// The rate asked for, requests per second.
    pub target_rate: f64,
    /// Requests sent.
    pub sent: u64,
    /// Answered with a 2xx status.
    pub ok: u64,
    /// Answered with any other status.
    pub http_errors: u64,
    /// Not answered within the per-request timeout.
    pub timeouts: u64,
    /// Could not connect, or the connection failed before an answer.
    pub connection_errors: u64,
    /// Under way when the run was cancelled, and never answered.
    pub abandoned: u64,
    /// Due within the duration but not sent by its end: the rate was not kept.
    pub unsent: u64,
    /// Sent more than [`LATE_SEND`] after their due time (the in-flight cap was reached, or the
    /// generator could not keep up).
    pub sent_late: u64,
    /// Under way at the time of the snapshot (0 in the end).
    pub in_flight: u64,
    /// From the start to the snapshot, or to the last answer.
    pub elapsed: Duration,
    /// 2xx answers per second over `elapsed`.
    pub achieved_rate: f64,
    /// Latency quantiles from due time, over every request answered or timed out.
    pub latency: Quantiles,
    /// Whether the cancel flag stopped the run.
    pub cancelled: bool,
    /// What the first failed request met (`HTTP 400 Bad Request: {"error": …}`, a timeout, a
    /// refused connection), the server's words bounded to [`MAX_ERROR_TEXT`] bytes.
    pub first_error: Option<String>,
}

impl LoadResult {
    /// Errors of every kind.
    pub fn errors(&self) -> u64 {
        self.http_errors + self.timeouts + self.connection_errors
    }

    /// The share of errors and unsent requests among the finished and the unsent (0 when
    /// there are none).
    pub fn error_share(&self) -> f64 {
        let failed = self.errors() + self.unsent;
        let finished = self.ok + failed;
        if finished == 0 {
            0.0
        } else {
            failed as f64 / finished as f64
        }
    }
}

/// Latency quantiles (and the maximum), each at most 1/128 above the true value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quantiles {
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// How many latencies they were taken from.
    pub count: u64,
}

/// Refuses `url` unless its host is loopback (`localhost`, 127.0.0.0/8, `::1`) or is one of
/// `allowed` (compared without case).
pub fn check_host(url: &Url, allowed: &[String]) -> Result<()> {
    let Some(host) = url.host() else {
        return Err(invalid("url", format!("{url} names no host to load-test")));
    };
    let name = match host {
        url::Host::Domain(domain) => domain.to_owned(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    if is_loopback(&host) || allowed.iter().any(|allowed| allowed.eq_ignore_ascii_case(&name)) {
        return Ok(());
    }
    Err(invalid(
        "url",
        format!(
            "Vigil load-tests only loopback hosts (127.0.0.1, ::1, localhost), and {name} is not one; \
             to load-test {name}, add it to the hosts allowed for load tests in Settings (or: vigil loadtest hosts --allow {name})"
        ),
    ))
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(domain) => {
            let domain = domain.to_ascii_lowercase();
            domain == "localhost" || domain.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

fn invalid(field: &'static str, message: String) -> VigilError {
    VigilError::InvalidInput { field, message }
}

fn check_plan(plan: &LoadPlan) -> Result<()> {
    if !(plan.rate.is_finite() && plan.rate > 0.0) {
        return Err(invalid("rate", format!("the rate must be a positive number of requests/s, not {}", plan.rate)));
    }
    if plan.bodies.is_empty() {
        return Err(invalid("bodies", "a load test needs at least one request body".into()));
    }
    if plan.max_in_flight == 0 {
        return Err(invalid("max_in_flight", "at least one request must be allowed under way".into()));
    }
    Ok(())
}

/// How one request ended.
enum Outcome {
    /// The status, and for a failure the start of the answer's body.
    Answered(hyper::StatusCode, Option<String>),
    TimedOut,
    Failed,
}

/// The keep-alive HTTP/1.1 connections of a load test, to one host, opened as they are needed
/// (at most one per request under way) and reused. No proxy: loopback stays loopback.
struct Connections {
    host: String,
    port: u16,
    authority: String,
    path: String,
    content_type: hyper::header::HeaderValue,
    timeout: Duration,
    idle: Mutex<Vec<hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>>>,
}

impl Connections {
    fn new(plan: &LoadPlan) -> Result<Connections> {
        if plan.url.scheme() != "http" {
            return Err(invalid("url", format!("load tests speak plain HTTP for now, not {}", plan.url.scheme())));
        }
        let host = plan.url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_owned();
        let port = plan.url.port_or_known_default().unwrap_or(80);
        let authority = plan.url[url::Position::BeforeHost..url::Position::AfterPort].to_owned();
        let path = plan.url[url::Position::BeforePath..url::Position::AfterQuery].to_owned();
        let content_type = hyper::header::HeaderValue::from_str(&plan.content_type)
            .map_err(|_| invalid("content_type", format!("{:?} is not a header value", plan.content_type)))?;
        Ok(Connections {
            host,
            port,
            authority,
            path,
            content_type,
            timeout: plan.timeout,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// POSTs `body`, within the timeout.
    async fn post(&self, body: bytes::Bytes) -> Outcome {
        match tokio::time::timeout(self.timeout, self.exchange(body)).await {
            Ok(Some((status, said))) => Outcome::Answered(status, said),
            Ok(None) => Outcome::Failed,
            Err(_) => Outcome::TimedOut,
        }
    }

    async fn exchange(&self, body: bytes::Bytes) -> Option<(hyper::StatusCode, Option<String>)> {
        let mut sender = match self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            Some(sender) => sender,
            None => self.connect().await?,
        };
        let request = hyper::Request::post(self.path.as_str())
            .header(hyper::header::HOST, self.authority.as_str())
            .header(hyper::header::CONTENT_TYPE, self.content_type.clone())
            .body(http_body_util::Full::new(body))
            .ok()?;
        sender.ready().await.ok()?;
        let response = sender.send_request(request).await.ok()?;
        let status = response.status();
        let answer = http_body_util::BodyExt::collect(response.into_body()).await.ok()?.to_bytes();
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(sender);
        }
        let said = (!status.is_success()).then(|| {
            let start = &answer[..answer.len().min(MAX_ERROR_TEXT)];
            String::from_utf8_lossy(start).chars().filter(|c| !c.is_control()).collect()
        });
        Some((status, said))
    }

    async fn connect(&self) -> Option<hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await.ok()?;
        stream.set_nodelay(true).ok()?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.ok()?;
        tokio::spawn(connection);
        Some(sender)
    }
}

/// Runs one open-loop load test. `allowed_hosts` are the non-loopback hosts the user allowed;
/// `progress` hears a snapshot every [`PROGRESS_EVERY`]; setting `cancel` stops the run early
/// (the result then says `cancelled`).
pub async fn run(
    plan: &LoadPlan,
    allowed_hosts: &[String],
    progress: impl Fn(&LoadResult) + Send + Sync + 'static,
    cancel: Arc<AtomicBool>,
) -> Result<LoadResult> {
    check_host(&plan.url, allowed_hosts)?;
    check_plan(plan)?;
    let connections = Arc::new(Connections::new(plan)?);
    let tally = Arc::new(Tally::new(Instant::now()));
    let ticks = metronome(plan, tally.start, cancel.clone())?;
    let reporter = tokio::spawn(report_progress(tally.clone(), plan.rate, progress));
    let (mut under_way, unsent) = send_on_schedule(plan, ticks, &connections, &tally, &cancel).await;
    let abandoned = finish(&mut under_way, &cancel).await;
    reporter.abort();
    let mut result = tally.snapshot(plan.rate);
    result.abandoned = abandoned;
    result.unsent = unsent;
    result.in_flight = 0;
    result.cancelled = cancel.load(Ordering::Relaxed);
    Ok(result)
}

/// Sends every request when its tick comes, until the duration, the count or a cancel ends the
/// schedule; returns the requests still under way, and how many were due but not sent by the
/// end of the duration.
async fn send_on_schedule(
    plan: &LoadPlan,
    mut ticks: tokio::sync::mpsc::Receiver<std::ops::Range<u64>>,
    connections: &Arc<Connections>,
    tally: &Arc<Tally>,
    cancel: &AtomicBool,
) -> (JoinSet<()>, u64) {
    let slots = Arc::new(Semaphore::new(plan.max_in_flight));
    let mut under_way = JoinSet::new();
    let end = tally.start + plan.duration;
    // Requests below this index are known to be due (the metronome said so, or the clock).
    let mut known_due = 0;
    'schedule: for index in 0..due_by_end(plan) {
        let due = tally.start + Duration::from_secs_f64(index as f64 / plan.rate);
        if index >= known_due && Instant::now() < due {
            // Ahead of the schedule: wait for the metronome's word that this one is due.
            loop {
                match ticks.recv().await {
                    Some(due_now) if due_now.end > index => break known_due = due_now.end,
                    Some(_) => {}
                    None => break 'schedule,
                }
            }
        }
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let slot = match free_slot(&slots, end + SEND_GRACE, cancel).await {
            Slot::Free(slot) => slot,
            Slot::Cancelled => break,
            Slot::TimeUp => return (under_way, due_by_end(plan).saturating_sub(index)),
        };
        while under_way.try_join_next().is_some() {}
        let body = plan.bodies[(index % plan.bodies.len() as u64) as usize].clone();
        tally.sent(due);
        let (tally, connections) = (tally.clone(), connections.clone());
        under_way.spawn(async move {
            let outcome = connections.post(body).await;
            tally.finished(due, outcome);
            drop(slot);
        });
    }
    (under_way, 0)
}

/// How often a wait looks at the cancel flag.
const CANCEL_CHECK: Duration = Duration::from_millis(50);

/// The schedule, kept on an OS thread of its own: it sleeps until the next request is due, then
/// hands the sender every request due by then (their indexes; request `i` is due at
/// `start + i / rate`), until the duration or the count ends or a cancel. A thread's sleep wakes
/// within tens of microseconds of the due time, where the async runtime's timer rounds up to the
/// next millisecond — up to a millisecond of latency, counted from the due time, that the server
/// did not cause. At saturation one hand-over carries many requests. When the sender cannot keep
/// up the hand-overs wait in a bounded queue (the requests go late; their latencies still count
/// from their due times).
fn metronome(
    plan: &LoadPlan,
    start: Instant,
    cancel: Arc<AtomicBool>,
) -> Result<tokio::sync::mpsc::Receiver<std::ops::Range<u64>>> {
    let (ticks, received) = tokio::sync::mpsc::channel(TICKS_QUEUED);
    let (rate, count, start) = (plan.rate, due_by_end(plan), start.into_std());
    std::thread::Builder::new()
        .name("vigil-load-schedule".into())
        .spawn(move || {
            let mut next = 0;
            while next < count {
                let due = start + Duration::from_secs_f64(next as f64 / rate);
                if !sleep_until(due, &cancel) {
                    return;
                }
                let due_by_now = ((start.elapsed().as_secs_f64() * rate).floor() as u64 + 1).clamp(next + 1, count);
                if ticks.blocking_send(next..due_by_now).is_err() {
                    return;
                }
                next = due_by_now;
            }
        })
        .map_err(|err| VigilError::Internal(format!("the load test's schedule thread did not start: {err}")))?;
    Ok(received)
}

/// Hand-overs waiting for the sender at most.
const TICKS_QUEUED: usize = 1_024;

/// Sleeps this thread until `due` unless cancelled first; whether it was not cancelled.
fn sleep_until(due: std::time::Instant, cancel: &AtomicBool) -> bool {
    loop {
        if cancel.load(Ordering::Relaxed) {
            return false;
        }
        let now = std::time::Instant::now();
        if now >= due {
            return true;
        }
        std::thread::sleep((due - now).min(CANCEL_CHECK));
    }
}

enum Slot {
    Free(tokio::sync::OwnedSemaphorePermit),
    Cancelled,
    TimeUp,
}

/// Waits for a slot under the in-flight cap, at most until `last_send` or a cancel.
async fn free_slot(slots: &Arc<Semaphore>, last_send: Instant, cancel: &AtomicBool) -> Slot {
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Slot::Cancelled;
        }
        let now = Instant::now();
        if now > last_send {
            return Slot::TimeUp;
        }
        match tokio::time::timeout_at(last_send.min(now + CANCEL_CHECK), slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => return Slot::Free(slot),
            Ok(Err(_)) => return Slot::Cancelled,
            Err(_) => {}
        }
    }
}

/// How many requests are due within the duration (and the count).
fn due_by_end(plan: &LoadPlan) -> u64 {
    let due = (plan.duration.as_secs_f64() * plan.rate).floor() as u64 + 1;
    due.min(plan.max_requests)
}

/// Waits for the requests under way (each bounded by its timeout), or abandons them at a
/// cancel; returns how many were abandoned.
async fn finish(under_way: &mut JoinSet<()>, cancel: &AtomicBool) -> u64 {
    loop {
        if cancel.load(Ordering::Relaxed) {
            let abandoned = under_way.len() as u64;
            under_way.abort_all();
            return abandoned;
        }
        if let Ok(None) = tokio::time::timeout(CANCEL_CHECK, under_way.join_next()).await {
            return 0;
        }
    }
}

async fn report_progress(tally: Arc<Tally>, rate: f64, progress: impl Fn(&LoadResult) + Send + Sync + 'static) {
    let mut ticks = tokio::time::interval_at(Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    loop {
        ticks.tick().await;
        progress(&tally.snapshot(rate));
    }
}

/// The counts and latencies of a run, shared by its requests.
struct Tally {
    start: Instant,
    sent: AtomicU64,
    ok: AtomicU64,
    http_errors: AtomicU64,
    timeouts: AtomicU64,
    connection_errors: AtomicU64,
    sent_late: AtomicU64,
    finished: AtomicU64,
    /// The last answer's time, in microseconds from the start.
    last_answer_us: AtomicU64,
    latencies: Mutex<Histogram>,
    first_error: std::sync::OnceLock<String>,
}

impl Tally {
    fn new(start: Instant) -> Tally {
        Tally {
            start,
            sent: AtomicU64::new(0),
            ok: AtomicU64::new(0),
            http_errors: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            connection_errors: AtomicU64::new(0),
            sent_late: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            last_answer_us: AtomicU64::new(0),
            latencies: Mutex::new(Histogram::default()),
            first_error: std::sync::OnceLock::new(),
        }
    }

    fn sent(&self, due: Instant) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        if due.elapsed() > LATE_SEND {
            self.sent_late.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn finished(&self, due: Instant, outcome: Outcome) {
        let now = Instant::now();
        let counter = match &outcome {
            Outcome::Answered(status, _) if status.is_success() => &self.ok,
            Outcome::Answered(..) => &self.http_errors,
            Outcome::TimedOut => &self.timeouts,
            Outcome::Failed => &self.connection_errors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.finished.fetch_add(1, Ordering::Relaxed);
        let failed = !matches!(&outcome, Outcome::Answered(status, _) if status.is_success());
        if failed && self.first_error.get().is_none() {
            let _ = self.first_error.set(match &outcome {
                Outcome::Answered(status, said) => format!("HTTP {status}: {}", said.as_deref().unwrap_or_default()),
                Outcome::TimedOut => "no answer within the request timeout".to_owned(),
                Outcome::Failed => "the connection failed or was refused".to_owned(),
            });
        }
        self.last_answer_us.fetch_max(micros(now - self.start), Ordering::Relaxed);
        if !matches!(outcome, Outcome::Failed) {
            if let Ok(mut latencies) = self.latencies.lock() {
                latencies.record(micros(now - due));
            }
        }
    }

    fn snapshot(&self, target_rate: f64) -> LoadResult {
        let sent = self.sent.load(Ordering::Relaxed);
        let finished = self.finished.load(Ordering::Relaxed);
        let ok = self.ok.load(Ordering::Relaxed);
        let elapsed = self.start.elapsed();
        let latency = self.latencies.lock().map(|latencies| latencies.quantiles()).unwrap_or_default();
        LoadResult {
            target_rate,
            sent,
            ok,
            http_errors: self.http_errors.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            connection_errors: self.connection_errors.load(Ordering::Relaxed),
            abandoned: 0,
            unsent: 0,
            sent_late: self.sent_late.load(Ordering::Relaxed),
            in_flight: sent.saturating_sub(finished),
            elapsed,
            achieved_rate: if elapsed.is_zero() { 0.0 } else { ok as f64 / elapsed.as_secs_f64() },
            latency,
            cancelled: false,
            first_error: self.first_error.get().cloned(),
        }
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

// ---------------------------------------------------------------------------------------------
// Steps of increasing rate.

/// Steps of increasing rate against one endpoint, each a run of `base` at its rate.
#[derive(Debug, Clone)]
pub struct StepPlan {
    /// Everything but the rate, which each step sets.
    pub base: LoadPlan,
    /// The rates, in requests per second, lowest first.
    pub rates: Vec<f64>,
    /// A step whose p99 is above this misses.
    pub p99_objective: Duration,
    /// A step whose error share is above this misses.
    pub max_error_share: f64,
}

/// One step: its run and whether it stayed within the objective and the error bound.
#[derive(Debug, Clone, PartialEq)]
pub struct StepResult {
    pub result: LoadResult,
    pub within: bool,
}

/// Every step run, and the highest rate sustained: the last step within both bounds before the
/// first that missed (`None` when the first step missed).
#[derive(Debug, Clone, PartialEq)]
pub struct StepsOutcome {
    pub steps: Vec<StepResult>,
    pub sustainable_rate: Option<f64>,
    pub cancelled: bool,
}

/// Runs the steps of `plan` in order and stops after the first that misses the p99 objective or
/// the error bound (or at a cancel). `progress` hears each step's snapshots.
pub async fn run_steps(
    plan: &StepPlan,
    allowed_hosts: &[String],
    progress: impl Fn(&LoadResult) + Send + Sync + Clone + 'static,
    cancel: Arc<AtomicBool>,
) -> Result<StepsOutcome> {
    let mut outcome = StepsOutcome { steps: Vec::new(), sustainable_rate: None, cancelled: false };
    for rate in &plan.rates {
        let step = LoadPlan { rate: *rate, ..plan.base.clone() };
        let result = run(&step, allowed_hosts, progress.clone(), cancel.clone()).await?;
        let within = step_within(plan, &result);
        outcome.cancelled = result.cancelled;
        outcome.steps.push(StepResult { result, within });
        if outcome.cancelled || !within {
            break;
        }
        outcome.sustainable_rate = Some(*rate);
    }
    Ok(outcome)
}

fn step_within(plan: &StepPlan, result: &LoadResult) -> bool {
    result.latency.p99 <= plan.p99_objective && result.error_share() <= plan.max_error_share
}

// ---------------------------------------------------------------------------------------------
// The latency histogram.

/// Sub-buckets per power of two: each bucket is at most 1/128 of its values wide.
const SUB_BUCKETS: u64 = 128;
/// Values below this (microseconds) have a bucket each.
const EXACT_BELOW: u64 = 2 * SUB_BUCKETS;
/// Powers of two above `EXACT_BELOW` covered (to about 2^63 µs).
const MAGNITUDES: u64 = 64 - 8;

/// A log-bucketed histogram of microseconds in the manner of HdrHistogram: exact below 256 µs,
/// then 128 buckets per power of two, so a quantile is at most 1/128 above the true value.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: vec![0; (EXACT_BELOW + MAGNITUDES * SUB_BUCKETS) as usize], count: 0, max: 0 }
    }
}

impl Histogram {
    /// Counts one value, in microseconds.
    pub fn record(&mut self, micros: u64) {
        let index = bucket_of(micros);
        if let Some(count) = self.counts.get_mut(index) {
            *count += 1;
            self.count += 1;
            self.max = self.max.max(micros);
        }
    }

    /// The value at `quantile` (0 to 1): the highest value of the bucket that holds it, never
    /// above the largest value recorded.
    pub fn value_at(&self, quantile: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((quantile.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return highest_in(index).min(self.max);
            }
        }
        self.max
    }

    /// p50, p90, p99 and the maximum.
    pub fn quantiles(&self) -> Quantiles {
        let at = |quantile| Duration::from_micros(self.value_at(quantile));
        Quantiles { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Duration::from_micros(self.max), count: self.count }
    }
}

fn bucket_of(value: u64) -> usize {
    if value < EXACT_BELOW {
        return value as usize;
    }
    let magnitude = 63 - u64::from(value.leading_zeros());
    let shift = magnitude - 7;
    let sub = (value >> shift) - SUB_BUCKETS;
    (EXACT_BELOW + (magnitude - 8) * SUB_BUCKETS + sub) as usize
}

fn highest_in(index: usize) -> u64 {
    let index = index as u64;
    if index < EXACT_BELOW {
        return index;
    }
    let magnitude = (index - EXACT_BELOW) / SUB_BUCKETS + 8;
    let sub = (index - EXACT_BELOW) % SUB_BUCKETS + SUB_BUCKETS;
    let shift = magnitude - 7;
    ((sub + 1) << shift) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_hold_their_values_within_one_in_128() {
        for value in [0, 1, 255, 256, 257, 1_000, 65_535, 1_000_000, 123_456_789, u64::MAX / 4] {
            let highest = highest_in(bucket_of(value));
            assert!(highest >= value, "{value} → {highest}");
            assert!((highest - value) as f64 <= value as f64 / 128.0, "{value} → {highest}");
        }
    }

    #[test]
    fn quantiles_of_one_to_ten_thousand() {
        let mut histogram = Histogram::default();
        (1..=10_000).for_each(|value| histogram.record(value));
        let within = |got: u64, want: f64| (got as f64 - want).abs() <= want / 128.0 + 1.0;
        assert!(within(histogram.value_at(0.5), 5_000.0), "{}", histogram.value_at(0.5));
        assert!(within(histogram.value_at(0.99), 9_900.0), "{}", histogram.value_at(0.99));
        assert_eq!(histogram.value_at(1.0), 10_000);
        assert_eq!(Histogram::default().value_at(0.99), 0);
    }

    #[test]
    fn only_loopback_or_allowed_hosts() {
        let url = |text: &str| Url::parse(text).expect("a url");
        for host in ["http://127.0.0.1:9/", "http://127.8.0.1/", "http://[::1]:80/", "http://localhost:1/x"] {
            assert!(check_host(&url(host), &[]).is_ok(), "{host}");
        }
        let refused = check_host(&url("http://models.example.com/v2"), &[]).expect_err("refused");
        assert!(refused.to_string().contains("models.example.com"), "{refused}");
        assert!(refused.to_string().contains("Settings"), "{refused}");
        assert!(check_host(&url("http://10.0.0.1/"), &[]).is_err());
        assert!(check_host(&url("http://Models.Example.com/"), &["models.example.com".into()]).is_ok());
    }
}
