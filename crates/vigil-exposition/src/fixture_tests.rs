//! The parser against real metrics pages: captures from real servers and pages written from
//! each server's documentation (`tests/fixtures/metrics/README.md` says which is which).

use std::collections::HashMap;

use super::*;

macro_rules! fixture {
    ($file:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/metrics/", $file))
    };
}

pub(super) const FIXTURES: [(&str, &str); 10] = [
    ("mlserver-1.7.1.prom", fixture!("mlserver-1.7.1.prom")),
    ("kserve-0.21.0.prom", fixture!("kserve-0.21.0.prom")),
    ("bentoml-1.4.40.prom", fixture!("bentoml-1.4.40.prom")),
    ("bentoml-openmetrics.prom", fixture!("bentoml-openmetrics.prom")),
    ("triton.prom", fixture!("triton.prom")),
    ("torchserve.prom", fixture!("torchserve.prom")),
    ("tfserving.prom", fixture!("tfserving.prom")),
    ("vllm.prom", fixture!("vllm.prom")),
    ("tgi.prom", fixture!("tgi.prom")),
    ("ray-serve.prom", fixture!("ray-serve.prom")),
];

fn parsed(file: &str) -> Exposition<'static> {
    let (_, text) = FIXTURES.iter().find(|(name, _)| *name == file).expect("a known fixture");
    let exposition = parse(text, Format::Auto);
    assert_eq!(exposition.skipped, 0, "{file}: {:?}", exposition.errors);
    exposition
}

fn value(exposition: &Exposition<'_>, name: &str, labels: &[(&str, &str)]) -> f64 {
    exposition.find(name, labels).unwrap_or_else(|| panic!("no sample {name} {labels:?}")).value
}

/// Counts the lines of `text` that are samples: neither blank nor `#` lines.
fn sample_lines(text: &str) -> usize {
    text.lines().filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#')).count()
}

#[test]
fn every_fixture_parses_every_sample_line_without_a_skip() {
    for (file, text) in FIXTURES {
        let exposition = parse(text, Format::Auto);
        assert_eq!(exposition.skipped, 0, "{file}: {:?}", exposition.errors);
        assert_eq!(exposition.samples.len(), sample_lines(text), "{file}");
        assert!(!exposition.families.is_empty(), "{file}");
    }
}

#[test]
fn in_every_fixture_each_histogram_has_its_inf_bucket_equal_to_its_count() {
    for (file, text) in FIXTURES {
        let exposition = parse(text, Format::Auto);
        let mut inf_buckets: HashMap<(String, String), f64> = HashMap::new();
        let mut counts: HashMap<(String, String), f64> = HashMap::new();
        for sample in &exposition.samples {
            if exposition.metric_type(sample) != MetricType::Histogram {
                continue;
            }
            let family = exposition.family_name(sample).to_string();
            let others: Vec<String> = exposition
                .labels(sample)
                .iter()
                .filter(|label| label.name != "le")
                .map(|label| format!("{}={}", label.name, label.value))
                .collect();
            let key = (family, others.join(","));
            if sample.name.ends_with("_bucket") && exposition.label(sample, "le") == Some("+Inf") {
                inf_buckets.insert(key, sample.value);
            } else if sample.name.ends_with("_count") {
                counts.insert(key, sample.value);
            }
        }
        assert_eq!(inf_buckets, counts, "{file}");
    }
}

#[test]
fn mlserver_capture_counts_seven_good_and_one_bad_request() {
    let exposition = parsed("mlserver-1.7.1.prom");
    assert_eq!(exposition.format, Format::Prometheus);
    let success = "model_infer_request_success_total";
    let failure = "model_infer_request_failure_total";
    assert_eq!(value(&exposition, success, &[("model", "iris"), ("version", "v1")]), 7.0);
    assert_eq!(value(&exposition, failure, &[("model", "iris"), ("version", "None")]), 1.0);
    assert_eq!(value(&exposition, failure, &[("model", "iris"), ("version", "v1")]), 0.0);
    let duration = "model_infer_request_duration_sum";
    assert_eq!(value(&exposition, duration, &[("version", "v1")]), 0.034502069000154734);
    assert_eq!(value(&exposition, "model_infer_request_duration_count", &[("version", "None")]), 1.0);
    assert_eq!(value(&exposition, "rest_server_requests_in_progress", &[("method", "POST")]), 0.0);
}

#[test]
fn mlserver_capture_buckets_have_le_first_and_belong_to_their_histogram() {
    let exposition = parsed("mlserver-1.7.1.prom");
    let name = "rest_server_request_duration_seconds_bucket";
    let bucket = exposition.find(name, &[("le", "0.01"), ("status_code", "500")]).expect("bucket");
    assert_eq!(bucket.value, 1.0);
    let label_names: Vec<&str> = exposition.labels(bucket).iter().map(|l| &*l.name).collect();
    assert_eq!(label_names, ["app_name", "le", "method", "path", "status_code"]);
    assert_eq!(exposition.label(bucket, "path"), Some("/v2/models/{model_name}/infer"));
    assert_eq!(exposition.family_name(bucket), "rest_server_request_duration_seconds");
    assert_eq!(exposition.metric_type(bucket), MetricType::Histogram);
    let first_bucket = exposition.find(name, &[("le", "0.005"), ("status_code", "200")]).expect("bucket");
    assert_eq!(first_bucket.value, 5.0);

    let summary = exposition.find("model_infer_request_duration_count", &[]).expect("summary count");
    assert_eq!(exposition.metric_type(summary), MetricType::Summary);
    let help = exposition.family_named("parallel_request_queue").and_then(|f| f.help.as_deref());
    assert_eq!(help, Some("counter of request queue size for workers"));
}

#[test]
fn kserve_capture_keeps_created_gauges_apart_from_their_histogram() {
    let exposition = parsed("kserve-0.21.0.prom");
    assert_eq!(value(&exposition, "request_predict_seconds_count", &[("model_name", "iris")]), 9.0);
    assert_eq!(value(&exposition, "request_postprocess_seconds_count", &[("model_name", "iris")]), 7.0);
    let created = exposition.find("request_predict_seconds_created", &[]).expect("created");
    assert_eq!(exposition.family_name(created), "request_predict_seconds_created");
    assert_eq!(exposition.metric_type(created), MetricType::Gauge);
    assert_eq!(value(&exposition, "process_virtual_memory_bytes", &[]), 522_940_416.0);
}

#[test]
fn bentoml_capture_counts_requests_per_endpoint_and_code() {
    let exposition = parsed("bentoml-1.4.40.prom");
    let total = "bentoml_service_request_total";
    assert_eq!(value(&exposition, total, &[("endpoint", "/classify"), ("http_response_code", "200")]), 5.0);
    assert_eq!(value(&exposition, total, &[("endpoint", "/classify"), ("http_response_code", "500")]), 1.0);
    assert_eq!(value(&exposition, total, &[("endpoint", "/readyz")]), 2.0);
    let sample = exposition.find(total, &[]).expect("a sample");
    assert_eq!(exposition.label(sample, "service_version"), Some("not available"));
}

#[test]
fn bentoml_openmetrics_page_is_read_as_openmetrics_with_counter_families() {
    let exposition = parsed("bentoml-openmetrics.prom");
    assert_eq!(exposition.format, Format::OpenMetrics);
    let total = exposition.find("bentoml_service_request_total", &[("http_response_code", "400")]).expect("total");
    assert_eq!(total.value, 1.0);
    assert_eq!(exposition.family_name(total), "bentoml_service_request");
    assert_eq!(exposition.metric_type(total), MetricType::Counter);
    let created = exposition.find("bentoml_service_request_created", &[("http_response_code", "200")]).expect("c");
    assert_eq!(created.value, 1.7958860797466e9);
    assert_eq!(exposition.family_name(created), "bentoml_service_request");
    let histogram_created = exposition.find("bentoml_service_request_duration_seconds_created", &[]).expect("c");
    assert_eq!(exposition.metric_type(histogram_created), MetricType::Histogram);
    let unit =
        exposition.family_named("bentoml_service_last_request_timestamp_seconds").and_then(|f| f.unit.as_deref());
    assert_eq!(unit, Some("seconds"));
}

#[test]
fn triton_page_gives_cumulative_counters_and_a_summary() {
    let exposition = parsed("triton.prom");
    let model = [("model", "resnet50_trt"), ("version", "2")];
    assert_eq!(value(&exposition, "nv_inference_request_success", &model), 128.0);
    assert_eq!(value(&exposition, "nv_inference_request_duration_us", &model), 2_048_117.0);
    let backend = [("model", "densenet_onnx"), ("reason", "BACKEND")];
    assert_eq!(value(&exposition, "nv_inference_request_failure", &backend), 2.0);
    let p99 = exposition.find("nv_inference_request_summary_us", &[("quantile", "0.99")]).expect("p99");
    assert_eq!(p99.value, 61544.0);
    assert_eq!(exposition.metric_type(p99), MetricType::Summary);
    assert_eq!(value(&exposition, "nv_gpu_utilization", &[]), 0.37);
    assert_eq!(value(&exposition, "nv_cpu_memory_used_bytes", &[]), 9_663_676_416.0);
}

#[test]
fn torchserve_page_with_trailing_commas_gives_counts_per_version() {
    let exposition = parsed("torchserve.prom");
    let requests = "ts_inference_requests_total";
    assert_eq!(value(&exposition, requests, &[("model_name", "resnet-18"), ("model_version", "2.0")]), 4.0);
    assert_eq!(value(&exposition, requests, &[("model_name", "bert_seq_clf")]), 11.0);
    let latency = exposition.find("ts_inference_latency_microseconds", &[("model_version", "default")]).expect("l");
    assert_eq!(latency.value, 1_990_955.226);
    assert_eq!(exposition.labels(latency).len(), 3);
    assert_eq!(value(&exposition, "Requests5XX", &[("Level", "Host")]), 1.0);
    assert_eq!(value(&exposition, "GPUUtilization", &[("DeviceId", "0")]), 44.0);
}

#[test]
fn tf_serving_page_with_colon_names_gives_counts_and_a_histogram() {
    let exposition = parsed("tfserving.prom");
    let count = ":tensorflow:serving:request_count";
    assert_eq!(value(&exposition, count, &[("status", "OK")]), 18.0);
    assert_eq!(value(&exposition, count, &[("status", "INVALID_ARGUMENT")]), 2.0);
    let bucket = ":tensorflow:serving:request_latency_bucket";
    let rest = [("entrypoint", "REST"), ("le", "340.122")];
    assert_eq!(value(&exposition, bucket, &rest), 14.0);
    let sum = exposition.find(":tensorflow:serving:request_latency_sum", &[("entrypoint", "GRPC")]).expect("s");
    assert_eq!(sum.value, 171.25);
    assert_eq!(exposition.family_name(sum), ":tensorflow:serving:request_latency");
    assert!(exposition.families.iter().all(|family| family.help.is_none()));
}

#[test]
fn vllm_page_gives_requests_by_reason_and_latency_histograms() {
    let exposition = parsed("vllm.prom");
    let model = ("model_name", "meta-llama/Llama-3.1-8B-Instruct");
    let success = "vllm:request_success_total";
    assert_eq!(value(&exposition, success, &[model, ("finished_reason", "stop")]), 12.0);
    assert_eq!(value(&exposition, success, &[("finished_reason", "length")]), 3.0);
    assert_eq!(value(&exposition, "vllm:num_requests_waiting", &[model]), 1.0);
    assert_eq!(value(&exposition, "vllm:kv_cache_usage_perc", &[]), 0.2734375);
    let e2e = exposition.find("vllm:e2e_request_latency_seconds_count", &[model]).expect("count");
    assert_eq!(e2e.value, 15.0);
    assert_eq!(exposition.family_name(e2e), "vllm:e2e_request_latency_seconds");
    assert_eq!(value(&exposition, "vllm:time_to_first_token_seconds_bucket", &[("le", "0.1")]), 11.0);
    let created = exposition.find("vllm:request_success_created", &[]).expect("created");
    assert_eq!(exposition.family_name(created), "vllm:request_success_created");
}

#[test]
fn tgi_page_with_blank_lines_between_families_gives_counts_and_histograms() {
    let exposition = parsed("tgi.prom");
    assert_eq!(value(&exposition, "tgi_request_count", &[]), 10.0);
    assert_eq!(value(&exposition, "tgi_request_success", &[]), 9.0);
    assert_eq!(value(&exposition, "tgi_request_failure", &[("err", "validation")]), 1.0);
    assert_eq!(value(&exposition, "tgi_request_duration_count", &[]), 9.0);
    assert_eq!(value(&exposition, "tgi_request_duration_sum", &[]), 25.093512611);
    let decode = [("method", "decode"), ("le", "0.0050625")];
    assert_eq!(value(&exposition, "tgi_batch_inference_duration_bucket", &decode), 410.0);
    let families: Vec<&str> = exposition.families.iter().map(|f| &*f.name).collect();
    assert_eq!(families.len(), 10);
}

#[test]
fn ray_serve_page_keeps_hashes_inside_label_values() {
    let exposition = parsed("ray-serve.prom");
    let replica = ("replica", "default#Classifier#xk2h4b3t");
    assert_eq!(value(&exposition, "ray_serve_deployment_request_counter_total", &[replica]), 40.0);
    assert_eq!(value(&exposition, "ray_serve_deployment_error_counter_total", &[replica]), 2.0);
    let latency = "ray_serve_deployment_processing_latency_ms_bucket";
    assert_eq!(value(&exposition, latency, &[("replica", "default#Classifier#p9q8w7e6"), ("le", "5.0")]), 18.0);
    let http = [("status_code", "500")];
    assert_eq!(value(&exposition, "ray_serve_num_http_requests_total", &http), 2.0);
    let sample = exposition.find("ray_serve_replica_processing_queries", &[replica]).expect("gauge");
    assert_eq!(exposition.labels(sample).len(), 8);
}
