//! The rollouts benchmark (issue 14): how fast a failing canary is rolled back, and what measuring
//! rollouts' gates costs the poller.
//!
//! 1. Time to roll back ([`rollback`]): a bad canary on the demo fleet, rolled out N times, each
//!    timed from the stored poll that failed it to the router confirmed back at 100 % stable;
//!    the median and the worst, beside what Flagger's defaults would take for the same failure
//!    (an analysis every minute, rolled back at the fifth failed check: 300 s).
//! 2. Gate evaluation cost ([`gate_cost`]): `vigil collect` on the poller benchmark's loopback
//!    targets, its share of one core without rollouts and with R rollouts under way, in
//!    alternating runs, and the ratio.
//!
//! Usage: `vigil-bench rollouts [--quick] [--out FILE] [--rollbacks N] [--targets N]
//! [--rollouts R] [--interval S] [--seconds S] [--warmup S] [--runs K] [--vigil PATH]`.
//! Defaults: 10 rollbacks; 1000 targets every 5 s, 100 rollouts, 2 runs of each kind measured
//! for 60 s after 10 s of start-up (`--quick`: 3 rollbacks; 200 targets, 20 rollouts, 5 s after
//! 2 s); the `vigil` binary beside this one.

mod gate_cost;
mod rollback;
mod router;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use crate::collect_cost::{self, Run};
use crate::goal::{self, Goal};
use rollback::Rollback;

/// The goals of issue 14: a failing canary rolled back within this long of the poll that
/// failed it ...
const MAX_ROLLBACK: Duration = Duration::from_secs(1);
/// ... and gates measured for 100 rollouts at every poll costing the poller at most this much
/// more CPU.
const MAX_CPU_INCREASE: f64 = 0.10;
/// Flagger's defaults: an analysis every minute, rolled back after 5 failed checks.
const FLAGGER_INTERVAL_S: f64 = 60.0;
const FLAGGER_THRESHOLD: f64 = 5.0;

struct Options {
    out: Option<PathBuf>,
    rollbacks: usize,
    rollouts: usize,
    cost: collect_cost::Options,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let beside_this = std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join("vigil")));
    let mut options = Options {
        out: None,
        rollbacks: if quick { 3 } else { 10 },
        rollouts: if quick { 20 } else { 100 },
        cost: collect_cost::Options {
            targets: if quick { 200 } else { 1000 },
            interval: Duration::from_secs(5),
            warmup: Duration::from_secs(if quick { 2 } else { 10 }),
            measured: Duration::from_secs(if quick { 5 } else { 60 }),
            runs: 2,
            vigil: beside_this.unwrap_or_else(|| PathBuf::from("vigil")),
        },
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let seconds = |text: String| match text.parse::<f64>() {
            Ok(seconds) if seconds > 0.0 && seconds.is_finite() => Ok(Duration::from_secs_f64(seconds)),
            _ => Err(format!("{flag} needs a number of seconds, not {text}")),
        };
        let count = |text: String| {
            text.parse::<usize>().ok().filter(|n| *n > 0).ok_or(format!("{flag} needs a count, not {text}"))
        };
        match flag.as_str() {
            "--out" => options.out = Some(value()?.into()),
            "--rollbacks" => options.rollbacks = count(value()?)?,
            "--targets" => options.cost.targets = count(value()?)?,
            "--rollouts" => options.rollouts = count(value()?)?,
            "--interval" => options.cost.interval = seconds(value()?)?,
            "--seconds" => options.cost.measured = seconds(value()?)?,
            "--warmup" => options.cost.warmup = seconds(value()?)?,
            "--runs" => options.cost.runs = count(value()?)?,
            "--vigil" => options.cost.vigil = value()?.into(),
            other => return Err(format!("unknown argument {other}; {}", crate::USAGE)),
        }
    }
    if options.rollouts > options.cost.targets {
        return Err(format!("--rollouts {} needs at least as many --targets", options.rollouts));
    }
    if !options.cost.vigil.exists() {
        return Err(format!(
            "{} is missing: build it with `cargo build --release -p vigil-cli` (make bench does), or pass --vigil PATH",
            options.cost.vigil.display()
        ));
    }
    Ok(options)
}

/// Runs the rollouts benchmark with the command-line arguments that follow `rollouts`.
pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|error| format!("cannot start tokio: {error}"))?;
    let dir = tempfile::Builder::new()
        .prefix("vigil-bench-rollouts-")
        .tempdir()
        .map_err(|error| format!("cannot make a temporary folder: {error}"))?;
    let outcome = runtime.block_on(async {
        println!("Time to roll back: the demo fleet's bad canary (fraud 13 over 12), {} rollouts ...", options.rollbacks);
        let rollbacks = rollback::measure(options.rollbacks, dir.path()).await?;
        let cost = &options.cost;
        println!(
            "\nGate evaluation cost: {} targets every {} s, without and with {} rollouts under way, {} runs of each ...",
            cost.targets,
            cost.interval.as_secs_f64(),
            options.rollouts,
            cost.runs
        );
        let runs = gate_cost::measure(cost, options.rollouts, dir.path()).await?;
        Ok::<_, String>((rollbacks, runs))
    });
    match outcome {
        Ok((rollbacks, runs)) => report(&options, &rollbacks, &runs),
        Err(error) => {
            let kept = dir.keep();
            Err(format!("{error}\n(the databases and logs are kept in {})", kept.display()))
        }
    }
}

/// The median and the worst of `times`.
fn median_and_worst(times: &[Duration]) -> (Duration, Duration) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let middle = sorted.len() / 2;
    let median =
        if sorted.len() % 2 == 0 && middle > 0 { (sorted[middle - 1] + sorted[middle]) / 2 } else { sorted[middle] };
    (median, sorted[sorted.len() - 1])
}

fn report(options: &Options, rollbacks: &[Rollback], runs: &[Run]) -> Result<(), String> {
    let times: Vec<Duration> = rollbacks.iter().map(|rollback| rollback.time).collect();
    let (median, worst) = median_and_worst(&times);
    let flagger_s = FLAGGER_INTERVAL_S * FLAGGER_THRESHOLD;
    let flagger_ratio = flagger_s / median.as_secs_f64().max(1e-3);
    println!(
        "\nTime to roll back ({} rollouts, polls every {} ms): median {} ms, worst {} ms",
        rollbacks.len(),
        rollback::POLL_EVERY.as_millis(),
        median.as_millis(),
        worst.as_millis()
    );
    println!(
        "Flagger's defaults for the same failure: analysis every {FLAGGER_INTERVAL_S:.0} s × threshold {FLAGGER_THRESHOLD:.0} = \
         {flagger_s:.0} s, {flagger_ratio:.0}× Vigil's median"
    );

    let cost = &options.cost;
    let (without, with) = (collect_cost::mean_share(runs, false), collect_cost::mean_share(runs, true));
    let ratio = with / without;
    let measured = runs.iter().filter(|run| run.with).map(|run| run.served).min().unwrap_or(0);
    println!(
        "Gate evaluation cost ({} targets every {} s): vigil collect {:.1} % of one core without rollouts, {:.1} % with {} \
         under way; {ratio:.3}× ({:+.1} %)",
        cost.targets,
        cost.interval.as_secs_f64(),
        without * 100.0,
        with * 100.0,
        options.rollouts,
        (ratio - 1.0) * 100.0
    );
    println!();
    let goals = goal::print(&[
        Goal::new(
            format!(
                "failing canary rolled back within {} ms of the poll that failed it (worst)",
                MAX_ROLLBACK.as_millis()
            ),
            worst <= MAX_ROLLBACK,
            format!("median {} ms, worst {} ms of {}", median.as_millis(), worst.as_millis(), rollbacks.len()),
        ),
        Goal::none(
            "Flagger's defaults for the same failure / Vigil's median",
            format!("{flagger_s:.0} s, {flagger_ratio:.0}x"),
        ),
        Goal::new(
            format!(
                "{} rollouts under way cost the poller of {} targets under {:.0} % more CPU",
                options.rollouts,
                cost.targets,
                MAX_CPU_INCREASE * 100.0
            ),
            ratio < 1.0 + MAX_CPU_INCREASE && measured == options.rollouts,
            format!(
                "{:.1} % against {:.1} % of one core, {:+.1} %; fewest rollouts measured in a run: {measured} of {}",
                with * 100.0,
                without * 100.0,
                (ratio - 1.0) * 100.0,
                options.rollouts
            ),
        ),
    ]);
    let results = json!({
        "benchmark": "rollouts: time to roll back, gate evaluation cost",
        "machine": crate::machine(),
        "rollback": {
            "setup": "demo fleet, scenario bad-canary (fraud 13 fails 40 %), 300 rps peak; engine in-process polling fraud every \
                      200 ms; plan 10 % (1 s) → 50 % → 100 %, error share ≤ 5 % over ≥ 10 requests, failure_limit 1, rollback",
            "method": "rollout.ended_at (router confirmed at 100 % stable, read back) minus rollout.failed_at_ms (the stored poll \
                       that failed it); the router then read again by the benchmark",
            "times_ms": times.iter().map(|time| time.as_secs_f64() * 1e3).collect::<Vec<_>>(),
            "median_ms": median.as_secs_f64() * 1e3,
            "worst_ms": worst.as_secs_f64() * 1e3,
            "started_to_rolled_back_ms": rollbacks.iter().map(|r| r.started_to_ended.as_secs_f64() * 1e3).collect::<Vec<_>>(),
            "flagger_defaults_s": flagger_s,
            "flagger_over_vigil_median": flagger_ratio,
        },
        "gate_cost": {
            "setup": {
                "targets": cost.targets,
                "rollouts": options.rollouts,
                "interval_s": cost.interval.as_secs_f64(),
                "warmup_s": cost.warmup.as_secs_f64(),
                "measured_s": cost.measured.as_secs_f64(),
                "runs_each": cost.runs,
            },
            "method": "utime + stime of vigil collect from /proc/PID/stat over each measured window, divided by its wall time; \
                       runs alternate without / with, each a fresh vigil collect",
            "runs": runs.iter().map(|run| json!({
                "with_rollouts": run.with,
                "cpu_share_of_one_core": run.share(),
                "window_s": run.window.as_secs_f64(),
                "rollouts_measured_by_run": run.served,
            })).collect::<Vec<Value>>(),
            "mean_cpu_share_without": without,
            "mean_cpu_share_with": with,
            "with_over_without": ratio,
        },
        "goals": goals,
    });
    match &options.out {
        Some(out) => crate::write_results(out, &results),
        None => Ok(()),
    }
}
