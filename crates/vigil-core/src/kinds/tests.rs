//! Each kind's metrics page read through its signal map: golden signals from the pages of every
//! kind (captured or written from the docs in tests/fixtures/metrics), with the expected numbers
//! worked out by hand from those pages; and what the kinds' specs say.

use std::collections::BTreeMap;

use super::*;
use crate::signals::maps::gauge;
use crate::signals::resources;
use crate::signals::tests::close;
use crate::signals::{golden, totals, RevisionKey, Totals};
use vigil_exposition::{parse, Format};

#[test]
fn kinds_round_trip_through_their_names_and_bad_names_list_the_valid_ones() {
    for kind in ServerKind::all() {
        assert_eq!(ServerKind::parse(kind.as_str()), Ok(kind));
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
    }
    assert_eq!(ServerKind::parse(" MLServer "), Ok(ServerKind::Mlserver));
    let err = ServerKind::parse("sagemaker").unwrap_err();
    assert!(err.contains("'sagemaker'") && err.contains("oip-v2") && err.contains("torchserve"), "{err}");
    assert!(
        err.contains("auto, oip-v2, triton, mlserver, torchserve, tfserving"),
        "in the order of the variants: {err}"
    );
}

#[test]
fn every_kind_has_one_spec() {
    let mut kinds: Vec<ServerKind> = KINDS.iter().map(|spec| spec.kind).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds.len(), KINDS.len(), "no kind twice");
    assert!(ServerKind::Auto.spec().is_none() && ServerKind::all().len() == KINDS.len() + 1);
}

/// The kind detection takes a server for when `path` answers `status` with `body`, asked alone.
fn recognised(path: &str, status: u16, body: &str) -> Option<ServerKind> {
    let spec = KINDS.iter().find(|spec| spec.probe.path == path && (spec.probe.recognise)(status, body))?;
    Some(spec.kind)
}

#[test]
fn detection_tells_the_kinds_apart_by_their_answers() {
    assert_eq!(
        recognised("/v2", 200, r#"{"name":"mlserver","version":"1.7.1","extensions":[]}"#),
        Some(ServerKind::Mlserver)
    );
    assert_eq!(recognised("/v2", 200, r#"{"name":"triton","version":"2.50.0"}"#), Some(ServerKind::Triton));
    assert_eq!(recognised("/v2", 200, r#"{"name":"kserve","version":"0.21.0"}"#), Some(ServerKind::OipV2));
    assert_eq!(recognised("/v2", 200, "not json"), None);
    assert_eq!(recognised("/v1/models", 200, r#"{"object":"list","data":[]}"#), Some(ServerKind::Vllm));
    let tf = r#"{"error":"Servable not found for request: Latest(x)"}"#;
    assert_eq!(recognised("/v1/models", 404, tf), Some(ServerKind::Tfserving));
    assert_eq!(recognised("/ping", 200, r#"{"status":"Healthy"}"#), Some(ServerKind::Torchserve));
    assert_eq!(recognised("/-/ready", 200, "Prometheus Server is Ready.\n"), Some(ServerKind::Prometheus));
    assert_eq!(recognised("/info", 200, r#"{"model_id":"bigscience/bloom-560m"}"#), Some(ServerKind::Tgi));
    assert_eq!(recognised("/livez", 200, ""), Some(ServerKind::Bentoml));
}

#[test]
fn model_readiness_urls_encode_names_and_exist_only_for_oip_kinds() {
    let url = |kind: ServerKind, version| kind.model_readiness_url("http://h:8080/serving", "fraud v2/x", version);
    assert_eq!(
        url(ServerKind::Mlserver, Some("1")).as_deref(),
        Some("http://h:8080/serving/v2/models/fraud%20v2%2Fx/versions/1/ready")
    );
    assert_eq!(url(ServerKind::Triton, None).as_deref(), Some("http://h:8080/serving/v2/models/fraud%20v2%2Fx/ready"));
    assert_eq!(url(ServerKind::Vllm, None), None);
    assert_eq!(
        ServerKind::OipV2.model_metadata_url("http://h/", "iris", Some("v1")).as_deref(),
        Some("http://h/v2/models/iris/versions/v1")
    );
    assert_eq!(
        ServerKind::Triton.model_infer_url("http://h/", "fraud", Some("13")).as_deref(),
        Some("http://h/v2/models/fraud/versions/13/infer")
    );
    assert_eq!(ServerKind::Tfserving.model_infer_url("http://h/", "iris", None), None);
}

#[test]
fn readiness_and_metrics_paths_are_the_kinds_own() {
    assert_eq!(ServerKind::Tfserving.metrics_path(), Some("/monitoring/prometheus/metrics"));
    assert_eq!((ServerKind::Prometheus.metrics_path(), ServerKind::Auto.metrics_path()), (None, None));
    assert_eq!(ServerKind::Ray.readiness_path(), Some("/-/healthz"));
    assert!(ServerKind::Tfserving.is_ready(404) && !ServerKind::Tfserving.is_ready(503));
    assert!(!ServerKind::Bentoml.is_ready(500) && ServerKind::Auto.is_ready(204));
}

fn key(model: &str, version: Option<&str>) -> RevisionKey {
    RevisionKey { model: model.into(), version: version.map(str::to_owned) }
}

fn page_totals(kind: ServerKind, fixture: &str) -> BTreeMap<RevisionKey, Totals> {
    let path = format!("{}/../../tests/fixtures/metrics/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    totals(&parse(&text, Format::Auto), kind.signal_map().expect("a map for this kind"))
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

#[test]
fn queue_time_and_in_flight_gauges_are_read_where_servers_expose_them() {
    let triton = page_totals(ServerKind::Triton, "triton.prom");
    let densenet = &triton[&key("densenet_onnx", Some("1"))];
    assert!(close(densenet.queue_sum_s, 0.009344), "nv_inference_queue_duration_us 9,344 µs: {densenet:?}");
    assert_eq!(triton[&key("resnet50_trt", Some("2"))].gauges[gauge::WAITING], 3.0, "pending requests");
    let vllm = page_totals(ServerKind::Vllm, "vllm.prom");
    let llama = &vllm[&key("meta-llama/Llama-3.1-8B-Instruct", None)];
    assert_eq!((llama.gauges[gauge::IN_FLIGHT], llama.gauges[gauge::WAITING]), (3.0, 1.0));
    assert_eq!(page_totals(ServerKind::Mlserver, "mlserver-1.7.1.prom")[&key("iris", Some("v1"))].queue_sum_s, None);
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
    assert_eq!((only.gauges[gauge::WAITING], only.gauges[gauge::BATCH_SIZE]), (0.0, 2.0));
    let vllm = page_totals(ServerKind::Vllm, "vllm.prom");
    assert_eq!(vllm[&key("meta-llama/Llama-3.1-8B-Instruct", None)].gauges[gauge::KV_CACHE_USAGE], 0.2734375);
}

fn page_resources(kind: ServerKind, fixture: &str) -> BTreeMap<&'static str, f64> {
    let path = format!("{}/../../tests/fixtures/metrics/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    resources::read(&parse(&text, Format::Auto), kind.signal_map().expect("a map").resources)
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
fn triton_latency_quantiles_come_from_its_summary_when_it_served_requests() {
    let triton = page_totals(ServerKind::Triton, "triton.prom");
    let densenet = &triton[&key("densenet_onnx", Some("1"))];
    let signals = golden(&Totals::default(), densenet, 10.0);
    // nv_inference_request_summary_us quantiles 0.5, 0.95, 0.99: 28,877, 46,018 and 61,544 µs.
    assert!(close(signals.latency_p50_s, 0.028877) && close(signals.latency_p95_s, 0.046018), "{signals:?}");
    assert!(close(signals.latency_p99_s, 0.061544), "{signals:?}");
    assert_eq!(golden(densenet, densenet, 10.0).latency_p99_s, None, "no requests in between: nothing measured");
}
