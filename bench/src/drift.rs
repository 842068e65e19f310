//! The drift benchmark (issue 6): a full drift report on F features × N reference rows × N
//! current rows by Vigil, side by side with Evidently's data drift preset on the same two CSV
//! files in the same run. For each: the time from the two files to a report, the report alone,
//! and peak resident memory; then every column's method, score and drifted verdict on both sides.
//! Prints a table, the ratios and the goals met or missed (50× faster than Evidently or more;
//! the same verdict on every column), and writes the figures as JSON.
//!
//! Usage: `vigil-bench drift [--quick] [--out FILE] [--rows N] [--features F] [--vigil PATH]
//! [--python PATH] [--keep]`. Defaults: 100,000 rows on each side (20,000 with `--quick`), 20
//! features, the `vigil` binary beside this one, and the Python of `driftenv` beside the target folder (which
//! `make bench` makes) or else `python3`. `--keep` keeps the CSV files and the database.
//!
//! The data, generated from a fixed seed: a realistic mix of about 14 numeric features (normal,
//! lognormal, uniform, whole numbers, Poisson counts; two with a few missing values) and about 6
//! categorical ones (3 to 30 labels), and a prediction column, a probability computed from some of
//! the features plus noise. In the current file 8 of the 20 features are clearly shifted (means by
//! 0.3–1.0 σ, a lognormal scaled by 1.35–1.65, a label's share moved by 15–25 points); the others
//! are the same or shifted slightly (0.01–0.05 σ, shares by a point or two); the prediction moves
//! as its inputs do. The shifts were not tuned to any threshold or to either side's verdict. The
//! current file has a time column spreading its rows evenly over the last 15 hours.
//!
//! Vigil's side runs the release `vigil` binary three times on a fresh database: `drift
//! reference` (the reference file, with `--prediction prediction`), `drift import` (the current
//! file, placed in hourly windows by its time column) and `drift report --window 24h --json`.
//! Live windows keep a uniform sample of at most 10,000 values per numeric column per hour; with
//! 15 hours no window holds more than that at the default size, so every value is tested (the
//! output says whether any column was `sampled`). Evidently's side runs
//! `tools/drift-fixtures/evidently_bench.py`: pandas reads both files, then
//! `Report([DataDriftPreset()])` runs with Evidently's defaults; it reports its own read and
//! report times. Each child's peak memory is its `ru_maxrss`, read with `wait4`.
//!
//! Speed ratios, held to issue 20's goals (100× for the report, 50× from the files):
//! - the drift report, each tool on the data as it holds it: Evidently's `Report.run` on the two
//!   DataFrames in memory, over Vigil's `drift report` process on its stored profiles (process
//!   start, SQLite reads, the tests, the report stored and printed), the median of a few runs;
//! - the whole path from the two CSV files: Evidently's reading and report (in its process,
//!   leaving out Python's start and imports) over `vigil drift compare`, which reads both files
//!   at once and stores nothing (the median of a few runs); Vigil's three processes that import
//!   and store are printed beside it. Its verdicts are held to Evidently's too.
//!
//! The ratio of whole processes, Python's imports included, is printed beside them.

use crate::goal::{self, Goal};
use crate::random::Random;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

/// The goals of issue 20: Evidently's time over Vigil's, for the report on the data each holds,
/// and from the two CSV files (`vigil drift compare`).
const REPORT_SPEEDUP_GOAL: f64 = 100.0;
const SPEEDUP_GOAL: f64 = 50.0;
const SEED: u64 = 0x0D21_F7B3;
/// The current rows are spread evenly over this many hours, ending now.
const SPAN_HOURS: i64 = 15;
const MODEL: &str = "drift-bench";
const HOUR_MS: i64 = 3_600_000;
/// The most values of a numeric column a live window keeps (`vigil_core::drift::live::WINDOW_SAMPLE`).
const WINDOW_SAMPLE: usize = vigil_core::drift::live::WINDOW_SAMPLE;

struct Options {
    out: Option<PathBuf>,
    rows: usize,
    features: usize,
    vigil: PathBuf,
    python: PathBuf,
    keep: bool,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let here = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf));
    let beside_target = here.as_ref().and_then(|dir| Some(dir.parent()?.join("driftenv/bin/python")));
    let mut options = Options {
        out: None,
        rows: if quick { 20_000 } else { 100_000 },
        features: 20,
        vigil: here.as_ref().map_or_else(|| PathBuf::from("vigil"), |dir| dir.join("vigil")),
        python: beside_target.filter(|python| python.exists()).unwrap_or_else(|| PathBuf::from("python3")),
        keep: false,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let count = |text: String| {
            text.parse::<usize>().ok().filter(|n| *n > 0).ok_or(format!("{flag} needs a count, not {text}"))
        };
        match flag.as_str() {
            "--out" => options.out = Some(value()?.into()),
            "--rows" => options.rows = count(value()?)?,
            "--features" => options.features = count(value()?)?,
            "--vigil" => options.vigil = value()?.into(),
            "--python" => options.python = value()?.into(),
            "--keep" => options.keep = true,
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

/// The script that runs Evidently's side.
fn evidently_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/drift-fixtures/evidently_bench.py")
}

/// What to do when Python or its packages are missing.
fn python_help(python: &Path) -> String {
    format!(
        "Evidently's side needs Python 3 with the packages of tools/drift-fixtures/requirements.txt \
         (Evidently 0.7.23, pandas 2.3): `make bench` makes them in $(CARGO_TARGET_DIR)/driftenv; by hand, \
         `python3 -m venv target/driftenv && target/driftenv/bin/pip install -r tools/drift-fixtures/requirements.txt`, \
         then pass `--python target/driftenv/bin/python` (now: {})",
        python.display()
    )
}

/// Checks that `python` runs and imports Evidently and pandas, before anything is measured.
fn check_python(python: &Path) -> Result<String, String> {
    let output = Command::new(python)
        .args(["-c", "import evidently, pandas; print(evidently.__version__, pandas.__version__)"])
        .output()
        .map_err(|error| format!("cannot run {}: {error}.\n{}", python.display(), python_help(python)))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        let last = said.lines().last().unwrap_or("it failed");
        return Err(format!(
            "{} cannot import evidently and pandas ({last}).\n{}",
            python.display(),
            python_help(python)
        ));
    }
    let versions = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let mut parts = versions.split_whitespace();
    Ok(format!("Evidently {} (pandas {})", parts.next().unwrap_or("?"), parts.next().unwrap_or("?")))
}

/// Runs the drift benchmark with the command-line arguments that follow `drift`.
pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let script = evidently_script();
    if !script.exists() {
        return Err(format!("{} is missing", script.display()));
    }
    let evidently_version = check_python(&options.python)?;
    let dir = tempfile::Builder::new()
        .prefix("vigil-bench-drift-")
        .tempdir()
        .map_err(|error| format!("cannot make a temporary folder: {error}"))?;
    let outcome = measure(&options, dir.path(), &script, &evidently_version);
    if options.keep || outcome.is_err() {
        let kept = dir.keep();
        println!("(the files are kept in {})", kept.display());
    }
    report(&options, &outcome?)
}

// ------------------------------------------------------------------------------------------------
// The data.

/// How one column's values are drawn.
#[derive(Clone, Copy)]
enum Dist {
    Normal {
        mean: f64,
        sd: f64,
        decimals: usize,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
        decimals: usize,
    },
    Uniform {
        low: f64,
        high: f64,
        decimals: usize,
    },
    /// A normal value rounded to a whole number and kept within `low..=high`.
    WholeNormal {
        mean: f64,
        sd: f64,
        low: f64,
        high: f64,
    },
    WholeUniform {
        low: i64,
        high: i64,
    },
    Poisson {
        lambda: f64,
    },
    /// Labels with the given weights.
    Labels {
        names: &'static [&'static str],
        weights: &'static [f64],
    },
    /// Labels with Zipf weights 1 / rank^s.
    Zipf {
        names: &'static [&'static str],
        s: f64,
    },
}

impl Dist {
    /// The mean and standard deviation of a numeric distribution (before rounding).
    fn moments(self) -> (f64, f64) {
        match self {
            Dist::Normal { mean, sd, .. } | Dist::WholeNormal { mean, sd, .. } => (mean, sd),
            Dist::LogNormal { mu, sigma, .. } => {
                let mean = (mu + sigma * sigma / 2.0).exp();
                (mean, mean * ((sigma * sigma).exp() - 1.0).sqrt())
            }
            Dist::Uniform { low, high, .. } => ((low + high) / 2.0, (high - low) / 12f64.sqrt()),
            Dist::WholeUniform { low, high } => {
                ((low + high) as f64 / 2.0, (((high - low + 1) as f64).powi(2) - 1.0).sqrt() / 12f64.sqrt())
            }
            Dist::Poisson { lambda } => (lambda, lambda.sqrt()),
            Dist::Labels { .. } | Dist::Zipf { .. } => (0.0, 1.0),
        }
    }
}

/// A feature: its distribution in the reference and in the current data.
struct Feature {
    name: &'static str,
    reference: Dist,
    current: Dist,
    /// The share of rows where it is missing (an empty field), on both sides.
    missing: f64,
    /// The shift as generated, in words.
    shift: &'static str,
    /// Its weight in the prediction's log-odds (standardized; for labels, the first label's indicator).
    weight: f64,
}

const COUNTRIES: [&str; 30] = [
    "US", "GB", "DE", "FR", "IN", "BR", "CA", "ES", "IT", "MX", "NL", "AU", "JP", "PL", "SE", "TR", "ID", "AR", "BE",
    "CH", "AT", "PT", "IE", "DK", "NO", "FI", "CZ", "RO", "GR", "NZ",
];
const DEVICES: [&str; 3] = ["mobile", "desktop", "tablet"];
const PLANS: [&str; 4] = ["free", "basic", "pro", "enterprise"];
const CHANNELS: [&str; 8] = ["organic", "paid_search", "social", "email", "referral", "display", "affiliate", "direct"];
const BROWSERS: [&str; 6] = ["chrome", "safari", "edge", "firefox", "samsung", "opera"];
const PAYMENTS: [&str; 5] = ["card", "paypal", "bank_transfer", "wallet", "crypto"];

/// The 20 features, numeric and categorical interleaved so that fewer keep the mix; past 20 they
/// repeat with a suffix.
const FEATURES: [Feature; 20] = [
    Feature {
        name: "age",
        reference: Dist::WholeNormal { mean: 41.0, sd: 13.0, low: 18.0, high: 90.0 },
        current: Dist::WholeNormal { mean: 41.0, sd: 13.0, low: 18.0, high: 90.0 },
        missing: 0.0,
        shift: "none",
        weight: 0.1,
    },
    Feature {
        name: "country",
        reference: Dist::Zipf { names: &COUNTRIES, s: 1.1 },
        current: Dist::Zipf { names: &COUNTRIES, s: 1.1 },
        missing: 0.0,
        shift: "none",
        weight: 0.0,
    },
    Feature {
        name: "income",
        reference: Dist::LogNormal { mu: 10.8, sigma: 0.55, decimals: 2 },
        current: Dist::LogNormal { mu: 11.1, sigma: 0.55, decimals: 2 },
        missing: 0.01,
        shift: "x1.35 (+0.53 sd)",
        weight: 0.6,
    },
    Feature {
        name: "device",
        reference: Dist::Labels { names: &DEVICES, weights: &[0.55, 0.35, 0.10] },
        current: Dist::Labels { names: &DEVICES, weights: &[0.72, 0.22, 0.06] },
        missing: 0.0,
        shift: "mobile 55%->72%",
        weight: 0.4,
    },
    Feature {
        name: "account_age_days",
        reference: Dist::WholeUniform { low: 0, high: 3650 },
        current: Dist::WholeUniform { low: 0, high: 3650 },
        missing: 0.0,
        shift: "none",
        weight: 0.0,
    },
    Feature {
        name: "transactions_30d",
        reference: Dist::Poisson { lambda: 12.0 },
        current: Dist::Poisson { lambda: 14.0 },
        missing: 0.0,
        shift: "+0.58 sd",
        weight: 0.4,
    },
    Feature {
        name: "session_length_s",
        reference: Dist::LogNormal { mu: 5.0, sigma: 1.0, decimals: 1 },
        current: Dist::LogNormal { mu: 5.01, sigma: 1.0, decimals: 1 },
        missing: 0.0,
        shift: "x1.01 (slight)",
        weight: 0.0,
    },
    Feature {
        name: "plan",
        reference: Dist::Labels { names: &PLANS, weights: &[0.50, 0.30, 0.15, 0.05] },
        current: Dist::Labels { names: &PLANS, weights: &[0.50, 0.30, 0.15, 0.05] },
        missing: 0.0,
        shift: "none",
        weight: -0.2,
    },
    Feature {
        name: "items_in_cart",
        reference: Dist::Poisson { lambda: 2.5 },
        current: Dist::Poisson { lambda: 2.55 },
        missing: 0.0,
        shift: "+0.03 sd (slight)",
        weight: 0.0,
    },
    Feature {
        name: "days_since_login",
        reference: Dist::LogNormal { mu: 1.8, sigma: 0.9, decimals: 2 },
        current: Dist::LogNormal { mu: 2.3, sigma: 0.9, decimals: 2 },
        missing: 0.005,
        shift: "x1.65 (+0.61 sd)",
        weight: -0.5,
    },
    Feature {
        name: "credit_score",
        reference: Dist::WholeNormal { mean: 680.0, sd: 60.0, low: 300.0, high: 850.0 },
        current: Dist::WholeNormal { mean: 683.0, sd: 60.0, low: 300.0, high: 850.0 },
        missing: 0.0,
        shift: "+0.05 sd (slight)",
        weight: 0.5,
    },
    Feature {
        name: "channel",
        reference: Dist::Labels { names: &CHANNELS, weights: &[0.30, 0.20, 0.10, 0.12, 0.08, 0.07, 0.05, 0.08] },
        current: Dist::Labels { names: &CHANNELS, weights: &[0.22, 0.15, 0.35, 0.09, 0.06, 0.05, 0.03, 0.05] },
        missing: 0.0,
        shift: "social 10%->35%",
        weight: 0.0,
    },
    Feature {
        name: "temperature_c",
        reference: Dist::Normal { mean: 18.0, sd: 7.0, decimals: 1 },
        current: Dist::Normal { mean: 25.0, sd: 7.0, decimals: 1 },
        missing: 0.0,
        shift: "+1.0 sd",
        weight: 0.0,
    },
    Feature {
        name: "latency_ms",
        reference: Dist::LogNormal { mu: 4.0, sigma: 0.5, decimals: 1 },
        current: Dist::LogNormal { mu: 4.0, sigma: 0.5, decimals: 1 },
        missing: 0.0,
        shift: "none",
        weight: 0.0,
    },
    Feature {
        name: "discount_rate",
        reference: Dist::Uniform { low: 0.0, high: 0.3, decimals: 4 },
        current: Dist::Uniform { low: 0.05, high: 0.35, decimals: 4 },
        missing: 0.0,
        shift: "+0.58 sd",
        weight: 0.0,
    },
    Feature {
        name: "browser",
        reference: Dist::Labels { names: &BROWSERS, weights: &[0.62, 0.20, 0.08, 0.06, 0.03, 0.01] },
        current: Dist::Labels { names: &BROWSERS, weights: &[0.60, 0.21, 0.09, 0.06, 0.03, 0.01] },
        missing: 0.0,
        shift: "chrome 62%->60% (slight)",
        weight: 0.0,
    },
    Feature {
        name: "tenure_months",
        reference: Dist::WholeUniform { low: 1, high: 120 },
        current: Dist::WholeUniform { low: 1, high: 120 },
        missing: 0.0,
        shift: "none",
        weight: 0.2,
    },
    Feature {
        name: "support_tickets_90d",
        reference: Dist::Poisson { lambda: 0.8 },
        current: Dist::Poisson { lambda: 0.8 },
        missing: 0.0,
        shift: "none",
        weight: 0.0,
    },
    Feature {
        name: "balance",
        reference: Dist::Normal { mean: 5000.0, sd: 1500.0, decimals: 2 },
        current: Dist::Normal { mean: 5450.0, sd: 1500.0, decimals: 2 },
        missing: 0.0,
        shift: "+0.3 sd",
        weight: 0.0,
    },
    Feature {
        name: "payment_method",
        reference: Dist::Labels { names: &PAYMENTS, weights: &[0.60, 0.20, 0.10, 0.07, 0.03] },
        current: Dist::Labels { names: &PAYMENTS, weights: &[0.60, 0.20, 0.10, 0.07, 0.03] },
        missing: 0.0,
        shift: "none",
        weight: 0.0,
    },
];

/// The prediction's column, and the time column of the current file.
const PREDICTION: &str = "prediction";
const TIME: &str = "timestamp";

/// A column being generated: its distribution, precomputed.
struct Column {
    name: String,
    dist: Dist,
    cumulative: Vec<f64>,
    missing: f64,
    weight: f64,
    shift: &'static str,
    /// The reference's mean and standard deviation, to standardize values for the prediction.
    moments: (f64, f64),
}

impl Column {
    fn new(feature: &Feature, name: String, dist: Dist) -> Column {
        let weights: Vec<f64> = match dist {
            Dist::Labels { weights, .. } => weights.to_vec(),
            Dist::Zipf { names, s } => (1..=names.len()).map(|rank| 1.0 / (rank as f64).powf(s)).collect(),
            _ => Vec::new(),
        };
        let total: f64 = weights.iter().sum();
        let cumulative = weights
            .iter()
            .scan(0.0, |sum, weight| {
                *sum += weight / total;
                Some(*sum)
            })
            .collect();
        Column {
            name,
            dist,
            cumulative,
            missing: feature.missing,
            weight: feature.weight,
            shift: feature.shift,
            moments: feature.reference.moments(),
        }
    }

    /// Writes one value to `line` and returns its contribution to the prediction's log-odds.
    fn write(&self, rng: &mut Random, line: &mut String) -> f64 {
        if self.missing > 0.0 && rng.uniform() < self.missing {
            return 0.0;
        }
        let (value, decimals) = match self.dist {
            Dist::Normal { mean, sd, decimals } => (mean + sd * rng.normal(), decimals),
            Dist::LogNormal { mu, sigma, decimals } => ((mu + sigma * rng.normal()).exp(), decimals),
            Dist::Uniform { low, high, decimals } => (low + (high - low) * rng.uniform(), decimals),
            Dist::WholeNormal { mean, sd, low, high } => ((mean + sd * rng.normal()).round().clamp(low, high), 0),
            Dist::WholeUniform { low, high } => (rng.whole(low, high) as f64, 0),
            Dist::Poisson { lambda } => (rng.poisson(lambda) as f64, 0),
            Dist::Labels { names, .. } | Dist::Zipf { names, .. } => {
                let index = rng.weighted(&self.cumulative);
                line.push_str(names[index]);
                return if index == 0 { self.weight } else { 0.0 };
            }
        };
        let _ = write!(line, "{value:.decimals$}");
        let (mean, sd) = self.moments;
        self.weight * ((value - mean) / sd).clamp(-4.0, 4.0)
    }
}

/// The columns of one side (reference or current) for `features` features.
fn columns(features: usize, current: bool) -> Vec<Column> {
    (0..features)
        .map(|index| {
            let feature = &FEATURES[index % FEATURES.len()];
            let name = match index / FEATURES.len() {
                0 => feature.name.to_owned(),
                round => format!("{}_{}", feature.name, round + 1),
            };
            Column::new(feature, name, if current { feature.current } else { feature.reference })
        })
        .collect()
}

/// Writes `rows` rows of `columns` and a prediction to `path`; with `times`, a time column first
/// (RFC 3339, spread evenly from `times.0` to `times.1` in Unix ms). Returns the most rows any
/// hourly window holds.
fn write_csv(
    path: &Path,
    columns: &[Column],
    rows: usize,
    rng: &mut Random,
    times: Option<(i64, i64)>,
) -> Result<usize, String> {
    let file = File::create(path).map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut header: Vec<&str> = Vec::new();
    if times.is_some() {
        header.push(TIME);
    }
    header.extend(columns.iter().map(|column| column.name.as_str()));
    header.push(PREDICTION);
    let mut line = header.join(",") + "\n";
    let (mut window, mut in_window, mut most) = (i64::MIN, 0usize, 0usize);
    for row in 0..rows {
        if let Some((from, to)) = times {
            let at = from + ((to - from) as f64 * row as f64 / rows as f64) as i64;
            let stamp = DateTime::from_timestamp_millis(at).unwrap_or_default();
            line.push_str(&stamp.to_rfc3339_opts(SecondsFormat::Secs, true));
            line.push(',');
            let hour = at.div_euclid(HOUR_MS);
            if hour != window {
                (window, in_window) = (hour, 0);
            }
            in_window += 1;
            most = most.max(in_window);
        }
        let mut log_odds = -1.0 + 0.8 * rng.normal();
        for column in columns {
            log_odds += column.write(rng, &mut line);
            line.push(',');
        }
        let _ = writeln!(line, "{:.4}", 1.0 / (1.0 + (-log_odds).exp()));
        out.write_all(line.as_bytes()).map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        line.clear();
    }
    out.flush().map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    Ok(most)
}

// ------------------------------------------------------------------------------------------------
// The measurement.

/// A child process as measured: its wall time and peak resident memory.
struct Child {
    seconds: f64,
    peak_memory_bytes: u64,
}

/// Runs `command` to its end, stdout to `stdout`, and measures it: wall time from spawn to exit,
/// and `ru_maxrss` from `wait4`.
fn run_child(what: &str, command: &mut Command, stdout: &Path) -> Result<Child, String> {
    let stderr = stdout.with_extension("stderr");
    let open = |path: &Path| File::create(path).map_err(|error| format!("cannot write {}: {error}", path.display()));
    command.stdin(Stdio::null()).stdout(open(stdout)?).stderr(open(&stderr)?);
    let started = Instant::now();
    let child =
        command.spawn().map_err(|error| format!("cannot start {what} ({:?}): {error}", command.get_program()))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|_| format!("{what}: a process id out of range"))?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 only writes into the two it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for this child only (reaping it; `child` is not waited on after this).
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if waited == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("cannot wait for {what}: {error}"));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(child);
    let exit = ExitStatus::from_raw(status);
    if !exit.success() {
        let said = std::fs::read_to_string(&stderr).unwrap_or_default();
        return Err(format!("{what} failed ({exit}):\n{}", said.trim_end()));
    }
    // Linux gives ru_maxrss in KiB.
    Ok(Child { seconds, peak_memory_bytes: usage.ru_maxrss.max(0) as u64 * 1024 })
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| format!("{} is not JSON: {error}", path.display()))
}

struct Data {
    reference: PathBuf,
    current: PathBuf,
    reference_bytes: u64,
    current_bytes: u64,
    /// The most current rows any hourly window holds.
    most_in_a_window: usize,
    generate_seconds: f64,
}

struct Outcome {
    data: Data,
    evidently_version: String,
    /// reference import, log import, report.
    vigil_steps: [Child; 3],
    vigil_report: Value,
    /// `vigil drift compare` on the two files, and its report.
    vigil_compare: Child,
    compare_report: Value,
    evidently_child: Child,
    evidently: Value,
}

/// Vigil's report takes a fraction of a second, where one run is at the mercy of the machine's
/// other work: it runs this many times and the median counts (Evidently's, some seconds, once).
const REPORT_RUNS: usize = 5;

/// The run of median time of `runs` runs of `run`.
fn median_of(runs: usize, mut run: impl FnMut() -> Result<Child, String>) -> Result<Child, String> {
    let mut children = (0..runs).map(|_| run()).collect::<Result<Vec<Child>, String>>()?;
    children.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    Ok(children.swap_remove(runs / 2))
}

fn measure(options: &Options, dir: &Path, script: &Path, evidently_version: &str) -> Result<Outcome, String> {
    let data = generate(options, dir)?;

    let db = dir.join("vigil.db");
    let vigil = |args: &[&str]| {
        let mut command = Command::new(&options.vigil);
        command.arg("--db").arg(&db).args(args);
        command
    };
    let (reference, current) = (data.reference.to_string_lossy(), data.current.to_string_lossy());
    println!("Vigil: drift reference, drift import, drift report on a fresh database ...");
    let steps = [
        run_child(
            "vigil drift reference",
            &mut vigil(&["drift", "reference", &reference, "--model", MODEL, "--prediction", PREDICTION, "--json"]),
            &dir.join("vigil-reference.json"),
        )?,
        run_child(
            "vigil drift import",
            &mut vigil(&["drift", "import", &current, "--model", MODEL, "--time-column", TIME, "--json"]),
            &dir.join("vigil-import.json"),
        )?,
        median_of(REPORT_RUNS, || {
            run_child(
                "vigil drift report",
                &mut vigil(&["drift", "report", "--model", MODEL, "--window", "24h", "--json"]),
                &dir.join("vigil-report.json"),
            )
        })?,
    ];
    let vigil_report = read_json(&dir.join("vigil-report.json"))?;
    println!("Vigil: drift compare on the two files, nothing stored ...");
    let vigil_compare = median_of(REPORT_RUNS, || {
        run_child(
            "vigil drift compare",
            &mut vigil(&["drift", "compare", &reference, &current, "--prediction", PREDICTION, "--json"]),
            &dir.join("vigil-compare.json"),
        )
    })?;
    let compare_report = read_json(&dir.join("vigil-compare.json"))?;

    println!("{evidently_version}: pandas.read_csv, then Report([DataDriftPreset()]) ...");
    let evidently_out = dir.join("evidently.json");
    let mut command = Command::new(&options.python);
    command.arg(script).arg(&data.reference).arg(&data.current).arg(&evidently_out);
    let evidently_child = run_child("evidently_bench.py", &mut command, &dir.join("evidently.stdout"))
        .map_err(|error| format!("{error}\n{}", python_help(&options.python)))?;
    let evidently = read_json(&evidently_out)?;

    Ok(Outcome {
        data,
        evidently_version: evidently_version.to_owned(),
        vigil_steps: steps,
        vigil_report,
        vigil_compare,
        compare_report,
        evidently_child,
        evidently,
    })
}

fn generate(options: &Options, dir: &Path) -> Result<Data, String> {
    let started = Instant::now();
    let (reference, current) = (dir.join("reference.csv"), dir.join("current.csv"));
    println!(
        "Generating {} rows × {} features (+ prediction) for each side in {} ...",
        options.rows,
        options.features,
        dir.display()
    );
    let mut rng = Random::new(SEED);
    write_csv(&reference, &columns(options.features, false), options.rows, &mut rng, None)?;
    // Up to a minute before now, so that every row is inside the report's last 24 hours.
    let end = Utc::now().timestamp_millis() - 60_000;
    let times = (end - SPAN_HOURS * HOUR_MS, end);
    let most_in_a_window = write_csv(&current, &columns(options.features, true), options.rows, &mut rng, Some(times))?;
    let size = |path: &Path| std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0);
    Ok(Data {
        reference_bytes: size(&reference),
        current_bytes: size(&current),
        reference,
        current,
        most_in_a_window,
        generate_seconds: started.elapsed().as_secs_f64(),
    })
}

// ------------------------------------------------------------------------------------------------
// The report.

/// Evidently's stattest id for one of Vigil's method names.
fn evidently_name(method: &str) -> &str {
    match method {
        "chi_square" => "chisquare",
        "z_test" => "z",
        "jensen_shannon" => "jensenshannon",
        other => other,
    }
}

/// One column's verdicts on both sides.
struct Verdict {
    column: String,
    role: String,
    shift: String,
    vigil_method: String,
    vigil_score: Option<f64>,
    vigil_drifted: Option<bool>,
    sampled: bool,
    evidently_method: String,
    evidently_score: Option<f64>,
    evidently_drifted: Option<bool>,
}

impl Verdict {
    fn agree(&self) -> bool {
        self.vigil_drifted.is_some() && self.vigil_drifted == self.evidently_drifted
    }
}

fn verdicts(options: &Options, vigil: &Value, evidently: &Value) -> Vec<Verdict> {
    let mut names: Vec<(String, &str)> =
        columns(options.features, false).into_iter().map(|column| (column.name, column.shift)).collect();
    names.push((PREDICTION.to_owned(), "(follows its inputs)"));
    let empty = Vec::new();
    let vigil_columns = vigil["columns"].as_array().unwrap_or(&empty);
    names
        .into_iter()
        .map(|(name, shift)| {
            let ours = vigil_columns.iter().find(|column| column["column"] == name.as_str());
            let test = ours.map(|column| &column["test"]).filter(|test| test.is_object());
            let theirs = &evidently["columns"][name.as_str()];
            Verdict {
                role: ours.and_then(|column| column["role"].as_str()).unwrap_or("untested").to_owned(),
                shift: shift.to_owned(),
                vigil_method: test
                    .and_then(|test| test["method"].as_str())
                    .map(|method| evidently_name(method).to_owned())
                    .unwrap_or_else(|| ours.and_then(|column| column["problem"].as_str()).unwrap_or("-").to_owned()),
                vigil_score: test.and_then(|test| test["p_value"].as_f64().or_else(|| test["statistic"].as_f64())),
                vigil_drifted: test.and_then(|test| test["drifted"].as_bool()),
                sampled: ours.and_then(|column| column["sampled"].as_bool()).unwrap_or(false),
                evidently_method: theirs["method"].as_str().unwrap_or("-").to_owned(),
                evidently_score: theirs["score"].as_f64(),
                evidently_drifted: theirs["drifted"].as_bool(),
                column: name,
            }
        })
        .collect()
}

fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// The times, peak memory and ratios of both sides, and which goals they meet.
struct Figures {
    vigil_total: f64,
    vigil_peak: u64,
    /// Vigil's `drift report` step alone.
    vigil_report: f64,
    ev_import: f64,
    ev_read: f64,
    ev_report: f64,
    /// Evidently's read_csv + report in its process.
    ev_path: f64,
    ev_whole: f64,
    ev_peak: u64,
    speedup: f64,
    whole_speedup: f64,
    report_speedup: f64,
    /// `vigil drift compare`'s time, Evidently's read + report over it, and the columns on
    /// which its verdicts agree with Evidently's.
    compare: f64,
    compare_speedup: f64,
    compare_agreeing: usize,
    memory_ratio: f64,
    /// Columns whose verdicts agree.
    agreeing: usize,
    speed_met: bool,
    csv_speed_met: bool,
    verdicts_met: bool,
}

impl Figures {
    /// Reads both sides' times and memory off `outcome`, and holds them and `verdicts` to the goals.
    fn of(outcome: &Outcome, verdicts: &[Verdict], compared: &[Verdict]) -> Figures {
        let [reference_step, import_step, report_step] = &outcome.vigil_steps;
        let vigil_total = reference_step.seconds + import_step.seconds + report_step.seconds;
        let vigil_peak = outcome.vigil_steps.iter().map(|step| step.peak_memory_bytes).max().unwrap_or(0);
        let number = |key: &str| outcome.evidently[key].as_f64().unwrap_or(f64::NAN);
        let (ev_import, ev_read, ev_report) =
            (number("import_seconds"), number("read_seconds"), number("report_seconds"));
        let ev_path = ev_read + ev_report;
        let ev_whole = outcome.evidently_child.seconds;
        let ev_peak = outcome.evidently_child.peak_memory_bytes;
        let speedup = ev_path / vigil_total;
        let report_speedup = ev_report / report_step.seconds;
        let agreeing = verdicts.iter().filter(|verdict| verdict.agree()).count();
        let compare = outcome.vigil_compare.seconds;
        let compare_speedup = ev_path / compare;
        Figures {
            vigil_total,
            vigil_peak,
            vigil_report: report_step.seconds,
            ev_import,
            ev_read,
            ev_report,
            ev_path,
            ev_whole,
            ev_peak,
            speedup,
            whole_speedup: ev_whole / vigil_total,
            report_speedup,
            compare,
            compare_speedup,
            compare_agreeing: compared.iter().filter(|verdict| verdict.agree()).count(),
            memory_ratio: ev_peak as f64 / vigil_peak.max(1) as f64,
            agreeing,
            speed_met: report_speedup >= REPORT_SPEEDUP_GOAL,
            csv_speed_met: compare_speedup >= SPEEDUP_GOAL,
            verdicts_met: agreeing == verdicts.len() && compared.iter().all(Verdict::agree),
        }
    }
}

/// The columns Vigil's report tested on a sample of their values.
fn sampled(verdicts: &[Verdict]) -> Vec<&str> {
    verdicts.iter().filter(|verdict| verdict.sampled).map(|verdict| verdict.column.as_str()).collect()
}

/// Prints the data both sides read, and whether Vigil's hourly windows kept every value.
fn print_data(options: &Options, data: &Data, sampled: &[&str]) {
    println!(
        "\nData: {} rows × {} features + prediction on each side; reference.csv {:.1} MB, current.csv {:.1} MB \
         (generated in {:.1} s).",
        options.rows,
        options.features,
        megabytes(data.reference_bytes),
        megabytes(data.current_bytes),
        data.generate_seconds
    );
    println!(
        "Current rows over the last {SPAN_HOURS} h: at most {} in an hourly window (a window keeps {WINDOW_SAMPLE} values \
         of a numeric column): {}; sampled columns in Vigil's report: {}.",
        data.most_in_a_window,
        if data.most_in_a_window <= WINDOW_SAMPLE { "every value kept" } else { "windows SAMPLED" },
        if sampled.is_empty() { "none".to_owned() } else { sampled.join(", ") }
    );
}

/// Prints the table of each side's steps, their times and peak memory.
fn print_times(outcome: &Outcome, figures: &Figures) {
    let [reference_step, import_step, report_step] = &outcome.vigil_steps;
    let Figures { vigil_total, vigil_peak, ev_import, ev_read, ev_report, ev_path, ev_whole, ev_peak, .. } = *figures;
    println!("\n{:<54} {:>10} {:>12}", "", "time (s)", "peak memory");
    let row = |label: &str, seconds: f64, bytes: Option<u64>| {
        let memory = bytes.map_or_else(String::new, |bytes| format!("{:.0} MB", megabytes(bytes)));
        println!("{label:<54} {seconds:>10.3} {memory:>12}");
    };
    row("Vigil  drift reference (reference.csv)", reference_step.seconds, Some(reference_step.peak_memory_bytes));
    row("Vigil  drift import (current.csv)", import_step.seconds, Some(import_step.peak_memory_bytes));
    row("Vigil  drift report --json (report only)", report_step.seconds, Some(report_step.peak_memory_bytes));
    row("Vigil  total: CSV files → report (3 processes)", vigil_total, Some(vigil_peak));
    row(
        "Vigil  drift compare: CSV files → report (one process)",
        figures.compare,
        Some(outcome.vigil_compare.peak_memory_bytes),
    );
    row("Evidently  Python start + imports", ev_import, None);
    row("Evidently  pandas.read_csv × 2", ev_read, None);
    row("Evidently  Report([DataDriftPreset()]) (report only)", ev_report, None);
    row("Evidently  CSV files → report (read + report)", ev_path, Some(ev_peak));
    row("Evidently  whole process (imports included)", ev_whole, Some(ev_peak));
}

/// Prints the ratios of Evidently's times and peak memory over Vigil's.
fn print_ratios(figures: &Figures) {
    let Figures {
        vigil_total,
        vigil_peak,
        ev_report,
        ev_path,
        ev_whole,
        ev_peak,
        speedup,
        whole_speedup,
        report_speedup,
        memory_ratio,
        ..
    } = *figures;
    println!(
        "\nThe drift report, each side on the data as it holds it: Evidently's Report.run on the two DataFrames \
         in memory / Vigil's `drift report` process (start, stored profiles read from SQLite, tests, report stored \
         and printed; median of {REPORT_RUNS}): {ev_report:.2} s / {:.3} s = {report_speedup:.1}×",
        figures.vigil_report
    );
    println!(
        "From the two CSV files: Evidently's read_csv + report in its process / Vigil's three processes end to end: \
         {ev_path:.2} s / {vigil_total:.3} s = {speedup:.1}×"
    );
    println!(
        "  whole processes, Python's imports included: {ev_whole:.2} s / {vigil_total:.3} s = {whole_speedup:.1}×"
    );
    println!(
        "From the two CSV files in one go: Evidently's read_csv + report in its process / `vigil drift compare` \
         (median of {REPORT_RUNS}): {ev_path:.2} s / {:.3} s = {:.1}×",
        figures.compare, figures.compare_speedup
    );
    println!("  peak memory: {:.0} MB / {:.0} MB = {memory_ratio:.1}×", megabytes(ev_peak), megabytes(vigil_peak));
}

/// Prints every column's method, score and verdict on both sides, and the drifted columns counted.
fn print_verdicts(verdicts: &[Verdict], vigil_report: &Value) {
    println!(
        "\n{:<22} {:<10} {:<26} {:<14} {:>10} {:<7} {:<14} {:>10} {:<7} VERDICTS",
        "COLUMN", "ROLE", "SHIFT (generated)", "VIGIL METHOD", "SCORE", "DRIFT", "EVIDENTLY", "SCORE", "DRIFT"
    );
    let yes_no = |drifted: Option<bool>| match drifted {
        Some(true) => "yes",
        Some(false) => "no",
        None => "-",
    };
    let score = |score: Option<f64>| score.map_or_else(|| "-".to_owned(), |score| format!("{score:.4}"));
    for verdict in verdicts {
        let method_note = if verdict.vigil_method == verdict.evidently_method { "" } else { " (methods differ)" };
        println!(
            "{:<22} {:<10} {:<26} {:<14} {:>10} {:<7} {:<14} {:>10} {:<7} {}{}{}",
            verdict.column,
            verdict.role,
            verdict.shift,
            verdict.vigil_method,
            score(verdict.vigil_score),
            yes_no(verdict.vigil_drifted),
            verdict.evidently_method,
            score(verdict.evidently_score),
            yes_no(verdict.evidently_drifted),
            if verdict.agree() { "AGREE" } else { "DIFFER" },
            method_note,
            if verdict.sampled { " (sampled)" } else { "" }
        );
    }
    let drifted =
        |pick: fn(&Verdict) -> Option<bool>| verdicts.iter().filter(|verdict| pick(verdict) == Some(true)).count();
    println!(
        "\nDrifted columns: Vigil {}, Evidently {} of {}; Vigil's dataset drift: {} ({} of {} features).",
        drifted(|verdict| verdict.vigil_drifted),
        drifted(|verdict| verdict.evidently_drifted),
        verdicts.len(),
        vigil_report["dataset_drift"],
        vigil_report["drifted_features"],
        vigil_report["features"],
    );
}

/// Prints the `Goals:` block: both speed ratios, the verdicts of all `columns`, and peak memory.
fn print_goals(figures: &Figures, columns: usize) {
    let Figures { speedup, report_speedup, compare_speedup, memory_ratio, agreeing, compare_agreeing, .. } = *figures;
    println!();
    goal::print(&[
        Goal::new(
            format!("speed: the drift report, Evidently / Vigil, {REPORT_SPEEDUP_GOAL:.0}× or more"),
            figures.speed_met,
            format!("{report_speedup:.1}×"),
        ),
        Goal::new(
            format!(
                "speed: from the CSV files, Evidently / `vigil drift compare`, {SPEEDUP_GOAL:.0}× or more \
                 (the three processes that store: {speedup:.1}×)"
            ),
            figures.csv_speed_met,
            format!("{compare_speedup:.1}×"),
        ),
        Goal::new(
            "verdicts: every column (features and prediction) drifted/not drifted alike, stored and compared",
            figures.verdicts_met,
            format!("{agreeing} and {compare_agreeing} of {columns}"),
        ),
        Goal::none("peak memory, Evidently / Vigil", format!("{memory_ratio:.1}×")),
    ]);
}

/// The figures as the JSON that `--out` writes.
fn results(options: &Options, outcome: &Outcome, figures: &Figures, verdicts: &[Verdict], sampled: &[&str]) -> Value {
    let (data, ev) = (&outcome.data, &outcome.evidently);
    let [reference_step, import_step, report_step] = &outcome.vigil_steps;
    let step = |child: &Child| json!({ "seconds": child.seconds, "peak_memory_bytes": child.peak_memory_bytes });
    json!({
        "benchmark": "drift",
        "rows": options.rows,
        "features": options.features,
        "seed": SEED,
        "data": {
            "reference_bytes": data.reference_bytes,
            "current_bytes": data.current_bytes,
            "current_span_hours": SPAN_HOURS,
            "most_rows_in_an_hourly_window": data.most_in_a_window,
            "window_sample": WINDOW_SAMPLE,
            "every_value_kept": data.most_in_a_window <= WINDOW_SAMPLE && sampled.is_empty(),
            "sampled_columns": sampled,
        },
        "vigil": {
            "reference_import": step(reference_step),
            "log_import": step(import_step),
            "report": step(report_step),
            "total_seconds": figures.vigil_total,
            "peak_memory_bytes": figures.vigil_peak,
            "drifted_features": outcome.vigil_report["drifted_features"],
            "dataset_drift": outcome.vigil_report["dataset_drift"],
        },
        "evidently": {
            "version": outcome.evidently_version,
            "import_seconds": figures.ev_import,
            "read_seconds": figures.ev_read,
            "report_seconds": figures.ev_report,
            "csv_to_report_seconds": figures.ev_path,
            "process_seconds": figures.ev_whole,
            "peak_memory_bytes": figures.ev_peak,
            "drifted_columns": ev["drifted_columns"],
        },
        "ratios": {
            "csv_to_report": figures.speedup,
            "csv_to_report_compares": "Evidently read_csv + report in its process / Vigil's three processes end to end",
            "whole_process": figures.whole_speedup,
            "report_only": figures.report_speedup,
            "report_runs": REPORT_RUNS,
            "peak_memory": figures.memory_ratio,
        },
        "columns": verdicts.iter().map(|verdict| json!({
            "column": verdict.column,
            "role": verdict.role,
            "shift": verdict.shift,
            "vigil": { "method": verdict.vigil_method, "score": verdict.vigil_score, "drifted": verdict.vigil_drifted, "sampled": verdict.sampled },
            "evidently": { "method": verdict.evidently_method, "score": verdict.evidently_score, "drifted": verdict.evidently_drifted },
            "agree": verdict.agree(),
        })).collect::<Vec<_>>(),
        "goals": {
            "speedup": SPEEDUP_GOAL,
            "speedup_met": figures.speed_met,
            "speedup_compares": "the drift report: Evidently's Report.run on DataFrames / Vigil's drift report process",
            "csv_to_report_speedup_met": figures.csv_speed_met,
            "compare_seconds": figures.compare,
            "compare_speedup": figures.compare_speedup,
            "compare_verdicts_agree": figures.compare_agreeing,
            "verdicts_agree": figures.agreeing,
            "verdicts_total": verdicts.len(),
            "verdicts_met": figures.verdicts_met,
        },
    })
}

/// Prints the data, times, ratios, verdicts and goals, and writes the JSON to `--out` if given.
fn report(options: &Options, outcome: &Outcome) -> Result<(), String> {
    let verdicts = verdicts(options, &outcome.vigil_report, &outcome.evidently);
    let compared = self::verdicts(options, &outcome.compare_report, &outcome.evidently);
    let figures = Figures::of(outcome, &verdicts, &compared);
    let sampled = sampled(&verdicts);
    print_data(options, &outcome.data, &sampled);
    print_times(outcome, &figures);
    print_ratios(&figures);
    print_verdicts(&verdicts, &outcome.vigil_report);
    print_goals(&figures, verdicts.len());
    let Some(out) = &options.out else { return Ok(()) };
    crate::write_results(out, &results(options, outcome, &figures, &verdicts, &sampled))
}
