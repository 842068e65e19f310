//! Any server speaking the Open Inference Protocol v2: KServe's Python model server, and others.
//! Its server metadata (`GET /v2`) names the implementation, `/v2/health/ready` answers 2xx when
//! it is ready, `GET /v2/models` lists its model names, and `/v2/models/{m}[/versions/{v}]`
//! gives a model revision's metadata, with `/ready` appended its readiness.
//!
//! Triton and MLServer speak the protocol too, with its repository extension: the parts they
//! share (paths, the repository index, how the metadata names the implementation) are here.
//!
//! KServe serves its metrics on `/metrics` of the same port. It counts no errors: requests are
//! its `request_predict_seconds` histogram's count, labelled `model_name`.

use serde_json::Value;

use super::{success, KindSpec, Metrics, ModelEndpoints, Probe, ServerKind};
use crate::discovery::{listed, readiness, text, Listed, Listing, Root};
use crate::signals::maps::{counted, Latency, SignalMap};
use crate::signals::resources::PROCESS;

pub(super) static SPEC: KindSpec = KindSpec {
    kind: ServerKind::OipV2,
    name: "oip-v2",
    // Any implementation that names itself; Triton and MLServer are asked first.
    probe: Probe { path: SERVER_METADATA, recognise: |status, body| status == 200 && implementation(body).is_some() },
    readiness_path: READY,
    is_ready: success,
    metrics: Metrics::Page { path: "/metrics", map: &MAP },
    listing: Some(Listing::Index {
        root: Root::Base,
        path: "/v2/models",
        post: false,
        read: |answer| model_names(&answer["models"]),
        stands_for_readiness: false,
    }),
    model_endpoints: Some(MODEL_ENDPOINTS),
};

/// The server metadata: `{"name":"triton"|"mlserver"|"kserve", "version", "extensions"}`.
pub(super) const SERVER_METADATA: &str = "/v2";
/// The server's readiness.
pub(super) const READY: &str = "/v2/health/ready";

/// `/v2/models/{m}[/versions/{v}]`, its `/ready` and its `/infer`.
pub(super) const MODEL_ENDPOINTS: ModelEndpoints =
    ModelEndpoints { prefix: &["v2", "models"], versions: "versions", ready: "ready", infer: "infer" };

/// The repository extension's index (`POST /v2/repository/index` with `{}`): every model with
/// its version and state in one request, answered only while the server is up.
pub(super) const REPOSITORY_INDEX: Listing = Listing::Index {
    root: Root::Base,
    path: "/v2/repository/index",
    post: true,
    read: repository_index,
    stands_for_readiness: true,
};

/// The spec of a server that speaks OIP v2 with the repository extension and names itself in
/// its server metadata (MLServer, Triton): recognised by `recognise`, its metrics on `/metrics`.
pub(super) const fn repository_server(
    kind: ServerKind,
    name: &'static str,
    recognise: fn(status: u16, body: &str) -> bool,
    map: &'static SignalMap,
) -> KindSpec {
    KindSpec {
        kind,
        name,
        probe: Probe { path: SERVER_METADATA, recognise },
        readiness_path: READY,
        is_ready: success,
        metrics: Metrics::Page { path: "/metrics", map },
        listing: Some(REPOSITORY_INDEX),
        model_endpoints: Some(MODEL_ENDPOINTS),
    }
}

/// The implementation the server metadata names, in lower case, if the body is OIP metadata.
pub(super) fn implementation(body: &str) -> Option<String> {
    let metadata: Value = serde_json::from_str(body).ok()?;
    Some(metadata.get("name")?.as_str()?.to_ascii_lowercase())
}

const MAP: SignalMap = SignalMap {
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

/// `["iris", …]`: names only, ready or not unknown.
fn model_names(names: &Value) -> Vec<Listed> {
    let names = names.as_array().map(Vec::as_slice).unwrap_or_default();
    names
        .iter()
        .filter_map(|name| name.as_str().filter(|n| !n.is_empty() && n.len() <= 256))
        .map(|name| listed(name, None, None, None))
        .collect()
}

/// `[{"name","version","state","reason"}]`, as MLServer and Triton answer; a model in state
/// `UNAVAILABLE` is held but not loaded.
fn repository_index(index: &Value) -> Vec<Listed> {
    let entries = index.as_array().map(Vec::as_slice).unwrap_or_default();
    entries
        .iter()
        .filter_map(|entry| {
            let name = text(entry, "name")?;
            let state = text(entry, "state").unwrap_or("UNKNOWN");
            let ready = readiness(state == "READY", || match text(entry, "reason") {
                Some(reason) => format!("the repository says {state}: {reason}"),
                None => format!("the repository says {state}"),
            });
            let loaded = state != "UNAVAILABLE";
            Some(Listed { loaded, ..listed(name, text(entry, "version"), ready, None) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::discovery::Readiness;

    #[test]
    fn oip_metadata_names_the_implementation() {
        assert_eq!(
            implementation(r#"{"name":"MLServer","version":"1.7.1","extensions":[]}"#).as_deref(),
            Some("mlserver")
        );
        assert_eq!(implementation(r#"{"name":"kserve","version":"0.21.0"}"#).as_deref(), Some("kserve"));
        assert_eq!(implementation(r#"{"version":"0.21.0"}"#), None);
        assert_eq!(implementation("not json"), None);
    }

    #[test]
    fn the_repository_index_gives_each_version_and_its_state_with_the_reason() {
        let index = json!([
            {"name": "iris", "version": "v1", "state": "READY", "reason": ""},
            {"name": "iris", "version": "v2", "state": "UNAVAILABLE", "reason": "unloaded"},
            {"name": "", "state": "READY"},
            "not an entry"
        ]);
        let listed = repository_index(&index);
        let keys: Vec<_> = listed.iter().map(|l| (l.key.version.as_deref(), l.loaded)).collect();
        assert_eq!(keys, [(Some("v1"), true), (Some("v2"), false)]);
        assert_eq!(listed[0].ready, Some(Readiness::Ready));
        assert_eq!(listed[1].ready, Some(Readiness::NotReady("the repository says UNAVAILABLE: unloaded".into())));
    }

    #[test]
    fn model_names_are_bounded() {
        let long = "x".repeat(300);
        assert!(model_names(&json!(["ok", long, 7, ""])).iter().map(|l| &l.key.model).eq(["ok"]));
    }
}
