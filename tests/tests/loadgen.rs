//! The open-loop load generator (`vigil_core::loadgen`) against real axum servers on loopback:
//! it keeps its schedule, shows a stalling server's queue in its p99, counts each kind of error
//! apart, refuses hosts outside loopback, stops at a cancel, and finds the highest sustainable
//! rate in steps.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use vigil_core::loadgen::{self, LoadPlan, LoadResult, StepPlan, DEFAULT_MAX_IN_FLIGHT};
use vigil_tests::load_targets::{self, serve};
use vigil_tests::loopback::closed_port_url;

fn plan(url: &str, rate: f64, duration: Duration) -> LoadPlan {
    LoadPlan {
        url: url.parse().expect("a url"),
        bodies: vec![r#"{"inputs":[1]}"#.into(), r#"{"inputs":[2]}"#.into()],
        content_type: "application/json".into(),
        rate,
        duration,
        max_requests: 100_000,
        timeout: Duration::from_secs(5),
        max_in_flight: DEFAULT_MAX_IN_FLIGHT,
    }
}

async fn run(plan: &LoadPlan) -> LoadResult {
    loadgen::run(plan, &[], |_| {}, Arc::new(AtomicBool::new(false))).await.expect("the load test runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_schedule_is_kept_at_200_requests_a_second() {
    let server = serve(load_targets::fast()).await;
    let result = run(&plan(&server.url(), 200.0, Duration::from_secs(2))).await;
    assert!((398..=402).contains(&result.sent), "{result:?}");
    assert_eq!(result.ok, result.sent, "{result:?}");
    assert_eq!(result.errors(), 0, "{result:?}");
    assert!((result.achieved_rate - 200.0).abs() < 200.0 * 0.10, "{result:?}");
    // Loose bounds: a shared CI machine may stall the sender; the bench measures it precisely.
    assert!(result.sent_late * 10 <= result.sent, "more than 10 % sent late: {result:?}");
    assert!(result.latency.p50 < Duration::from_millis(200), "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalling_server_shows_its_stall_in_the_p99() {
    // Stalls 1 s at the end of every 3 s: about a third of the requests are due during a stall
    // and wait up to 1 s; the others are answered at once.
    let server = serve(load_targets::stalling(Duration::from_secs(3), Duration::from_secs(1))).await;
    let result = run(&plan(&server.url(), 200.0, Duration::from_secs(6))).await;
    assert_eq!(result.ok, result.sent, "{result:?}");
    assert!(result.latency.p50 < Duration::from_millis(100), "most are fast: {result:?}");
    assert!(result.latency.p90 >= Duration::from_millis(500), "the slowest tenth waited half a stall: {result:?}");
    assert!(result.latency.p99 >= Duration::from_millis(850), "{result:?}");
    assert!(result.latency.max <= Duration::from_millis(1_100), "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_in_flight_cap_delays_sending_but_the_wait_still_counts() {
    let server = serve(load_targets::stalling(Duration::from_secs(3), Duration::from_secs(1))).await;
    let capped = LoadPlan { max_in_flight: 8, ..plan(&server.url(), 200.0, Duration::from_secs(6)) };
    let result = run(&capped).await;
    assert!(result.sent_late >= 100, "requests due during a stall wait for a slot: {result:?}");
    assert!(result.latency.p99 >= Duration::from_millis(850), "{result:?}");
    // Those due in the last stall, at the end of the run, are never sent: counted as unsent.
    let due = result.sent + result.unsent;
    assert!((1_195..=1_205).contains(&due), "every request due is sent or counted unsent: {result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_counted_by_kind() {
    let failing = serve(load_targets::answering(StatusCode::INTERNAL_SERVER_ERROR)).await;
    let result = run(&plan(&failing.url(), 100.0, Duration::from_millis(500))).await;
    assert_eq!((result.ok, result.http_errors, result.timeouts), (0, result.sent, 0), "{result:?}");
    assert!(result.sent >= 50 && result.error_share() == 1.0, "{result:?}");

    let slow = serve(load_targets::slow(Duration::from_secs(3))).await;
    let short = LoadPlan { timeout: Duration::from_millis(200), ..plan(&slow.url(), 20.0, Duration::from_millis(500)) };
    let result = run(&short).await;
    assert_eq!((result.ok, result.timeouts), (0, result.sent), "{result:?}");
    assert!(result.latency.p50 >= Duration::from_millis(200), "a timeout counts as at least its wait: {result:?}");

    let closed = format!("{}/infer", closed_port_url());
    let result = run(&plan(&closed, 20.0, Duration::from_millis(500))).await;
    assert_eq!((result.ok, result.connection_errors), (0, result.sent), "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_outside_loopback_is_refused_by_name() {
    let outside = plan("http://models.internal.example:8080/infer", 10.0, Duration::from_secs(1));
    let refused = loadgen::run(&outside, &[], |_| {}, Arc::new(AtomicBool::new(false))).await.expect_err("refused");
    let message = refused.to_string();
    assert!(message.contains("models.internal.example") && message.contains("Settings"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_stops_early_and_progress_is_heard() {
    let server = serve(load_targets::slow(Duration::from_secs(30))).await;
    let cancel = Arc::new(AtomicBool::new(false));
    let snapshots = Arc::new(AtomicUsize::new(0));
    let heard = snapshots.clone();
    let flag = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        flag.store(true, Ordering::Relaxed);
    });
    let long = LoadPlan { timeout: Duration::from_secs(60), ..plan(&server.url(), 100.0, Duration::from_secs(20)) };
    let progress = move |_: &LoadResult| {
        heard.fetch_add(1, Ordering::Relaxed);
    };
    let result = loadgen::run(&long, &[], progress, cancel).await.expect("runs");
    assert!(result.cancelled, "{result:?}");
    assert!(result.elapsed < Duration::from_secs(2), "{result:?}");
    assert!(result.abandoned > 0 && result.abandoned == result.sent, "{result:?}");
    assert!(snapshots.load(Ordering::Relaxed) >= 2, "a snapshot every 250 ms");
}

#[tokio::test(flavor = "multi_thread")]
async fn steps_stop_at_the_first_rate_the_server_cannot_sustain() {
    let server = serve(load_targets::rate_limited(300)).await;
    let steps = StepPlan {
        base: plan(&server.url(), 1.0, Duration::from_millis(1_500)),
        rates: vec![100.0, 200.0, 450.0, 800.0],
        p99_objective: Duration::from_millis(250),
        max_error_share: 0.05,
    };
    let outcome =
        loadgen::run_steps(&steps, &[], |_| {}, Arc::new(AtomicBool::new(false))).await.expect("the steps run");
    let rates: Vec<f64> = outcome.steps.iter().map(|step| step.result.target_rate).collect();
    assert_eq!(rates, [100.0, 200.0, 450.0], "{outcome:?}");
    assert_eq!(outcome.sustainable_rate, Some(200.0), "{outcome:?}");
    assert!(!outcome.steps[2].within && outcome.steps[2].result.http_errors > 0, "{outcome:?}");
}
