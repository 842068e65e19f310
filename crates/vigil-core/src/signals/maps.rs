//! Where each kind of server keeps its golden signals: metric names, the labels that name the
//! model and version, and the units. Data, not code: one extractor (see `totals`) reads every
//! kind through its map (names from ../shared/MODEL-SERVERS.md and the fixtures).

use crate::kinds::ServerKind;

use super::resources::{resource, Reading, Resource, PROCESS};

/// A counter (or a histogram's `_count`) whose samples add up, optionally only those whose
/// label matches.
#[derive(Debug, Clone, Copy)]
pub struct Counted {
    pub name: &'static str,
    pub only: Option<LabelFilter>,
}

/// Which samples of a metric count.
#[derive(Debug, Clone, Copy)]
pub enum LabelFilter {
    /// The label's value is not this one (TF Serving: `status` other than `OK` is an error).
    Not(&'static str, &'static str),
    /// The label's value starts with this (BentoML: `http_response_code` 5xx).
    StartsWith(&'static str, &'static str),
}

/// How a server reports how long requests take.
#[derive(Debug, Clone, Copy)]
pub enum Latency {
    /// Not reported.
    None,
    /// A histogram (`_bucket`, `_sum`, `_count`); `to_seconds` converts its unit.
    Histogram { name: &'static str, to_seconds: f64 },
    /// A summary's `_sum` and `_count` (MLServer).
    Summary { name: &'static str, to_seconds: f64 },
    /// A cumulative counter of time spent, divided by the request count (Triton, TorchServe).
    Cumulative { name: &'static str, to_seconds: f64 },
}

/// Where one kind of server keeps its golden signals.
#[derive(Debug, Clone, Copy)]
pub struct SignalMap {
    /// The label naming the model; None when the server serves one model (TGI).
    pub model_label: Option<&'static str>,
    /// The label naming the version; None when versions are not labelled.
    pub version_label: Option<&'static str>,
    /// Version values that mean "no version given": they belong to the model's default version.
    pub unversioned: &'static [&'static str],
    /// Samples with this label value are not traffic (BentoML counts its health probes).
    pub exclude: Option<(&'static str, &'static [&'static str])>,
    pub requests: &'static [Counted],
    /// None when the server exposes no error count (KServe, vLLM, TorchServe per model).
    pub errors: Option<&'static [Counted]>,
    pub latency: Latency,
    /// Time requests spent queued before the model: a cumulative counter and its unit, over
    /// the request count (Triton, TorchServe).
    pub queue: Option<(&'static str, f64)>,
    /// Gauges read as they are: (stored signal name, metric name), e.g. requests in flight.
    pub gauges: &'static [(&'static str, &'static str)],
    /// Counters of inferences and of the model executions that served them: their ratio is
    /// the mean batch size (Triton).
    pub batches: Option<(&'static str, &'static str)>,
    /// Server-wide CPU, memory and GPU use (see `resources`).
    pub resources: &'static [Resource],
    /// A summary whose `quantile` series are the server's own latency quantiles, and its unit:
    /// p50, p95 and p99 as the server reports them, where no histogram gives them (Triton with
    /// `--metrics-config summary_latencies=true`).
    pub reported_quantiles: Option<(&'static str, f64)>,
}

/// Stored names of the gauge signals.
pub mod gauge {
    /// Requests being served right now.
    pub const IN_FLIGHT: &str = "in_flight";
    /// Requests waiting for the model right now.
    pub const WAITING: &str = "waiting";
    /// Requests in the batch being run right now (TGI).
    pub const BATCH_SIZE: &str = "batch_size";
    /// Share of the KV cache in use, 0–1 (vLLM).
    pub const KV_CACHE_USAGE: &str = "kv_cache_usage";
}

const fn counted(name: &'static str) -> Counted {
    Counted { name, only: None }
}

const OIP_V2: SignalMap = SignalMap {
    model_label: Some("model_name"),
    version_label: None,
    unversioned: &[],
    exclude: None,
    requests: &[counted("request_predict_seconds_count")],
    errors: None,
    latency: Latency::Histogram { name: "request_predict_seconds", to_seconds: 1.0 },
    queue: None,
    gauges: &[],
    batches: None,
    resources: PROCESS,
    reported_quantiles: None,
};

const TRITON: SignalMap = SignalMap {
    model_label: Some("model"),
    version_label: Some("version"),
    unversioned: &[],
    exclude: None,
    requests: &[counted("nv_inference_request_success"), counted("nv_inference_request_failure")],
    errors: Some(&[counted("nv_inference_request_failure")]),
    latency: Latency::Cumulative { name: "nv_inference_request_duration_us", to_seconds: 1e-6 },
    queue: Some(("nv_inference_queue_duration_us", 1e-6)),
    gauges: &[(gauge::WAITING, "nv_inference_pending_request_count")],
    batches: Some(("nv_inference_count", "nv_inference_exec_count")),
    resources: TRITON_RESOURCES,
    reported_quantiles: Some(("nv_inference_request_summary_us", 1e-6)),
};

const MLSERVER: SignalMap = SignalMap {
    model_label: Some("model"),
    version_label: Some("version"),
    unversioned: &["None"],
    exclude: None,
    requests: &[counted("model_infer_request_success_total"), counted("model_infer_request_failure_total")],
    errors: Some(&[counted("model_infer_request_failure_total")]),
    latency: Latency::Summary { name: "model_infer_request_duration", to_seconds: 1.0 },
    queue: None,
    gauges: &[],
    batches: None,
    resources: PROCESS,
    reported_quantiles: None,
};

const TORCHSERVE: SignalMap = SignalMap {
    model_label: Some("model_name"),
    version_label: Some("model_version"),
    unversioned: &["default"],
    exclude: None,
    requests: &[counted("ts_inference_requests_total")],
    errors: None,
    latency: Latency::Cumulative { name: "ts_inference_latency_microseconds", to_seconds: 1e-6 },
    queue: Some(("ts_queue_latency_microseconds", 1e-6)),
    gauges: &[],
    batches: None,
    resources: TORCHSERVE_RESOURCES,
    reported_quantiles: None,
};

const TFSERVING: SignalMap = SignalMap {
    model_label: Some("model_name"),
    version_label: None,
    unversioned: &[],
    exclude: None,
    requests: &[counted(":tensorflow:serving:request_count")],
    errors: Some(&[Counted {
        name: ":tensorflow:serving:request_count",
        only: Some(LabelFilter::Not("status", "OK")),
    }]),
    latency: Latency::Histogram { name: ":tensorflow:serving:request_latency", to_seconds: 1e-6 },
    queue: None,
    gauges: &[],
    batches: None,
    resources: &[],
    reported_quantiles: None,
};

const BENTOML: SignalMap = SignalMap {
    model_label: Some("service_name"),
    version_label: Some("service_version"),
    unversioned: &["not available"],
    exclude: Some(("endpoint", &["/readyz", "/livez", "/healthz", "/metrics", "/docs.json", "/schema.json"])),
    requests: &[counted("bentoml_service_request_total")],
    errors: Some(&[Counted {
        name: "bentoml_service_request_total",
        only: Some(LabelFilter::StartsWith("http_response_code", "5")),
    }]),
    latency: Latency::Histogram { name: "bentoml_service_request_duration_seconds", to_seconds: 1.0 },
    queue: None,
    gauges: &[],
    batches: None,
    resources: PROCESS,
    reported_quantiles: None,
};

const VLLM: SignalMap = SignalMap {
    model_label: Some("model_name"),
    version_label: None,
    unversioned: &[],
    exclude: None,
    requests: &[counted("vllm:request_success_total")],
    errors: None,
    latency: Latency::Histogram { name: "vllm:e2e_request_latency_seconds", to_seconds: 1.0 },
    queue: None,
    gauges: &[
        (gauge::IN_FLIGHT, "vllm:num_requests_running"),
        (gauge::WAITING, "vllm:num_requests_waiting"),
        (gauge::KV_CACHE_USAGE, "vllm:kv_cache_usage_perc"),
        (gauge::KV_CACHE_USAGE, "vllm:gpu_cache_usage_perc"),
    ],
    batches: None,
    resources: PROCESS,
    reported_quantiles: None,
};

const TGI: SignalMap = SignalMap {
    model_label: None,
    version_label: None,
    unversioned: &[],
    exclude: None,
    requests: &[counted("tgi_request_count")],
    errors: Some(&[counted("tgi_request_failure")]),
    latency: Latency::Histogram { name: "tgi_request_duration", to_seconds: 1.0 },
    queue: None,
    gauges: &[(gauge::WAITING, "tgi_queue_size"), (gauge::BATCH_SIZE, "tgi_batch_current_size")],
    batches: None,
    resources: &[],
    reported_quantiles: None,
};

const RAY: SignalMap = SignalMap {
    model_label: Some("deployment"),
    version_label: None,
    unversioned: &[],
    exclude: None,
    requests: &[counted("ray_serve_deployment_request_counter_total")],
    errors: Some(&[counted("ray_serve_deployment_error_counter_total")]),
    latency: Latency::Histogram { name: "ray_serve_deployment_processing_latency_ms", to_seconds: 1e-3 },
    queue: None,
    gauges: &[],
    batches: None,
    resources: RAY_RESOURCES,
    reported_quantiles: None,
};

const fn server_wide(signal: &'static str, metric: &'static str, scale: f64, reading: Reading) -> Resource {
    Resource { signal, metric, scale, reading }
}

/// Triton reports the host's CPU and memory and each GPU's utilization and memory.
const TRITON_RESOURCES: &[Resource] = &[
    server_wide(resource::CPU_UTILIZATION, "nv_cpu_utilization", 1.0, Reading::Mean),
    server_wide(resource::MEMORY_BYTES, "nv_cpu_memory_used_bytes", 1.0, Reading::Sum),
    server_wide(resource::GPU_UTILIZATION, "nv_gpu_utilization", 1.0, Reading::Mean),
    server_wide(resource::GPU_MEMORY_BYTES, "nv_gpu_memory_used_bytes", 1.0, Reading::Sum),
];

/// TorchServe's system metrics: utilization in percent, memory in megabytes.
const TORCHSERVE_RESOURCES: &[Resource] = &[
    server_wide(resource::CPU_UTILIZATION, "CPUUtilization", 0.01, Reading::Mean),
    server_wide(resource::MEMORY_BYTES, "MemoryUsed", 1024.0 * 1024.0, Reading::Sum),
    server_wide(resource::GPU_UTILIZATION, "GPUUtilization", 0.01, Reading::Mean),
    server_wide(resource::GPU_MEMORY_BYTES, "GPUMemoryUsed", 1024.0 * 1024.0, Reading::Sum),
];

/// Ray's node metrics: CPU in percent, memory in bytes.
const RAY_RESOURCES: &[Resource] = &[
    server_wide(resource::CPU_UTILIZATION, "ray_node_cpu_utilization", 0.01, Reading::Mean),
    server_wide(resource::MEMORY_BYTES, "ray_node_mem_used", 1.0, Reading::Sum),
];

/// The map for a kind whose metrics Vigil reads from its own `/metrics`. None for `auto` (not
/// yet detected) and `prometheus` (read through the query API instead).
pub fn signal_map(kind: ServerKind) -> Option<&'static SignalMap> {
    Some(match kind {
        ServerKind::OipV2 => &OIP_V2,
        ServerKind::Triton => &TRITON,
        ServerKind::Mlserver => &MLSERVER,
        ServerKind::Torchserve => &TORCHSERVE,
        ServerKind::Tfserving => &TFSERVING,
        ServerKind::Bentoml => &BENTOML,
        ServerKind::Vllm => &VLLM,
        ServerKind::Tgi => &TGI,
        ServerKind::Ray => &RAY,
        ServerKind::Auto | ServerKind::Prometheus => return None,
    })
}
