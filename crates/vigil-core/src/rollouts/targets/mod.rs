//! Deployment targets: where a rollout's decisions take effect. Each kind of target is one
//! implementation of [`DeploymentTarget`] in its own file; [`TargetSpec`] is what is stored per
//! model, and [`connect`] builds the target it describes.
//!
//! Every change goes through [`change`]: the target is asked to serve a [`Traffic`], the call
//! retried only where the target says repeating it is safe, and then the target's state is read
//! back until it matches. Only a confirmed read-back counts as done; anything else is a
//! [`TargetFailure`] carrying the target's own words.

mod kserve;
pub(crate) mod mlflow;
mod oip_repository;
pub(crate) mod router;
mod torchserve;
mod webhook;

pub use kserve::KserveSpec;
pub use mlflow::validate_registered as validate_mlflow_names;
pub use torchserve::TorchServeSpec;
pub use webhook::WebhookSpec;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::scrape::http::read_capped;
use crate::VigilError;

/// What a target can do, declared by it; a plan is checked against it when it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct Capabilities {
    /// Share traffic between versions by weight (a canary at 10 %).
    pub weights: bool,
    /// Serve one version instead of another, all at once.
    pub switch: bool,
    /// Send a copy of live traffic to a version without serving its answers.
    pub mirror: bool,
}

/// What a target serves: each version's share of traffic in whole percent (versions at 0 are
/// left out), and the version that receives a mirrored copy, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Traffic {
    pub weights: BTreeMap<String, u32>,
    #[serde(default)]
    pub mirror: Option<String>,
}

impl Traffic {
    /// All traffic to `version`.
    pub fn only(version: &str) -> Traffic {
        Traffic { weights: BTreeMap::from([(version.to_owned(), 100)]), mirror: None }
    }

    /// `candidate` at `weight` percent, `stable` the rest.
    pub fn split(stable: &str, candidate: &str, weight: u32) -> Traffic {
        let weight = weight.min(100);
        let weights = [(stable, 100 - weight), (candidate, weight)];
        Traffic { weights: weights.into_iter().map(|(v, w)| (v.to_owned(), w)).collect(), mirror: None }.normalized()
    }

    /// The same traffic with versions at 0 left out, so two reads compare equal.
    pub fn normalized(mut self) -> Traffic {
        self.weights.retain(|_, weight| *weight > 0);
        self
    }

    /// The share of `version`, in percent.
    pub fn weight_of(&self, version: &str) -> u32 {
        self.weights.get(version).copied().unwrap_or(0)
    }

    /// `12 90 % · 13 10 %`
    pub fn describe(&self) -> String {
        let mut words: Vec<String> = self.weights.iter().map(|(v, w)| format!("{v} {w} %")).collect();
        if let Some(mirror) = &self.mirror {
            words.push(format!("mirrored to {mirror}"));
        }
        if words.is_empty() {
            "nothing served".to_owned()
        } else {
            words.join(" · ")
        }
    }
}

/// How a target call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// No answer: connection refused, could not connect, cut off.
    Unreachable,
    /// No answer within the target's timeout.
    Timeout,
    /// The target answered with an error (its words are in the message).
    Refused,
    /// The call was accepted, but the state read back is not what was asked for.
    WrongReadBack,
    /// The target's configuration cannot work (a missing token, a bad URL).
    Config,
}

/// A target call that did not end in the state asked for: what kind of failure, and the
/// target's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct TargetFailure {
    pub kind: FailureKind,
    pub message: String,
}

impl TargetFailure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> TargetFailure {
        TargetFailure { kind, message: message.into() }
    }

    /// A target whose configuration cannot work.
    pub fn config(message: impl Into<String>) -> TargetFailure {
        TargetFailure::new(FailureKind::Config, message)
    }

    /// A call that may be sent again: no answer, or no answer in time.
    fn transient(&self) -> bool {
        matches!(self.kind, FailureKind::Unreachable | FailureKind::Timeout)
    }
}

/// What a target call gives back, boxed so that targets are one trait object.
pub type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, TargetFailure>> + Send + 'a>>;

/// One kind of deployment target.
pub trait DeploymentTarget: Send + Sync {
    /// What it can do.
    fn capabilities(&self) -> Capabilities;

    /// Whether asking twice for the same traffic does what asking once does, so a call that got
    /// no answer may be sent again.
    fn idempotent(&self) -> bool;

    /// What it serves now, read from the target itself (its status, not what was last sent).
    fn read(&self) -> Answer<'_, Traffic>;

    /// Asks it to serve `wanted`. Returns once the target accepted the request; [`change`]
    /// confirms it by reading back.
    fn apply<'a>(&'a self, wanted: &'a Traffic) -> Answer<'a, ()>;
}

/// Where a model's rollouts take effect, as stored (JSON, tagged by `kind`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetSpec {
    /// A traffic router with weights over HTTP: `GET`/`PUT {url}` with `{"weights": {...}}`, the
    /// URL naming the model's route (the demo fleet's `/admin/routes/{model}`).
    Router { url: String },
    /// An Open Inference Protocol repository (MLServer, Triton): each version is its own
    /// repository entry, `versions` maps the version to the entry's name (see `oip_repository`).
    OipRepository { url: String, versions: BTreeMap<String, String> },
    /// An MLflow Model Registry alias (e.g. `champion`) of registered model `model`, pointed at a
    /// version; `token_ref` (`env:NAME` or `keyring:NAME`) names a bearer token, never holds it.
    Mlflow {
        url: String,
        model: String,
        alias: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_ref: Option<String>,
    },
    /// A generic HTTP webhook: a JSON body from a template, POSTed (see `webhook.rs`).
    Webhook(WebhookSpec),
    /// TorchServe's management API: one default version per model (see `torchserve.rs`).
    Torchserve(TorchServeSpec),
    /// A KServe InferenceService through the Kubernetes API (see `kserve.rs`).
    Kserve(KserveSpec),
}

impl TargetSpec {
    /// The words for its kind, for lists.
    pub fn kind_name(&self) -> &'static str {
        match self {
            TargetSpec::Router { .. } => "traffic router",
            TargetSpec::OipRepository { .. } => "OIP model repository",
            TargetSpec::Mlflow { .. } => "MLflow registry alias",
            TargetSpec::Webhook(_) => "webhook",
            TargetSpec::Torchserve(_) => "TorchServe",
            TargetSpec::Kserve(_) => "KServe InferenceService",
        }
    }

    /// Where it is, for lists.
    pub fn location(&self) -> &str {
        match self {
            TargetSpec::Router { url } => url,
            TargetSpec::OipRepository { url, .. } => url,
            TargetSpec::Mlflow { url, .. } => url,
            TargetSpec::Webhook(spec) => &spec.url,
            TargetSpec::Torchserve(spec) => &spec.url,
            TargetSpec::Kserve(spec) => spec.location(),
        }
    }

    /// Checks what can be checked without calling it.
    pub fn validate(&self) -> crate::Result<()> {
        match self {
            TargetSpec::Router { url } => http_url("url", url),
            TargetSpec::OipRepository { url, versions } => {
                http_url("url", url)?;
                oip_repository::validate(versions)
            }
            TargetSpec::Mlflow { url, model, alias, token_ref } => {
                http_url("url", url)?;
                mlflow::validate(model, alias, token_ref.as_deref())
            }
            TargetSpec::Webhook(spec) => spec.validate(),
            TargetSpec::Torchserve(spec) => spec.validate(),
            TargetSpec::Kserve(spec) => spec.validate(),
        }
    }
}

/// Checks that `field`'s value `url` is an http:// or https:// URL.
fn http_url(field: &'static str, url: &str) -> crate::Result<()> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(()),
        _ => Err(VigilError::invalid(field, format!("'{url}' is not an http:// or https:// URL."))),
    }
}

/// What the target `spec` describes can do, without calling it.
pub fn capabilities_of(spec: &TargetSpec) -> Capabilities {
    match spec {
        TargetSpec::Router { .. } => router::CAPABILITIES,
        TargetSpec::OipRepository { .. } => oip_repository::CAPABILITIES,
        TargetSpec::Mlflow { .. } => mlflow::CAPABILITIES,
        TargetSpec::Webhook(_) => webhook::CAPABILITIES,
        TargetSpec::Torchserve(_) => torchserve::CAPABILITIES,
        TargetSpec::Kserve(_) => kserve::CAPABILITIES,
    }
}

/// The target `spec` describes, calling through the shared client, each call bounded by `timeout`.
pub fn connect(spec: &TargetSpec, http: reqwest::Client, timeout: Duration) -> Box<dyn DeploymentTarget> {
    let http = TargetHttp { client: http, timeout };
    match spec {
        TargetSpec::Router { url } => Box::new(router::Router::new(http, url.clone())),
        TargetSpec::OipRepository { url, versions } => {
            Box::new(oip_repository::OipRepository::new(http, url.clone(), versions.clone()))
        }
        TargetSpec::Mlflow { url, model, alias, token_ref } => {
            Box::new(mlflow::MlflowAlias::new(http, url.clone(), model.clone(), alias.clone(), token_ref.as_deref()))
        }
        TargetSpec::Webhook(spec) => Box::new(webhook::Webhook::new(http, spec.clone())),
        TargetSpec::Torchserve(spec) => Box::new(torchserve::TorchServe::new(http, spec.clone())),
        TargetSpec::Kserve(spec) => Box::new(kserve::Kserve::new(http, spec.clone())),
    }
}

/// How often a read-back is repeated while the target's state catches up.
const READ_BACK_EVERY: Duration = Duration::from_millis(100);
/// How many times a call that got no answer is sent, in all, when the target is idempotent.
const ATTEMPTS: u32 = 3;

/// Makes `target` serve `wanted` and confirms it: the call (sent again after no answer when the
/// target is idempotent), then reads until the state matches, for at most `settle`. Returns the
/// confirmed state.
pub async fn change(
    target: &dyn DeploymentTarget,
    wanted: &Traffic,
    settle: Duration,
) -> Result<Traffic, TargetFailure> {
    let wanted = wanted.clone().normalized();
    let attempts = if target.idempotent() { ATTEMPTS } else { 1 };
    let mut attempt = 1;
    loop {
        match target.apply(&wanted).await {
            Ok(()) => break,
            Err(failure) if failure.transient() && attempt < attempts => attempt += 1,
            Err(failure) => return Err(failure),
        }
    }
    let deadline = tokio::time::Instant::now() + settle;
    loop {
        let found = target.read().await.map(Traffic::normalized);
        match found {
            Ok(found) if found == wanted => return Ok(found),
            Err(failure) if failure.kind == FailureKind::Config => return Err(failure),
            Ok(found) if tokio::time::Instant::now() >= deadline => {
                let message = format!(
                    "the target accepted the change but reads back {} instead of {}",
                    found.describe(),
                    wanted.describe()
                );
                return Err(TargetFailure::new(FailureKind::WrongReadBack, message));
            }
            Err(failure) if tokio::time::Instant::now() >= deadline => return Err(failure),
            _ => tokio::time::sleep(READ_BACK_EVERY).await,
        }
    }
}

/// HTTP as targets speak it: the shared client, every call bounded in time and size, and the
/// answer's JSON or the target's own error in words.
#[derive(Clone)]
pub struct TargetHttp {
    pub client: reqwest::Client,
    pub timeout: Duration,
}

/// The most of an answer a target call reads.
const MAX_ANSWER_BYTES: usize = 1 << 20;

impl TargetHttp {
    /// Sends `request` to `url` and returns the answer's status and JSON body (Null when empty
    /// or not JSON). A non-2xx answer is [`FailureKind::Refused`] with the target's own words.
    pub async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<(u16, serde_json::Value), TargetFailure> {
        self.exchange_accepting(request, url, &[]).await
    }

    /// As [`TargetHttp::exchange`], but an answer whose status is in `also_accepted` is returned
    /// rather than refused (a 404 that means "none yet", a 409 that means "already done").
    pub async fn exchange_accepting(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
        also_accepted: &[u16],
    ) -> Result<(u16, serde_json::Value), TargetFailure> {
        let answer = read_capped(request, url, self.timeout, MAX_ANSWER_BYTES).await.map_err(|reason| {
            let kind = if reason.starts_with("no answer") { FailureKind::Timeout } else { FailureKind::Unreachable };
            TargetFailure::new(kind, format!("{url}: {reason}"))
        })?;
        let json = serde_json::from_slice(&answer.body).unwrap_or(serde_json::Value::Null);
        if !(200..300).contains(&answer.status) && !also_accepted.contains(&answer.status) {
            return Err(TargetFailure::new(
                FailureKind::Refused,
                format!("{url} answered HTTP {}: {}", answer.status, own_words(&json, &answer.body)),
            ));
        }
        Ok((answer.status, json))
    }
}

/// What a target said in an error answer: its `error` or `message` field, else the body's start.
pub(crate) fn own_words(json: &serde_json::Value, body: &[u8]) -> String {
    let field = ["error", "message", "detail"].iter().find_map(|key| json.get(*key)).map(|value| match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    });
    let text = field.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let text: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
    if text.trim().is_empty() {
        "no reason given".to_owned()
    } else {
        text
    }
}

/// `base` with `segments` added to its path, each escaped: the URL a target calls. A `base` that
/// is not a URL is a [`FailureKind::Config`] failure.
fn endpoint(base: &str, segments: &[&str]) -> Result<url::Url, TargetFailure> {
    let mut url = url::Url::parse(base).map_err(|_| TargetFailure::config(format!("'{base}' is not a URL")))?;
    url.path_segments_mut()
        .map_err(|()| TargetFailure::config(format!("'{base}' cannot take a path")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// The one version a target that only switches is asked to serve: `wanted` must give one
/// version all the traffic and mirror nothing.
fn switched_to(wanted: &Traffic) -> Result<&str, TargetFailure> {
    let mut served = wanted.weights.iter().filter(|(_, weight)| **weight > 0);
    match (served.next(), served.next(), &wanted.mirror) {
        (Some((version, 100)), None, None) => Ok(version),
        _ => Err(TargetFailure::config(format!(
            "this target only switches all traffic to one version; it cannot serve {}",
            wanted.describe()
        ))),
    }
}

/// `json` read as a `T`, or [`FailureKind::Refused`] saying that `url` did not answer `what`.
fn decode<T: serde::de::DeserializeOwned>(json: serde_json::Value, url: &str, what: &str) -> Result<T, TargetFailure> {
    serde_json::from_value(json)
        .map_err(|_| TargetFailure::new(FailureKind::Refused, format!("{url} did not answer {what}")))
}

/// The token `reference` (`env:NAME` or `keyring:NAME`) points at, read now. Errors name the
/// reference, never a token.
async fn read_token(reference: &str) -> Result<String, TargetFailure> {
    let reference = crate::secrets::TokenRef::parse(reference).map_err(TargetFailure::config)?;
    reference.read().await.map_err(TargetFailure::config)
}

/// `value` as a header value marked sensitive (kept out of debug output); the error says
/// `whence` the value came from, never the value.
fn secret_header(value: &str, whence: &str) -> Result<reqwest::header::HeaderValue, TargetFailure> {
    let mut header = reqwest::header::HeaderValue::from_str(value)
        .map_err(|_| TargetFailure::config(format!("the token in {whence} is not a valid header value")))?;
    header.set_sensitive(true);
    Ok(header)
}

/// `failure` with `secret` cut out of its message, so a target that repeats the token in its
/// error cannot put it in Vigil's records.
fn without_secret(mut failure: TargetFailure, secret: &str) -> TargetFailure {
    if !secret.is_empty() {
        failure.message = failure.message.replace(secret, "[token]");
    }
    failure
}
