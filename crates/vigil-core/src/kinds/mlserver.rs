//! Seldon MLServer (HTTP on port 8080, metrics on 8082). It speaks the Open Inference Protocol
//! v2 with the repository extension (see `oip_v2`) and names itself `mlserver` in its server
//! metadata.
//!
//! Its metrics count successes and failures per `model` and `version`, with `version="None"` for
//! requests that named no version (they belong to the model's default version), and time
//! requests in a summary of which only `_sum` and `_count` are given.

use super::{oip_v2, KindSpec, ServerKind};
use crate::signals::maps::{counted, Latency, SignalMap};
use crate::signals::resources::PROCESS;

pub(super) static SPEC: KindSpec = oip_v2::repository_server(
    ServerKind::Mlserver,
    "mlserver",
    |status, body| status == 200 && oip_v2::implementation(body).as_deref() == Some("mlserver"),
    &MAP,
);

const MAP: SignalMap = SignalMap {
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
