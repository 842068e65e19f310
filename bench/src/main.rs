//! `vigil-bench`: Vigil's benchmarks, each measured side by side with a reference in the same
//! run, so the ratio holds whatever else the machine is doing.
//!
//! - `vigil-bench parser [--out FILE] [--seconds S]`: the exposition parser beside other
//!   parsers and a naive tokenizer ([`parser`]).
//! - `vigil-bench poller [--out FILE] [--targets N] [--interval S] [--seconds S] ...`: the
//!   `vigil collect` poller beside Prometheus, both scraping the same loopback targets
//!   ([`poller`]).
//! - `vigil-bench dashboard [--out FILE] [--models N] [--days D] [--iterations K] [--keep]`: the
//!   engine queries behind the dashboard (a model's 30-day chart, the fleet overview) on a month
//!   of stored metrics, beside the chart's hourly means read from raw points ([`dashboard`]).
//! - `vigil-bench drift [--out FILE] [--rows N] [--features F] [--vigil PATH] [--python PATH]
//!   [--keep]`: a full drift report on generated reference and current CSV files beside
//!   Evidently's data drift preset on the same files, time, memory and verdicts ([`drift`]).
//! - `vigil-bench ingest [--out FILE] [--seconds S] [--warmup S] [--reference-seconds S]
//!   [--connections N] [--max-events N]`: the drift ingest endpoint on one core, fed KServe
//!   CloudEvents over loopback, beside a bare axum route and the generator's own ceiling, and
//!   whether the stored profiles keep up ([`ingest`]).
//! - `vigil-bench window [--out FILE] [--points N] [--minutes M] [--desktop PATH]`: the real
//!   window's first overview, a 100,000-point chart beside a bare canvas line, and its memory
//!   on the demo fleet ([`window`]).
//! - `vigil-bench rollouts [--out FILE] [--rollbacks N] [--targets N] [--rollouts R] [--interval S]
//!   [--seconds S] [--warmup S] [--runs K] [--vigil PATH]`: the time to roll a failing canary back
//!   on the demo fleet beside Flagger's defaults, and the poller's CPU with and without rollouts
//!   under way ([`rollouts`]).
//! - `vigil-bench loadgen [--out FILE] [--seconds S] [--period P] [--periods K] [--rate R]
//!   [--connections N] [--wrk PATH] [--fixed-rate R] [--fixed-seconds S] [--rounds K]
//!   [--hey-workers C] [--hey PATH]`: Vigil's open-loop load generator beside wrk on the same
//!   loopback server: requests/s at saturation, and the p99 each reports against a server that
//!   stalls 1 s every P seconds; then beside hey at a fixed rate below saturation, p50 and p99
//!   ([`loadgen`]).
//! - `vigil-bench anomaly [--out FILE] [--weeks W] [--seeds N] [--minutes M] [--k K]`: the
//!   seasonal anomaly baseline walking forward through seeded series of traffic, latency and
//!   error share with injected spikes, level shifts and missed daily peaks, precision and recall
//!   beside a static threshold tuned on each series' first week ([`anomaly`]).
//! - `vigil-bench alerts [--out FILE] [--samples N] [--interval S] [--group-wait S] [--targets N]
//!   [--rules R] [--seconds S] [--warmup S] [--runs K] [--vigil PATH]`: a stored breach to the
//!   webhook's notification beside one poll interval plus the group wait, and the poller's CPU
//!   with and without alert rules ([`alerts`]).
//!
//! - `vigil-bench team [--out FILE] [--desktops N] [--changes M]`: N desktops' engines on one
//!   PostgreSQL, the time until each sees another's change, and the database's CPU ([`team`]).
//!
//! - `vigil-bench scale [--out FILE] [--targets N] [--interval S] [--seconds S] [--vigil PATH]
//!   [--prometheus PATH]`: one `vigil collect` following 5,000 model servers through a real
//!   Prometheus that scrapes them, beside Prometheus' own CPU for the scraping ([`scale`]).
//!
//! - `vigil-bench crash [--out FILE] [--kills K] [--vigil PATH]`: `vigil collect` killed with
//!   SIGKILL mid-write K times: integrity, nothing acknowledged lost, and the next start beside a
//!   start after a clean stop ([`crash`]).
//!
//! - `vigil-bench hostile [--out FILE] [--seconds S] [--vigil PATH]`: `vigil collect` polling 10
//!   healthy servers beside 100 hostile ones for 10 minutes, beside the 10 alone: healthy lag,
//!   CPU, peak memory, panics, and each hostile server's state ([`hostile`]).
//!
//! Each takes `--quick`: the same measurement at a short size (`make bench-quick` runs all
//! fifteen so in a few minutes); flags after it change its sizes again. Each ends with its figures held
//! to their goals, PASS or MISS ([`goal`]).

mod alerts;
mod anomaly;
mod collect_cost;
mod crash;
mod dashboard;
mod drift;
mod goal;
mod hostile;
mod ingest;
mod loadgen;
mod parity;
mod parser;
mod payload;
mod poller;
mod random;
mod rollouts;
mod scale;
mod team;
mod window;

use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "usage: vigil-bench parser [--quick] [--out FILE] [--seconds S]\n       vigil-bench poller [--quick] \
                     [--out FILE] [--targets N] [--interval S] [--seconds S] [--warmup S] [--vigil PATH] [--prometheus PATH]\n       \
                     vigil-bench dashboard [--quick] [--out FILE] [--models N] [--days D] [--iterations K] [--keep]\n       \
                     vigil-bench drift [--quick] [--out FILE] [--rows N] [--features F] [--vigil PATH] [--python PATH] [--keep]\n       \
                     vigil-bench ingest [--quick] [--out FILE] [--seconds S] [--warmup S] [--reference-seconds S] \
                     [--connections N] [--max-events N]\n       \
                     vigil-bench window [--quick] [--out FILE] [--points N] [--minutes M] [--desktop PATH]\n       \
                     vigil-bench rollouts [--quick] [--out FILE] [--rollbacks N] [--targets N] [--rollouts R] [--interval S] \
                     [--seconds S] [--warmup S] [--runs K] [--vigil PATH]\n       \
                     vigil-bench loadgen [--quick] [--out FILE] [--seconds S] [--period P] [--periods K] [--rate R] \
                     [--connections N] [--wrk PATH] [--fixed-rate R] [--fixed-seconds S] [--rounds K] [--hey-workers C] [--hey PATH]\n       \
                     vigil-bench alerts [--quick] [--out FILE] [--samples N] [--interval S] [--group-wait S] [--targets N] \
                     [--rules R] [--seconds S] [--warmup S] [--runs K] [--vigil PATH]\n       \
                     vigil-bench anomaly [--quick] [--out FILE] [--weeks W] [--seeds N] [--minutes M] [--k K]\n       \
                     vigil-bench parity [--quick] [--out FILE] [--rows N] [--seconds S]\n       \
                     vigil-bench team [--quick] [--out FILE] [--desktops N] [--changes M]\n       \
                     vigil-bench scale [--quick] [--out FILE] [--targets N] [--interval S] [--seconds S] [--vigil PATH] [--prometheus PATH]\n       \
                     vigil-bench crash [--quick] [--out FILE] [--kills K] [--vigil PATH]\n       \
                     vigil-bench hostile [--quick] [--out FILE] [--seconds S] [--vigil PATH]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let outcome = match args.next().as_deref() {
        Some("parser") => parser::run(args),
        Some("poller") => poller::run(args),
        Some("dashboard") => dashboard::run(args),
        Some("drift") => drift::run(args),
        Some("ingest") => ingest::run(args),
        Some("window") => window::run(args),
        Some("rollouts") => rollouts::run(args),
        Some("loadgen") => loadgen::run(args),
        Some("alerts") => alerts::run(args),
        Some("anomaly") => anomaly::run(args),
        Some("parity") => parity::run(args),
        Some("team") => team::run(args),
        Some("scale") => scale::run(args),
        Some("crash") => crash::run(args),
        Some("hostile") => hostile::run(args),
        _ => Err(USAGE.to_owned()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vigil-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Takes `--quick` out of a benchmark's arguments: whether it was given, and the other arguments
/// in their order.
fn quick(args: impl Iterator<Item = String>) -> (bool, std::vec::IntoIter<String>) {
    let (quick, others): (Vec<String>, Vec<String>) = args.partition(|arg| arg == "--quick");
    (!quick.is_empty(), others.into_iter())
}

/// The machine a benchmark ran on: its CPUs, and its load average at the end (how busy it was).
fn machine() -> serde_json::Value {
    serde_json::json!({
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "load_average_at_end": std::fs::read_to_string("/proc/loadavg").ok().map(|l| l.trim().to_string()),
    })
}

/// Writes a benchmark's figures as pretty JSON to `out`, creating its folder.
fn write_results(out: &Path, results: &serde_json::Value) -> Result<(), String> {
    if let Some(folder) = out.parent() {
        std::fs::create_dir_all(folder).map_err(|error| format!("cannot create {}: {error}", folder.display()))?;
    }
    let text = serde_json::to_string_pretty(results).map_err(|error| format!("results as JSON: {error}"))? + "\n";
    std::fs::write(out, text).map_err(|error| format!("cannot write {}: {error}", out.display()))?;
    println!("\nResults written to {}", out.display());
    Ok(())
}
