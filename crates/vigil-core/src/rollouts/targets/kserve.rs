//! A KServe InferenceService as a deployment target, through the Kubernetes API, rolled out as
//! KServe's canary rollout describes: the predictor's `storageUri` names the new model and
//! `canaryTrafficPercent` the share its (latest) revision gets; the previously rolled-out
//! revision serves the rest.
//!
//! **Apply** is one JSON merge-patch (`PATCH …/namespaces/{ns}/inferenceservices/{name}`):
//! - one version: `storageUri` = its URI, `canaryTrafficPercent` removed (all to the latest);
//! - two versions: the stable one is the version the service serves as rolled out (see below),
//!   the other is the candidate: `storageUri` = the candidate's URI, `canaryTrafficPercent` = its
//!   share.
//!
//! Each patch also records the stable version in the annotation [`STABLE_ANNOTATION`]: revisions
//! carry no version, so this is how the previous revision's version is known later.
//!
//! **Read-back** reads the STATUS, not the spec it wrote: `status.components.predictor.traffic`
//! ({revisionName, percent, latestRevision, tag}), only once `status.observedGeneration` has
//! reached `metadata.generation` (until then the status describes an older spec, and the read
//! fails with [`FailureKind::WrongReadBack`], which `change` waits out for its settle time). The
//! revision with `latestRevision: true` is the version whose URI is the spec's `storageUri` (the
//! revision KServe made from it); any other revision with a share is the previously rolled-out
//! one, the recorded stable version.
//!
//! **Access**: `api_url`, or the server of the current context of `kubeconfig`. The bearer token
//! comes from `token` (`env:NAME` / `keyring:NAME`) or from the kubeconfig's user. Only token
//! auth is supported (no client certificates, no exec plugins), the kubeconfig must be in its
//! JSON form (`kubectl config view --minify --flatten -o json`; Vigil has no YAML reader), and
//! the API server's certificate is checked against the system's roots, not the kubeconfig's CA.

use std::collections::BTreeMap;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use ts_rs::TS;

use super::{
    decode, endpoint, http_url, read_token, secret_header, without_secret, Answer, Capabilities, DeploymentTarget,
    FailureKind, TargetFailure, TargetHttp, Traffic,
};
use crate::secrets::TokenRef;
use crate::VigilError;

/// It splits by weight and switches.
pub const CAPABILITIES: Capabilities = Capabilities { weights: true, switch: true, mirror: false };

/// The annotation where Vigil records the stable version.
pub const STABLE_ANNOTATION: &str = "vigil/stable-version";

/// The most of a kubeconfig file read.
const MAX_KUBECONFIG_BYTES: u64 = 1 << 20;

/// An InferenceService as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct KserveSpec {
    /// The Kubernetes API server; when not given, the kubeconfig's.
    #[serde(default)]
    pub api_url: Option<String>,
    pub namespace: String,
    pub name: String,
    /// The bearer token's reference, `env:NAME` or `keyring:NAME`.
    #[serde(default)]
    pub token: Option<String>,
    /// A kubeconfig (JSON form) whose current context gives the server and the token.
    #[serde(default)]
    pub kubeconfig: Option<String>,
    /// Each version's storage URI, e.g. `"13": "gs://models/fraud/13"`.
    pub storage_uris: BTreeMap<String, String>,
}

impl KserveSpec {
    /// Where it is, for lists.
    pub fn location(&self) -> &str {
        self.api_url.as_deref().or(self.kubeconfig.as_deref()).unwrap_or_default()
    }

    /// Checks the access, the names and the storage URIs.
    pub fn validate(&self) -> crate::Result<()> {
        self.validate_access()?;
        dns_label("namespace", &self.namespace)?;
        dns_label("name", &self.name)?;
        if self.storage_uris.is_empty() {
            return Err(VigilError::invalid(
                "storage_uris",
                "Give each version's storage URI, e.g. {\"13\": \"s3://models/fraud/13\"}.",
            ));
        }
        match self.storage_uris.iter().find(|(_, uri)| !uri.contains("://")) {
            Some((version, uri)) => Err(VigilError::invalid(
                "storage_uris",
                format!("'{uri}' (version {version}) is not a storage URI such as s3://models/fraud/13 or pvc://models/fraud/13."),
            )),
            None => Ok(()),
        }
    }

    fn validate_access(&self) -> crate::Result<()> {
        match (&self.api_url, &self.kubeconfig) {
            (None, None) => {
                return Err(VigilError::invalid("api_url", "Give the Kubernetes API server's URL, or a kubeconfig."))
            }
            (Some(url), _) => http_url("api_url", url)?,
            (None, Some(_)) => {}
        }
        if self.kubeconfig.as_deref().is_some_and(|path| path.trim().is_empty()) {
            return Err(VigilError::invalid("kubeconfig", "Give the kubeconfig file's path, or leave it out."));
        }
        let Some(token) = &self.token else { return Ok(()) };
        if self.kubeconfig.is_some() {
            return Err(VigilError::invalid("token", "Give the token or a kubeconfig holding it, not both."));
        }
        TokenRef::parse(token).map(|_| ()).map_err(|reason| VigilError::invalid("token", reason))
    }
}

/// Words for a name that is not a Kubernetes DNS label, or nothing.
fn dns_label(field: &'static str, value: &str) -> crate::Result<()> {
    let valid = (1..=63).contains(&value.len())
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(VigilError::invalid(
            field,
            format!("'{value}' is not a Kubernetes name: 1 to 63 lowercase letters, digits and '-'."),
        ))
    }
}

pub struct Kserve {
    http: TargetHttp,
    spec: KserveSpec,
}

/// The parts of an InferenceService this target reads.
#[derive(Deserialize)]
struct InferenceService {
    metadata: Metadata,
    spec: ServiceSpec,
    #[serde(default)]
    status: Option<ServiceStatus>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    generation: i64,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct ServiceSpec {
    predictor: PredictorSpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PredictorSpec {
    #[serde(default)]
    model: Option<ModelSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelSpec {
    #[serde(default)]
    storage_uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceStatus {
    #[serde(default)]
    observed_generation: i64,
    #[serde(default)]
    components: Components,
}

#[derive(Default, Deserialize)]
struct Components {
    #[serde(default)]
    predictor: Option<ComponentStatus>,
}

#[derive(Deserialize)]
struct ComponentStatus {
    #[serde(default)]
    traffic: Vec<RevisionTraffic>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RevisionTraffic {
    #[serde(default)]
    revision_name: String,
    #[serde(default)]
    percent: u32,
    #[serde(default)]
    latest_revision: bool,
}

impl InferenceService {
    /// The storage URI the predictor's spec names.
    fn storage_uri(&self) -> Option<&str> {
        self.spec.predictor.model.as_ref()?.storage_uri.as_deref()
    }

    /// The status, once it describes the current spec.
    fn current_status(&self, name: &str) -> Result<&ServiceStatus, TargetFailure> {
        let observed = self.status.as_ref().map_or(0, |status| status.observed_generation);
        match &self.status {
            Some(status) if observed >= self.metadata.generation => Ok(status),
            _ => Err(TargetFailure::new(
                FailureKind::WrongReadBack,
                format!(
                    "the InferenceService {name} has not caught up: its status describes generation {observed}, \
                     its spec is at generation {}",
                    self.metadata.generation
                ),
            )),
        }
    }
}

impl Kserve {
    pub fn new(http: TargetHttp, spec: KserveSpec) -> Kserve {
        Kserve { http, spec }
    }

    /// The resource's URL and the bearer token (empty when none), read now.
    async fn access(&self) -> Result<(String, String), TargetFailure> {
        let (server, token) = match (&self.spec.kubeconfig, &self.spec.token) {
            (Some(path), _) => kubeconfig_access(path).await?,
            (None, Some(reference)) => (String::new(), read_token(reference).await?),
            (None, None) => (String::new(), String::new()),
        };
        let server = self.spec.api_url.clone().unwrap_or(server);
        let segments = [
            "apis",
            "serving.kserve.io",
            "v1beta1",
            "namespaces",
            &self.spec.namespace,
            "inferenceservices",
            &self.spec.name,
        ];
        Ok((endpoint(&server, &segments)?.into(), token))
    }

    /// Sends the request `build` makes for the resource's URL, with the bearer token; returns
    /// the URL and the answer's JSON.
    async fn send(
        &self,
        build: impl FnOnce(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<(String, Value), TargetFailure> {
        let (url, token) = self.access().await?;
        let mut request = build(&self.http.client, &url);
        if !token.is_empty() {
            let whence = self.spec.token.as_deref().or(self.spec.kubeconfig.as_deref()).unwrap_or_default();
            request = request.header(AUTHORIZATION, secret_header(&format!("Bearer {token}"), whence)?);
        }
        let answer = self.http.exchange(request, &url).await.map_err(|failure| without_secret(failure, &token))?;
        Ok((url, answer.1))
    }

    async fn fetch(&self) -> Result<InferenceService, TargetFailure> {
        let (url, json) = self.send(|client, url| client.get(url)).await?;
        decode(json, &url, "an InferenceService")
    }

    /// The version whose storage URI is `uri`.
    fn version_of(&self, uri: &str) -> Option<&str> {
        self.spec.storage_uris.iter().find(|(_, known)| known.as_str() == uri).map(|(version, _)| version.as_str())
    }

    fn uri_of(&self, version: &str) -> Result<&str, TargetFailure> {
        self.spec.storage_uris.get(version).map(String::as_str).ok_or_else(|| {
            TargetFailure::config(format!("storage_uris names no storage URI for version {version}: add one"))
        })
    }

    /// What `service`'s status says it serves, in versions.
    fn traffic_of(&self, service: &InferenceService) -> Result<Traffic, TargetFailure> {
        let status = service.current_status(&self.spec.name)?;
        let served = status.components.predictor.as_ref().map(|p| p.traffic.as_slice()).unwrap_or_default();
        let mut weights = BTreeMap::new();
        for revision in served.iter().filter(|revision| revision.percent > 0) {
            let version = self.version_of_revision(service, revision)?;
            *weights.entry(version.to_owned()).or_insert(0) += revision.percent;
        }
        Ok(Traffic { weights, mirror: None })
    }

    /// The latest revision is the spec's storage URI's version; an earlier one the recorded stable.
    fn version_of_revision<'a>(
        &'a self,
        service: &'a InferenceService,
        revision: &RevisionTraffic,
    ) -> Result<&'a str, TargetFailure> {
        let version = if revision.latest_revision {
            service.storage_uri().and_then(|uri| self.version_of(uri))
        } else {
            service.metadata.annotations.get(STABLE_ANNOTATION).map(String::as_str)
        };
        version.ok_or_else(|| {
            let revision_name: String = revision.revision_name.chars().filter(|c| !c.is_control()).take(100).collect();
            TargetFailure::new(
                FailureKind::WrongReadBack,
                format!(
                    "the InferenceService {} serves revision {revision_name} at {} %, whose version Vigil cannot name \
                     (not a storage URI in storage_uris, or not a revision Vigil rolled out)",
                    self.spec.name, revision.percent
                ),
            )
        })
    }

    /// The merge-patch that makes the service serve `wanted`.
    async fn patch_for(&self, wanted: &Traffic) -> Result<Value, TargetFailure> {
        let versions: Vec<(&String, &u32)> = wanted.weights.iter().collect();
        match versions[..] {
            [(version, 100)] => Ok(patch(version, self.uri_of(version)?, None)),
            [(first, _), (second, _)] => {
                let stable = self.stable_version().await?;
                let candidate = match stable.as_str() {
                    s if s == first => second,
                    s if s == second => first,
                    _ => {
                        return Err(TargetFailure::config(format!(
                            "the InferenceService {} serves {stable} as rolled out, so it can canary one new version \
                         against {stable}, not {}",
                            self.spec.name,
                            wanted.describe()
                        )))
                    }
                };
                Ok(patch(&stable, self.uri_of(candidate)?, Some(wanted.weight_of(candidate))))
            }
            _ => Err(TargetFailure::config(format!(
                "KServe serves one or two versions at a time, not {}",
                wanted.describe()
            ))),
        }
    }

    /// The version the service serves as rolled out: the recorded stable one, or else the one its
    /// spec names (a service Vigil has not changed yet).
    async fn stable_version(&self) -> Result<String, TargetFailure> {
        let service = self.fetch().await?;
        let recorded = service.metadata.annotations.get(STABLE_ANNOTATION).cloned();
        let named = service.storage_uri().and_then(|uri| self.version_of(uri)).map(str::to_owned);
        recorded.or(named).ok_or_else(|| {
            TargetFailure::config(format!(
                "the InferenceService {}'s storage URI is none of storage_uris, so Vigil cannot tell its stable version: add it",
                self.spec.name
            ))
        })
    }
}

/// A merge-patch: `stable` recorded, the predictor on `uri`, the latest revision at `canary`
/// percent (no canary: all traffic to the latest revision).
fn patch(stable: &str, uri: &str, canary: Option<u32>) -> Value {
    json!({
        "metadata": { "annotations": { STABLE_ANNOTATION: stable } },
        "spec": { "predictor": { "canaryTrafficPercent": canary, "model": { "storageUri": uri } } }
    })
}

/// The server and token of the current context of the kubeconfig at `path` (JSON form).
async fn kubeconfig_access(path: &str) -> Result<(String, String), TargetFailure> {
    let unreadable = |reason: String| TargetFailure::config(format!("the kubeconfig {path} cannot be used: {reason}"));
    let mut text = Vec::new();
    let file = tokio::fs::File::open(path).await.map_err(|error| unreadable(error.kind().to_string()))?;
    file.take(MAX_KUBECONFIG_BYTES)
        .read_to_end(&mut text)
        .await
        .map_err(|error| unreadable(error.kind().to_string()))?;
    let config: Value = serde_json::from_slice(&text).map_err(|_| {
        unreadable(
            "it is not JSON; Vigil reads the JSON form: kubectl config view --minify --flatten -o json".to_owned(),
        )
    })?;
    let context = config
        .get("current-context")
        .and_then(Value::as_str)
        .ok_or_else(|| unreadable("no current-context".to_owned()))?;
    let chosen =
        named(&config, "contexts", context, "context").ok_or_else(|| unreadable(format!("no context {context}")))?;
    let field = |key: &str| chosen.get(key).and_then(Value::as_str).unwrap_or_default();
    let server =
        named(&config, "clusters", field("cluster"), "cluster").and_then(|c| c.get("server")).and_then(Value::as_str);
    let token = named(&config, "users", field("user"), "user").and_then(|u| u.get("token")).and_then(Value::as_str);
    match (server, token) {
        (Some(server), Some(token)) => Ok((server.to_owned(), token.to_owned())),
        (None, _) => Err(unreadable(format!("context {context}'s cluster has no server"))),
        (_, None) => Err(unreadable(format!(
            "context {context}'s user has no token (Vigil supports only token auth, not client certificates or exec plugins)"
        ))),
    }
}

/// The `inner` object of the entry called `name` in the kubeconfig's list `list`.
fn named<'a>(config: &'a Value, list: &str, name: &str, inner: &str) -> Option<&'a Value> {
    let entries = config.get(list)?.as_array()?;
    entries.iter().find(|entry| entry.get("name").and_then(Value::as_str) == Some(name))?.get(inner)
}

impl DeploymentTarget for Kserve {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn idempotent(&self) -> bool {
        true
    }

    fn read(&self) -> Answer<'_, Traffic> {
        Box::pin(async move { self.traffic_of(&self.fetch().await?) })
    }

    fn apply<'a>(&'a self, wanted: &'a Traffic) -> Answer<'a, ()> {
        Box::pin(async move {
            let body = self.patch_for(wanted).await?;
            let merge_patch = |client: &reqwest::Client, url: &str| {
                client.patch(url).header(CONTENT_TYPE, "application/merge-patch+json").body(body.to_string())
            };
            self.send(merge_patch).await.map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> KserveSpec {
        KserveSpec {
            api_url: Some("https://k8s.local:6443".into()),
            namespace: "models".into(),
            name: "fraud".into(),
            token: Some("env:K8S_TOKEN".into()),
            kubeconfig: None,
            storage_uris: BTreeMap::from([("12".into(), "s3://m/fraud/12".into())]),
        }
    }

    fn field(spec: KserveSpec) -> &'static str {
        match spec.validate() {
            Err(VigilError::InvalidInput { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn validation_names_the_field() {
        assert!(spec().validate().is_ok());
        assert_eq!(field(KserveSpec { api_url: None, ..spec() }), "api_url");
        assert_eq!(field(KserveSpec { namespace: "Models".into(), ..spec() }), "namespace");
        assert_eq!(field(KserveSpec { name: "-fraud".into(), ..spec() }), "name");
        assert_eq!(field(KserveSpec { token: Some("raw-token".into()), ..spec() }), "token");
        assert_eq!(field(KserveSpec { kubeconfig: Some("/k.json".into()), ..spec() }), "token");
        assert_eq!(field(KserveSpec { storage_uris: BTreeMap::new(), ..spec() }), "storage_uris");
        let bare = BTreeMap::from([("12".to_owned(), "fraud-12".to_owned())]);
        assert_eq!(field(KserveSpec { storage_uris: bare, ..spec() }), "storage_uris");
    }

    #[tokio::test]
    async fn a_kubeconfig_gives_the_current_contexts_server_and_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let config = json!({
            "current-context": "prod",
            "contexts": [{"name": "dev", "context": {"cluster": "a", "user": "a"}}, {"name": "prod", "context": {"cluster": "b", "user": "ci"}}],
            "clusters": [{"name": "a", "cluster": {"server": "https://a:6443"}}, {"name": "b", "cluster": {"server": "https://b:6443"}}],
            "users": [{"name": "a", "user": {"token": "ta"}}, {"name": "ci", "user": {"token": "tci"}}]
        });
        std::fs::write(&path, config.to_string()).unwrap();
        let access = kubeconfig_access(path.to_str().unwrap()).await.unwrap();
        assert_eq!(access, ("https://b:6443".to_owned(), "tci".to_owned()));

        std::fs::write(&path, "apiVersion: v1\nkind: Config\n").unwrap();
        let yaml = kubeconfig_access(path.to_str().unwrap()).await.unwrap_err();
        assert!(yaml.message.contains("JSON form"), "{yaml}");
    }
}
