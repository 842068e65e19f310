//! The kinds of model server Vigil knows, and what Vigil knows of each.
//!
//! Each kind's facts live in one file of this folder, as its [`KindSpec`]: how detection
//! recognises it, where it answers "are you ready?", how it lists its models (a [`Listing`]),
//! and where its metrics are and which of them hold its golden signals (a [`SignalMap`]). This
//! module holds the [`ServerKind`] enum (the name stored in the database and sent to the UI), the
//! list of specs, and the code that reads them; discovery, health and the poll read a kind only
//! through its spec.
//!
//! Adding a kind: a file here with its `SPEC`, its variant in [`ServerKind`], and its line in
//! `KINDS`, where it sits in the order detection asks.
//!
//! Detection asks the endpoints that set the kinds apart, most specific first, and decides from
//! status codes and small, bounded answers only. Readiness, too, is decided from the HTTP status,
//! never from the body (Triton answers with an empty body, KServe with JSON).

mod bentoml;
mod mlserver;
mod oip_v2;
mod prometheus;
mod ray;
mod tfserving;
mod tgi;
mod torchserve;
mod triton;
mod vllm;

#[cfg(test)]
mod tests;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::discovery::Listing;
use crate::scrape::http::{get_capped, ServerHttp};
use crate::signals::maps::SignalMap;

/// What kind of server a registered server is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ServerKind {
    /// Not said: Vigil probes the server and detects its kind.
    #[default]
    Auto,
    /// Any server speaking the Open Inference Protocol v2 (KServe, and others).
    OipV2,
    Triton,
    Mlserver,
    Torchserve,
    Tfserving,
    Bentoml,
    Vllm,
    Tgi,
    Ray,
    /// Signals read through a Prometheus that already scrapes the servers.
    Prometheus,
}

crate::store::values::text_column!(ServerKind);

/// Every kind but `auto`, in the order detection asks them: a server that answers like several
/// kinds is taken for the first. The OIP implementations that name themselves come before any
/// other OIP server; vLLM before TF Serving, which both answer `/v1/models`.
static KINDS: &[&KindSpec] = &[
    &triton::SPEC,
    &mlserver::SPEC,
    &oip_v2::SPEC,
    &torchserve::SPEC,
    &prometheus::SPEC,
    &ray::SPEC,
    &tgi::SPEC,
    &vllm::SPEC,
    &tfserving::SPEC,
    &bentoml::SPEC,
];

/// What Vigil knows of one kind of server.
pub struct KindSpec {
    pub kind: ServerKind,
    /// The name used on the command line and stored in the database (`oip-v2`, `mlserver`): the
    /// variant as serde writes it.
    pub name: &'static str,
    /// How detection recognises a server of this kind registered as `auto`.
    pub probe: Probe,
    /// The path whose HTTP status says whether the server is ready, relative to its base URL.
    pub readiness_path: &'static str,
    /// Whether a readiness answer with this HTTP status means ready.
    pub is_ready: fn(status: u16) -> bool,
    pub metrics: Metrics,
    /// How it lists the models it serves; None when it lists nothing.
    pub listing: Option<Listing>,
    /// Where it answers for one model revision; None when it does not.
    pub model_endpoints: Option<ModelEndpoints>,
}

/// One thing detection asks: a path, and whether the answer is this kind's.
pub struct Probe {
    pub path: &'static str,
    pub recognise: fn(status: u16, body: &str) -> bool,
}

/// Where a kind's metrics are read.
pub enum Metrics {
    /// From its own metrics page at `path` (relative to the base URL, unless the server is
    /// registered with a metrics URL), through `map`.
    Page { path: &'static str, map: &'static SignalMap },
    /// Through the query API of a Prometheus that scrapes servers of another kind (the server's
    /// source kind), with that kind's map.
    ThroughPrometheus,
}

/// Where a kind answers for one model revision: `BASE/PREFIX…/MODEL[/VERSIONS/VERSION]` gives
/// its metadata (platform, inputs, outputs), that with `/READY` appended says by its HTTP
/// status whether it is ready, and that with `/INFER` appended takes inference requests (POST).
/// Names are path-encoded.
pub struct ModelEndpoints {
    pub prefix: &'static [&'static str],
    pub versions: &'static str,
    pub ready: &'static str,
    pub infer: &'static str,
}

/// A 2xx status: what most readiness endpoints answer when ready.
fn success(status: u16) -> bool {
    (200..300).contains(&status)
}

impl ServerKind {
    /// What Vigil knows of this kind; None for `auto`.
    pub fn spec(self) -> Option<&'static KindSpec> {
        KINDS.iter().copied().find(|spec| spec.kind == self)
    }

    /// Every kind, in the order a person picks from (the order of the variants).
    pub fn all() -> Vec<ServerKind> {
        let mut all: Vec<ServerKind> = KINDS.iter().map(|spec| spec.kind).collect();
        all.push(ServerKind::Auto);
        all.sort();
        all
    }

    /// The name used on the command line and stored in the database (`oip-v2`, `mlserver`).
    pub fn as_str(self) -> &'static str {
        self.spec().map_or("auto", |spec| spec.name)
    }

    /// Parses a kind as `as_str` writes it; the error lists the valid names.
    pub fn parse(name: &str) -> Result<ServerKind, String> {
        let name = name.trim().to_ascii_lowercase();
        let all = ServerKind::all();
        all.iter().copied().find(|kind| kind.as_str() == name).ok_or_else(|| {
            let valid: Vec<&str> = all.iter().map(|k| k.as_str()).collect();
            format!("Kind '{name}' is not one Vigil knows: use one of {}.", valid.join(", "))
        })
    }

    /// Where a server of this kind serves its metrics page, relative to its base URL; None for
    /// `auto` (not yet known) and `prometheus` (read through its query API instead).
    pub fn metrics_path(self) -> Option<&'static str> {
        match self.spec()?.metrics {
            Metrics::Page { path, .. } => Some(path),
            Metrics::ThroughPrometheus => None,
        }
    }

    /// The map of the golden signals on this kind's metrics page; None for `auto` (not yet
    /// detected) and `prometheus` (read with its source kind's map).
    pub fn signal_map(self) -> Option<&'static SignalMap> {
        match self.spec()?.metrics {
            Metrics::Page { map, .. } => Some(map),
            Metrics::ThroughPrometheus => None,
        }
    }

    /// The path whose HTTP status says whether the server is ready, for a known kind.
    /// `Auto` has none until it is detected.
    pub fn readiness_path(self) -> Option<&'static str> {
        Some(self.spec()?.readiness_path)
    }

    /// Whether a readiness answer with this HTTP status means ready.
    pub fn is_ready(self, status: u16) -> bool {
        self.spec().map_or(success(status), |spec| (spec.is_ready)(status))
    }

    /// The URL whose HTTP status says whether one model revision is ready, for kinds that
    /// report it (the Open Inference Protocol's model readiness). Names are path-encoded.
    pub fn model_readiness_url(self, base_url: &str, model: &str, version: Option<&str>) -> Option<String> {
        let ready = self.spec()?.model_endpoints.as_ref()?.ready;
        self.model_url(base_url, model, version, Some(ready))
    }

    /// The URL that takes one model revision's inference requests, for kinds whose inference
    /// protocol Vigil speaks (the Open Inference Protocol's `infer`). Names are path-encoded.
    pub fn model_infer_url(self, base_url: &str, model: &str, version: Option<&str>) -> Option<String> {
        let infer = self.spec()?.model_endpoints.as_ref()?.infer;
        self.model_url(base_url, model, version, Some(infer))
    }

    /// The URL of the server's own metadata (its name and version), for kinds that give it (the
    /// Open Inference Protocol's server metadata, `/v2`).
    pub fn server_metadata_url(self, base_url: &str) -> Option<String> {
        self.spec()?.model_endpoints.as_ref()?;
        Some(format!("{}{}", base_url.trim_end_matches('/'), oip_v2::SERVER_METADATA))
    }

    /// The URL of one model revision's metadata (platform, inputs, outputs), for kinds that
    /// give it (the Open Inference Protocol's model metadata).
    pub fn model_metadata_url(self, base_url: &str, model: &str, version: Option<&str>) -> Option<String> {
        self.model_url(base_url, model, version, None)
    }

    /// `BASE/PREFIX…/MODEL[/VERSIONS/VERSION][/TAIL]`, path-encoded, as the kind's
    /// [`ModelEndpoints`] say.
    fn model_url(self, base_url: &str, model: &str, version: Option<&str>, tail: Option<&str>) -> Option<String> {
        let endpoints = self.spec()?.model_endpoints.as_ref()?;
        let mut url = url::Url::parse(base_url).ok()?;
        {
            let mut path = url.path_segments_mut().ok()?;
            path.pop_if_empty().extend(endpoints.prefix).push(model);
            if let Some(version) = version {
                path.extend([endpoints.versions, version]);
            }
            path.extend(tail);
        }
        Some(url.into())
    }
}

/// The most of an answer detection reads.
const MAX_PROBE_BODY: usize = 64 * 1024;

/// Why detection found no kind: the server did not answer at all, or answered but like no
/// server Vigil knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetectError {
    Unreachable(String),
    Unrecognised,
}

/// Probes the server at `base_url` and returns its kind: each kind's probe in the order of
/// `KINDS`, each path asked once. A server whose first answer does not come is unreachable.
pub async fn detect(http: &ServerHttp, base_url: &str, timeout: Duration) -> Result<ServerKind, DetectError> {
    // Each path asked so far, with its status and body; None when no answer came.
    let mut answers: Vec<(&str, Option<(u16, String)>)> = Vec::new();
    for spec in KINDS {
        let path = spec.probe.path;
        if !answers.iter().any(|(asked, _)| *asked == path) {
            let answer = match fetch_small(http, &format!("{base_url}{path}"), timeout).await {
                Ok(answer) => Some(answer),
                Err(reason) if answers.iter().all(|(_, answer)| answer.is_none()) => {
                    return Err(DetectError::Unreachable(reason))
                }
                Err(_) => None,
            };
            answers.push((path, answer));
        }
        let answer = answers.iter().find(|(asked, _)| *asked == path).and_then(|(_, answer)| answer.as_ref());
        if answer.is_some_and(|(status, body)| (spec.probe.recognise)(*status, body)) {
            return Ok(spec.kind);
        }
    }
    Err(DetectError::Unrecognised)
}

/// GETs `url` and returns its status and at most [`MAX_PROBE_BODY`] bytes of body as text.
async fn fetch_small(http: &ServerHttp, url: &str, timeout: Duration) -> Result<(u16, String), String> {
    let answer = get_capped(http, url, timeout, MAX_PROBE_BODY).await?;
    Ok((answer.status, String::from_utf8_lossy(&answer.body).into_owned()))
}
