//! Model discovery: which models and versions a server serves, whether each is ready, and what
//! the server says of them, from the listing each kind offers (../shared/MODEL-SERVERS.md):
//! - MLServer, Triton: the model repository index (`POST /v2/repository/index`), every model
//!   with its version and state in one request;
//! - KServe and other OIP servers: `GET /v2/models`, the model names;
//! - TorchServe: its management API (`GET /models`, then `GET /models/{m}/all` per model), each
//!   version with its workers' status, runtime and batch size;
//! - TF Serving: `GET /v1/models/{m}` for each model its metrics name, each version's state;
//! - vLLM: `GET /v1/models` (a LoRA adapter is a model with a parent);
//! - TGI: `GET /info`, its one model, with the commit of the weights as the version;
//! - Ray Serve: the dashboard's `GET /api/serve/applications/`, when a management URL is given,
//!   each deployment with its status.
//!
//! BentoML lists nothing; its services come from its metrics alone. Answers are untrusted:
//! each is read up to a cap, and an entry without the expected shape is skipped.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::health::{HealthCheck, HealthState};
use crate::kinds::ServerKind;
use crate::scrape::http::{fetch_json, fetch_json_answer, JsonError, ServerHttp};
use crate::servers::Server;
use crate::signals::RevisionKey;

/// The most of one listing Vigil reads.
const MAX_LISTING_BYTES: usize = 1024 * 1024;
/// The most models whose details one poll asks for (TorchServe, TF Serving).
const MAX_DETAIL_REQUESTS: usize = 64;

/// One model revision as a server lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub key: RevisionKey,
    /// Whether it can serve, when the listing says.
    pub ready: Option<HealthCheck>,
    /// What the listing says of it (platform, runtime, batch size…), a JSON object.
    pub metadata: Option<String>,
    /// False for a model the repository holds but has not loaded: not a deployment (yet).
    pub loaded: bool,
    /// The version that answers requests naming none, when the server says which.
    pub default: bool,
}

/// What `server` (of `kind`) lists. `models` are the model names already known from its metrics
/// or from earlier polls, for kinds that can only be asked model by model. None for kinds
/// that list nothing.
pub async fn discover(
    http: &ServerHttp,
    server: &Server,
    kind: ServerKind,
    models: &[String],
    timeout: Duration,
) -> Option<Result<Vec<Listed>, String>> {
    let base = server.base_url.as_str();
    let get = |url: String| async move { fetch_json(http, &url, None, timeout, MAX_LISTING_BYTES).await };
    Some(match kind {
        ServerKind::Mlserver | ServerKind::Triton => {
            read_repository_index(http, base, timeout).await.map(|(_, listed)| listed).map_err(JsonError::into_reason)
        }
        ServerKind::OipV2 => get(format!("{base}/v2/models")).await.map(|names| model_names(&names["models"])),
        ServerKind::Vllm => get(format!("{base}/v1/models")).await.map(|list| openai_models(&list)),
        ServerKind::Tgi => get(format!("{base}/info")).await.map(|info| tgi_info(&info).into_iter().collect()),
        ServerKind::Torchserve => {
            let management = server.management_url.as_deref().unwrap_or(base);
            let names = match get(format!("{management}/models")).await {
                Ok(list) => torchserve_model_names(&list),
                Err(reason) => return Some(Err(reason)),
            };
            let mut listed = Vec::new();
            for name in names.iter().take(MAX_DETAIL_REQUESTS / 2) {
                let (Some(all), Some(default)) =
                    (model_url(management, &["models", name, "all"]), model_url(management, &["models", name]))
                else {
                    continue;
                };
                let mut versions = get(all).await.map(|versions| torchserve_versions(&versions)).unwrap_or_default();
                // Described without a version, a model answers with its default version.
                if let Some(default) = get(default).await.ok().as_ref().and_then(|d| text(&d[0], "modelVersion")) {
                    versions.iter_mut().for_each(|v| v.default = v.key.version.as_deref() == Some(default));
                }
                listed.extend(versions);
            }
            Ok(listed)
        }
        ServerKind::Tfserving => {
            let mut listed = Vec::new();
            for name in models.iter().take(MAX_DETAIL_REQUESTS) {
                let Some(url) = model_url(base, &["v1", "models", name]) else { continue };
                if let Ok(status) = get(url).await {
                    listed.extend(tfserving_versions(name, &status));
                }
            }
            Ok(listed)
        }
        ServerKind::Ray => {
            let dashboard = server.management_url.as_deref()?;
            get(format!("{dashboard}/api/serve/applications/")).await.map(|apps| ray_deployments(&apps))
        }
        ServerKind::Bentoml | ServerKind::Prometheus | ServerKind::Auto => return None,
    })
}

/// The path of the model repository index, on the base URL of MLServer and Triton.
pub const REPOSITORY_INDEX_PATH: &str = "/v2/repository/index";

/// What the repository index of the MLServer or Triton at `base` lists, with the HTTP status
/// it answered with.
pub async fn read_repository_index(
    http: &ServerHttp,
    base: &str,
    timeout: Duration,
) -> Result<(u16, Vec<Listed>), JsonError> {
    let url = format!("{base}{REPOSITORY_INDEX_PATH}");
    let (status, index) = fetch_json_answer(http, &url, Some(&json!({})), timeout, MAX_LISTING_BYTES).await?;
    Ok((status, repository_index(&index)))
}

/// `BASE/SEGMENT/…`, each segment path-encoded (model names are the server's, untrusted).
fn model_url(base: &str, segments: &[&str]) -> Option<String> {
    let mut url = url::Url::parse(base).ok()?;
    url.path_segments_mut().ok()?.pop_if_empty().extend(segments);
    Some(url.into())
}

/// A readiness as the listing states it: `ready`, or not ready because of `why`.
fn readiness(ready: bool, why: impl FnOnce() -> String) -> Option<HealthCheck> {
    let (state, reason) = if ready { (HealthState::Up, "ready".to_owned()) } else { (HealthState::Down, why()) };
    Some(HealthCheck { state, reason, detected: None })
}

/// A short, bounded string field of an untrusted object.
fn text<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field)?.as_str().filter(|s| !s.is_empty() && s.len() <= 256)
}

/// The fields of `object` named in `fields` that it has, as a JSON object, if any.
fn pick(object: &Value, fields: &[&str]) -> Option<String> {
    let picked: Map<String, Value> =
        fields.iter().filter_map(|field| Some((field.to_string(), object.get(*field)?.clone()))).collect();
    (!picked.is_empty()).then(|| Value::Object(picked).to_string())
}

fn key(model: &str, version: Option<&str>) -> RevisionKey {
    RevisionKey { model: model.to_owned(), version: version.map(str::to_owned) }
}

/// `[{"name","version","state","reason"}]`, as MLServer and Triton answer.
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
            Some(Listed { key: key(name, text(entry, "version")), ready, metadata: None, loaded, default: false })
        })
        .collect()
}

/// `["iris", …]`: names only, ready or not unknown.
fn model_names(names: &Value) -> Vec<Listed> {
    let names = names.as_array().map(Vec::as_slice).unwrap_or_default();
    names
        .iter()
        .filter_map(|name| name.as_str().filter(|n| !n.is_empty() && n.len() <= 256))
        .map(|name| Listed { key: key(name, None), ready: None, metadata: None, loaded: true, default: false })
        .collect()
}

/// The OpenAI-style list vLLM answers: `{"data":[{"id","root","parent","max_model_len"}]}`.
fn openai_models(list: &Value) -> Vec<Listed> {
    let models = list["data"].as_array().map(Vec::as_slice).unwrap_or_default();
    models
        .iter()
        .filter_map(|model| {
            let metadata = pick(model, &["root", "parent", "max_model_len", "owned_by"]);
            let ready = readiness(true, String::new);
            Some(Listed { key: key(text(model, "id")?, None), ready, metadata, loaded: true, default: false })
        })
        .collect()
}

/// TGI's `/info`: its one model, the weights' commit as the version.
fn tgi_info(info: &Value) -> Option<Listed> {
    let fields = ["model_dtype", "model_device_type", "model_pipeline_tag", "max_concurrent_requests", "version"];
    Some(Listed {
        key: key(text(info, "model_id")?, text(info, "model_sha")),
        ready: readiness(true, String::new),
        metadata: pick(info, &fields),
        loaded: true,
        default: true,
    })
}

/// TorchServe's `GET /models`: `{"models":[{"modelName","modelUrl"}]}`.
fn torchserve_model_names(list: &Value) -> Vec<String> {
    let models = list["models"].as_array().map(Vec::as_slice).unwrap_or_default();
    models.iter().filter_map(|model| text(model, "modelName")).map(str::to_owned).collect()
}

/// TorchServe's `GET /models/{m}/all`: each version, ready when one of its workers is READY.
fn torchserve_versions(versions: &Value) -> Vec<Listed> {
    let versions = versions.as_array().map(Vec::as_slice).unwrap_or_default();
    versions
        .iter()
        .filter_map(|version| {
            let workers = version["workers"].as_array().map(Vec::as_slice).unwrap_or_default();
            let ready_workers = workers.iter().filter(|w| text(w, "status") == Some("READY")).count();
            let ready = readiness(ready_workers > 0, || format!("none of its {} workers is READY", workers.len()));
            let fields = ["modelUrl", "runtime", "batchSize", "maxBatchDelay", "minWorkers", "maxWorkers"];
            let metadata = pick(version, &fields);
            let key = key(text(version, "modelName")?, text(version, "modelVersion"));
            Some(Listed { key, ready, metadata, loaded: true, default: false })
        })
        .collect()
}

/// TF Serving's `GET /v1/models/{m}`: each version with its state (`AVAILABLE` serves).
fn tfserving_versions(name: &str, status: &Value) -> Vec<Listed> {
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
            let key = key(name, Some(text(version, "version")?));
            Some(Listed { key, ready, metadata: None, loaded: true, default: false })
        })
        .collect()
}

/// Ray's `/api/serve/applications/`: `{"applications":{APP:{"deployments":{NAME:{"status",
/// "message"}}}}}`; a deployment is ready when HEALTHY.
fn ray_deployments(apps: &Value) -> Vec<Listed> {
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
                let metadata = Some(json!({ "application": app }).to_string());
                Listed { key: key(name, None), ready, metadata, loaded: true, default: false }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(listed: &[Listed]) -> Vec<(String, Option<String>, Option<HealthState>)> {
        listed.iter().map(|l| (l.key.model.clone(), l.key.version.clone(), l.ready.as_ref().map(|r| r.state))).collect()
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
        assert_eq!(
            keys(&listed),
            [
                ("iris".into(), Some("v1".into()), Some(HealthState::Up)),
                ("iris".into(), Some("v2".into()), Some(HealthState::Down))
            ]
        );
        assert_eq!(listed[1].ready.as_ref().unwrap().reason, "the repository says UNAVAILABLE: unloaded");
    }

    #[test]
    fn torchserve_versions_are_ready_when_a_worker_is_and_keep_their_batch_settings() {
        let described = json!([
            {"modelName": "resnet-18", "modelVersion": "2.0", "batchSize": 8, "maxBatchDelay": 50, "runtime": "python",
             "workers": [{"id": "9000", "status": "READY"}, {"id": "9001", "status": "UNLOADING"}]},
            {"modelName": "resnet-18", "modelVersion": "1.0", "workers": [{"status": "UNLOADING"}]}
        ]);
        let listed = torchserve_versions(&described);
        assert_eq!(listed[0].ready.as_ref().map(|r| r.state), Some(HealthState::Up));
        let metadata: Value = serde_json::from_str(listed[0].metadata.as_deref().unwrap()).unwrap();
        assert_eq!((metadata["batchSize"].as_i64(), metadata["maxBatchDelay"].as_i64()), (Some(8), Some(50)));
        assert_eq!(listed[1].ready.as_ref().unwrap().reason, "none of its 1 workers is READY");
    }

    #[test]
    fn tf_serving_versions_carry_their_state_and_error() {
        let status = json!({"model_version_status": [
            {"version": "2", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}},
            {"version": "1", "state": "END", "status": {"error_code": "OK", "error_message": ""}},
            {"version": "3", "state": "LOADING", "status": {"error_code": "UNKNOWN", "error_message": "out of memory"}}
        ]});
        let listed = tfserving_versions("half_plus_two", &status);
        let states: Vec<_> = keys(&listed).into_iter().map(|(_, v, s)| (v.unwrap(), s.unwrap())).collect();
        assert_eq!(
            states,
            [("2".into(), HealthState::Up), ("1".into(), HealthState::Down), ("3".into(), HealthState::Down)]
        );
        assert_eq!(listed[2].ready.as_ref().unwrap().reason, "TF Serving says LOADING: out of memory");
    }

    #[test]
    fn ray_deployments_are_ready_when_healthy() {
        let apps = json!({"applications": {"app1": {"deployments": {
            "Ranker": {"status": "HEALTHY", "message": ""},
            "Embedder": {"status": "UNHEALTHY", "message": "replica crashed"}
        }}}});
        let mut listed = ray_deployments(&apps);
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        assert_eq!(listed[0].key.model, "Embedder");
        assert_eq!(listed[0].ready.as_ref().unwrap().reason, "Ray says UNHEALTHY: replica crashed");
        assert_eq!(listed[1].ready.as_ref().map(|r| r.state), Some(HealthState::Up));
    }

    #[test]
    fn untrusted_names_are_bounded_and_path_encoded() {
        let long = "x".repeat(300);
        assert!(model_names(&json!(["ok", long, 7, ""])).iter().map(|l| &l.key.model).eq(["ok"]));
        assert_eq!(
            model_url("http://h:8081/", &["models", "a/b c", "all"]).as_deref(),
            Some("http://h:8081/models/a%2Fb%20c/all")
        );
    }
}
