//! Gate measurements: what the candidate and the stable revision did since the step began, read
//! from the stored golden signals, and each gate's verdict with the measured value next to its
//! threshold. A measurement is kept as the rollout's evidence and, when it decides something,
//! on the audit trail. The cost per 1,000 predictions is the cost report's (`cost::report`), over
//! the step; a model whose servers have no price is inconclusive, saying how to set one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use ts_rs::TS;

use super::plan::{Gate, Metric, Plan};
use crate::cost::report::{revision_per_thousand, Priced};
use crate::points::signal;
use crate::Result;

/// The outcome of one gate, or of a whole measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// Too few requests (or no stable to compare with) to say.
    Inconclusive,
}

/// What one revision did over a span of polls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Window {
    pub requests: f64,
    pub errors: f64,
    /// Request-weighted means of the per-poll quantiles, in seconds.
    pub p99_s: Option<f64>,
    pub p50_s: Option<f64>,
    /// Dollars per 1,000 successful predictions, where a gate asks for it and it is known.
    #[serde(default)]
    #[ts(optional = nullable)]
    pub cost_per_thousand: Option<f64>,
}

impl Window {
    fn value(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::ErrorShare => (self.requests > 0.0).then(|| self.errors / self.requests),
            Metric::P99S => self.p99_s,
            Metric::P50S => self.p50_s,
            Metric::CostPerThousand => self.cost_per_thousand,
            Metric::DriftShare | Metric::ParityShare => None,
        }
    }
}

/// One gate's result: the measured value next to the threshold it had to keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GateResult {
    pub gate: Gate,
    /// The candidate's value (the model's, for drift).
    pub measured: Option<f64>,
    /// The stable revision's value over the same polls, where the gate compares with it.
    pub stable: Option<f64>,
    /// The bound in force: `max`, or `max_vs_stable` × the stable's value, whichever is lower.
    pub threshold: Option<f64>,
    pub verdict: Verdict,
    /// Why it could not be judged, where that is something a person must do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
}

/// What a measurement knows of the model as a whole, beside its revisions' windows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelFacts {
    /// The share of its features drifted in its latest drift report.
    pub drift_share: Option<f64>,
    /// Whether its servers have a price (a placement), so that cost can be judged.
    pub priced: bool,
    /// The candidate's newest parity check, where a gate asks for it.
    pub parity: Option<ParityEvidence>,
}

/// The parity check a parity gate judged, kept in the rollout's evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ParityEvidence {
    /// The stored report (`vigil parity list MODEL`).
    #[ts(type = "number")]
    pub report: i64,
    pub golden_file: String,
    #[ts(type = "number")]
    pub matched: u64,
    #[ts(type = "number")]
    pub checked: u64,
    #[ts(type = "number")]
    pub rows: u64,
    /// Whether it checked every row, uncancelled.
    pub complete: bool,
    pub sentence: String,
}

/// The reason a cost gate gives when the model's servers have no price.
pub const UNPRICED: &str = "no price is set for the model's server: set its instance type with \
     vigil cost place SERVER --instance PROVIDER/REGION/TYPE (or the server's instance label)";

/// One measurement of a rollout's step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Evidence {
    pub at: DateTime<Utc>,
    /// The newest stored poll it read, in Unix ms.
    #[ts(type = "number")]
    pub poll_ms: i64,
    pub candidate: Window,
    pub stable: Window,
    pub gates: Vec<GateResult>,
    pub verdict: Verdict,
    /// The parity check a parity gate judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub parity: Option<ParityEvidence>,
}

impl Evidence {
    /// The failing gates in words: "error share 41.2 % > 5.0 %".
    pub fn failures(&self) -> Vec<String> {
        self.gates.iter().filter(|g| g.verdict == Verdict::Fail).map(describe).collect()
    }
}

/// A gate's result in words.
pub fn describe(result: &GateResult) -> String {
    let value = |v: Option<f64>| v.map_or("—".to_owned(), |v| format_value(result.gate.metric, v));
    let (metric, measured, threshold) = (result.gate.metric.words(), value(result.measured), value(result.threshold));
    match result.verdict {
        Verdict::Pass if result.gate.min.is_some() => format!("{metric} {measured} ≥ {threshold}"),
        Verdict::Fail if result.gate.min.is_some() => format!("{metric} {measured} < {threshold}"),
        Verdict::Pass => format!("{metric} {measured} ≤ {threshold}"),
        Verdict::Fail => format!("{metric} {measured} > {threshold}"),
        Verdict::Inconclusive => match &result.reason {
            Some(reason) => format!("{metric} not judged: {reason}"),
            None => format!("{metric} {measured}, not yet judged against {threshold}"),
        },
    }
}

fn format_value(metric: Metric, value: f64) -> String {
    match metric {
        Metric::ErrorShare | Metric::DriftShare => format!("{:.1} %", value * 100.0),
        Metric::P99S | Metric::P50S => format!("{:.0} ms", value * 1000.0),
        Metric::CostPerThousand => format!("${value:.4}"),
        Metric::ParityShare => crate::parity::share::share_words(value),
    }
}

/// Judges the windows against the plan's gates. Fewer candidate requests than the plan's
/// minimum make the whole measurement inconclusive; else any failed gate fails it.
pub fn judge(plan: &Plan, candidate: Window, stable: Window, model: &ModelFacts) -> (Vec<GateResult>, Verdict) {
    let results: Vec<GateResult> = plan.gates.iter().map(|gate| judge_gate(gate, &candidate, &stable, model)).collect();
    let verdict = if candidate.requests < plan.min_requests as f64 {
        Verdict::Inconclusive
    } else if results.iter().any(|r| r.verdict == Verdict::Fail) {
        Verdict::Fail
    } else if results.iter().any(|r| r.verdict == Verdict::Inconclusive) {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    };
    (results, verdict)
}

fn judge_gate(gate: &Gate, candidate: &Window, stable: &Window, model: &ModelFacts) -> GateResult {
    if gate.metric == Metric::ParityShare {
        return judge_parity(gate, model.parity.as_ref());
    }
    let (measured, stable_value) = match gate.metric {
        Metric::DriftShare => (model.drift_share, None),
        metric => (candidate.value(metric), stable.value(metric)),
    };
    let relative = gate.max_vs_stable.and_then(|factor| stable_value.map(|s| factor * s));
    let threshold = match (gate.max, relative) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    // A relative bound with no stable to compare with cannot be judged on its own, nor a cost
    // with no price.
    let unpriced = gate.metric == Metric::CostPerThousand && !model.priced;
    let unjudged = (gate.max.is_none() && relative.is_none()) || unpriced;
    let verdict = match (measured, threshold) {
        (Some(value), Some(bound)) if !unjudged => {
            if value <= bound + f64::EPSILON {
                Verdict::Pass
            } else if gate.metric == Metric::ErrorShare && wilson_lower(candidate.errors, candidate.requests) <= bound {
                // Above the bound, but too few requests to be sure: one failed request in ten
                // is not a canary failing ten times as often.
                Verdict::Inconclusive
            } else {
                Verdict::Fail
            }
        }
        _ => Verdict::Inconclusive,
    };
    let reason = unpriced.then(|| UNPRICED.to_owned());
    GateResult { gate: gate.clone(), measured, stable: stable_value, threshold, verdict, reason }
}

/// A parity gate: the candidate's newest complete check must have matched at least `min` of
/// its golden rows; without one, it waits (inconclusive) and says how to run one.
fn judge_parity(gate: &Gate, parity: Option<&ParityEvidence>) -> GateResult {
    let measured = parity.filter(|p| p.complete && p.checked > 0).map(|p| p.matched as f64 / p.checked as f64);
    let verdict = match (measured, gate.min) {
        (Some(share), Some(min)) if share + f64::EPSILON >= min => Verdict::Pass,
        (Some(_), Some(_)) => Verdict::Fail,
        _ => Verdict::Inconclusive,
    };
    let reason = match parity {
        None => Some(NO_PARITY.to_owned()),
        Some(p) if !p.complete => {
            Some(format!("its newest parity check stopped after {} of {} rows: run it again", p.checked, p.rows))
        }
        Some(_) => None,
    };
    GateResult { gate: gate.clone(), measured, stable: None, threshold: gate.min, verdict, reason }
}

/// The reason a parity gate gives when the candidate was never checked.
pub const NO_PARITY: &str =
    "the candidate has no parity check: run vigil parity run MODEL --revision VERSION --golden FILE";

/// The lower end of the 95 % Wilson score interval of a share of `errors` in `requests`: the
/// least error share that is still likely given what was seen.
pub fn wilson_lower(errors: f64, requests: f64) -> f64 {
    if requests <= 0.0 {
        return 0.0;
    }
    let (z, share) = (1.96_f64, (errors / requests).clamp(0.0, 1.0));
    let z2 = z * z;
    let centre = share + z2 / (2.0 * requests);
    let spread = z * (share * (1.0 - share) / requests + z2 / (4.0 * requests * requests)).sqrt();
    ((centre - spread) / (1.0 + z2 / requests)).max(0.0)
}

/// What `version` of `model` did in the polls stored after `since_ms` (on every server serving
/// it), and the newest poll time read.
///
/// One query, summed in SQLite: each poll (a server at a time) gives its requests, errors, p99 and
/// p50; the window adds the requests and errors of every poll, and weighs each poll's quantiles
/// by its requests where it had some. One row comes back however long the step has lasted.
pub async fn window(conn: &mut AnyConnection, model: &str, version: &str, since_ms: i64) -> Result<(Window, i64)> {
    type Sums = (Option<f64>, Option<f64>, Option<f64>, Option<f64>, Option<f64>, Option<f64>, Option<i64>);
    // The joins in this order (CROSS JOIN keeps it), so the points are read by their series index.
    let (requests, errors, p99_weighted, p99_weight, p50_weighted, p50_weight, newest_ms): Sums = sqlx::query_as(
        "SELECT SUM(COALESCE(requests, 0)), SUM(COALESCE(errors, 0)),
                SUM(CASE WHEN requests > 0 THEN p99 * requests END),
                SUM(CASE WHEN requests > 0 AND p99 IS NOT NULL THEN requests END),
                SUM(CASE WHEN requests > 0 THEN p50 * requests END),
                SUM(CASE WHEN requests > 0 AND p50 IS NOT NULL THEN requests END),
                MAX(at_ms)
         FROM (SELECT p.at_ms AS at_ms,
                      MAX(CASE WHEN p.signal = $3 THEN p.value END) AS requests,
                      MAX(CASE WHEN p.signal = $4 THEN p.value END) AS errors,
                      MAX(CASE WHEN p.signal = $5 THEN p.value END) AS p99,
                      MAX(CASE WHEN p.signal = $6 THEN p.value END) AS p50
               FROM models m CROSS JOIN revisions r CROSS JOIN metric_points p
               WHERE m.name = $1 AND r.model_id = m.id AND r.version = $2
                 AND p.server_id = m.server_id AND p.revision_id = r.id
                 AND p.signal IN ($3, $4, $5, $6) AND p.at_ms > $7
               GROUP BY p.server_id, p.at_ms) AS polls",
    )
    .bind(model)
    .bind(version)
    .bind(signal::REQUESTS)
    .bind(signal::ERRORS)
    .bind(signal::LATENCY_P99)
    .bind(signal::LATENCY_P50)
    .bind(since_ms)
    .fetch_one(&mut *conn)
    .await?;
    let mean = |weighted: Option<f64>, weight: Option<f64>| match (weighted, weight) {
        (Some(weighted), Some(weight)) if weight > 0.0 => Some(weighted / weight),
        _ => None,
    };
    let window = Window {
        requests: requests.unwrap_or(0.0),
        errors: errors.unwrap_or(0.0),
        p99_s: mean(p99_weighted, p99_weight),
        p50_s: mean(p50_weighted, p50_weight),
        cost_per_thousand: None,
    };
    Ok((window, newest_ms.unwrap_or(since_ms)))
}

/// The candidate's and the stable's cost per 1,000 predictions from `since_ms` to `to_ms`, put
/// in their windows; whether the model's servers have a price (the candidate's, as it is the
/// one judged).
pub async fn add_cost(
    conn: &mut AnyConnection,
    model: &str,
    (candidate, stable): (&str, &str),
    (candidate_window, stable_window): (&mut Window, &mut Window),
    (since_ms, to_ms): (i64, i64),
) -> Result<bool> {
    let priced = |priced: Priced| match priced {
        Priced::Unpriced => (None, false),
        Priced::PerThousand(value) => (value, true),
    };
    let (candidate_cost, is_priced) = priced(revision_per_thousand(conn, (model, candidate), since_ms, to_ms).await?);
    let (stable_cost, _) = priced(revision_per_thousand(conn, (model, stable), since_ms, to_ms).await?);
    candidate_window.cost_per_thousand = candidate_cost;
    stable_window.cost_per_thousand = stable_cost;
    Ok(is_priced)
}

/// The newest parity check of `version` of `model` (on any server), if it has one.
pub async fn parity_of(conn: &mut AnyConnection, model: &str, version: &str) -> Result<Option<ParityEvidence>> {
    let reports = crate::parity::queries::latest_of_model(conn, model).await?;
    let newest = reports.into_iter().filter(|report| report.version == version).max_by_key(|report| report.started_at);
    Ok(newest.map(|report| ParityEvidence {
        report: report.id,
        complete: !report.cancelled && report.checked == report.rows,
        golden_file: report.golden_file,
        matched: report.matched,
        checked: report.checked,
        rows: report.rows,
        sentence: report.sentence,
    }))
}

/// The share of `model`'s features drifted in its latest drift report, if it has one.
pub async fn drift_share(conn: &mut AnyConnection, model: &str) -> Result<Option<f64>> {
    Ok(sqlx::query_scalar("SELECT drifted_share FROM drift_reports WHERE model = $1 ORDER BY computed_at DESC LIMIT 1")
        .bind(model)
        .fetch_optional(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(requests: f64, errors: f64, p99: f64) -> Window {
        Window { requests, errors, p99_s: Some(p99), p50_s: Some(p99 / 4.0), cost_per_thousand: None }
    }

    #[test]
    fn a_failing_canary_fails_with_its_value_next_to_the_threshold() {
        let plan = Plan::default();
        let (results, verdict) =
            judge(&plan, window(100.0, 40.0, 0.5), window(900.0, 9.0, 0.4), &ModelFacts::default());
        assert_eq!(verdict, Verdict::Fail);
        assert_eq!(describe(&results[0]), "error share 40.0 % > 5.0 %");
        assert_eq!(describe(&results[1]), "p99 latency 500 ms ≤ 600 ms", "1.5 × the stable's 400 ms");
    }

    #[test]
    fn an_error_share_above_its_bound_fails_only_once_enough_requests_make_it_sure() {
        let plan = Plan { min_requests: 10, ..Plan::default() };
        let stable = window(900.0, 4.0, 0.1);
        assert_eq!(
            judge(&plan, window(10.0, 1.0, 0.1), stable, &ModelFacts::default()).1,
            Verdict::Inconclusive,
            "1 in 10"
        );
        assert_eq!(judge(&plan, window(10.0, 4.0, 0.1), stable, &ModelFacts::default()).1, Verdict::Fail, "4 in 10");
        assert_eq!(
            judge(&plan, window(400.0, 40.0, 0.1), stable, &ModelFacts::default()).1,
            Verdict::Fail,
            "10 % of 400"
        );
        assert!((wilson_lower(4.0, 10.0) - 0.168).abs() < 0.001, "{}", wilson_lower(4.0, 10.0));
    }

    #[test]
    fn too_few_requests_or_no_stable_to_compare_with_is_inconclusive_not_passed() {
        let plan = Plan::default();
        assert_eq!(
            judge(&plan, window(5.0, 0.0, 0.1), window(900.0, 0.0, 0.1), &ModelFacts::default()).1,
            Verdict::Inconclusive
        );
        let (results, verdict) = judge(&plan, window(100.0, 0.0, 0.1), Window::default(), &ModelFacts::default());
        assert_eq!(results[1].verdict, Verdict::Inconclusive, "p99 relative to a stable that served nothing");
        assert_eq!(verdict, Verdict::Inconclusive);
        assert_eq!(
            judge(&plan, window(100.0, 1.0, 0.1), window(900.0, 9.0, 0.1), &ModelFacts::default()).1,
            Verdict::Pass
        );
    }

    #[test]
    fn a_candidate_dearer_than_10_percent_over_the_stable_fails_and_an_unpriced_model_says_what_to_do() {
        let plan = Plan {
            gates: vec![Gate { metric: Metric::CostPerThousand, max: None, max_vs_stable: Some(1.1), min: None }],
            ..Plan::default()
        };
        let priced = ModelFacts { drift_share: None, priced: true, parity: None };
        let costing = |per_thousand: f64| Window { cost_per_thousand: Some(per_thousand), ..window(900.0, 0.0, 0.1) };
        // Stable $0.0100 per 1,000: the bound is $0.0110. $0.0108 passes; $0.0118 (18 % dearer) fails.
        let (results, verdict) = judge(&plan, costing(0.0108), costing(0.0100), &priced);
        assert_eq!(
            (verdict, describe(&results[0]).as_str()),
            (Verdict::Pass, "cost per 1,000 predictions $0.0108 ≤ $0.0110")
        );
        let (results, verdict) = judge(&plan, costing(0.0118), costing(0.0100), &priced);
        assert_eq!(
            (verdict, describe(&results[0]).as_str()),
            (Verdict::Fail, "cost per 1,000 predictions $0.0118 > $0.0110")
        );
        let (results, verdict) = judge(&plan, window(900.0, 0.0, 0.1), window(900.0, 0.0, 0.1), &ModelFacts::default());
        assert_eq!(verdict, Verdict::Inconclusive);
        assert!(describe(&results[0]).contains("set its instance type with vigil cost place"), "{results:?}");
    }

    #[test]
    fn a_parity_gate_needs_a_complete_check_matching_at_least_its_share() {
        let gate = Gate { metric: Metric::ParityShare, max: None, max_vs_stable: None, min: Some(0.999) };
        let plan = Plan { gates: vec![gate], ..Plan::default() };
        let check = |matched, checked, rows| ParityEvidence {
            report: 1,
            golden_file: "golden.csv".into(),
            matched,
            checked,
            rows,
            complete: checked == rows,
            sentence: String::new(),
        };
        let judged = |parity: Option<ParityEvidence>| {
            let facts = ModelFacts { parity, ..ModelFacts::default() };
            judge(&plan, window(100.0, 0.0, 0.1), window(900.0, 0.0, 0.1), &facts)
        };
        let (results, verdict) = judged(Some(check(1000, 1000, 1000)));
        assert_eq!(
            (verdict, describe(&results[0]).as_str()),
            (Verdict::Pass, "parity on the golden set 100 % ≥ 99.9 %")
        );
        let (results, verdict) = judged(Some(check(997, 1000, 1000)));
        assert_eq!(
            (verdict, describe(&results[0]).as_str()),
            (Verdict::Fail, "parity on the golden set 99.7 % < 99.9 %")
        );
        let (results, verdict) = judged(None);
        assert_eq!(verdict, Verdict::Inconclusive, "no check yet: the step waits");
        assert_eq!(results[0].reason.as_deref(), Some(NO_PARITY));
        let (results, verdict) = judged(Some(check(500, 500, 1000)));
        assert_eq!(verdict, Verdict::Inconclusive, "a cancelled check proves nothing");
        assert!(results[0].reason.as_deref().unwrap().contains("stopped after 500 of 1000 rows"));
    }
}
