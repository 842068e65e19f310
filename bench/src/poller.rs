//! The poller benchmark (issue 3): `vigil collect` polling N loopback MLServer-like targets
//! every S seconds, side by side with Prometheus scraping the same targets at the same interval
//! in the same run. For each: its share of one CPU core, its peak resident memory and its worst
//! schedule lag. Prints a table, the ratios and the goals met or missed, and writes the figures
//! as JSON.
//!
//! Usage: `vigil-bench poller [--quick] [--out FILE] [--targets N] [--interval S] [--seconds S]
//! [--warmup S] [--vigil PATH] [--prometheus PATH]`. Defaults: 1000 targets every 5 s, measured
//! for 120 s after 10 s of start-up (`--quick`: 200 targets, 20 s after 5 s), the `vigil` binary
//! beside this one, /usr/bin/prometheus. The CPU goal is set for 1000 targets every 5 s; for
//! other sizes it is scaled to the polls per second asked for.
//!
//! The run: the targets start in this process; they are registered (kind `mlserver`, the same
//! interval) into a fresh database with Vigil's engine; Prometheus starts, and once it is ready,
//! `vigil collect`. CPU time is counted from the end of the warm-up to the end of the measured
//! window, the same for both. Peak memory and lag cover each whole run: Vigil's lag is the worst
//! of any poll, from its own summary line; Prometheus gives no maximum, so its lag is the 99th
//! percentile of its time between two scrapes of a target, less the interval.

pub(crate) mod process;
pub(crate) mod prometheus;
pub(crate) mod targets;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vigil_core::store::Location;
use vigil_core::{Engine, EngineOptions, HealthState, NewServer, ServerKind};

use crate::goal::{self, Goal};
use process::{Measured, Process, ThisProcess};
use prometheus::{Intervals, Prometheus};
use targets::Targets;

/// The goals of issue 3: at most this share of one core for 1000 targets every 5 s ...
const MAX_CPU_SHARE: f64 = 0.25;
const GOAL_POLLS_PER_S: f64 = 1000.0 / 5.0;
const MAX_LAG: Duration = Duration::from_secs(1);
/// ... and of issue 20: at most half Prometheus' CPU on the same targets, every poll made
/// (allowing for the jitter at the window's edges).
const MAX_CPU_VS_PROMETHEUS: f64 = 0.5;
const MIN_POLLS_MADE: f64 = 0.98;

/// How long `vigil collect` runs past the measured window, so it is still running when its peak
/// memory is read.
const COLLECT_TAIL: Duration = Duration::from_secs(3);

struct Options {
    out: Option<PathBuf>,
    targets: usize,
    interval: Duration,
    measured: Duration,
    warmup: Duration,
    vigil: PathBuf,
    prometheus: PathBuf,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let beside_this = std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join("vigil")));
    let mut options = Options {
        out: None,
        targets: if quick { 200 } else { 1000 },
        interval: Duration::from_secs(5),
        measured: Duration::from_secs(if quick { 20 } else { 120 }),
        warmup: Duration::from_secs(if quick { 5 } else { 10 }),
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
            "--warmup" => options.warmup = seconds(value()?)?,
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

/// Runs the poller benchmark with the command-line arguments that follow `poller`.
pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|error| format!("cannot start tokio: {error}"))?;
    let dir = tempfile::Builder::new()
        .prefix("vigil-bench-poller-")
        .tempdir()
        .map_err(|error| format!("cannot make a temporary folder: {error}"))?;
    let sqlite = Location::Sqlite(dir.path().join("vigil.db"));
    let outcome = runtime.block_on(measure(&options, dir.path(), &sqlite));
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            let kept = dir.keep();
            return Err(format!("{error}\n(the logs of both are kept in {})", kept.display()));
        }
    };
    report(&options, &outcome)?;
    // Beside a PostgreSQL server (make bench runs this one through scripts/with-postgres), the
    // same run again with the store there, for the two side by side.
    let Ok(server) = std::env::var(vigil_core::store::testing::POSTGRES_ENV) else { return Ok(()) };
    println!("\nThe same run with the store on PostgreSQL ...");
    let team = runtime.block_on(vigil_core::store::testing::new_database(&server));
    let database_before = process::cpu_by_name("postgres");
    let on_postgres = runtime.block_on(measure(&options, dir.path(), &team))?;
    let database_cpu = process::cpu_since("postgres", &database_before);
    compare_stores(&options, &outcome, &on_postgres, database_cpu)
}

/// The figures of the SQLite and the PostgreSQL runs side by side.
fn compare_stores(options: &Options, sqlite: &Outcome, postgres: &Outcome, database_cpu: f64) -> Result<(), String> {
    let share = |outcome: &Outcome| outcome.vigil.share(outcome.window.as_secs_f64());
    let lag = |outcome: &Outcome| outcome.vigil.lag.map_or(f64::NAN, |lag| lag.as_secs_f64() * 1e3);
    // The database's CPU over the whole PostgreSQL run (start-up, warm-up and tail included).
    let run_seconds = (options.warmup + options.measured + COLLECT_TAIL).as_secs_f64();
    println!();
    println!("{:<34} {:>12} {:>14} {:>12}", "vigil collect writing to", "CPU share", "worst lag ms", "peak MB");
    for (store, outcome) in [("SQLite (a file)", sqlite), ("PostgreSQL (loopback)", postgres)] {
        println!(
            "{store:<34} {:>11.1}% {:>14.0} {:>12.1}",
            share(outcome) * 100.0,
            lag(outcome),
            outcome.vigil.megabytes()
        );
    }
    let database_share = database_cpu / run_seconds;
    println!("PostgreSQL's own CPU over the run: {:.1} % of one core", database_share * 100.0);
    println!("postgres / sqlite: vigil CPU {:.2}x", share(postgres) / share(sqlite));
    let goals = goal::print(&[
        Goal::new(
            format!("worst lag under {} s writing to PostgreSQL", MAX_LAG.as_secs()),
            postgres.vigil.lag.is_some_and(|lag| lag < MAX_LAG),
            format!("{:.0} ms", lag(postgres)),
        ),
        Goal::none(
            "vigil collect's CPU writing to PostgreSQL beside SQLite",
            format!(
                "{:.1} % vs {:.1} % of one core, the database {:.1} %",
                share(postgres) * 100.0,
                share(sqlite) * 100.0,
                database_share * 100.0
            ),
        ),
    ]);
    let Some(out) = &options.out else { return Ok(()) };
    let results = json!({
        "benchmark": "poller writing to PostgreSQL beside SQLite",
        "targets": options.targets,
        "interval_s": options.interval.as_secs_f64(),
        "sqlite": { "cpu_share": share(sqlite), "worst_lag_ms": lag(sqlite), "peak_mb": sqlite.vigil.megabytes() },
        "postgres": { "cpu_share": share(postgres), "worst_lag_ms": lag(postgres), "peak_mb": postgres.vigil.megabytes(),
                      "database_cpu_share": database_share },
        "goals": goals,
    });
    crate::write_results(&out.with_file_name("poller-postgres.json"), &results)
}

/// What one side did: the figures of the table.
struct Side {
    cpu_seconds: f64,
    peak_memory_bytes: u64,
    /// The worst schedule lag, by the side's own account.
    lag: Option<Duration>,
    /// Metrics pages the targets served it during the measured window.
    metrics_reads: u64,
    /// Targets it found up at the end.
    up: u64,
}

impl Side {
    /// Its CPU time as a share of one core over `window` seconds.
    fn share(&self, window: f64) -> f64 {
        self.cpu_seconds / window
    }

    /// Its peak memory in MB (10^6 bytes).
    fn megabytes(&self) -> f64 {
        self.peak_memory_bytes as f64 / 1e6
    }
}

struct Outcome {
    window: Duration,
    vigil: Side,
    prometheus: Side,
    /// The targets' own CPU time (this process), for context.
    targets_cpu_seconds: f64,
    vigil_summary: Summary,
    prometheus_intervals: Intervals,
    prometheus_version: String,
}

/// CPU seconds used so far, and metrics pages read so far, at one instant.
struct Counters {
    at: Instant,
    vigil_cpu: f64,
    prometheus_cpu: f64,
    targets_cpu: f64,
    vigil_reads: u64,
    prometheus_reads: u64,
}

impl Counters {
    fn read(vigil: &Process, prometheus: &Process, targets: &Targets) -> Result<Counters, String> {
        Ok(Counters {
            at: Instant::now(),
            vigil_cpu: vigil.cpu_seconds()?,
            prometheus_cpu: prometheus.cpu_seconds()?,
            targets_cpu: ThisProcess.cpu_seconds()?,
            vigil_reads: targets.reads().vigil.load(Ordering::Relaxed),
            prometheus_reads: targets.reads().prometheus.load(Ordering::Relaxed),
        })
    }
}

async fn measure(options: &Options, dir: &Path, db: &Location) -> Result<Outcome, String> {
    // Each target holds a listening socket and a connection from each side.
    process::allow_open_files(options.targets as u64 * 3 + 256)?;
    let targets = Targets::start(options.targets).await?;
    println!("Registering {} targets in {db} ...", targets.addresses.len());
    register(db.clone(), &targets.addresses, options.interval).await?;

    let mut prometheus = Prometheus::start(&options.prometheus, dir, &targets.addresses, options.interval).await?;
    let collect_for = options.warmup + options.measured + COLLECT_TAIL;
    let vigil_stdout = dir.join("vigil-collect.out");
    let mut vigil = spawn_collect((&options.vigil, options.interval), db, &vigil_stdout, dir, collect_for)?;
    println!(
        "Prometheus and vigil collect are polling; measuring for {:.0} s after {:.0} s of start-up ...",
        options.measured.as_secs_f64(),
        options.warmup.as_secs_f64()
    );

    tokio::time::sleep(options.warmup).await;
    let before = Counters::read(&vigil, &prometheus.process, &targets)?;
    tokio::time::sleep(options.measured).await;
    let after = Counters::read(&vigil, &prometheus.process, &targets)?;
    if !vigil.running() {
        return Err(format!("vigil collect stopped early; see {}", vigil_stdout.display()));
    }
    let (vigil_peak, prometheus_peak) = (vigil.peak_memory_bytes()?, prometheus.process.peak_memory_bytes()?);
    let prometheus_intervals = prometheus.intervals().await?;
    let prometheus_up = prometheus.targets_up().await?;
    prometheus.process.stop();

    if !vigil.exited_within(COLLECT_TAIL + Duration::from_secs(30)).await {
        return Err(format!("vigil collect did not stop after --for {:.0} s", collect_for.as_secs_f64()));
    }
    let printed = std::fs::read_to_string(&vigil_stdout)
        .map_err(|error| format!("cannot read {}: {error}", vigil_stdout.display()))?;
    let vigil_summary = printed
        .lines()
        .rev()
        .find_map(Summary::parse)
        .ok_or_else(|| format!("vigil collect printed no summary line; see {}", vigil_stdout.display()))?;
    let vigil_up = servers_up(db).await?;

    let prometheus_lag =
        prometheus_intervals.p99_s.map(|p99| Duration::from_secs_f64((p99 - options.interval.as_secs_f64()).max(0.0)));
    Ok(Outcome {
        window: after.at - before.at,
        vigil: Side {
            cpu_seconds: after.vigil_cpu - before.vigil_cpu,
            peak_memory_bytes: vigil_peak,
            lag: Some(vigil_summary.worst_lag),
            metrics_reads: after.vigil_reads - before.vigil_reads,
            up: vigil_up,
        },
        prometheus: Side {
            cpu_seconds: after.prometheus_cpu - before.prometheus_cpu,
            peak_memory_bytes: prometheus_peak,
            lag: prometheus_lag,
            metrics_reads: after.prometheus_reads - before.prometheus_reads,
            up: prometheus_up as u64,
        },
        targets_cpu_seconds: after.targets_cpu - before.targets_cpu,
        vigil_summary,
        prometheus_intervals,
        prometheus_version: version_of(&options.prometheus),
    })
}

/// Registers each target as an MLServer polled every `interval`, into the database at `db`.
pub(crate) async fn register(db: impl Into<Location>, addresses: &[String], interval: Duration) -> Result<(), String> {
    let engine = Engine::open(EngineOptions::new(db)).await.map_err(|error| error.to_string())?;
    for (number, address) in addresses.iter().enumerate() {
        let server = NewServer {
            name: format!("target-{number:04}"),
            base_url: format!("http://{address}"),
            kind: ServerKind::Mlserver,
            poll_interval_secs: Some(interval.as_secs_f64()),
            ..Default::default()
        };
        engine.servers().add(server).await.map_err(|error| format!("cannot register {address}: {error}"))?;
    }
    Ok(())
}

/// How many registered servers the database holds as up.
async fn servers_up(db: &Location) -> Result<u64, String> {
    let engine = Engine::open(EngineOptions::new(db.clone())).await.map_err(|error| error.to_string())?;
    let servers = engine.servers().list().await.map_err(|error| error.to_string())?;
    Ok(servers.iter().filter(|server| server.health == HealthState::Up).count() as u64)
}

/// Starts `VIGIL --db DB collect` polling every `interval` for `seconds`, its output in
/// `stdout` and `dir`.
pub(crate) fn spawn_collect(
    (vigil, interval): (&Path, Duration),
    db: &Location,
    stdout: &Path,
    dir: &Path,
    seconds: Duration,
) -> Result<Process, String> {
    let file =
        |path: &Path| std::fs::File::create(path).map_err(|error| format!("cannot write {}: {error}", path.display()));
    let mut command = Command::new(vigil);
    command
        .arg("--db")
        .arg(db.to_string())
        .args(["collect", "--poll-interval", &interval.as_secs_f64().to_string()])
        .args(["--for", &seconds.as_secs_f64().to_string()])
        .env("VIGIL_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(file(stdout)?)
        .stderr(file(&dir.join("vigil-collect.err"))?);
    Process::spawn("vigil collect", &mut command)
}

/// "prometheus VERSION", from the first line of `binary --version` ("prometheus, version
/// 2.42.0+ds (branch: ...)").
pub(crate) fn version_of(binary: &Path) -> String {
    let output = Command::new(binary).arg("--version").output().ok();
    let text = output.map(|output| String::from_utf8_lossy(&output.stdout).into_owned()).unwrap_or_default();
    let version = text.split_whitespace().skip_while(|word| *word != "version").nth(1);
    format!("prometheus {}", version.unwrap_or("(version unknown)"))
}

/// The line `vigil collect` ends with: "collected N polls of M servers in S s; worst schedule
/// lag X ms".
pub(crate) struct Summary {
    pub line: String,
    pub polls: u64,
    pub servers: u64,
    pub worst_lag: Duration,
}

impl Summary {
    pub fn parse(line: &str) -> Option<Summary> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["collected", polls, "polls", "of", servers, "servers", "in", _, "s;", "worst", "schedule", "lag", lag, "ms"] => {
                Some(Summary {
                    line: line.to_owned(),
                    polls: polls.parse().ok()?,
                    servers: servers.parse().ok()?,
                    worst_lag: Duration::from_millis(lag.parse().ok()?),
                })
            }
            _ => None,
        }
    }
}

/// Prints the table of both sides, and the targets' own CPU.
fn print_table(options: &Options, outcome: &Outcome) {
    let window = outcome.window.as_secs_f64();
    println!(
        "\nPoller capacity: {} loopback MLServer-like targets, each polled every {} s; CPU over {window:.0} s after {:.0} s of start-up\n",
        options.targets,
        options.interval.as_secs_f64(),
        options.warmup.as_secs_f64()
    );
    println!(
        "{:<20} {:>10} {:>13} {:>20} {:>15} {:>11}",
        "", "CPU", "peak memory", "worst lag", "metrics reads", "targets up"
    );
    let row = |name: &str, side: &Side, which_lag: &str| {
        let lag = side.lag.map_or("—".to_owned(), |lag| format!("{} ms {which_lag}", lag.as_millis()));
        println!(
            "{name:<20} {:>8.1} % {:>10.1} MB {lag:>20} {:>15} {:>11}",
            side.share(window) * 100.0,
            side.megabytes(),
            side.metrics_reads,
            side.up
        );
    };
    row("vigil collect", &outcome.vigil, "(max)");
    row(&outcome.prometheus_version, &outcome.prometheus, "(p99)");
    println!("{:<20} {:>8.1} %   (the targets, this process)", "targets", outcome.targets_cpu_seconds / window * 100.0);
}

/// Issue 3's CPU goal scaled to the polls per second of this run: its text, and the share of one core.
fn cpu_goal(options: &Options) -> (String, f64) {
    let scale = options.targets as f64 / options.interval.as_secs_f64() / GOAL_POLLS_PER_S;
    let max_cpu_share = MAX_CPU_SHARE * scale;
    let text = if scale == 1.0 {
        format!("vigil CPU under {:.0} % of one core", max_cpu_share * 100.0)
    } else {
        format!(
            "vigil CPU under {:.1} % of one core ({:.0} % for 1000 targets every 5 s, scaled to {} every {} s)",
            max_cpu_share * 100.0,
            MAX_CPU_SHARE * 100.0,
            options.targets,
            options.interval.as_secs_f64()
        )
    };
    (text, max_cpu_share)
}

/// Prints the `Goals:` block, `memory_ratio` (vigil / prometheus) beside them, and returns it as JSON.
fn print_goals(options: &Options, outcome: &Outcome, memory_ratio: f64) -> Value {
    let window = outcome.window.as_secs_f64();
    let (vigil_share, prometheus_share) = (outcome.vigil.share(window), outcome.prometheus.share(window));
    let vigil_lag = outcome.vigil.lag.unwrap_or_default();
    let (cpu_goal, max_cpu_share) = cpu_goal(options);
    // Each target due once an interval over the measured window.
    let due = options.targets as f64 * window / options.interval.as_secs_f64();
    println!();
    goal::print(&[
        Goal::new(cpu_goal, vigil_share < max_cpu_share, format!("{:.1} %", vigil_share * 100.0)),
        Goal::new(
            format!("vigil worst schedule lag under {} ms", MAX_LAG.as_millis()),
            vigil_lag < MAX_LAG,
            format!("{} ms", vigil_lag.as_millis()),
        ),
        Goal::new(
            format!("vigil CPU at most {MAX_CPU_VS_PROMETHEUS}x Prometheus' (issue 20)"),
            vigil_share <= MAX_CPU_VS_PROMETHEUS * prometheus_share,
            format!(
                "{:.2}x ({:.1} % against {:.1} %)",
                vigil_share / prometheus_share.max(1e-9),
                vigil_share * 100.0,
                prometheus_share * 100.0
            ),
        ),
        Goal::new(
            format!("vigil makes every poll due: at least {:.0} % of them", MIN_POLLS_MADE * 100.0),
            outcome.vigil.metrics_reads as f64 >= MIN_POLLS_MADE * due,
            format!("{} made, {due:.0} due", outcome.vigil.metrics_reads),
        ),
        Goal::none("vigil / prometheus peak memory", format!("{memory_ratio:.2}x")),
    ])
}

/// One side's figures over a `window` of seconds, as JSON.
fn side_json(side: &Side, window: f64) -> Value {
    json!({
        "cpu_seconds": side.cpu_seconds,
        "cpu_share_of_one_core": side.share(window),
        "peak_rss_mb": side.megabytes(),
        "worst_schedule_lag_ms": side.lag.map(|lag| lag.as_secs_f64() * 1e3),
        "metrics_reads_in_window": side.metrics_reads,
        "targets_up_at_end": side.up,
    })
}

/// The figures, `ratios` (CPU, peak memory) and `goals` as the JSON that `--out` writes.
fn results(options: &Options, outcome: &Outcome, (cpu_ratio, memory_ratio): (f64, f64), goals: Value) -> Value {
    let window = outcome.window.as_secs_f64();
    let (summary, intervals) = (&outcome.vigil_summary, &outcome.prometheus_intervals);
    json!({
        "benchmark": "poller capacity beside Prometheus",
        "setup": {
            "targets": options.targets,
            "target": "MLServer 1.7.1 look-alike on 127.0.0.1, metrics page captured from a real one",
            "interval_s": options.interval.as_secs_f64(),
            "warmup_s": options.warmup.as_secs_f64(),
            "measured_s": window,
        },
        "method": {
            "cpu": "utime + stime from /proc/PID/stat over the measured window, divided by its wall time",
            "peak_memory": "VmHWM from /proc/PID/status at the end of the window; MB = 10^6 bytes",
            "vigil_lag": "worst of any poll over the whole run: start minus due time, from vigil collect's summary",
            "prometheus_lag": "p99 of prometheus_target_interval_length_seconds over the whole run, minus the interval",
        },
        "machine": crate::machine(),
        "vigil": {
            "summary": summary.line,
            "polls": summary.polls,
            "servers": summary.servers,
            "figures": side_json(&outcome.vigil, window),
        },
        "prometheus": {
            "version": outcome.prometheus_version,
            "interval_p50_s": intervals.p50_s,
            "interval_p99_s": intervals.p99_s,
            "scrapes": intervals.scrapes,
            "figures": side_json(&outcome.prometheus, window),
        },
        "targets_cpu_share_of_one_core": outcome.targets_cpu_seconds / window,
        "ratios": { "cpu_vigil_over_prometheus": cpu_ratio, "peak_memory_vigil_over_prometheus": memory_ratio },
        "goals": goals,
    })
}

/// Prints the table, the ratios and the goals, and writes the JSON to `--out` if given.
fn report(options: &Options, outcome: &Outcome) -> Result<(), String> {
    let window = outcome.window.as_secs_f64();
    let (vigil, prometheus) = (&outcome.vigil, &outcome.prometheus);
    print_table(options, outcome);
    let cpu_ratio = vigil.share(window) / prometheus.share(window);
    let memory_ratio = vigil.megabytes() / prometheus.megabytes();
    println!("\nvigil / prometheus: CPU {cpu_ratio:.2}x, peak memory {memory_ratio:.2}x");
    let goals = print_goals(options, outcome, memory_ratio);
    let results = results(options, outcome, (cpu_ratio, memory_ratio), goals);
    match &options.out {
        Some(out) => crate::write_results(out, &results),
        None => Ok(()),
    }
}
