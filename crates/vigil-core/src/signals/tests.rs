//! Golden signals from two sets of totals, worked out by hand. How each kind's metrics page
//! reads into totals is tested with the kinds (`kinds/tests.rs`).

use std::collections::BTreeMap;

use super::*;

/// Whether `actual` is `expected`, give or take rounding.
pub(crate) fn close(actual: Option<f64>, expected: f64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() <= 1e-9 * expected.abs().max(1.0))
}

fn with(requests: f64, errors: f64, sum: f64, buckets: &[(f64, f64)]) -> Totals {
    Totals {
        requests,
        errors: Some(errors),
        latency_sum_s: Some(sum),
        latency_count: Some(requests),
        latency_buckets: buckets.to_vec(),
        ..Default::default()
    }
}

const INF: f64 = f64::INFINITY;

#[test]
fn two_scrapes_give_rates_shares_means_and_quantiles_of_what_happened_between_them() {
    let before = with(100.0, 2.0, 10.0, &[(0.1, 50.0), (0.5, 90.0), (INF, 100.0)]);
    let after = with(200.0, 7.0, 30.0, &[(0.1, 70.0), (0.5, 170.0), (INF, 200.0)]);
    let signals = golden(&before, &after, 10.0);
    assert_eq!(signals.request_rate, 10.0, "100 requests in 10 s");
    assert_eq!(signals.error_rate, Some(0.05), "5 of 100 failed");
    assert_eq!(signals.latency_mean_s, Some(0.2), "20 s over 100 requests");
    // Between the scrapes: 20 ≤ 0.1 s, 60 in (0.1, 0.5], 20 above. p50 is rank 50, in the second
    // bucket: 0.1 + 0.4 × 30/60 = 0.3. p95 and p99 fall in the +Inf bucket: its lower bound, 0.5.
    assert!(close(signals.latency_p50_s, 0.3), "{signals:?}");
    assert_eq!((signals.latency_p95_s, signals.latency_p99_s), (Some(0.5), Some(0.5)));
}

#[test]
fn a_server_restart_never_gives_a_negative_or_huge_rate() {
    let before = with(1_000_000.0, 50.0, 900.0, &[(0.1, 900_000.0), (INF, 1_000_000.0)]);
    let after = with(30.0, 3.0, 1.5, &[(0.1, 20.0), (INF, 30.0)]);
    let signals = golden(&before, &after, 10.0);
    assert_eq!(signals.request_rate, 3.0, "the 30 requests since the restart, over 10 s");
    assert_eq!(signals.error_rate, Some(0.1));
    assert_eq!(signals.latency_mean_s, Some(0.05));
    // Buckets after the restart: 20 ≤ 0.1, 10 above; p50 = rank 15: 0.1 × 15/20.
    assert!(close(signals.latency_p50_s, 0.075), "{signals:?}");
}

#[test]
fn no_traffic_means_no_error_rate_or_latency_rather_than_zero() {
    let idle = with(100.0, 2.0, 10.0, &[(0.1, 50.0), (INF, 100.0)]);
    let signals = golden(&idle, &idle, 10.0);
    assert_eq!(signals.request_rate, 0.0);
    assert_eq!((signals.error_rate, signals.latency_mean_s, signals.latency_p99_s), (None, None, None));
    let no_errors_exposed = Totals { errors: None, ..with(10.0, 0.0, 1.0, &[]) };
    assert_eq!(golden(&Totals::default(), &no_errors_exposed, 5.0).error_rate, None);
}

#[test]
fn the_mean_queue_time_is_queued_seconds_over_requests_between_scrapes() {
    let before = Totals { requests: 10.0, queue_sum_s: Some(1.0), ..Default::default() };
    let mut after = Totals { requests: 30.0, queue_sum_s: Some(1.5), ..Default::default() };
    after.gauges.insert(maps::gauge::IN_FLIGHT, 4.0);
    let signals = golden(&before, &after, 10.0);
    assert_eq!(signals.queue_mean_s, Some(0.025), "0.5 s queued over 20 requests");
    assert_eq!(signals.gauges[maps::gauge::IN_FLIGHT], 4.0, "gauges are as last read");
}

#[test]
fn process_cpu_is_the_cores_kept_busy_between_polls_and_a_restart_starts_from_zero() {
    use resources::resource::*;
    let process = resources::PROCESS;
    let before = BTreeMap::from([(CPU_CORES, 3.5), (MEMORY_BYTES, 2e8)]);
    let after = BTreeMap::from([(CPU_CORES, 5.5), (MEMORY_BYTES, 3e8)]);
    let used = resources::usage(Some(&before), &after, 4.0, process);
    assert_eq!((used[CPU_CORES], used[MEMORY_BYTES]), (0.5, 3e8), "2 CPU seconds in 4 s: half a core");
    assert!(!resources::usage(None, &after, 4.0, process).contains_key(CPU_CORES), "one read is no rate");
    let restarted = BTreeMap::from([(CPU_CORES, 1.0)]);
    assert_eq!(resources::usage(Some(&after), &restarted, 4.0, process)[CPU_CORES], 0.25);
}
