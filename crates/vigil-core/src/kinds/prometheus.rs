//! A Prometheus that already scrapes the model servers (port 9090): Vigil reads their signals
//! through its query API (see `scrape::prometheus_api`) with the map of the kind it scrapes (the
//! server's source kind). `/-/ready` answers 2xx, saying "Prometheus", when it is ready.

use super::{success, KindSpec, Metrics, Probe, ServerKind};

pub(super) static SPEC: KindSpec = KindSpec {
    kind: ServerKind::Prometheus,
    name: "prometheus",
    probe: Probe { path: "/-/ready", recognise: |status, body| status == 200 && body.contains("Prometheus") },
    readiness_path: "/-/ready",
    is_ready: success,
    metrics: Metrics::ThroughPrometheus,
    listing: None,
    model_endpoints: None,
};
