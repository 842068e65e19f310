//! The kinds of model server Vigil knows, where each answers "are you ready?", and how a
//! server registered as `auto` is recognised.
//!
//! Detection asks the endpoints that set the kinds apart, most specific first, and decides from
//! status codes and small, bounded JSON answers only (see ../shared/MODEL-SERVERS.md).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::scrape::http::{get_capped, ServerHttp};

/// What kind of server a registered server is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, TS)]
#[serde(rename_all = "kebab-case")]
#[sqlx(type_name = "TEXT", rename_all = "kebab-case")]
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

impl ServerKind {
    /// Every kind, in the order a person picks from.
    pub const ALL: [ServerKind; 11] = [
        ServerKind::Auto,
        ServerKind::OipV2,
        ServerKind::Triton,
        ServerKind::Mlserver,
        ServerKind::Torchserve,
        ServerKind::Tfserving,
        ServerKind::Bentoml,
        ServerKind::Vllm,
        ServerKind::Tgi,
        ServerKind::Ray,
        ServerKind::Prometheus,
    ];

    /// The name used on the command line and stored in the database (`oip-v2`, `mlserver`).
    pub fn as_str(self) -> &'static str {
        match self {
            ServerKind::Auto => "auto",
            ServerKind::OipV2 => "oip-v2",
            ServerKind::Triton => "triton",
            ServerKind::Mlserver => "mlserver",
            ServerKind::Torchserve => "torchserve",
            ServerKind::Tfserving => "tfserving",
            ServerKind::Bentoml => "bentoml",
            ServerKind::Vllm => "vllm",
            ServerKind::Tgi => "tgi",
            ServerKind::Ray => "ray",
            ServerKind::Prometheus => "prometheus",
        }
    }

    /// Parses a kind as `as_str` writes it; the error lists the valid names.
    pub fn parse(name: &str) -> Result<ServerKind, String> {
        let name = name.trim().to_ascii_lowercase();
        ServerKind::ALL.into_iter().find(|kind| kind.as_str() == name).ok_or_else(|| {
            let valid: Vec<&str> = ServerKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("Kind '{name}' is not one Vigil knows: use one of {}.", valid.join(", "))
        })
    }

    /// Where a server of this kind serves its metrics page, relative to its base URL; None for
    /// `auto` (not yet known) and `prometheus` (read through its query API instead).
    pub fn metrics_path(self) -> Option<&'static str> {
        match self {
            ServerKind::Auto | ServerKind::Prometheus => None,
            ServerKind::Tfserving => Some("/monitoring/prometheus/metrics"),
            _ => Some("/metrics"),
        }
    }

    /// The URL whose HTTP status says whether one model revision is ready, for kinds that
    /// report it (the Open Inference Protocol's model readiness). Names are path-encoded.
    pub fn model_readiness_url(self, base_url: &str, model: &str, version: Option<&str>) -> Option<String> {
        self.oip_model_url(base_url, model, version, Some("ready"))
    }

    /// The URL of one model revision's metadata (platform, inputs, outputs), for kinds that
    /// give it (the Open Inference Protocol's model metadata).
    pub fn model_metadata_url(self, base_url: &str, model: &str, version: Option<&str>) -> Option<String> {
        self.oip_model_url(base_url, model, version, None)
    }

    /// `BASE/v2/models/MODEL[/versions/VERSION][/TAIL]`, path-encoded, for OIP kinds only.
    fn oip_model_url(self, base_url: &str, model: &str, version: Option<&str>, tail: Option<&str>) -> Option<String> {
        if !matches!(self, ServerKind::OipV2 | ServerKind::Triton | ServerKind::Mlserver) {
            return None;
        }
        let mut url = url::Url::parse(base_url).ok()?;
        {
            let mut path = url.path_segments_mut().ok()?;
            path.pop_if_empty().extend(["v2", "models", model]);
            if let Some(version) = version {
                path.extend(["versions", version]);
            }
            path.extend(tail);
        }
        Some(url.into())
    }

    /// The path whose HTTP status says whether the server is ready, for a known kind.
    /// `Auto` has none until it is detected.
    pub fn readiness_path(self) -> Option<&'static str> {
        match self {
            ServerKind::Auto => None,
            ServerKind::OipV2 | ServerKind::Triton | ServerKind::Mlserver => Some("/v2/health/ready"),
            ServerKind::Torchserve => Some("/ping"),
            ServerKind::Tfserving => Some("/v1/models"),
            ServerKind::Bentoml => Some("/readyz"),
            ServerKind::Vllm | ServerKind::Tgi => Some("/health"),
            ServerKind::Ray => Some("/-/healthz"),
            ServerKind::Prometheus => Some("/-/ready"),
        }
    }
}

impl ServerKind {
    /// Whether a readiness answer with this HTTP status means ready. TF Serving has no
    /// server-wide readiness endpoint: any answer but a server error means it serves
    /// (unverified against a live TF Serving; per-model status comes with model discovery).
    pub fn is_ready(self, status: u16) -> bool {
        match self {
            ServerKind::Tfserving => status < 500,
            _ => (200..300).contains(&status),
        }
    }
}

/// The most of an answer detection reads.
const MAX_PROBE_BODY: usize = 64 * 1024;

/// One thing detection asks: a path, and how to tell the kind from the answer.
struct Probe {
    path: &'static str,
    decide: fn(status: u16, body: &str) -> Option<ServerKind>,
}

/// Asked in order; the first that recognises its kind wins.
const PROBES: &[Probe] = &[
    // OIP v2 server metadata names the implementation: {"name":"triton"|"mlserver"|"kserve",...}
    Probe { path: "/v2", decide: |status, body| (status == 200).then(|| oip_kind(body)).flatten() },
    Probe {
        path: "/ping",
        decide: |status, body| (status == 200 && body.contains("Healthy")).then_some(ServerKind::Torchserve),
    },
    Probe {
        path: "/-/ready",
        decide: |status, body| (status == 200 && body.contains("Prometheus")).then_some(ServerKind::Prometheus),
    },
    Probe { path: "/-/healthz", decide: |status, _| (status == 200).then_some(ServerKind::Ray) },
    Probe {
        path: "/info",
        decide: |status, body| (status == 200 && body.contains("\"model_id\"")).then_some(ServerKind::Tgi),
    },
    Probe {
        path: "/v1/models",
        decide: |status, body| {
            if status == 200 && body.contains("\"data\"") {
                Some(ServerKind::Vllm)
            } else if body.contains("Servable") || body.contains("model_version_status") {
                Some(ServerKind::Tfserving)
            } else {
                None
            }
        },
    },
    // BentoML answers /readyz (500 until started) and /livez.
    Probe { path: "/livez", decide: |status, _| (status == 200).then_some(ServerKind::Bentoml) },
];

fn oip_kind(body: &str) -> Option<ServerKind> {
    let metadata: serde_json::Value = serde_json::from_str(body).ok()?;
    let name = metadata.get("name")?.as_str()?.to_ascii_lowercase();
    Some(match name.as_str() {
        "triton" => ServerKind::Triton,
        "mlserver" => ServerKind::Mlserver,
        _ => ServerKind::OipV2,
    })
}

/// Why detection found no kind: the server did not answer at all, or answered but like no
/// server Vigil knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetectError {
    Unreachable(String),
    Unrecognised,
}

/// Probes the server at `base_url` and returns its kind.
pub async fn detect(http: &ServerHttp, base_url: &str, timeout: Duration) -> Result<ServerKind, DetectError> {
    let mut answered = false;
    for probe in PROBES {
        match fetch_small(http, &format!("{base_url}{}", probe.path), timeout).await {
            Ok((status, body)) => {
                answered = true;
                if let Some(kind) = (probe.decide)(status, &body) {
                    return Ok(kind);
                }
            }
            Err(reason) if !answered => return Err(DetectError::Unreachable(reason)),
            Err(_) => {}
        }
    }
    Err(DetectError::Unrecognised)
}

/// GETs `url` and returns its status and at most [`MAX_PROBE_BODY`] bytes of body as text.
async fn fetch_small(http: &ServerHttp, url: &str, timeout: Duration) -> Result<(u16, String), String> {
    let answer = get_capped(http, url, timeout, MAX_PROBE_BODY).await?;
    Ok((answer.status, String::from_utf8_lossy(&answer.body).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names_and_bad_names_list_the_valid_ones() {
        for kind in ServerKind::ALL {
            assert_eq!(ServerKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(ServerKind::parse(" MLServer "), Ok(ServerKind::Mlserver));
        let err = ServerKind::parse("sagemaker").unwrap_err();
        assert!(err.contains("'sagemaker'") && err.contains("oip-v2") && err.contains("torchserve"), "{err}");
    }

    #[test]
    fn model_readiness_urls_encode_names_and_exist_only_for_oip_kinds() {
        let url = |kind: ServerKind, version| kind.model_readiness_url("http://h:8080/serving", "fraud v2/x", version);
        assert_eq!(
            url(ServerKind::Mlserver, Some("1")).as_deref(),
            Some("http://h:8080/serving/v2/models/fraud%20v2%2Fx/versions/1/ready")
        );
        assert_eq!(
            url(ServerKind::Triton, None).as_deref(),
            Some("http://h:8080/serving/v2/models/fraud%20v2%2Fx/ready")
        );
        assert_eq!(url(ServerKind::Vllm, None), None);
    }

    #[test]
    fn oip_metadata_names_the_implementation() {
        assert_eq!(oip_kind(r#"{"name":"mlserver","version":"1.7.1","extensions":[]}"#), Some(ServerKind::Mlserver));
        assert_eq!(oip_kind(r#"{"name":"triton","version":"2.50.0"}"#), Some(ServerKind::Triton));
        assert_eq!(oip_kind(r#"{"name":"kserve","version":"0.21.0"}"#), Some(ServerKind::OipV2));
        assert_eq!(oip_kind("not json"), None);
    }
}
