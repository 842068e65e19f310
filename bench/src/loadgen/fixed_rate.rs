//! The fixed-rate part of the load generator benchmark: Vigil's generator and `hey` at the same
//! rate below saturation, alternately, on an endpoint answering in 5 ms (hey reads latencies in
//! steps of 100 µs, too coarse for 10 % of a sub-millisecond answer); their p50 and p99 against
//! issue 15's goal (within 10 %, the difference in µs beside it), and whether each held the rate.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use vigil_core::loadgen::{LoadResult, Quantiles};

use super::hey::{self, HeyPlan, HeyRun};
use super::{ms, result_json, run_vigil, vigil_plan, Cores, Options, Server};
use crate::goal::Goal;

/// Issue 15's goal: Vigil's p50 and p99 at a fixed rate within this share of hey's.
const GOAL_FIXED_RATE_AGREEMENT: f64 = 0.10;
/// A fixed-rate run held its rate when its achieved rate is within this share of the target.
const RATE_HELD: f64 = 0.05;

/// One round at the fixed rate: Vigil's run, then hey's.
struct Round {
    vigil: LoadResult,
    hey: HeyRun,
}

/// Every round.
pub(super) struct FixedRate {
    rounds: Vec<Round>,
}

impl FixedRate {
    /// The mean of `figure` over the rounds.
    fn mean(&self, figure: impl Fn(&Round) -> f64) -> f64 {
        self.rounds.iter().map(figure).sum::<f64>() / self.rounds.len().max(1) as f64
    }

    /// The lowest of `figure` over the rounds.
    fn lowest(&self, figure: impl Fn(&Round) -> f64) -> f64 {
        self.rounds.iter().map(figure).fold(f64::INFINITY, f64::min)
    }

    /// Vigil's quantile beside hey's at the fixed rate (the means over the rounds), against the goal.
    pub(super) fn agreement(
        &self,
        options: &Options,
        name: &str,
        vigil: impl Fn(&Quantiles) -> Duration,
        hey: impl Fn(&HeyRun) -> Duration,
    ) -> Goal {
        let vigil_us = self.mean(|round| vigil(&round.vigil.latency).as_secs_f64() * 1e6);
        let hey_us = self.mean(|round| hey(&round.hey).as_secs_f64() * 1e6);
        let ratio = vigil_us / hey_us.max(1.0);
        let goal = format!(
            "Vigil's {name} at {:.0} requests/s within {:.0} % of hey's",
            options.fixed_rate,
            GOAL_FIXED_RATE_AGREEMENT * 100.0
        );
        let measured = format!(
            "{ratio:.2}x: Vigil {vigil_us:.0} µs vs hey {hey_us:.0} µs, {:+.0} µs, mean of {} rounds; \
             hey reads in steps of 100 µs",
            vigil_us - hey_us,
            self.rounds.len()
        );
        Goal::new(goal, (ratio - 1.0).abs() <= GOAL_FIXED_RATE_AGREEMENT, measured)
    }

    /// Whether both tools held the fixed rate in every round: without it the latencies are not comparable.
    pub(super) fn rate_held(&self, options: &Options) -> Goal {
        let vigil = self.lowest(|round| round.vigil.achieved_rate);
        let hey = self.lowest(|round| round.hey.requests_per_s);
        let held = |rate: f64| (rate / options.fixed_rate - 1.0).abs() <= RATE_HELD;
        let every_round =
            self.rounds.iter().all(|round| held(round.vigil.achieved_rate) && held(round.hey.requests_per_s));
        Goal::new(
            format!(
                "Vigil and hey each held {:.0} requests/s within {:.0} % in every round",
                options.fixed_rate,
                RATE_HELD * 100.0
            ),
            every_round,
            format!("lowest: Vigil {vigil:.0}, hey {hey:.0} requests/s"),
        )
    }

    /// The settings and every round's figures.
    pub(super) fn json(&self, options: &Options) -> Value {
        let rounds: Vec<Value> = self
            .rounds
            .iter()
            .map(|round| {
                json!({
                    "vigil": result_json(&round.vigil),
                    "hey": { "requests_per_s": round.hey.requests_per_s, "p50_ms": ms(Some(round.hey.p50)),
                             "p99_ms": ms(Some(round.hey.p99)), "ok": round.hey.ok, "failed": round.hey.failed },
                })
            })
            .collect();
        json!({
            "rate": options.fixed_rate,
            "seconds": options.fixed_length.as_secs_f64(),
            "hey_workers": options.hey_workers,
            "rounds": rounds,
        })
    }
}

/// How long the endpoint takes to answer, in milliseconds: a small model's time.
const ANSWER_DELAY_MS: u64 = 5;

/// Starts the endpoint, then runs the rounds: Vigil, then hey.
pub(super) fn fixed_rate(
    options: &Options,
    cores: &Cores,
    body: &Path,
    runtime: &tokio::runtime::Runtime,
) -> Result<FixedRate, String> {
    let server = Server::start(cores, &["delay", &ANSWER_DELAY_MS.to_string()])?;
    let plan = vigil_plan(&server.url, options.fixed_rate, options.fixed_length, options.connections)?;
    let hey_plan = HeyPlan {
        url: &server.url,
        body,
        workers: options.hey_workers,
        rate: options.fixed_rate,
        length: options.fixed_length,
        timeout: plan.timeout,
    };
    println!(
        "\nA fixed rate below saturation: {:.0} requests/s to an endpoint answering in {ANSWER_DELAY_MS} ms, {:?} each, \
         {} rounds of Vigil then hey ({} workers)",
        options.fixed_rate, options.fixed_length, options.rounds, options.hey_workers
    );
    let mut rounds = Vec::new();
    for round in 1..=options.rounds {
        let vigil = run_vigil(runtime, &plan)?;
        println!(
            "  {round}. Vigil: p50 {:?}, p99 {:?} ({:.0} requests/s, {} errors)",
            vigil.latency.p50,
            vigil.latency.p99,
            vigil.achieved_rate,
            vigil.errors()
        );
        let hey = hey::run(cores.pinned_to_generator(&options.hey), &hey_plan)?;
        println!(
            "  {round}. hey:   p50 {:?}, p99 {:?} ({:.0} requests/s, {} failed)",
            hey.p50, hey.p99, hey.requests_per_s, hey.failed
        );
        rounds.push(Round { vigil, hey });
    }
    Ok(FixedRate { rounds })
}
