//! Ray Serve (HTTP proxy on port 8000, dashboard on 8265). The proxy answers `/-/healthz` with
//! 2xx when it is healthy. Given the dashboard as the management URL, Vigil lists each
//! application's deployments with their status (`GET /api/serve/applications/`); a deployment
//! is Vigil's model.
//!
//! Its metrics (on the port set by `--metrics-export-port`) count requests and errors per
//! `deployment` and replica (replicas add up) and time them in a millisecond histogram; the
//! node's CPU (in percent) and memory come with them.

use serde_json::{json, Value};

use super::{success, KindSpec, Metrics, Probe, ServerKind};
use crate::discovery::{listed, readiness, text, Listed, Listing, Root};
use crate::signals::maps::{counted, Latency, SignalMap};
use crate::signals::resources::{resource, server_wide, Reading, Resource};

pub(super) static SPEC: KindSpec = KindSpec {
    kind: ServerKind::Ray,
    name: "ray",
    probe: Probe { path: "/-/healthz", recognise: |status, _| status == 200 },
    readiness_path: "/-/healthz",
    is_ready: success,
    metrics: Metrics::Page { path: "/metrics", map: &MAP },
    listing: Some(Listing::Index {
        root: Root::Management,
        path: "/api/serve/applications/",
        post: false,
        read: deployments,
        stands_for_readiness: false,
    }),
    model_endpoints: None,
};

const MAP: SignalMap = SignalMap {
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
    resources: RESOURCES,
    reported_quantiles: None,
};

/// The node's metrics: CPU in percent, memory in bytes.
const RESOURCES: &[Resource] = &[
    server_wide(resource::CPU_UTILIZATION, "ray_node_cpu_utilization", 0.01, Reading::Mean),
    server_wide(resource::MEMORY_BYTES, "ray_node_mem_used", 1.0, Reading::Sum),
];

/// `{"applications":{APP:{"deployments":{NAME:{"status","message"}}}}}`: each deployment, ready
/// when HEALTHY, with its application as metadata.
fn deployments(apps: &Value) -> Vec<Listed> {
    let Some(apps) = apps["applications"].as_object() else { return Vec::new() };
    apps.iter()
        .flat_map(|(app, details)| {
            let deployments = details["deployments"].as_object().into_iter().flatten();
            deployments.filter(|(name, _)| !name.is_empty() && name.len() <= 256).map(move |(name, deployment)| {
                let status = text(deployment, "status").unwrap_or("UNKNOWN");
                let ready = readiness(status == "HEALTHY", || match text(deployment, "message") {
                    Some(message) => format!("Ray says {status}: {message}"),
                    None => format!("Ray says {status}"),
                });
                listed(name, None, ready, Some(json!({ "application": app }).to_string()))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::Readiness;

    #[test]
    fn ray_deployments_are_ready_when_healthy() {
        let apps = json!({"applications": {"app1": {"deployments": {
            "Ranker": {"status": "HEALTHY", "message": ""},
            "Embedder": {"status": "UNHEALTHY", "message": "replica crashed"}
        }}}});
        let mut listed = deployments(&apps);
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        assert_eq!(listed[0].key.model, "Embedder");
        assert_eq!(listed[0].ready, Some(Readiness::NotReady("Ray says UNHEALTHY: replica crashed".into())));
        assert_eq!(listed[1].ready, Some(Readiness::Ready));
    }
}
