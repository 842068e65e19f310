//! BentoML 1.x (port 3000). `/livez` answers once it runs and `/readyz` (500 until started)
//! when it is ready. It lists nothing: its services come from its metrics alone.
//!
//! Its metrics count requests per `service_name`, `service_version` (`not available` when
//! unversioned), `endpoint` and `http_response_code` (5xx are errors), and count its own health
//! probes and metrics scrapes as traffic, which Vigil leaves out.

use super::{success, KindSpec, Metrics, Probe, ServerKind};
use crate::signals::maps::{counted, Counted, LabelFilter, Latency, SignalMap};
use crate::signals::resources::PROCESS;

pub(super) static SPEC: KindSpec = KindSpec {
    kind: ServerKind::Bentoml,
    name: "bentoml",
    probe: Probe { path: "/livez", recognise: |status, _| status == 200 },
    readiness_path: "/readyz",
    is_ready: success,
    metrics: Metrics::Page { path: "/metrics", map: &MAP },
    listing: None,
    model_endpoints: None,
};

const MAP: SignalMap = SignalMap {
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
