//! Gathering the environment one revision serves in, from what its server and its model
//! registry expose: the server's own name and version (the Open Inference Protocol's server
//! metadata), the platform and runtime versions its model metadata names (`"platform":
//! "sklearn"`, `"versions": ["sklearn/1.5.2"]`), TorchServe's description of the archive
//! (runtime, archive file), and the packages MLflow logged for the model version. A source that
//! cannot be read is a problem named in the fingerprint, not a failure of the whole.

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use vigil_requirements::{normalized_name, Installer, Pin};

use super::{mlflow, Fingerprint, MlflowSource};
use crate::chosen::ChosenRevision;
use crate::clients::ServerClient;
use crate::kinds::ServerKind;
use crate::revisions::version_name;
use crate::scrape::http::{fetch_json, ServerHttp};

/// How long each request of a gathering may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a server's metadata answer read.
const MAX_METADATA: usize = 256 << 10;
/// The longest string from a server kept in a fingerprint.
const MAX_TEXT: usize = 200;

/// The fingerprint of `revision`, through `http` (the shared client), with MLflow's logged
/// environment when `source` says where.
pub async fn gather(http: &reqwest::Client, revision: &ChosenRevision, source: Option<&MlflowSource>) -> Fingerprint {
    let server = &revision.server;
    let mut fingerprint = Fingerprint {
        server: server.name.clone(),
        model: revision.model.clone(),
        version: revision.version.clone(),
        gathered_at: Utc::now(),
        software: None,
        platform: None,
        python: None,
        pins: Vec::new(),
        sources: Vec::new(),
        problems: Vec::new(),
        summary: String::new(),
    };
    let kind = server.detected_kind.unwrap_or(server.kind);
    match ServerClient::new(http.clone(), server).authorize().await {
        Ok(server_http) => from_server(&server_http, kind, revision, &mut fingerprint).await,
        Err(reason) => fingerprint.problems.push(format!("{} was not asked: {reason}", server.name)),
    }
    from_metadata(&revision.metadata, &mut fingerprint);
    if let Some(source) = source {
        from_mlflow(http, source, &revision.version, &mut fingerprint).await;
    }
    fingerprint.python = fingerprint.pins.iter().find(|pin| pin.name == "python").and_then(|pin| pin.version.clone());
    fingerprint.summary = summary(&fingerprint);
    fingerprint
}

/// The server's name and version, and TorchServe's description of the revision's archive.
async fn from_server(http: &ServerHttp, kind: ServerKind, revision: &ChosenRevision, fingerprint: &mut Fingerprint) {
    let server = &revision.server;
    if let Some(url) = kind.server_metadata_url(&server.base_url) {
        match fetch_json(http, &url, None, TIMEOUT, MAX_METADATA).await {
            Ok(metadata) => {
                let name = text(&metadata["name"]).unwrap_or_else(|| kind.as_str().to_owned());
                fingerprint.software = Some(match text(&metadata["version"]) {
                    Some(version) => format!("{name} {version}"),
                    None => name,
                });
                fingerprint.sources.push(format!("{}'s server metadata", server.name));
            }
            Err(reason) => fingerprint.problems.push(format!("{}'s server metadata: {reason}", server.name)),
        }
    }
    if kind == ServerKind::Torchserve {
        let base = server.management_url.as_deref().unwrap_or(&server.base_url).trim_end_matches('/');
        let mut url = format!("{base}/models/{}", urlencode(&revision.model));
        if !revision.version.is_empty() {
            url.push('/');
            url.push_str(&urlencode(&revision.version));
        }
        match fetch_json(http, &url, None, TIMEOUT, MAX_METADATA).await {
            Ok(described) => {
                let entry = described.get(0).unwrap_or(&described);
                fingerprint.software = Some("torchserve".into());
                fingerprint.platform = text(&entry["runtime"]).map(|runtime| format!("{runtime} handler"));
                let archive = text(&entry["modelUrl"]).unwrap_or_else(|| "its archive".into());
                fingerprint.sources.push(format!("TorchServe's manifest of {archive}"));
            }
            Err(reason) => fingerprint.problems.push(format!("TorchServe's description of the model: {reason}")),
        }
    }
}

/// The platform and the `name/version` runtime versions the revision's stored metadata names.
pub(crate) fn from_metadata(metadata: &str, fingerprint: &mut Fingerprint) {
    let Ok(metadata) = serde_json::from_str::<Value>(metadata) else { return };
    if let Some(platform) = text(&metadata["platform"]).filter(|platform| !platform.is_empty()) {
        fingerprint.platform = Some(platform);
    }
    let named: Vec<Pin> = metadata["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| runtime_pin(entry.as_str()?))
        .collect();
    if !named.is_empty() {
        fingerprint.sources.push("the model's metadata".into());
    }
    for pin in named {
        if !fingerprint.pins.iter().any(|known| known.name == pin.name) {
            fingerprint.pins.push(pin);
        }
    }
}

/// A runtime version as model metadata states one (`sklearn/1.5.2`, `onnxruntime==1.17.1`); a
/// bare model version such as Triton's `1` is none.
fn runtime_pin(entry: &str) -> Option<Pin> {
    let (name, version) = entry.split_once("==").or_else(|| entry.split_once('/'))?;
    let (name, version) = (name.trim(), version.trim());
    let plausible = |part: &str| !part.is_empty() && part.len() <= 64 && !part.contains(char::is_whitespace);
    if !plausible(name) || !plausible(version) || !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let name = match normalized_name(name).as_str() {
        "sklearn" => "scikit-learn".to_owned(),
        other => other.to_owned(),
    };
    Some(Pin {
        constraint: format!("=={version}"),
        name,
        version: Some(version.to_owned()),
        extras: Vec::new(),
        marker: None,
        url: None,
        installer: Installer::Pip,
        line: 0,
    })
}

/// MLflow's logged packages, Python and model libraries.
async fn from_mlflow(http: &reqwest::Client, source: &MlflowSource, version: &str, fingerprint: &mut Fingerprint) {
    let registry = match &source.token_ref {
        None => Ok(ServerHttp::new(http.clone())),
        Some(reference) => match crate::secrets::TokenRef::parse(reference) {
            Ok(reference) => match reference.read().await {
                Ok(token) => ServerHttp::with_token(http.clone(), &token)
                    .ok_or_else(|| format!("the token in {reference} is not a valid header value")),
                Err(reason) => Err(reason),
            },
            Err(reason) => Err(reason),
        },
    };
    let logged = match registry {
        Ok(registry) => mlflow::read(&registry, source, version, TIMEOUT).await,
        Err(reason) => Err(format!("MLflow was not asked: {reason}")),
    };
    match logged {
        Ok(logged) => {
            if !logged.files.is_empty() {
                fingerprint.sources.push(format!(
                    "MLflow's {} {}: {}",
                    source.registered_model,
                    version_name(version),
                    logged.files.join(", ")
                ));
            }
            fingerprint.problems.extend(logged.problems);
            for pin in logged.pins {
                fingerprint.pins.retain(|known| known.name != pin.name);
                fingerprint.pins.push(pin);
            }
        }
        Err(reason) => fingerprint.problems.push(reason),
    }
}

/// One line for the revision's card: "mlserver 1.7.1 · Python 3.11.7 · 4 packages".
fn summary(fingerprint: &Fingerprint) -> String {
    let packages = fingerprint.pins.iter().filter(|pin| pin.name != "python").count();
    let mut parts: Vec<String> = Vec::new();
    parts.extend(fingerprint.software.clone());
    parts.extend(fingerprint.platform.clone());
    parts.extend(fingerprint.python.as_ref().map(|python| format!("Python {python}")));
    if packages > 0 {
        parts.push(format!("{packages} package{}", if packages == 1 { "" } else { "s" }));
    }
    match parts.is_empty() {
        true => "Nothing known: the server names no software and no registry is set.".into(),
        false => parts.join(" · "),
    }
}

/// A JSON string from a server, cut to [`MAX_TEXT`] characters.
fn text(value: &Value) -> Option<String> {
    value.as_str().map(|text| text.chars().take(MAX_TEXT).collect())
}

fn urlencode(part: &str) -> String {
    url::form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>().replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_versions_are_pins_and_model_versions_are_not() {
        let pin = runtime_pin("sklearn/1.5.2").unwrap();
        assert_eq!((pin.name.as_str(), pin.version.as_deref()), ("scikit-learn", Some("1.5.2")));
        assert_eq!(runtime_pin("onnxruntime==1.17.1").unwrap().name, "onnxruntime");
        assert!(runtime_pin("1").is_none());
        assert!(runtime_pin("lib/latest").is_none());
    }
}
