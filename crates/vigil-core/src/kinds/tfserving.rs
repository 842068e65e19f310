//! TensorFlow Serving (gRPC on port 8500, REST on 8501). It has no server-wide readiness
//! endpoint: Vigil asks `GET /v1/models`, whose answer (an error naming no servable) sets it
//! apart in detection, and takes any answer but a server error to mean it serves. It lists
//! nothing, but `GET /v1/models/{m}` gives each version of a model Vigil already knows (from its
//! metrics) with its state: `AVAILABLE` serves.
//!
//! Its metrics, on `/monitoring/prometheus/metrics` when enabled, count requests per
//! `model_name` and `status` (any status but `OK` is an error) and time them in a microsecond
//! histogram. They name no version.

use serde_json::Value;

use super::{KindSpec, Metrics, Probe, ServerKind};
use crate::discovery::{listed, readiness, text, Listed, Listing, Root};
use crate::signals::maps::{counted, Counted, LabelFilter, Latency, SignalMap};

pub(super) static SPEC: KindSpec = KindSpec {
    kind: ServerKind::Tfserving,
    name: "tfserving",
    // vLLM, whose `/v1/models` answers a list, is asked first.
    probe: Probe {
        path: "/v1/models",
        recognise: |_, body| body.contains("Servable") || body.contains("model_version_status"),
    },
    readiness_path: "/v1/models",
    // Any answer but a server error means it serves (unverified against a live TF Serving;
    // each model's state comes with its listing).
    is_ready: |status| status < 500,
    metrics: Metrics::Page { path: "/monitoring/prometheus/metrics", map: &MAP },
    listing: Some(Listing::PerModel {
        root: Root::Base,
        names: None,
        versions: ("/v1/models/{model}", versions),
        default_version: None,
    }),
    model_endpoints: None,
};

const MAP: SignalMap = SignalMap {
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

/// `GET /v1/models/{m}`: each version with its state and, when it failed, the error.
fn versions(name: &str, status: &Value) -> Vec<Listed> {
    let versions = status["model_version_status"].as_array().map(Vec::as_slice).unwrap_or_default();
    versions
        .iter()
        .filter_map(|version| {
            let state = text(version, "state").unwrap_or("UNKNOWN");
            let error = version["status"]["error_message"].as_str().filter(|e| !e.is_empty() && e.len() <= 512);
            let ready = readiness(state == "AVAILABLE", || match error {
                Some(error) => format!("TF Serving says {state}: {error}"),
                None => format!("TF Serving says {state}"),
            });
            Some(listed(name, Some(text(version, "version")?), ready, None))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::discovery::Readiness;

    #[test]
    fn tf_serving_versions_carry_their_state_and_error() {
        let status = json!({"model_version_status": [
            {"version": "2", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}},
            {"version": "1", "state": "END", "status": {"error_code": "OK", "error_message": ""}},
            {"version": "3", "state": "LOADING", "status": {"error_code": "UNKNOWN", "error_message": "out of memory"}}
        ]});
        let listed = versions("half_plus_two", &status);
        let states: Vec<_> =
            listed.iter().map(|l| (l.key.version.as_deref(), l.ready == Some(Readiness::Ready))).collect();
        assert_eq!(states, [(Some("2"), true), (Some("1"), false), (Some("3"), false)]);
        assert_eq!(listed[2].ready, Some(Readiness::NotReady("TF Serving says LOADING: out of memory".into())));
    }
}
