//! Golden signals from the metrics pages of every kind (captured or written from the docs in
//! tests/fixtures/metrics), with the expected numbers worked out by hand from those pages.

use std::collections::BTreeMap;

use super::*;
use crate::kinds::ServerKind;
use crate::scrape::exposition::{parse, Format};

fn page_totals(kind: ServerKind, fixture: &str) -> BTreeMap<RevisionKey, Totals> {
    let path = format!("{}/../../tests/fixtures/metrics/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    totals(&parse(&text, Format::Auto), signal_map(kind).expect("a map for this kind"))
}

fn key(model: &str, version: Option<&str>) -> RevisionKey {
    RevisionKey { model: model.into(), version: version.map(str::to_owned) }
}

fn close(actual: Option<f64>, expected: f64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() <= 1e-9 * expected.abs().max(1.0))
}

#[test]
fn mlserver_counts_unversioned_requests_against_the_default_version() {
    let totals = page_totals(ServerKind::Mlserver, "mlserver-1.7.1.prom");
    let v1 = &totals[&key("iris", Some("v1"))];
    // 7 good requests to v1, no failures; the summary covers the same 7.
    assert_eq!((v1.requests, v1.errors), (7.0, Some(0.0)));
    assert!(close(v1.latency_sum_s, 0.034502069000154734) && v1.latency_count == Some(7.0), "{v1:?}");
    // The bad request named no version (version="None"): it belongs to the default version.
    let default = &totals[&key("iris", None)];
    assert_eq!((default.requests, default.errors, default.latency_count), (1.0, Some(1.0), Some(1.0)));
    assert_eq!(totals.len(), 2);
}

#[test]
fn triton_latency_is_time_spent_over_all_requests() {
    let totals = page_totals(ServerKind::Triton, "triton.prom");
    let densenet = &totals[&key("densenet_onnx", Some("1"))];
    // 42 successes + failures REJECTED 0, CANCELED 0, BACKEND 2, OTHER 1.
    assert_eq!((densenet.requests, densenet.errors), (45.0, Some(3.0)));
    // nv_inference_request_duration_us 1,262,841 µs over 45 requests.
    assert!(close(densenet.latency_sum_s, 1.262841) && densenet.latency_count == Some(45.0), "{densenet:?}");
    assert_eq!(totals[&key("resnet50_trt", Some("3"))].requests, 17.0);
}

#[test]
fn bentoml_leaves_health_probes_out_and_counts_5xx_as_errors() {
    let totals = page_totals(ServerKind::Bentoml, "bentoml-1.4.40.prom");
    let service = &totals[&key("iris_classifier", None)];
    // /classify: 5 × 200, 1 × 500, 1 × 400; /readyz, /livez and /healthz are not traffic.
    assert_eq!((service.requests, service.errors), (7.0, Some(1.0)));
}

#[test]
fn kserve_and_vllm_expose_no_error_count_so_none_is_reported() {
    let kserve = page_totals(ServerKind::OipV2, "kserve-0.21.0.prom");
    assert_eq!(kserve[&key("iris", None)].requests, 9.0, "9 requests reached predict");
    assert_eq!(kserve[&key("iris", None)].errors, None);
    let vllm = page_totals(ServerKind::Vllm, "vllm.prom");
    let llama = &vllm[&key("meta-llama/Llama-3.1-8B-Instruct", None)];
    assert_eq!((llama.requests, llama.errors, llama.latency_count), (15.0, None, Some(15.0)));
    assert_eq!(llama.latency_buckets.iter().find(|(le, _)| le.is_infinite()).map(|b| b.1), Some(15.0));
}

#[test]
fn tf_serving_errors_are_requests_with_a_status_other_than_ok_and_latency_is_in_microseconds() {
    let totals = page_totals(ServerKind::Tfserving, "tfserving.prom");
    let model = &totals[&key("half_plus_two", None)];
    assert_eq!((model.requests, model.errors), (20.0, Some(2.0)));
    // REST and gRPC add up: (7318.5 + 171.25) µs over 18 + 2 requests.
    assert!(close(model.latency_sum_s, 7489.75e-6) && model.latency_count == Some(20.0), "{model:?}");
}

#[test]
fn ray_adds_replicas_up_per_deployment_and_tgi_has_one_unnamed_model() {
    let ray = page_totals(ServerKind::Ray, "ray-serve.prom");
    let classifier = &ray[&key("Classifier", None)];
    assert_eq!((classifier.requests, classifier.errors), (78.0, Some(2.0)));
    let tgi = page_totals(ServerKind::Tgi, "tgi.prom");
    assert_eq!((tgi[&key("", None)].requests, tgi[&key("", None)].errors), (10.0, Some(1.0)));
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
fn queue_time_and_in_flight_gauges_are_read_where_servers_expose_them() {
    let triton = page_totals(ServerKind::Triton, "triton.prom");
    let densenet = &triton[&key("densenet_onnx", Some("1"))];
    assert!(close(densenet.queue_sum_s, 0.009344), "nv_inference_queue_duration_us 9,344 µs: {densenet:?}");
    assert_eq!(triton[&key("resnet50_trt", Some("2"))].gauges[maps::gauge::WAITING], 3.0, "pending requests");
    let vllm = page_totals(ServerKind::Vllm, "vllm.prom");
    let llama = &vllm[&key("meta-llama/Llama-3.1-8B-Instruct", None)];
    assert_eq!((llama.gauges[maps::gauge::IN_FLIGHT], llama.gauges[maps::gauge::WAITING]), (3.0, 1.0));
    assert_eq!(page_totals(ServerKind::Mlserver, "mlserver-1.7.1.prom")[&key("iris", Some("v1"))].queue_sum_s, None);
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
fn triton_batch_size_is_inferences_over_executions_between_scrapes() {
    let triton = page_totals(ServerKind::Triton, "triton.prom");
    let v2 = &triton[&key("resnet50_trt", Some("2"))];
    // 512 inferences in 64 executions since start: batches of 8.
    assert_eq!(golden(&Totals::default(), v2, 10.0).batch_mean, Some(8.0));
    let later = Totals { inferences: Some(512.0 + 30.0), executions: Some(64.0 + 10.0), ..v2.clone() };
    assert_eq!(golden(v2, &later, 10.0).batch_mean, Some(3.0), "30 inferences in 10 executions since");
    assert_eq!(golden(v2, v2, 10.0).batch_mean, None, "no executions in between: no batch to measure");
    let mlserver = page_totals(ServerKind::Mlserver, "mlserver-1.7.1.prom");
    assert_eq!(golden(&Totals::default(), &mlserver[&key("iris", Some("v1"))], 10.0).batch_mean, None);
}

#[test]
fn tgi_reports_its_queue_and_current_batch_and_vllm_its_kv_cache() {
    let tgi = page_totals(ServerKind::Tgi, "tgi.prom");
    let only = &tgi[&key("", None)];
    assert_eq!((only.gauges[maps::gauge::WAITING], only.gauges[maps::gauge::BATCH_SIZE]), (0.0, 2.0));
    let vllm = page_totals(ServerKind::Vllm, "vllm.prom");
    assert_eq!(vllm[&key("meta-llama/Llama-3.1-8B-Instruct", None)].gauges[maps::gauge::KV_CACHE_USAGE], 0.2734375);
}

fn page_resources(kind: ServerKind, fixture: &str) -> BTreeMap<&'static str, f64> {
    let path = format!("{}/../../tests/fixtures/metrics/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    resources::read(&parse(&text, Format::Auto), signal_map(kind).expect("a map").resources)
}

#[test]
fn server_wide_cpu_memory_and_gpu_are_read_in_the_stored_units() {
    use resources::resource::*;
    let triton = page_resources(ServerKind::Triton, "triton.prom");
    assert_eq!(triton[CPU_UTILIZATION], 0.125);
    assert_eq!((triton[MEMORY_BYTES], triton[GPU_MEMORY_BYTES]), (9_663_676_416.0, 3_221_225_472.0));
    assert_eq!(triton[GPU_UTILIZATION], 0.37);
    // TorchServe: percent and megabytes.
    let torchserve = page_resources(ServerKind::Torchserve, "torchserve.prom");
    assert_eq!((torchserve[CPU_UTILIZATION], torchserve[GPU_UTILIZATION]), (0.125, 0.44));
    assert_eq!(torchserve[MEMORY_BYTES], 6214.32421875 * 1024.0 * 1024.0);
    assert_eq!(torchserve[GPU_MEMORY_BYTES], 2870.0 * 1024.0 * 1024.0);
    // A Python server's process: CPU seconds so far and resident memory.
    let kserve = page_resources(ServerKind::OipV2, "kserve-0.21.0.prom");
    assert_eq!((kserve[CPU_CORES], kserve[MEMORY_BYTES]), (3.68, 2.21175808e8));
    assert!(page_resources(ServerKind::Tfserving, "tfserving.prom").is_empty(), "TF Serving exposes none");
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

#[test]
fn triton_latency_quantiles_come_from_its_summary_when_it_served_requests() {
    let triton = page_totals(ServerKind::Triton, "triton.prom");
    let densenet = &triton[&key("densenet_onnx", Some("1"))];
    let signals = golden(&Totals::default(), densenet, 10.0);
    // nv_inference_request_summary_us quantiles 0.5, 0.95, 0.99: 28,877, 46,018 and 61,544 µs.
    assert!(close(signals.latency_p50_s, 0.028877) && close(signals.latency_p95_s, 0.046018), "{signals:?}");
    assert!(close(signals.latency_p99_s, 0.061544), "{signals:?}");
    assert_eq!(golden(densenet, densenet, 10.0).latency_p99_s, None, "no requests in between: nothing measured");
}
