//! NVIDIA Triton Inference Server (HTTP on port 8000, metrics on 8002). It speaks the Open
//! Inference Protocol v2 with the repository extension (see `oip_v2`) and names itself `triton`
//! in its server metadata.
//!
//! Its metrics count successes and failures per `model` and `version`; the time requests took
//! and spent queued are cumulative microsecond counters (so the mean is Δsum / Δcount), and with
//! `--metrics-config summary_latencies=true` a summary adds its own latency quantiles. It counts
//! inferences and model executions (their ratio is the batch size), and reports the host's CPU
//! and memory and each GPU's utilization and memory.

use super::{oip_v2, KindSpec, ServerKind};
use crate::signals::maps::{counted, gauge, Latency, SignalMap};
use crate::signals::resources::{resource, server_wide, Reading, Resource};

pub(super) static SPEC: KindSpec = oip_v2::repository_server(
    ServerKind::Triton,
    "triton",
    |status, body| status == 200 && oip_v2::implementation(body).as_deref() == Some("triton"),
    &MAP,
);

const MAP: SignalMap = SignalMap {
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
    resources: RESOURCES,
    reported_quantiles: Some(("nv_inference_request_summary_us", 1e-6)),
};

/// The host's CPU and memory and each GPU's utilization and memory.
const RESOURCES: &[Resource] = &[
    server_wide(resource::CPU_UTILIZATION, "nv_cpu_utilization", 1.0, Reading::Mean),
    server_wide(resource::MEMORY_BYTES, "nv_cpu_memory_used_bytes", 1.0, Reading::Sum),
    server_wide(resource::GPU_UTILIZATION, "nv_gpu_utilization", 1.0, Reading::Mean),
    server_wide(resource::GPU_MEMORY_BYTES, "nv_gpu_memory_used_bytes", 1.0, Reading::Sum),
];
