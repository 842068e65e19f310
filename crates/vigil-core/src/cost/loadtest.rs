//! Load tests of one model revision: what to run (the request and its defaults), running it as
//! steps of increasing rate with the open-loop generator (`crate::loadgen`), the figures of each
//! step, and the stored results (`load_tests`) the capacity planner reads — the highest rate the
//! revision sustained within its p99 objective and error bound, per replica of the instance type
//! its server was placed on. Also the hosts outside loopback people allowed (`load_test_hosts`).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use ts_rs::TS;

use super::placements::Placement;
use crate::loadgen::{self, LoadPlan, LoadResult, StepPlan, StepsOutcome};
use crate::store::values::{stamp, Flag, Stamp};
use crate::{Result, VigilError};

/// The rates tried when the request names none, requests per second.
pub const DEFAULT_RATES: [f64; 9] = [5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0];
/// How long each step runs when the request does not say.
pub const DEFAULT_STEP_SECONDS: f64 = 10.0;
/// The p99 objective when neither the request nor the model's objectives give one.
pub const DEFAULT_P99_MS: f64 = 500.0;
/// The error bound when neither the request nor the model's objectives give one.
pub const DEFAULT_MAX_ERROR_SHARE: f64 = 0.01;
/// At most this many steps, each at most this long, at most this fast: a test stays bounded.
pub const MAX_STEPS: usize = 20;
pub const MAX_STEP_SECONDS: f64 = 300.0;
pub const MAX_RATE: f64 = 100_000.0;

/// A load test a person asks for. Every `None` takes its default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct LoadTestRequest {
    /// The server; may be left empty when one server serves the model.
    pub server: String,
    pub model: String,
    /// The revision; may be left out when the model has one.
    pub version: Option<String>,
    /// Requests per second of each step, rising ([`DEFAULT_RATES`]).
    pub rates: Option<Vec<f64>>,
    pub step_seconds: Option<f64>,
    /// A step whose p99 is above this misses (the model's p99 objective, else [`DEFAULT_P99_MS`]).
    pub p99_objective_ms: Option<f64>,
    /// A step whose error share is above this misses (the model's objective, else 1 %).
    pub max_error_share: Option<f64>,
    /// Request bodies from this file instead of ones built from the reference data.
    pub payload_file: Option<String>,
}

/// How a running test is going, a few times a second.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LoadTestProgress {
    pub model: String,
    pub version: String,
    /// The step under way, from 1.
    pub step: u32,
    pub steps: u32,
    pub rate: f64,
    pub elapsed_s: f64,
    pub step_seconds: f64,
    /// How far the whole test is, 0–1, if every step runs.
    pub fraction: f64,
    #[ts(type = "number")]
    pub sent: u64,
    #[ts(type = "number")]
    pub ok: u64,
    #[ts(type = "number")]
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// One step's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LoadTestStep {
    pub rate: f64,
    /// Successful answers a second.
    pub achieved_rate: f64,
    #[ts(type = "number")]
    pub sent: u64,
    #[ts(type = "number")]
    pub ok: u64,
    /// Failed, timed out, unanswered, or due and never sent (the rate was not kept).
    #[ts(type = "number")]
    pub errors: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub error_share: f64,
    /// Whether it stayed within the p99 objective and the error bound.
    pub within: bool,
    /// What the first failed request met, in the server's words.
    pub first_error: Option<String>,
}

/// A finished (or cancelled) load test, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LoadTestResult {
    #[ts(type = "number")]
    pub id: i64,
    pub server: String,
    pub model: String,
    pub version: String,
    /// The instance type the server was placed on, `provider/region/type`; None when unplaced.
    pub instance: Option<String>,
    pub replicas: u32,
    pub started_at: DateTime<Utc>,
    pub person: String,
    pub p99_objective_ms: f64,
    pub max_error_share: f64,
    pub steps: Vec<LoadTestStep>,
    /// The highest rate held within both bounds; None when the first step missed.
    pub sustainable_rate: Option<f64>,
    /// `sustainable_rate` ÷ replicas.
    pub per_replica_rate: Option<f64>,
    pub cancelled: bool,
    pub sentence: String,
}

/// A request with its defaults filled in and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    pub rates: Vec<f64>,
    pub step: Duration,
    pub p99_objective: Duration,
    pub max_error_share: f64,
}

/// Fills in `request`'s defaults (`objectives`: the model's p99 in seconds and error share) and
/// checks every bound, naming what is wrong.
pub fn settle(request: &LoadTestRequest, objectives: (Option<f64>, Option<f64>)) -> Result<Settled> {
    let rates = request.rates.clone().unwrap_or_else(|| DEFAULT_RATES.to_vec());
    if rates.is_empty() || rates.len() > MAX_STEPS {
        return Err(bad("rates", format!("Give 1 to {MAX_STEPS} rates, lowest first.")));
    }
    if rates.iter().any(|rate| !(rate.is_finite() && *rate > 0.0 && *rate <= MAX_RATE)) {
        return Err(bad("rates", format!("Each rate must be above 0 and at most {MAX_RATE} requests a second.")));
    }
    if rates.windows(2).any(|pair| pair[1] <= pair[0]) {
        return Err(bad("rates", "Rates must rise from step to step, lowest first.".into()));
    }
    let step_seconds = request.step_seconds.unwrap_or(DEFAULT_STEP_SECONDS);
    if !(0.5..=MAX_STEP_SECONDS).contains(&step_seconds) {
        return Err(bad("step_seconds", format!("A step lasts from 0.5 to {MAX_STEP_SECONDS} seconds.")));
    }
    let p99_ms = request.p99_objective_ms.or(objectives.0.map(|s| s * 1000.0)).unwrap_or(DEFAULT_P99_MS);
    if !(p99_ms.is_finite() && p99_ms > 0.0 && p99_ms <= 600_000.0) {
        return Err(bad("p99_objective_ms", "The p99 objective is a time above 0 ms and at most 10 minutes.".into()));
    }
    let max_error_share = request.max_error_share.or(objectives.1).unwrap_or(DEFAULT_MAX_ERROR_SHARE);
    if !(0.0..=1.0).contains(&max_error_share) {
        return Err(bad("max_error_share", "The error bound is a share from 0 to 1 (0.01 = 1 %).".into()));
    }
    Ok(Settled {
        rates,
        step: Duration::from_secs_f64(step_seconds),
        p99_objective: Duration::from_secs_f64(p99_ms / 1000.0),
        max_error_share,
    })
}

/// What the runner needs beside the settled request.
pub struct Target {
    pub url: url::Url,
    pub bodies: Vec<bytes::Bytes>,
    pub allowed_hosts: Vec<String>,
}

/// Runs the steps against `target`; `progress` hears how it goes; `cancel` stops it.
pub async fn run(
    (model, version): (&str, &str),
    settled: &Settled,
    target: Target,
    progress: impl Fn(LoadTestProgress) + Send + Sync + 'static,
    cancel: Arc<AtomicBool>,
) -> Result<StepsOutcome> {
    let p99_s = settled.p99_objective.as_secs_f64();
    let base = LoadPlan {
        url: target.url,
        bodies: target.bodies,
        content_type: "application/json".into(),
        rate: settled.rates[0],
        duration: settled.step,
        // Each step is bounded by its duration; this bounds the count as well (the fastest step's).
        max_requests: (settled.rates.iter().copied().fold(0.0, f64::max) * settled.step.as_secs_f64()).ceil() as u64
            + 1,
        timeout: Duration::from_secs_f64((p99_s * 4.0).clamp(1.0, 30.0)),
        max_in_flight: loadgen::DEFAULT_MAX_IN_FLIGHT,
    };
    let plan = StepPlan {
        base,
        rates: settled.rates.clone(),
        p99_objective: settled.p99_objective,
        max_error_share: settled.max_error_share,
    };
    let (rates, step_seconds) = (settled.rates.clone(), settled.step.as_secs_f64());
    let (model, version) = (model.to_owned(), version.to_owned());
    let report = move |snapshot: &LoadResult| {
        let index = rates.iter().position(|rate| *rate == snapshot.target_rate).unwrap_or(0);
        let elapsed_s = snapshot.elapsed.as_secs_f64();
        progress(LoadTestProgress {
            model: model.clone(),
            version: version.clone(),
            step: index as u32 + 1,
            steps: rates.len() as u32,
            rate: snapshot.target_rate,
            elapsed_s,
            step_seconds,
            fraction: ((index as f64 + (elapsed_s / step_seconds).min(1.0)) / rates.len() as f64).min(1.0),
            sent: snapshot.sent,
            ok: snapshot.ok,
            errors: snapshot.errors(),
            p50_ms: millis(snapshot.latency.p50),
            p99_ms: millis(snapshot.latency.p99),
        })
    };
    let report = Arc::new(report);
    loadgen::run_steps(&plan, &target.allowed_hosts, move |snapshot: &LoadResult| report(snapshot), cancel).await
}

/// One step's figures from its run.
pub fn step_figures(result: &LoadResult, within: bool) -> LoadTestStep {
    LoadTestStep {
        rate: result.target_rate,
        achieved_rate: result.achieved_rate,
        sent: result.sent,
        ok: result.ok,
        errors: result.errors() + result.unsent,
        p50_ms: millis(result.latency.p50),
        p90_ms: millis(result.latency.p90),
        p99_ms: millis(result.latency.p99),
        max_ms: millis(result.latency.max),
        error_share: result.error_share(),
        within,
        first_error: result.first_error.clone(),
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The plain-words verdict of a test.
pub fn sentence(result: &LoadTestResult) -> String {
    let who = format!("{} {}", result.model, crate::revisions::version_name(&result.version));
    let bounds = format!("p99 ≤ {:.0} ms, errors ≤ {}", result.p99_objective_ms, percent(result.max_error_share));
    let missed = result.steps.iter().find(|step| !step.within);
    let why = |step: &LoadTestStep| {
        if step.p99_ms > result.p99_objective_ms {
            format!("p99 rose to {:.0} ms", step.p99_ms)
        } else {
            let first = step.first_error.as_ref().map(|said| format!(" (the first: {said})")).unwrap_or_default();
            format!("{} of requests failed{first}", percent(step.error_share))
        }
    };
    let held = match (result.sustainable_rate, missed) {
        _ if result.cancelled => {
            let at = result.steps.last().map(|step| {
                format!(" during the step at {} req/s (p99 {:.0} ms so far)", rate(step.rate), step.p99_ms)
            });
            let before = result
                .sustainable_rate
                .map(|held| format!("; before it, it held {} req/s within {bounds}", rate(held)));
            format!("{who}'s load test was cancelled{}{}.", at.unwrap_or_default(), before.unwrap_or_default())
        }
        (None, Some(step)) => {
            format!("{who} missed its bounds ({bounds}) already at {} req/s: {}.", rate(step.rate), why(step))
        }
        (None, None) => format!("{who} ran no step."),
        (Some(held), Some(step)) => {
            format!("{who} held {} req/s within {bounds}; at {} req/s {}.", rate(held), rate(step.rate), why(step))
        }
        (Some(held), None) => format!(
            "{who} held every rate tried, up to {} req/s, within {bounds}: try higher rates to find its limit.",
            rate(held)
        ),
    };
    let per_replica = match (&result.instance, result.per_replica_rate) {
        (Some(instance), Some(each)) => format!(" That is {} req/s per replica of {instance}.", rate(each)),
        (None, Some(_)) => " Set the server's instance type to use this in the capacity planner.".to_owned(),
        _ => String::new(),
    };
    format!("{held}{per_replica}")
}

fn rate(value: f64) -> String {
    if value >= 100.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

// ---------------------------------------------------------------------------------------------
// The stored results.

/// `provider/region/type`, how instance types are named to the planner and in labels.
pub fn instance_key(placement: &Placement) -> String {
    format!("{}/{}/{}", placement.provider, placement.region, placement.instance_type)
}

type Row = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Stamp,
    String,
    f64,
    f64,
    Option<f64>,
    Flag,
    String,
);

const COLUMNS: &str = "id, server, model, version, provider, region, instance_type, replicas, started_at, person,
    p99_objective_ms, max_error_share, sustainable_rate, cancelled, steps";

/// Stores a finished test and returns its id.
pub async fn insert(conn: &mut AnyConnection, result: &LoadTestResult, placement: Option<&Placement>) -> Result<i64> {
    let steps = serde_json::to_string(&result.steps).map_err(|err| VigilError::Internal(err.to_string()))?;
    let id = sqlx::query_scalar(&format!(
        "INSERT INTO load_tests ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        COLUMNS.trim_start_matches("id, ")
    ))
    .bind(&result.server)
    .bind(&result.model)
    .bind(&result.version)
    .bind(placement.map(|p| &p.provider))
    .bind(placement.map(|p| &p.region))
    .bind(placement.map(|p| &p.instance_type))
    .bind(i64::from(result.replicas))
    .bind(stamp(result.started_at))
    .bind(&result.person)
    .bind(result.p99_objective_ms)
    .bind(result.max_error_share)
    .bind(result.sustainable_rate)
    .bind(result.cancelled)
    .bind(steps)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Stored tests (of `model`, or all), newest first, at most `limit`.
pub async fn list(conn: &mut AnyConnection, model: Option<&str>, limit: u32) -> Result<Vec<LoadTestResult>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM load_tests WHERE $1 IS NULL OR model = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
    ))
    .bind(model)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

fn from_row(row: Row) -> Result<LoadTestResult> {
    let (
        id,
        server,
        model,
        version,
        provider,
        region,
        instance_type,
        replicas,
        started_at,
        person,
        p99,
        errors,
        rate,
        cancelled,
        steps,
    ) = row;
    let steps: Vec<LoadTestStep> = serde_json::from_str(&steps)
        .map_err(|err| VigilError::Internal(format!("a stored load test's steps are unreadable: {err}")))?;
    let instance = match (provider, region, instance_type) {
        (Some(provider), Some(region), Some(name)) => Some(format!("{provider}/{region}/{name}")),
        _ => None,
    };
    let replicas = u32::try_from(replicas).unwrap_or(1).max(1);
    let mut result = LoadTestResult {
        id,
        server,
        model,
        version,
        instance,
        replicas,
        started_at: started_at.0,
        person,
        p99_objective_ms: p99,
        max_error_share: errors,
        steps,
        sustainable_rate: rate,
        per_replica_rate: rate.map(|rate| rate / f64::from(replicas)),
        cancelled: cancelled.0,
        sentence: String::new(),
    };
    result.sentence = sentence(&result);
    Ok(result)
}

/// The hosts outside loopback people allowed, sorted.
pub async fn allowed_hosts(conn: &mut AnyConnection) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT host FROM load_test_hosts ORDER BY host").fetch_all(conn).await?)
}

/// Replaces the allowed hosts with `hosts` (trimmed, lower case, checked to be host names).
pub async fn store_allowed_hosts(conn: &mut AnyConnection, hosts: &[String]) -> Result<Vec<String>> {
    let mut clean = Vec::with_capacity(hosts.len());
    for host in hosts {
        let host = host.trim().to_ascii_lowercase();
        let parsed = url::Host::parse(&host);
        if host.is_empty() || host.len() > 253 || parsed.is_err() || host.contains(['/', ':', '@', ' ']) {
            return Err(bad(
                "hosts",
                format!("'{host}' is not a host name: give a name or address alone (models.example.com, 10.0.0.7), without scheme, port or path."),
            ));
        }
        clean.push(host);
    }
    sqlx::query("DELETE FROM load_test_hosts").execute(&mut *conn).await?;
    for host in &clean {
        sqlx::query("INSERT INTO load_test_hosts (host) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(host)
            .execute(&mut *conn)
            .await?;
    }
    allowed_hosts(conn).await
}

fn bad(field: &'static str, message: String) -> VigilError {
    VigilError::invalid(field, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_model_objectives_then_vigil() {
        let request = LoadTestRequest { server: "fraud".into(), model: "fraud".into(), ..Default::default() };
        let settled = settle(&request, (Some(0.25), Some(0.02))).unwrap();
        assert_eq!((settled.p99_objective, settled.max_error_share), (Duration::from_millis(250), 0.02));
        assert_eq!(settled.rates, DEFAULT_RATES);
        let bare = settle(&request, (None, None)).unwrap();
        assert_eq!((bare.p99_objective, bare.max_error_share), (Duration::from_millis(500), 0.01));
        let own = LoadTestRequest { p99_objective_ms: Some(80.0), ..request };
        assert_eq!(settle(&own, (Some(0.25), None)).unwrap().p99_objective, Duration::from_millis(80));
    }

    #[test]
    fn unbounded_or_falling_rates_are_refused_with_the_reason() {
        let with = |rates: Vec<f64>| {
            let request = LoadTestRequest { rates: Some(rates), ..Default::default() };
            settle(&request, (None, None)).unwrap_err().to_string()
        };
        assert!(with(vec![10.0, 5.0]).contains("must rise"));
        assert!(with(vec![0.0]).contains("above 0"));
        assert!(with(vec![f64::INFINITY]).contains("above 0"));
        assert!(with(Vec::new()).contains("1 to 20 rates"));
        let long = LoadTestRequest { step_seconds: Some(3600.0), ..Default::default() };
        assert!(settle(&long, (None, None)).unwrap_err().to_string().contains("0.5 to 300 seconds"));
    }

    fn step(rate: f64, p99_ms: f64, error_share: f64, within: bool) -> LoadTestStep {
        LoadTestStep {
            rate,
            achieved_rate: rate,
            sent: 100,
            ok: 100,
            errors: 0,
            p50_ms: p99_ms / 2.0,
            p90_ms: p99_ms,
            p99_ms,
            max_ms: p99_ms,
            error_share,
            within,
            first_error: None,
        }
    }

    #[test]
    fn the_sentence_names_the_rate_held_why_the_next_missed_and_the_rate_per_replica() {
        let mut result = LoadTestResult {
            id: 1,
            server: "fraud".into(),
            model: "fraud".into(),
            version: "13".into(),
            instance: Some("aws/us-east-1/c5.xlarge".into()),
            replicas: 2,
            started_at: Utc::now(),
            person: "Ana".into(),
            p99_objective_ms: 200.0,
            max_error_share: 0.01,
            steps: vec![step(50.0, 20.0, 0.0, true), step(100.0, 30.0, 0.0, true), step(200.0, 480.0, 0.0, false)],
            sustainable_rate: Some(100.0),
            per_replica_rate: Some(50.0),
            cancelled: false,
            sentence: String::new(),
        };
        assert_eq!(
            sentence(&result),
            "fraud v13 held 100 req/s within p99 ≤ 200 ms, errors ≤ 1.0 %; at 200 req/s p99 rose to 480 ms. \
             That is 50 req/s per replica of aws/us-east-1/c5.xlarge."
        );
        let said = Some("HTTP 400 Bad Request: input 'x' is missing".to_owned());
        result.cancelled = true;
        assert_eq!(
            sentence(&result),
            "fraud v13's load test was cancelled during the step at 200 req/s (p99 480 ms so far); before it, it held \
             100 req/s within p99 ≤ 200 ms, errors ≤ 1.0 %. That is 50 req/s per replica of aws/us-east-1/c5.xlarge."
        );
        result.cancelled = false;
        result.steps = vec![LoadTestStep { first_error: said, ..step(5.0, 20.0, 0.3, false) }];
        (result.sustainable_rate, result.per_replica_rate, result.instance) = (None, None, None);
        assert_eq!(
            sentence(&result),
            "fraud v13 missed its bounds (p99 ≤ 200 ms, errors ≤ 1.0 %) already at 5 req/s: 30.0 % of requests failed \
             (the first: HTTP 400 Bad Request: input 'x' is missing)."
        );
    }
}
