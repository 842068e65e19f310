//! Golden signals: request rate, error rate and latency per model revision, from two scrapes
//! of a server's metrics.
//!
//! A scrape gives cumulative [`Totals`] per revision ([`totals`], through the kind's
//! [`SignalMap`]); two of them, some seconds apart, give [`GoldenSignals`] ([`golden`]).
//! Counters that went down mean the server restarted: the new value is then the increase, so
//! a restart never yields a negative or huge rate (Prometheus' `rate` does the same).

pub mod maps;
pub mod quantile;
pub mod resources;
pub mod totals;

pub use maps::SignalMap;
pub use quantile::histogram_quantile;
pub use totals::{totals, RevisionKey, Totals};

/// What one revision did between two scrapes. A signal the server does not expose, or that
/// had no requests to measure, is None, never 0.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoldenSignals {
    /// Requests counted between the scrapes.
    pub requests: f64,
    /// Failed requests counted between the scrapes; None when the server exposes no errors.
    pub errors: Option<f64>,
    /// Requests per second.
    pub request_rate: f64,
    /// Share of requests that failed, 0 to 1.
    pub error_rate: Option<f64>,
    pub latency_mean_s: Option<f64>,
    pub latency_p50_s: Option<f64>,
    pub latency_p95_s: Option<f64>,
    pub latency_p99_s: Option<f64>,
    /// Mean time a request spent queued, where the server counts it.
    pub queue_mean_s: Option<f64>,
    /// Mean requests per model execution, where the server counts executions (Triton).
    pub batch_mean: Option<f64>,
    /// Gauges as last read (requests in flight, waiting), by stored signal name.
    pub gauges: std::collections::BTreeMap<&'static str, f64>,
}

/// How much a counter grew from `before` to `after`; after a reset, all of `after`.
fn increase(before: f64, after: f64) -> f64 {
    if after >= before {
        after - before
    } else {
        after
    }
}

/// The golden signals of one revision over `seconds` between two scrapes.
pub fn golden(before: &Totals, after: &Totals, seconds: f64) -> GoldenSignals {
    let requests = increase(before.requests, after.requests);
    let errors = after.errors.map(|e| increase(before.errors.unwrap_or(0.0), e));
    let latency_mean_s = match (after.latency_sum_s, after.latency_count) {
        (Some(sum), Some(count)) => {
            let count = increase(before.latency_count.unwrap_or(0.0), count);
            let sum = increase(before.latency_sum_s.unwrap_or(0.0), sum);
            (count > 0.0).then(|| sum / count)
        }
        _ => None,
    };
    let buckets = bucket_increase(&before.latency_buckets, &after.latency_buckets);
    // From the histogram's growth in between; else as the server reports them, when it served
    // requests in between (a summary's quantiles cover its own recent window).
    let reported = |q: f64| {
        let found = after.reported_quantiles.iter().find(|(quantile, _)| (*quantile - q).abs() < 1e-9);
        found.map(|(_, seconds)| *seconds).filter(|_| requests > 0.0)
    };
    let quantile = |q| histogram_quantile(q, &buckets).or_else(|| reported(q));
    GoldenSignals {
        requests,
        errors,
        request_rate: if seconds > 0.0 { requests / seconds } else { 0.0 },
        error_rate: errors.filter(|_| requests > 0.0).map(|e| (e / requests).min(1.0)),
        latency_mean_s,
        latency_p50_s: quantile(0.5),
        latency_p95_s: quantile(0.95),
        latency_p99_s: quantile(0.99),
        queue_mean_s: after
            .queue_sum_s
            .filter(|_| requests > 0.0)
            .map(|sum| increase(before.queue_sum_s.unwrap_or(0.0), sum) / requests),
        batch_mean: match (after.inferences, after.executions) {
            (Some(inferences), Some(executions)) => {
                let executions = increase(before.executions.unwrap_or(0.0), executions);
                let inferences = increase(before.inferences.unwrap_or(0.0), inferences);
                (executions > 0.0).then(|| inferences / executions)
            }
            _ => None,
        },
        gauges: after.gauges.clone(),
    }
}

/// The buckets' growth between two scrapes; if any bucket went down the server restarted, and
/// the new buckets are the growth.
fn bucket_increase(before: &[(f64, f64)], after: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let earlier = |le: f64| before.iter().find(|(bound, _)| *bound == le).map_or(0.0, |(_, count)| *count);
    if after.iter().any(|(le, count)| *count < earlier(*le)) {
        return after.to_vec();
    }
    after.iter().map(|(le, count)| (*le, count - earlier(*le))).collect()
}

#[cfg(test)]
pub(crate) mod tests;
