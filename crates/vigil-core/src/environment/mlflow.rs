//! A model version's environment as MLflow logged it: the registry gives the version's artifact
//! location (`GET /api/2.0/mlflow/model-versions/get-download-uri`), and the tracking server's
//! artifact proxy (`GET /api/2.0/mlflow-artifacts/artifacts/PATH`) gives `requirements.txt`,
//! `conda.yaml`, `python_env.yaml` and `MLmodel`. Artifacts kept elsewhere (s3://, a local
//! path) are named, not read. Every answer is read up to a cap and its text parsed, never run.

use std::time::Duration;

use vigil_requirements::Pin;

use super::MlflowSource;
use crate::scrape::http::{fetch_json, get_capped, ServerHttp};

/// The most of one artifact read.
const MAX_ARTIFACT: usize = 1 << 20;
/// The files read, in the order their packages count: requirements.txt states the pip packages;
/// conda.yaml is read for them only when it is missing.
const FILES: [&str; 4] = ["requirements.txt", "conda.yaml", "python_env.yaml", "MLmodel"];

/// What MLflow logged for one model version.
#[derive(Debug, Default)]
pub struct Logged {
    pub pins: Vec<Pin>,
    /// The files read, such as `requirements.txt`.
    pub files: Vec<String>,
    /// What could not be read, and why.
    pub problems: Vec<String>,
}

/// The logged environment of `version` (a leading `v` dropped: MLflow numbers its versions) of
/// `source`'s registered model.
pub async fn read(
    http: &ServerHttp,
    source: &MlflowSource,
    version: &str,
    timeout: Duration,
) -> Result<Logged, String> {
    let number = version.strip_prefix(['v', 'V']).unwrap_or(version);
    let mut url = endpoint(&source.url, &["api", "2.0", "mlflow", "model-versions", "get-download-uri"])?;
    url.query_pairs_mut().append_pair("name", &source.registered_model).append_pair("version", number);
    let answer = fetch_json(http, url.as_str(), None, timeout, 64 << 10).await.map_err(|reason| {
        format!("MLflow at {} gave no location for {} version {number}: {reason}", source.url, source.registered_model)
    })?;
    let location = answer["artifact_uri"].as_str().unwrap_or_default();
    let path = proxied_path(location).ok_or_else(|| {
        format!(
            "MLflow keeps {} version {number} at {}, which Vigil reads only through the tracking server's \
             artifact proxy (mlflow server --serve-artifacts, locations mlflow-artifacts:/…)",
            source.registered_model,
            shown(location)
        )
    })?;
    let mut logged = Logged::default();
    let mut pip_stated = false;
    for file in FILES {
        let mut segments = vec!["api", "2.0", "mlflow-artifacts", "artifacts"];
        segments.extend(path.split('/').filter(|part| !part.is_empty()));
        segments.push(file);
        let url = endpoint(&source.url, &segments)?;
        let answer = match get_capped(http, url.as_str(), timeout, MAX_ARTIFACT).await {
            Ok(answer) if answer.status == 404 => continue,
            Ok(answer) if !(200..300).contains(&answer.status) => {
                logged.problems.push(format!("MLflow answered HTTP {} for {file}", answer.status));
                continue;
            }
            Ok(answer) if answer.truncated => {
                logged.problems.push(format!("{file} is larger than {} KB and was not read", MAX_ARTIFACT >> 10));
                continue;
            }
            Ok(answer) => answer,
            Err(reason) => {
                logged.problems.push(format!("{file} could not be read: {reason}"));
                continue;
            }
        };
        let text = String::from_utf8_lossy(&answer.body);
        let parsed = match file {
            "MLmodel" => vigil_requirements::mlmodel(&text),
            _ => vigil_requirements::read(file, &text).map(|(_, pins)| pins),
        };
        match parsed {
            Ok(pins) => {
                // conda.yaml repeats requirements.txt; python_env.yaml adds Python, and the
                // installer's own tools (pip, setuptools, wheel), which the model does not run on.
                let conda_counts = !pip_stated;
                let takes = |pin: &Pin| match file {
                    "conda.yaml" => conda_counts,
                    "python_env.yaml" => pin.name == "python",
                    _ => true,
                };
                pip_stated |= file == "requirements.txt";
                for pin in pins.into_iter().filter(|pin| takes(pin)) {
                    if !logged.pins.iter().any(|known| known.name == pin.name) {
                        logged.pins.push(pin);
                    }
                }
                logged.files.push(file.to_owned());
            }
            Err(bad) => logged.problems.push(format!("{file} {bad}")),
        }
    }
    Ok(logged)
}

/// The path below the artifact proxy of an `mlflow-artifacts:` location (`mlflow-artifacts:/0/models/m-1/artifacts`,
/// or with a host: `mlflow-artifacts://host:5000/0/…`).
fn proxied_path(location: &str) -> Option<String> {
    let rest = location.strip_prefix("mlflow-artifacts:")?;
    let path = match rest.strip_prefix("//") {
        Some(with_host) => with_host.split_once('/').map_or("", |(_, path)| path),
        None => rest,
    };
    let path = path.trim_matches('/');
    (!path.is_empty() && !path.split('/').any(|part| part == "..")).then(|| path.to_owned())
}

/// `base` with `segments` appended, each path-encoded.
fn endpoint(base: &str, segments: &[&str]) -> Result<url::Url, String> {
    let mut url = url::Url::parse(base).map_err(|err| format!("{} is not a URL: {err}", shown(base)))?;
    url.path_segments_mut().map_err(|_| format!("{} cannot take a path", shown(base)))?.pop_if_empty().extend(segments);
    Ok(url)
}

/// A server's string, cut to a length fit for a sentence.
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(200).collect();
    if cut.is_empty() {
        "no location".into()
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_proxied_locations_have_a_path() {
        assert_eq!(proxied_path("mlflow-artifacts:/0/models/m-1/artifacts").as_deref(), Some("0/models/m-1/artifacts"));
        assert_eq!(
            proxied_path("mlflow-artifacts://mlflow:5000/1/abc/artifacts/model").as_deref(),
            Some("1/abc/artifacts/model")
        );
        assert_eq!(proxied_path("s3://bucket/0/models/m-1/artifacts"), None);
        assert_eq!(proxied_path("mlflow-artifacts:/0/../../etc"), None);
    }
}
