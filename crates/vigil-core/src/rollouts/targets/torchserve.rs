//! TorchServe as a deployment target, through its management API (port 8081 by default): a
//! model has several registered versions and serves its default one, so TorchServe switches
//! and cannot split by weight.
//!
//! Serving a version: when `GET /models/{model}/all` does not list it, it is registered from the
//! archive `archives` names for it (`POST /models?url=…&model_name=…&initial_workers=1&
//! synchronous=true`, so it has a worker before it becomes the default; a 409 "already
//! registered" counts as done), then `PUT /models/{model}/{version}/set-default`. The read-back is
//! `GET /models/{model}`, which describes the default version. Asking twice does what asking once
//! does.
//!
//! Vigil never unregisters (`DELETE /models/{model}/{version}`) a version: a rollback needs the
//! previous version still loaded. Old versions are unregistered by whoever runs the server.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{
    decode, endpoint, http_url, switched_to, Answer, Capabilities, DeploymentTarget, FailureKind, TargetFailure,
    TargetHttp, Traffic,
};
use crate::VigilError;

/// It switches only.
pub const CAPABILITIES: Capabilities = Capabilities { weights: false, switch: true, mirror: false };

/// A TorchServe model as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TorchServeSpec {
    /// The management API, e.g. `http://torchserve:8081`.
    pub url: String,
    /// The model's name on the server.
    pub model: String,
    /// Each version's model archive (a `.mar` URL or a file in the model store), for versions
    /// that must be registered before they can become the default.
    #[serde(default)]
    pub archives: BTreeMap<String, String>,
}

impl TorchServeSpec {
    /// Checks the URL, the model's name and the archives.
    pub fn validate(&self) -> crate::Result<()> {
        http_url("url", &self.url)?;
        if self.model.trim().is_empty() {
            return Err(VigilError::invalid("model", "Name the model as TorchServe registered it, e.g. fraud."));
        }
        match self.archives.iter().find(|(version, archive)| version.trim().is_empty() || archive.trim().is_empty()) {
            Some((version, _)) => Err(VigilError::invalid(
                "archives",
                format!("Version '{version}' needs a name and a model archive, e.g. \"13\": \"fraud-13.mar\"."),
            )),
            None => Ok(()),
        }
    }
}

pub struct TorchServe {
    http: TargetHttp,
    spec: TorchServeSpec,
}

/// One version in a describe answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Described {
    model_version: String,
}

impl TorchServe {
    pub fn new(http: TargetHttp, spec: TorchServeSpec) -> TorchServe {
        TorchServe { http, spec }
    }

    fn models_url(&self, rest: &[&str]) -> Result<String, TargetFailure> {
        endpoint(&self.spec.url, &[&["models", &self.spec.model], rest].concat()).map(String::from)
    }

    /// The versions registered for the model (none when TorchServe does not know the model).
    async fn registered(&self) -> Result<Vec<String>, TargetFailure> {
        let url = self.models_url(&["all"])?;
        let (status, json) = self.http.exchange_accepting(self.http.client.get(&url), &url, &[404]).await?;
        if status == 404 {
            return Ok(Vec::new());
        }
        let described: Vec<Described> = decode(json, &url, "a list of versions")?;
        Ok(described.into_iter().map(|d| d.model_version).collect())
    }

    /// Registers `version` from its archive, with one worker, waiting until it is loaded.
    async fn register(&self, version: &str) -> Result<(), TargetFailure> {
        let archive = self.spec.archives.get(version).ok_or_else(|| {
            TargetFailure::config(format!(
                "TorchServe has no version {version} of {} and archives names no model archive for it: add one",
                self.spec.model
            ))
        })?;
        let url = String::from(endpoint(&self.spec.url, &["models"])?);
        let query = [
            ("url", archive.as_str()),
            ("model_name", &self.spec.model),
            ("initial_workers", "1"),
            ("synchronous", "true"),
        ];
        let request = self.http.client.post(&url).query(&query);
        self.http.exchange_accepting(request, &url, &[409]).await.map(|_| ())
    }

    async fn set_default(&self, version: &str) -> Result<(), TargetFailure> {
        let url = self.models_url(&[version, "set-default"])?;
        self.http.exchange(self.http.client.put(&url), &url).await.map(|_| ())
    }
}

impl DeploymentTarget for TorchServe {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn idempotent(&self) -> bool {
        true
    }

    fn read(&self) -> Answer<'_, Traffic> {
        Box::pin(async move {
            let url = self.models_url(&[])?;
            let (_, json) = self.http.exchange(self.http.client.get(&url), &url).await?;
            let described: Vec<Described> = decode(json, &url, "a description of the model")?;
            let default = described.into_iter().next().ok_or_else(|| {
                TargetFailure::new(FailureKind::Refused, format!("{url} describes no default version"))
            })?;
            Ok(Traffic::only(&default.model_version))
        })
    }

    fn apply<'a>(&'a self, wanted: &'a Traffic) -> Answer<'a, ()> {
        Box::pin(async move {
            let version = switched_to(wanted)?;
            if !self.registered().await?.iter().any(|registered| registered == version) {
                self.register(version).await?;
            }
            self.set_default(version).await
        })
    }
}
