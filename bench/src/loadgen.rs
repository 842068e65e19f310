//! The load generator benchmark (issue 15): Vigil's open-loop generator
//! (`vigil_core::loadgen`) beside `wrk` on the same loopback server in the same run.
//!
//! 1. **Saturation**: a fast axum endpoint; wrk (1 thread, N connections) and then Vigil's
//!    generator (an unreachable rate, at most N requests under way) each for S seconds; the
//!    2xx answers per second of each, and their ratio (goal: Vigil at least 0.7× wrk).
//! 2. **A stalling server**: an endpoint that stalls for 1 s at the end of every P seconds (a
//!    pause such as a garbage collection); wrk (closed loop, N connections) and Vigil at a fixed
//!    rate below saturation, each for a whole number of periods; each one's p99 and the ratio.
//!    A closed loop sends nothing on a connection that waits, so the requests that would have
//!    queued behind a stall are never sent; Vigil counts each from when it was due. Note that
//!    wrk 4.x does not print its raw closed-loop quantiles: before printing, it corrects its
//!    histogram (`stats_correct`) by adding, for each latency above its mean interval between
//!    requests on one connection, the latencies the requests it did not send would have had; its
//!    p99 therefore shows the stall too, and the ratio printed is how close that correction
//!    comes to Vigil's measured figure.
//!
//! 3. **A fixed rate below saturation**: an endpoint that answers after 5 ms (a small model's
//!    time: hey reads latencies in steps of 100 µs, too coarse for a 10 % comparison at the fast
//!    endpoint's sub-millisecond answers); Vigil's generator and `hey`
//!    (Debian's fixed-rate tool, see [`hey`]: C workers each throttled to R/C requests/s) at the
//!    same rate R, well below saturation, for the same S seconds each, alternately (Vigil, hey,
//!    Vigil, hey, ...); each one's p50 and p99 (the means over the rounds), their ratios and
//!    absolute differences (goal: within 10 %), and whether each held R within 5 %. Below
//!    saturation a request is sent when it is due, so Vigil's latency from the due time and
//!    hey's from the send should agree.
//!
//! The server is a separate process (this binary, `vigil-bench loadgen --serve KIND`) on a
//! current-thread runtime, pinned with `taskset` to the first allowed core; wrk, hey and Vigil's
//! generator (a current-thread runtime in this process) are pinned to the second.
//!
//! Usage: `vigil-bench loadgen [--quick] [--out FILE] [--seconds S] [--period P] [--periods K]
//! [--rate R] [--connections N] [--wrk PATH] [--fixed-rate R] [--fixed-seconds S] [--rounds K]
//! [--hey-workers C] [--hey PATH]`. Defaults: saturation 10 s each, stall every 10 s for 3
//! periods, Vigil at 1,000 requests/s, 64 connections; the fixed rate 1,000 requests/s, 20 s
//! each, 3 rounds, hey with 20 workers (each a closed loop: 20 hold 1,000 requests/s of 5 ms
//! answers with room to spare) (`--quick`: 3 s; every 3 s for 2 periods; the fixed rate 5 s
//! each, 2 rounds).

mod fixed_rate;
mod hey;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use vigil_core::loadgen::{self, LoadPlan, LoadResult};
use vigil_tests::load_targets;

use crate::goal::{self, Goal};
use crate::ingest::{allowed_cpus, pin_this_thread};
use fixed_rate::{fixed_rate, FixedRate};

/// Issue 15's goal: Vigil's generator at saturation, against wrk's.
const GOAL_SATURATION_RATIO: f64 = 0.7;
/// A p99 that shows a 1 s stall at all.
const STALL_SHOWN: Duration = Duration::from_millis(500);
const STALL: Duration = Duration::from_secs(1);
const BODY: &str = r#"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}"#;

struct Options {
    out: Option<PathBuf>,
    saturation: Duration,
    period: Duration,
    periods: u32,
    rate: f64,
    connections: usize,
    wrk: PathBuf,
    fixed_rate: f64,
    fixed_length: Duration,
    rounds: u32,
    hey_workers: usize,
    hey: PathBuf,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let mut options = Options {
        out: None,
        saturation: Duration::from_secs(if quick { 3 } else { 10 }),
        period: Duration::from_secs(if quick { 3 } else { 10 }),
        periods: if quick { 2 } else { 3 },
        rate: 1_000.0,
        connections: 64,
        wrk: PathBuf::from("wrk"),
        fixed_rate: 1_000.0,
        fixed_length: Duration::from_secs(if quick { 5 } else { 20 }),
        rounds: if quick { 2 } else { 3 },
        hey_workers: 20,
        hey: PathBuf::from("hey"),
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let number = |text: String| {
            text.parse::<f64>().ok().filter(|n| *n > 0.0 && *n <= 1e6).ok_or(format!("{flag} needs a positive number"))
        };
        match flag.as_str() {
            "--out" => options.out = Some(value()?.into()),
            "--seconds" => options.saturation = Duration::from_secs_f64(number(value()?)?.min(3600.0)),
            "--period" => options.period = Duration::from_secs_f64(number(value()?)?.clamp(2.0, 600.0)),
            "--periods" => options.periods = number(value()?)?.min(100.0) as u32,
            "--rate" => options.rate = number(value()?)?,
            "--connections" => options.connections = number(value()?)?.min(1024.0) as usize,
            "--wrk" => options.wrk = value()?.into(),
            "--fixed-rate" => options.fixed_rate = number(value()?)?,
            "--fixed-seconds" => options.fixed_length = Duration::from_secs_f64(number(value()?)?.clamp(1.0, 3600.0)),
            "--rounds" => options.rounds = number(value()?)?.clamp(1.0, 100.0) as u32,
            "--hey-workers" => options.hey_workers = number(value()?)?.clamp(1.0, 1024.0) as usize,
            "--hey" => options.hey = value()?.into(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(options)
}

/// Runs the benchmark with the arguments that follow `loadgen` (or serves, with `--serve`).
pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let args: Vec<String> = args.collect();
    if args.first().map(String::as_str) == Some("--serve") {
        return serve(&args[1..]);
    }
    let options = options(args.into_iter())?;
    let cores = Cores::choose()?;
    println!("{}", cores.describe());
    let scratch = tempfile::Builder::new().prefix("vigil-bench-loadgen-").tempdir().map_err(|e| e.to_string())?;
    let script = write_wrk_script(scratch.path())?;
    let body = write_body(scratch.path())?;
    let runtime = cores.generator_runtime()?;
    let saturation = saturation(&options, &cores, &script, &runtime)?;
    let stall = stall(&options, &cores, &script, &runtime)?;
    let fixed = fixed_rate(&options, &cores, &body, &runtime)?;
    report(&options, &cores, &saturation, &stall, &fixed)
}

// ---------------------------------------------------------------------------------------------
// The server process.

/// `--serve fast`, `--serve delay MS` or `--serve stall PERIOD_S`: serves on a free loopback port, prints its
/// address, and serves until its standard input closes (the benchmark ended).
fn serve(args: &[String]) -> Result<(), String> {
    let router = match args {
        [kind] if kind == "fast" => load_targets::fast(),
        [kind, ms] if kind == "delay" => {
            let ms = ms.parse::<u64>().map_err(|_| format!("a delay in milliseconds, not {ms}"))?;
            load_targets::slow(Duration::from_millis(ms))
        }
        [kind, period] if kind == "stall" => {
            let period = period.parse::<f64>().map_err(|_| format!("a stall period in seconds, not {period}"))?;
            load_targets::stalling(Duration::from_secs_f64(period), STALL)
        }
        _ => return Err("--serve fast | --serve delay MS | --serve stall PERIOD_S".into()),
    };
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("{addr}");
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        axum::serve(listener, router).await.map_err(|e| e.to_string())
    })
}

/// The server process, ended when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(cores: &Cores, args: &[&str]) -> Result<Server, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
        let mut command = cores.pinned_to_server(&exe);
        command.arg("loadgen").arg("--serve").args(args).stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = command.spawn().map_err(|e| format!("cannot start the server process: {e}"))?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("the server has no standard output")?;
        BufReader::new(stdout).read_line(&mut line).map_err(|e| format!("the server's address: {e}"))?;
        let addr = line.trim().to_owned();
        if addr.is_empty() {
            let _ = child.kill();
            return Err("the server process ended before it listened".into());
        }
        Ok(Server { child, url: format!("http://{addr}{}", load_targets::PATH) })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Cores.

struct Cores {
    server: Option<usize>,
    generator: Option<usize>,
    taskset: bool,
}

impl Cores {
    fn choose() -> Result<Cores, String> {
        let cpus = allowed_cpus()?;
        let taskset = Command::new("taskset").arg("--version").output().is_ok_and(|out| out.status.success());
        match (cpus.as_slice(), taskset) {
            ([server, generator, ..], true) => {
                Ok(Cores { server: Some(*server), generator: Some(*generator), taskset })
            }
            _ => Ok(Cores { server: None, generator: None, taskset }),
        }
    }

    fn describe(&self) -> String {
        match (self.server, self.generator) {
            (Some(server), Some(generator)) => {
                format!("The server on core {server}; wrk, hey and Vigil's generator on core {generator} (taskset).")
            }
            _ => format!("Not pinned (taskset found: {}; fewer than two cores or no taskset).", self.taskset),
        }
    }

    fn pinned_to_server(&self, program: &Path) -> Command {
        pinned(program, self.server)
    }

    fn pinned_to_generator(&self, program: &Path) -> Command {
        pinned(program, self.generator)
    }

    /// A current-thread runtime for Vigil's generator, this thread pinned to the generator's core.
    fn generator_runtime(&self) -> Result<tokio::runtime::Runtime, String> {
        if let Some(core) = self.generator {
            pin_this_thread(&[core])?;
        }
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())
    }
}

fn pinned(program: &Path, core: Option<usize>) -> Command {
    match core {
        Some(core) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(core.to_string()).arg(program);
            command
        }
        None => Command::new(program),
    }
}

// ---------------------------------------------------------------------------------------------
// wrk.

fn write_wrk_script(dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join("post.lua");
    let script =
        format!("wrk.method = \"POST\"\nwrk.body = '{BODY}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n");
    std::fs::write(&path, script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The request body in a file, for hey.
fn write_body(dir: &Path) -> Result<PathBuf, String> {
    let path = dir.join("body.json");
    std::fs::write(&path, BODY).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// What wrk reported.
#[derive(Debug, Default)]
struct WrkRun {
    requests_per_s: f64,
    p50: Option<Duration>,
    p99: Option<Duration>,
    non_2xx: u64,
}

fn run_wrk(options: &Options, cores: &Cores, script: &Path, url: &str, length: Duration) -> Result<WrkRun, String> {
    let mut command = cores.pinned_to_generator(&options.wrk);
    command
        .args(["-t1", &format!("-c{}", options.connections), &format!("-d{}s", length.as_secs().max(1))])
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(url);
    let output = command.output().map_err(|e| {
        format!("cannot run {}: {e} (install the Debian package wrk: make bench does)", options.wrk.display())
    })?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!("wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr)));
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))
}

fn parse_wrk(text: &str) -> Option<WrkRun> {
    let mut run = WrkRun::default();
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(rate)) => run.requests_per_s = rate.parse().ok()?,
            (Some("50%"), Some(value)) => run.p50 = wrk_duration(value),
            (Some("99%"), Some(value)) => run.p99 = wrk_duration(value),
            (Some("Non-2xx"), _) => run.non_2xx = line.rsplit(' ').next()?.parse().ok()?,
            _ => {}
        }
    }
    (run.requests_per_s > 0.0).then_some(run)
}

/// wrk's durations: `812.00us`, `1.23ms`, `1.01s`, `2.00m`.
fn wrk_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

// ---------------------------------------------------------------------------------------------
// Vigil's generator.

fn vigil_plan(url: &str, rate: f64, length: Duration, max_in_flight: usize) -> Result<LoadPlan, String> {
    Ok(LoadPlan {
        url: url.parse().map_err(|e| format!("{url}: {e}"))?,
        bodies: vec![BODY.into()],
        content_type: "application/json".into(),
        rate,
        duration: length,
        max_requests: (rate * length.as_secs_f64()).ceil() as u64 + 1,
        timeout: Duration::from_secs(5),
        max_in_flight,
    })
}

fn run_vigil(runtime: &tokio::runtime::Runtime, plan: &LoadPlan) -> Result<LoadResult, String> {
    runtime
        .block_on(loadgen::run(plan, &[], |_| {}, Arc::new(AtomicBool::new(false))))
        .map_err(|e| format!("Vigil's generator: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The two measurements.

struct Saturation {
    wrk: WrkRun,
    vigil: LoadResult,
}

fn saturation(
    options: &Options,
    cores: &Cores,
    script: &Path,
    runtime: &tokio::runtime::Runtime,
) -> Result<Saturation, String> {
    let server = Server::start(cores, &["fast"])?;
    println!("\nSaturation: a fast endpoint, {} connections, {:?} each", options.connections, options.saturation);
    let wrk = run_wrk(options, cores, script, &server.url, options.saturation)?;
    println!("  wrk:   {:>10.0} requests/s", wrk.requests_per_s);
    let plan = vigil_plan(&server.url, 1_000_000.0, options.saturation, options.connections)?;
    let vigil = run_vigil(runtime, &plan)?;
    println!("  Vigil: {:>10.0} requests/s ({} errors)", vigil.achieved_rate, vigil.errors());
    Ok(Saturation { wrk, vigil })
}

struct Stall {
    wrk: WrkRun,
    vigil: LoadResult,
}

fn stall(options: &Options, cores: &Cores, script: &Path, runtime: &tokio::runtime::Runtime) -> Result<Stall, String> {
    let period = options.period.as_secs_f64().to_string();
    let server = Server::start(cores, &["stall", &period])?;
    let length = options.period * options.periods;
    println!("\nA server stalling 1 s every {:?}: {:?} each", options.period, length);
    let wrk = run_wrk(options, cores, script, &server.url, length)?;
    println!("  wrk:   p50 {:?}, p99 {:?} ({:.0} requests/s)", wrk.p50, wrk.p99, wrk.requests_per_s);
    let plan = vigil_plan(&server.url, options.rate, length, 4 * options.rate as usize)?;
    let vigil = run_vigil(runtime, &plan)?;
    println!(
        "  Vigil: p50 {:?}, p99 {:?} ({:.0} requests/s open loop)",
        vigil.latency.p50, vigil.latency.p99, options.rate
    );
    Ok(Stall { wrk, vigil })
}

// ---------------------------------------------------------------------------------------------
// The report.

fn report(
    options: &Options,
    cores: &Cores,
    saturation: &Saturation,
    stall: &Stall,
    fixed: &FixedRate,
) -> Result<(), String> {
    let ratio = saturation.vigil.achieved_rate / saturation.wrk.requests_per_s;
    let wrk_p99 = stall.wrk.p99.unwrap_or_default();
    let vigil_p99 = stall.vigil.latency.p99;
    let p99_ratio = vigil_p99.as_secs_f64() / wrk_p99.as_secs_f64().max(1e-6);
    println!();
    let goals = goal::print(&[
        Goal::new(
            format!("Vigil's generator at saturation at least {GOAL_SATURATION_RATIO}x wrk's requests/s"),
            ratio >= GOAL_SATURATION_RATIO,
            format!(
                "{ratio:.2}x: {:.0} vs {:.0} requests/s",
                saturation.vigil.achieved_rate, saturation.wrk.requests_per_s
            ),
        ),
        Goal::new(
            format!("Vigil's p99 shows a 1 s stall every {:?} (at least {STALL_SHOWN:?})", options.period),
            vigil_p99 >= STALL_SHOWN,
            format!("Vigil p99 {vigil_p99:?}, p90 {:?}", stall.vigil.latency.p90),
        ),
        Goal::none(
            "wrk's p99 on the same stalling server (wrk 4.x corrects its closed loop after the fact)",
            format!("wrk p99 {wrk_p99:?}; Vigil's p99 is {p99_ratio:.2}x wrk's"),
        ),
        fixed.agreement(options, "p50", |latency| latency.p50, |hey| hey.p50),
        fixed.agreement(options, "p99", |latency| latency.p99, |hey| hey.p99),
        fixed.rate_held(options),
    ]);
    let results = json!({
        "benchmark": "loadgen",
        "machine": crate::machine(),
        "pinned": cores.describe(),
        "connections": options.connections,
        "saturation": {
            "seconds": options.saturation.as_secs_f64(),
            "wrk_requests_per_s": saturation.wrk.requests_per_s,
            "vigil_requests_per_s": saturation.vigil.achieved_rate,
            "vigil_errors": saturation.vigil.errors(),
            "ratio": ratio,
        },
        "stall": {
            "period_s": options.period.as_secs_f64(),
            "stall_s": STALL.as_secs_f64(),
            "seconds": (options.period * options.periods).as_secs_f64(),
            "vigil_rate": options.rate,
            "vigil": result_json(&stall.vigil),
            "wrk": { "requests_per_s": stall.wrk.requests_per_s, "p50_ms": ms(stall.wrk.p50),
                     "p99_ms": ms(stall.wrk.p99), "non_2xx": stall.wrk.non_2xx },
            "p99_ratio_vigil_to_wrk": p99_ratio,
        },
        "fixed_rate": fixed.json(options),
        "goals": goals,
    });
    match &options.out {
        Some(out) => crate::write_results(out, &results),
        None => Ok(()),
    }
}

fn ms(duration: Option<Duration>) -> Option<f64> {
    duration.map(|d| d.as_secs_f64() * 1e3)
}

fn result_json(result: &LoadResult) -> Value {
    json!({
        "sent": result.sent, "ok": result.ok, "errors": result.errors(), "unsent": result.unsent,
        "sent_late": result.sent_late, "achieved_rate": result.achieved_rate,
        "p50_ms": ms(Some(result.latency.p50)), "p90_ms": ms(Some(result.latency.p90)),
        "p99_ms": ms(Some(result.latency.p99)), "max_ms": ms(Some(result.latency.max)),
    })
}
