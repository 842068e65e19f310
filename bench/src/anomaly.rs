//! The anomaly benchmark (issue 16): the seasonal baseline of `vigil_core::alerts::anomaly`
//! (median and MAD by hour of the week, or of the day while fewer weeks are known) on seeded
//! series with anomalies of known spans ([`series`]: traffic, latency and error share; spikes,
//! level shifts and missed daily peaks), beside a static threshold tuned on the same series.
//!
//! Walking forward: each point is judged against the baseline of the points before it only, and
//! flagged when it departs by more than `k` spreads (`Departure::is_anomaly(k)`). The static
//! threshold is an upper and a lower bound, each at a quantile of the series' first week, the
//! pair with the best F1 on that week ([`scoring::tune_static`]). Both are scored on the weeks
//! after the first ([`scoring`]): an anomaly is found when a point inside its span is flagged, a
//! flag outside every span is a false positive; precision per flagged point, recall per anomaly.
//! Prints found anomalies by metric and kind, precision, recall and F1 of both and the ratio of
//! their F1, and the seasonal detector's figures for other `k`.
//!
//! Usage: `vigil-bench anomaly [--quick] [--out FILE] [--weeks W] [--seeds N] [--minutes M]
//! [--k K]`. Defaults: 6 weeks of 5-minute points, 5 seeds (a series of each metric per seed,
//! 5 anomalies a week each), k = 4; `--quick`: 4 weeks, 2 seeds.

mod scoring;
mod series;

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{json, Value};

use crate::goal::{self, Goal};
use scoring::{seasonal_scores, tune_static, Tally};
use series::{Kind, Metric};

/// The other `k` the seasonal detector is scored at.
const K_SWEEP: [f64; 5] = [3.0, 3.5, 4.0, 5.0, 6.0];

struct Options {
    out: Option<PathBuf>,
    weeks: usize,
    seeds: u64,
    minutes: i64,
    k: f64,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let mut options =
        Options { out: None, weeks: if quick { 4 } else { 6 }, seeds: if quick { 2 } else { 5 }, minutes: 5, k: 4.0 };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let count = |text: String| {
            text.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("{flag} needs a whole number above 0, not {text}"))
        };
        match flag.as_str() {
            "--out" => options.out = Some(value()?.into()),
            "--weeks" => options.weeks = count(value()?)?.max(2),
            "--seeds" => options.seeds = count(value()?)? as u64,
            "--minutes" => {
                let minutes = count(value()?)?;
                if 60 % minutes != 0 {
                    return Err(format!("--minutes divides an hour (1, 2, 5, 10, 15, 30, 60), not {minutes}"));
                }
                options.minutes = minutes as i64;
            }
            "--k" => {
                let text = value()?;
                options.k = text
                    .parse()
                    .ok()
                    .filter(|k: &f64| *k > 0.0)
                    .ok_or(format!("--k needs spreads above 0, not {text}"))?;
            }
            other => return Err(format!("unknown argument {other}; {}", crate::USAGE)),
        }
    }
    Ok(options)
}

/// What both detectors did on one metric over every seed.
struct Scored {
    metric: Metric,
    seasonal: Tally,
    statics: Tally,
    /// The seasonal detector at each of [`K_SWEEP`].
    sweep: Vec<Tally>,
}

/// Runs the anomaly benchmark with the command-line arguments that follow `anomaly`.
pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let step = chrono::Duration::minutes(options.minutes);
    let week = 7 * 24 * 60 / options.minutes as usize;
    println!(
        "Anomaly detection: {} metrics x {} seeds, {} weeks of {}-minute points; week 1 tunes the static \
         threshold, weeks 2-{} are scored",
        Metric::ALL.len(),
        options.seeds,
        options.weeks,
        options.minutes,
        options.weeks
    );
    let started = Instant::now();
    let mut scored = Vec::new();
    for (index, metric) in Metric::ALL.into_iter().enumerate() {
        let mut result = Scored { metric, seasonal: Tally::default(), statics: Tally::default(), sweep: Vec::new() };
        result.sweep = vec![Tally::default(); K_SWEEP.len()];
        for seed in 0..options.seeds {
            let series = series::generate(metric, options.weeks, step, seed * 10 + index as u64);
            let scored_range = week..series.values.len();
            let scores = seasonal_scores(&series);
            let flags_at = |k: f64| scores.iter().map(|s| s.is_some_and(|s| s.abs() > k)).collect::<Vec<bool>>();
            result.seasonal.add(&Tally::of(&flags_at(options.k), &series.anomalies, scored_range.clone()));
            for (tally, k) in result.sweep.iter_mut().zip(K_SWEEP) {
                tally.add(&Tally::of(&flags_at(k), &series.anomalies, scored_range.clone()));
            }
            let bounds = tune_static(&series, 0..week);
            let flags: Vec<bool> = series.values.iter().map(|v| bounds.flags(*v)).collect();
            result.statics.add(&Tally::of(&flags, &series.anomalies, scored_range));
        }
        scored.push(result);
    }
    let seconds = started.elapsed().as_secs_f64();
    let results = report(&options, &scored, seconds);
    match &options.out {
        Some(out) => crate::write_results(out, &results),
        None => Ok(()),
    }
}

fn share(found: usize, of: usize) -> String {
    format!("{found:>4} ({:>3.0} %)", 100.0 * found as f64 / of.max(1) as f64)
}

/// Prints the tables and the goals; returns every figure as JSON.
fn report(options: &Options, scored: &[Scored], seconds: f64) -> Value {
    println!(
        "\n{:<13} {:<19} {:>8}  {:>14}  {:>14}",
        "metric", "anomaly", "injected", "seasonal found", "static found"
    );
    let mut by_kind = Vec::new();
    for result in scored {
        for kind in Kind::ALL {
            let at = scoring::kind_index(kind);
            let injected = result.seasonal.injected[at];
            let (seasonal, statics) = (result.seasonal.found[at], result.statics.found[at]);
            println!(
                "{:<13} {:<19} {injected:>8}  {:>14}  {:>14}",
                result.metric.name(),
                kind.name(),
                share(seasonal, injected),
                share(statics, injected)
            );
            by_kind.push(json!({"metric": result.metric.name(), "kind": kind.name(), "injected": injected,
                "seasonal_found": seasonal, "static_found": statics}));
        }
    }
    let total = |pick: fn(&Scored) -> &Tally| {
        let mut all = Tally::default();
        scored.iter().for_each(|result| all.add(pick(result)));
        all
    };
    let (seasonal, statics) = (total(|r| &r.seasonal), total(|r| &r.statics));
    let figures = |tally: &Tally| {
        json!({"precision": tally.precision(), "recall": tally.recall(), "f1": tally.f1(),
            "true_flags": tally.true_flags, "false_flags": tally.false_flags})
    };
    println!("\n{:<34} {:>9} {:>7} {:>6} {:>12}", "detector", "precision", "recall", "F1", "false flags");
    let line = |name: &str, tally: &Tally| {
        let (p, r, f1) = (tally.precision(), tally.recall(), tally.f1());
        println!("{name:<34} {p:>9.3} {r:>7.3} {f1:>6.3} {:>12}", tally.false_flags);
    };
    line(&format!("seasonal baseline (k = {})", options.k), &seasonal);
    line("static bounds (best F1 on week 1)", &statics);
    for result in scored {
        line(&format!("  seasonal, {}", result.metric.name()), &result.seasonal);
        line(&format!("  static, {}", result.metric.name()), &result.statics);
    }
    let ratio = seasonal.f1() / statics.f1().max(f64::MIN_POSITIVE);
    println!("\nseasonal / static F1: {ratio:.2}x");
    println!("\nThe seasonal baseline at other k:");
    let mut sweep = Vec::new();
    for (at, k) in K_SWEEP.iter().enumerate() {
        let mut all = Tally::default();
        scored.iter().for_each(|result| all.add(&result.sweep[at]));
        line(&format!("  k = {k}"), &all);
        sweep.push(json!({"k": k, "figures": figures(&all)}));
    }
    println!("\n{:.1} s to judge every point against the history before it\n", seconds);
    let goals = goal::print(&[
        Goal::new(
            format!("seasonal baseline's F1 at or above the static threshold's (k = {})", options.k),
            seasonal.f1() >= statics.f1(),
            format!("{:.3} vs {:.3}, {ratio:.2}x", seasonal.f1(), statics.f1()),
        ),
        Goal::none(
            "seasonal baseline precision / recall",
            format!("{:.3} / {:.3}", seasonal.precision(), seasonal.recall()),
        ),
        Goal::none(
            "static threshold precision / recall",
            format!("{:.3} / {:.3}", statics.precision(), statics.recall()),
        ),
    ]);
    json!({
        "benchmark": "anomaly",
        "weeks": options.weeks,
        "seeds": options.seeds,
        "minutes": options.minutes,
        "k": options.k,
        "found": by_kind,
        "seasonal": figures(&seasonal),
        "static": figures(&statics),
        "f1_ratio": ratio,
        "sweep": sweep,
        "seconds": seconds,
        "machine": crate::machine(),
        "goals": goals,
    })
}
