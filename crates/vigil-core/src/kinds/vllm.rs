//! vLLM's OpenAI-compatible server (port 8000). `/health` answers 2xx when it is ready, and
//! `GET /v1/models` lists its models the OpenAI way (`{"data":[…]}`): the base model and each
//! LoRA adapter, a model with a parent.
//!
//! Its metrics (`vllm:*`, labelled `model_name`) count finished requests but not failures, time
//! them end to end in a histogram, and give the requests running and waiting and the share of
//! the KV cache in use.

use serde_json::Value;

use super::{success, KindSpec, Metrics, Probe, ServerKind};
use crate::discovery::{listed, pick, readiness, text, Listed, Listing, Root};
use crate::signals::maps::{counted, gauge, Latency, SignalMap};
use crate::signals::resources::PROCESS;

pub(super) static SPEC: KindSpec = KindSpec {
    kind: ServerKind::Vllm,
    name: "vllm",
    probe: Probe { path: "/v1/models", recognise: |status, body| status == 200 && body.contains("\"data\"") },
    readiness_path: "/health",
    is_ready: success,
    metrics: Metrics::Page { path: "/metrics", map: &MAP },
    listing: Some(Listing::Index {
        root: Root::Base,
        path: "/v1/models",
        post: false,
        read: openai_models,
        stands_for_readiness: false,
    }),
    model_endpoints: None,
};

const MAP: SignalMap = SignalMap {
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
        // The share of the KV cache in use has had two names across vLLM versions.
        (gauge::KV_CACHE_USAGE, "vllm:kv_cache_usage_perc"),
        (gauge::KV_CACHE_USAGE, "vllm:gpu_cache_usage_perc"),
    ],
    batches: None,
    resources: PROCESS,
    reported_quantiles: None,
};

/// `{"data":[{"id","root","parent","max_model_len","owned_by"}]}`: each model, ready.
fn openai_models(list: &Value) -> Vec<Listed> {
    let models = list["data"].as_array().map(Vec::as_slice).unwrap_or_default();
    models
        .iter()
        .filter_map(|model| {
            let metadata = pick(model, &["root", "parent", "max_model_len", "owned_by"]);
            Some(listed(text(model, "id")?, None, readiness(true, String::new), metadata))
        })
        .collect()
}
