//! Hugging Face Text Generation Inference (port 80 in its image). It serves one model:
//! `/health` answers 2xx when it is ready, and `GET /info` names the model, with the commit of
//! its weights (taken as the version), its dtype, device and limits.
//!
//! Its metrics (`tgi_*`) name no model: every series belongs to the one model. They count
//! requests and failures, time requests in a histogram in seconds, and give the queue's length
//! and the size of the batch being run.

use serde_json::Value;

use super::{success, KindSpec, Metrics, Probe, ServerKind};
use crate::discovery::{listed, pick, readiness, text, Listed, Listing, Root};
use crate::signals::maps::{counted, gauge, Latency, SignalMap};

pub(super) static SPEC: KindSpec = KindSpec {
    kind: ServerKind::Tgi,
    name: "tgi",
    probe: Probe { path: "/info", recognise: |status, body| status == 200 && body.contains("\"model_id\"") },
    readiness_path: "/health",
    is_ready: success,
    metrics: Metrics::Page { path: "/metrics", map: &MAP },
    listing: Some(Listing::Index {
        root: Root::Base,
        path: "/info",
        post: false,
        read: |info| info_model(info).into_iter().collect(),
        stands_for_readiness: false,
    }),
    model_endpoints: None,
};

const MAP: SignalMap = SignalMap {
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

/// `/info`: its one model, the weights' commit as the version, the default.
fn info_model(info: &Value) -> Option<Listed> {
    let fields = ["model_dtype", "model_device_type", "model_pipeline_tag", "max_concurrent_requests", "version"];
    let model =
        listed(text(info, "model_id")?, text(info, "model_sha"), readiness(true, String::new), pick(info, &fields));
    Some(Listed { default: true, ..model })
}
