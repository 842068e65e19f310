//! TorchServe (inference on port 8080, management on 8081, metrics on 8082 with
//! `metrics_mode: prometheus`). `/ping` answers `{"status":"Healthy"}` when it is ready. Its
//! management API lists the models (`GET /models`), each model's versions with their workers'
//! status, runtime and batch settings (`GET /models/{m}/all`), and, asked for a model without a
//! version, its default version (`GET /models/{m}`).
//!
//! Its metrics count requests per `model_name` and `model_version` (`default` for requests that
//! named none) but not failures; latency and queue time are cumulative microsecond counters.
//! Its system metrics give CPU and GPU utilization in percent and memory in megabytes.

use serde_json::Value;

use super::{success, KindSpec, Metrics, Probe, ServerKind};
use crate::discovery::{listed, pick, readiness, text, Listed, Listing, Root};
use crate::signals::maps::{counted, Latency, SignalMap};
use crate::signals::resources::{resource, server_wide, Reading, Resource};

pub(super) static SPEC: KindSpec = KindSpec {
    kind: ServerKind::Torchserve,
    name: "torchserve",
    probe: Probe { path: "/ping", recognise: |status, body| status == 200 && body.contains("Healthy") },
    readiness_path: "/ping",
    is_ready: success,
    metrics: Metrics::Page { path: "/metrics", map: &MAP },
    listing: Some(Listing::PerModel {
        root: Root::ManagementOrBase,
        names: Some(("/models", model_names)),
        versions: ("/models/{model}/all", |_, answer| versions(answer)),
        default_version: Some(("/models/{model}", default_version)),
    }),
    model_endpoints: None,
};

const MAP: SignalMap = SignalMap {
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
    resources: RESOURCES,
    reported_quantiles: None,
};

/// The system metrics: utilization in percent, memory in megabytes.
const RESOURCES: &[Resource] = &[
    server_wide(resource::CPU_UTILIZATION, "CPUUtilization", 0.01, Reading::Mean),
    server_wide(resource::MEMORY_BYTES, "MemoryUsed", 1024.0 * 1024.0, Reading::Sum),
    server_wide(resource::GPU_UTILIZATION, "GPUUtilization", 0.01, Reading::Mean),
    server_wide(resource::GPU_MEMORY_BYTES, "GPUMemoryUsed", 1024.0 * 1024.0, Reading::Sum),
];

/// `GET /models`: `{"models":[{"modelName","modelUrl"}]}`.
fn model_names(list: &Value) -> Vec<String> {
    let models = list["models"].as_array().map(Vec::as_slice).unwrap_or_default();
    models.iter().filter_map(|model| text(model, "modelName")).map(str::to_owned).collect()
}

/// `GET /models/{m}/all`: each version, ready when one of its workers is READY.
fn versions(versions: &Value) -> Vec<Listed> {
    let versions = versions.as_array().map(Vec::as_slice).unwrap_or_default();
    versions
        .iter()
        .filter_map(|version| {
            let workers = version["workers"].as_array().map(Vec::as_slice).unwrap_or_default();
            let ready_workers = workers.iter().filter(|w| text(w, "status") == Some("READY")).count();
            let ready = readiness(ready_workers > 0, || format!("none of its {} workers is READY", workers.len()));
            let fields = ["modelUrl", "runtime", "batchSize", "maxBatchDelay", "minWorkers", "maxWorkers"];
            let metadata = pick(version, &fields);
            Some(listed(text(version, "modelName")?, text(version, "modelVersion"), ready, metadata))
        })
        .collect()
}

/// `GET /models/{m}`: described without a version, a model answers with its default version.
fn default_version(described: &Value) -> Option<&str> {
    text(&described[0], "modelVersion")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::discovery::Readiness;

    #[test]
    fn torchserve_versions_are_ready_when_a_worker_is_and_keep_their_batch_settings() {
        let described = json!([
            {"modelName": "resnet-18", "modelVersion": "2.0", "batchSize": 8, "maxBatchDelay": 50, "runtime": "python",
             "workers": [{"id": "9000", "status": "READY"}, {"id": "9001", "status": "UNLOADING"}]},
            {"modelName": "resnet-18", "modelVersion": "1.0", "workers": [{"status": "UNLOADING"}]}
        ]);
        let listed = versions(&described);
        assert_eq!(listed[0].ready, Some(Readiness::Ready));
        let metadata: Value = serde_json::from_str(listed[0].metadata.as_deref().unwrap()).unwrap();
        assert_eq!((metadata["batchSize"].as_i64(), metadata["maxBatchDelay"].as_i64()), (Some(8), Some(50)));
        assert_eq!(listed[1].ready, Some(Readiness::NotReady("none of its 1 workers is READY".into())));
        assert_eq!(default_version(&described), Some("2.0"));
    }
}
