//! The scale benchmark (issue 18): one `vigil collect` following N model servers through a
//! real Prometheus (Debian's) that already scrapes them, every 15 s. Each server is registered
//! as kind `prometheus` with its own selector (`instance="127.0.0.1:PORT"`); Vigil asks
//! Prometheus one query a round for all of them (see `scrape::readings` in the engine).
//!
//! On two cores the targets, Prometheus and the collector disturb each other, so the reference
//! is measured in turn on the same targets: first Prometheus alone, scraping them (its CPU for
//! the scraping), then with `vigil collect` following them (the collector's CPU, peak memory and
//! worst schedule lag, and Prometheus' CPU again, now answering Vigil's queries too).
//!
//! Usage: `vigil-bench scale [--quick] [--out FILE] [--targets N] [--interval S] [--seconds S]
//! [--vigil PATH] [--prometheus PATH]`. Defaults: 5,000 targets every 15 s, Prometheus alone for
//! 30 s, then the collector measured for 120 s after 20 s of start-up (`--quick`: 500 targets
//! every 5 s, 10 s alone, 20 s after 10 s).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use vigil_core::store::Location;
use vigil_core::{Engine, EngineOptions, HealthState, NewServer, ServerKind};

use crate::goal::{self, Goal};
use crate::poller::process::{self, Measured, Process, ThisProcess};
use crate::poller::prometheus::Prometheus;
use crate::poller::targets::Targets;
use crate::poller::{spawn_collect, version_of, Summary};

/// Every poll starts within a second of when it was due (issue 3's goal, held at this scale).
const MAX_LAG: Duration = Duration::from_secs(1);
/// How long `vigil collect` runs past the measured window, so its peak memory can be read.
const COLLECT_TAIL: Duration = Duration::from_secs(3);

struct Options {
    out: Option<PathBuf>,
    targets: usize,
    interval: Duration,
    alone: Duration,
    warmup: Duration,
    measured: Duration,
    vigil: PathBuf,
    prometheus: PathBuf,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let beside_this = std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join("vigil")));
    let mut options = Options {
        out: None,
        targets: if quick { 500 } else { 5000 },
        interval: Duration::from_secs(if quick { 5 } else { 15 }),
        alone: Duration::from_secs(if quick { 10 } else { 30 }),
        warmup: Duration::from_secs(if quick { 10 } else { 20 }),
        measured: Duration::from_secs(if quick { 20 } else { 120 }),
        vigil: beside_this.unwrap_or_else(|| PathBuf::from("vigil")),
        prometheus: PathBuf::from("/usr/bin/prometheus"),
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let seconds = |text: String| match text.parse::<f64>() {
            Ok(seconds) if seconds > 0.0 && seconds.is_finite() => Ok(Duration::from_secs_f64(seconds)),
            _ => Err(format!("{flag} needs a number of seconds, not {text}")),
        };
        match flag.as_str() {
            "--out" => options.out = Some(value()?.into()),
            "--targets" => {
                let text = value()?;
                options.targets =
                    text.parse().ok().filter(|n| *n > 0).ok_or(format!("--targets needs a count, not {text}"))?;
            }
            "--interval" => options.interval = seconds(value()?)?,
            "--seconds" => options.measured = seconds(value()?)?,
            "--vigil" => options.vigil = value()?.into(),
            "--prometheus" => options.prometheus = value()?.into(),
            other => return Err(format!("unknown argument {other}; {}", crate::USAGE)),
        }
    }
    if !options.vigil.exists() {
        return Err(format!(
            "{} is missing: build it with `cargo build --release -p vigil-cli` (make bench does), or pass --vigil PATH",
            options.vigil.display()
        ));
    }
    Ok(options)
}

/// Runs the scale benchmark with the command-line arguments that follow `scale`.
pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|error| format!("cannot start tokio: {error}"))?;
    let dir = tempfile::Builder::new()
        .prefix("vigil-bench-scale-")
        .tempdir()
        .map_err(|error| format!("cannot make a temporary folder: {error}"))?;
    match runtime.block_on(measure(&options, dir.path())) {
        Ok(outcome) => report(&options, &outcome),
        Err(error) => Err(format!("{error}\n(the logs are kept in {})", dir.keep().display())),
    }
}

/// What the run measured.
struct Outcome {
    /// Prometheus' CPU share scraping the targets, before the collector started.
    prometheus_alone: f64,
    /// Over the measured window with the collector following the targets.
    window: Duration,
    vigil_cpu: f64,
    prometheus_cpu: f64,
    targets_cpu: f64,
    vigil_peak_bytes: u64,
    prometheus_peak_bytes: u64,
    /// Instant queries Prometheus answered in the window (all of them Vigil's).
    queries: f64,
    summary: Summary,
    servers_up: usize,
    prometheus_version: String,
}

async fn measure(options: &Options, dir: &Path) -> Result<Outcome, String> {
    process::allow_open_files(options.targets as u64 * 3 + 256)?;
    let targets = Targets::start(options.targets).await?;
    let mut prometheus = Prometheus::start(&options.prometheus, dir, &targets.addresses, options.interval).await?;
    let db = Location::Sqlite(dir.join("vigil.db"));
    println!("Registering {} servers read through {} ...", targets.addresses.len(), prometheus.url());
    register(&db, prometheus.url(), &targets.addresses, options.interval).await?;

    println!(
        "Prometheus alone, scraping them every {} s: {} s ...",
        options.interval.as_secs(),
        options.alone.as_secs()
    );
    tokio::time::sleep(options.interval).await;
    let (started, before) = (Instant::now(), prometheus.process.cpu_seconds()?);
    tokio::time::sleep(options.alone).await;
    let prometheus_alone = (prometheus.process.cpu_seconds()? - before) / started.elapsed().as_secs_f64();

    let collect_for = options.warmup + options.measured + COLLECT_TAIL;
    let stdout = dir.join("vigil-collect.out");
    let mut vigil = spawn_collect((&options.vigil, options.interval), &db, &stdout, dir, collect_for)?;
    println!(
        "vigil collect is following them too; measuring for {} s after {} s of start-up ...",
        options.measured.as_secs(),
        options.warmup.as_secs()
    );
    tokio::time::sleep(options.warmup).await;
    let read = |vigil: &Process, prometheus: &Prometheus| -> Result<(Instant, f64, f64, f64), String> {
        let cpu = (vigil.cpu_seconds()?, prometheus.process.cpu_seconds()?, ThisProcess.cpu_seconds()?);
        Ok((Instant::now(), cpu.0, cpu.1, cpu.2))
    };
    let (queries_before, before) = (prometheus.queries_answered().await?, read(&vigil, &prometheus)?);
    tokio::time::sleep(options.measured).await;
    let after = read(&vigil, &prometheus)?;
    let queries = prometheus.queries_answered().await? - queries_before;
    if !vigil.running() {
        return Err(format!("vigil collect stopped early; see {}", stdout.display()));
    }
    let (vigil_peak_bytes, prometheus_peak_bytes) =
        (vigil.peak_memory_bytes()?, prometheus.process.peak_memory_bytes()?);
    if !vigil.exited_within(COLLECT_TAIL + Duration::from_secs(30)).await {
        return Err(format!("vigil collect did not stop after --for {:.0} s", collect_for.as_secs_f64()));
    }
    prometheus.process.stop();
    let printed =
        std::fs::read_to_string(&stdout).map_err(|error| format!("cannot read {}: {error}", stdout.display()))?;
    let summary = printed
        .lines()
        .rev()
        .find_map(Summary::parse)
        .ok_or_else(|| format!("vigil collect printed no summary line; see {}", stdout.display()))?;
    let window = after.0 - before.0;
    Ok(Outcome {
        prometheus_alone,
        window,
        vigil_cpu: (after.1 - before.1) / window.as_secs_f64(),
        prometheus_cpu: (after.2 - before.2) / window.as_secs_f64(),
        targets_cpu: (after.3 - before.3) / window.as_secs_f64(),
        vigil_peak_bytes,
        prometheus_peak_bytes,
        queries,
        summary,
        servers_up: servers_up(&db).await?,
        prometheus_version: version_of(&options.prometheus),
    })
}

/// Registers each target as a server read through the Prometheus at `prometheus`, selected by
/// its own `instance`, polled every `interval`.
async fn register(db: &Location, prometheus: &str, addresses: &[String], interval: Duration) -> Result<(), String> {
    let engine = Engine::open(EngineOptions::new(db.clone())).await.map_err(|error| error.to_string())?;
    for (number, address) in addresses.iter().enumerate() {
        let server = NewServer {
            name: format!("model-server-{number:04}"),
            base_url: prometheus.to_owned(),
            kind: ServerKind::Prometheus,
            source_kind: Some(ServerKind::Mlserver),
            selector: Some(format!(r#"instance="{address}""#)),
            poll_interval_secs: Some(interval.as_secs_f64()),
            ..Default::default()
        };
        engine.servers().add(server).await.map_err(|error| format!("cannot register {address}: {error}"))?;
    }
    Ok(())
}

/// How many registered servers the database holds as up.
async fn servers_up(db: &Location) -> Result<usize, String> {
    let engine = Engine::open(EngineOptions::new(db.clone())).await.map_err(|error| error.to_string())?;
    let servers = engine.servers().list().await.map_err(|error| error.to_string())?;
    Ok(servers.iter().filter(|server| server.health == HealthState::Up).count())
}

/// Prints the table and the goals, and writes the JSON to `--out` if given.
fn report(options: &Options, outcome: &Outcome) -> Result<(), String> {
    let megabytes = |bytes: u64| bytes as f64 / 1e6;
    let rounds = outcome.window.as_secs_f64() / options.interval.as_secs_f64();
    let lag_ms = outcome.summary.worst_lag.as_secs_f64() * 1e3;
    println!(
        "\nScale: {} model servers scraped by {} every {} s, followed by one vigil collect through it\n",
        options.targets,
        outcome.prometheus_version,
        options.interval.as_secs()
    );
    println!("{:<44} {:>10} {:>12}", "", "CPU", "peak memory");
    println!(
        "{:<44} {:>8.1} % {:>9.1} MB",
        "vigil collect",
        outcome.vigil_cpu * 100.0,
        megabytes(outcome.vigil_peak_bytes)
    );
    println!(
        "{:<44} {:>8.1} % {:>9.1} MB",
        "Prometheus, scraping and answering Vigil",
        outcome.prometheus_cpu * 100.0,
        megabytes(outcome.prometheus_peak_bytes)
    );
    println!("{:<44} {:>8.1} %", "Prometheus alone, scraping (measured first)", outcome.prometheus_alone * 100.0);
    println!("{:<44} {:>8.1} %", "the targets (this process)", outcome.targets_cpu * 100.0);
    println!(
        "\nvigil collect: {} polls of {} servers, worst schedule lag {lag_ms:.0} ms; {} servers up at the end; \
         {:.0} queries to Prometheus in {:.0} s ({:.1} a round)",
        outcome.summary.polls,
        outcome.summary.servers,
        outcome.servers_up,
        outcome.queries,
        outcome.window.as_secs_f64(),
        outcome.queries / rounds
    );
    let ratio = outcome.vigil_cpu / outcome.prometheus_alone;
    println!("vigil collect / Prometheus scraping the same servers: CPU {ratio:.2}x\n");
    let goals = goal::print(&[
        Goal::new(
            format!("worst schedule lag under {} s at {} servers", MAX_LAG.as_secs(), options.targets),
            outcome.summary.worst_lag < MAX_LAG,
            format!("{lag_ms:.0} ms"),
        ),
        Goal::new(
            "vigil collect's CPU below Prometheus' own for scraping the same servers",
            ratio < 1.0,
            format!("{:.1} % against {:.1} %", outcome.vigil_cpu * 100.0, outcome.prometheus_alone * 100.0),
        ),
        Goal::new(
            "every server up through Prometheus",
            outcome.servers_up == options.targets,
            format!("{} of {}", outcome.servers_up, options.targets),
        ),
        Goal::none("queries to Prometheus per round", format!("{:.1}", outcome.queries / rounds)),
        Goal::none("vigil collect's peak memory", format!("{:.1} MB", megabytes(outcome.vigil_peak_bytes))),
    ]);
    let Some(out) = &options.out else { return Ok(()) };
    let results = json!({
        "benchmark": "one collector following model servers through a real Prometheus",
        "setup": {
            "targets": options.targets,
            "target": "MLServer 1.7.1 look-alike on 127.0.0.1, metrics page captured from a real one",
            "interval_s": options.interval.as_secs_f64(),
            "prometheus_alone_s": options.alone.as_secs_f64(),
            "warmup_s": options.warmup.as_secs_f64(),
            "measured_s": outcome.window.as_secs_f64(),
            "prometheus": outcome.prometheus_version,
        },
        "method": "in turn on the same targets: Prometheus alone, then with vigil collect; CPU from /proc/PID/stat over each window; peak memory VmHWM",
        "machine": crate::machine(),
        "vigil": { "cpu_share_of_one_core": outcome.vigil_cpu, "peak_rss_mb": megabytes(outcome.vigil_peak_bytes),
                   "worst_schedule_lag_ms": lag_ms, "summary": outcome.summary.line, "servers_up_at_end": outcome.servers_up },
        "prometheus": { "alone_cpu_share": outcome.prometheus_alone, "with_vigil_cpu_share": outcome.prometheus_cpu,
                        "peak_rss_mb": megabytes(outcome.prometheus_peak_bytes), "queries_in_window": outcome.queries },
        "targets_cpu_share_of_one_core": outcome.targets_cpu,
        "ratios": { "cpu_vigil_over_prometheus_scraping": ratio },
        "goals": goals,
    });
    crate::write_results(out, &results)
}
