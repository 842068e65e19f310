//! An Open Inference Protocol model repository (MLServer, Triton) as a deployment target: a
//! version serves when it is loaded, and switching to it loads it, then unloads the others.
//!
//! How versions map: the repository API loads and unloads by *name*, and MLServer 1.7.1 loads or
//! unloads every version under one name together (two folders both named `iris` with
//! `parameters.version` `v1` and `v2` go up and down as one). So each version is its own
//! repository entry (its own folder and `model-settings.json` `name`, e.g. `iris-v1`,
//! `iris-v2`), and the target's `versions` maps each version to its entry's name:
//! `{"v1": "iris-v1", "v2": "iris-v2"}`. Only the entries named there are ever touched.
//!
//! - Read: `POST {url}/v2/repository/index` (`[{name, version, state, reason}]`); every mapped
//!   version whose entry is `READY` serves at 100 % (two ready versions read as both at 100 %,
//!   which no switch asks for, so a half-done switch never reads back as done).
//! - Apply: `POST {url}/v2/repository/models/{entry}/load` for the wanted version unless it is
//!   ready, then `.../unload` for each other mapped entry that is loaded. MLServer refuses to
//!   unload an entry that is not loaded (HTTP 404), so the index is read first: asking twice
//!   does what asking once does.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::{
    endpoint, switched_to, Answer, Capabilities, DeploymentTarget, FailureKind, TargetFailure, TargetHttp, Traffic,
};
use crate::VigilError;

/// It switches all traffic from one version to another; no weights, no mirror.
pub const CAPABILITIES: Capabilities = Capabilities { weights: false, switch: true, mirror: false };

/// The longest repository entry name accepted in a target's versions.
const MAX_NAME: usize = 128;

/// Checks a target's `versions`: at least one, each version and entry name short and plain.
pub fn validate(versions: &BTreeMap<String, String>) -> crate::Result<()> {
    if versions.is_empty() {
        return Err(VigilError::invalid(
            "versions",
            "Map each version to its repository entry's name, e.g. {\"v1\": \"iris-v1\", \"v2\": \"iris-v2\"}.",
        ));
    }
    for (version, entry) in versions {
        if !plain_name(version) || !plain_name(entry) {
            return Err(VigilError::invalid(
                "versions",
                format!(
                    "'{version}' → '{entry}': versions and repository entry names must be 1 to {MAX_NAME} letters, \
                     digits, '.', '_' or '-'."
                ),
            ));
        }
    }
    Ok(())
}

/// 1 to [`MAX_NAME`] letters, digits, `.`, `_` or `-`: safe in a URL path and in a message.
fn plain_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

pub struct OipRepository {
    http: TargetHttp,
    url: String,
    /// Each version's repository entry name.
    versions: BTreeMap<String, String>,
}

/// One line of the repository index, as much as is needed.
#[derive(Deserialize)]
struct IndexLine {
    name: String,
    #[serde(default)]
    state: String,
}

/// Each listed entry's state (`READY`, `UNAVAILABLE`, `LOADING`, ...), by entry name.
struct Index(BTreeMap<String, String>);

impl Index {
    /// The states of the entries `versions` maps, from the index's `lines`. An entry listed
    /// twice (one line per version folder) counts as ready when any of its lines is.
    fn of(lines: Vec<IndexLine>, versions: &BTreeMap<String, String>) -> Index {
        let mut states = BTreeMap::new();
        for line in lines.into_iter().filter(|line| versions.values().any(|entry| *entry == line.name)) {
            if states.get(&line.name).is_none_or(|state| state != "READY") {
                states.insert(line.name, line.state);
            }
        }
        Index(states)
    }

    fn ready(&self, entry: &str) -> bool {
        self.0.get(entry).is_some_and(|state| state == "READY")
    }

    /// Loaded or on its way: what an unload applies to.
    fn loaded(&self, entry: &str) -> bool {
        self.0.get(entry).is_some_and(|state| matches!(state.as_str(), "READY" | "LOADING"))
    }
}

impl OipRepository {
    pub fn new(http: TargetHttp, url: String, versions: BTreeMap<String, String>) -> OipRepository {
        OipRepository { http, url, versions }
    }

    /// The repository index, kept to the mapped entries (the rest of the repository is not ours).
    async fn index(&self) -> Result<Index, TargetFailure> {
        let url = endpoint(&self.url, &["v2", "repository", "index"])?;
        let request = self.http.client.post(url.clone()).json(&json!({}));
        let (_, answer) = self.http.exchange(request, url.as_str()).await?;
        let lines: Vec<IndexLine> = serde_json::from_value(answer)
            .map_err(|_| TargetFailure::new(FailureKind::Refused, format!("{url} did not answer a list of models")))?;
        Ok(Index::of(lines, &self.versions))
    }

    /// `POST {url}/v2/repository/models/{entry}/{action}`, `action` being `load` or `unload`.
    async fn call(&self, entry: &str, action: &str) -> Result<(), TargetFailure> {
        let url = endpoint(&self.url, &["v2", "repository", "models", entry, action])?;
        self.http.exchange(self.http.client.post(url.clone()), url.as_str()).await.map(|_| ())
    }

    fn entry_of(&self, version: &str) -> Result<&str, TargetFailure> {
        self.versions.get(version).map(String::as_str).ok_or_else(|| {
            let known: Vec<&str> = self.versions.keys().map(String::as_str).collect();
            TargetFailure::config(format!(
                "version {version} has no repository entry in this target's versions (it knows {}): add it there",
                known.join(", ")
            ))
        })
    }
}

impl DeploymentTarget for OipRepository {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn idempotent(&self) -> bool {
        true
    }

    fn read(&self) -> Answer<'_, Traffic> {
        Box::pin(async move {
            let index = self.index().await?;
            let ready = self.versions.iter().filter(|(_, entry)| index.ready(entry));
            Ok(Traffic { weights: ready.map(|(version, _)| (version.clone(), 100)).collect(), mirror: None })
        })
    }

    fn apply<'a>(&'a self, wanted: &'a Traffic) -> Answer<'a, ()> {
        Box::pin(async move {
            let entry = self.entry_of(switched_to(wanted)?)?;
            let index = self.index().await?;
            if !index.ready(entry) {
                self.call(entry, "load").await?;
            }
            for other in self.versions.values().filter(|other| *other != entry && index.loaded(other)) {
                self.call(other, "unload").await?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(v, e)| (v.to_string(), e.to_string())).collect()
    }

    #[test]
    fn versions_must_map_plain_names() {
        assert!(validate(&versions(&[("v1", "iris-v1"), ("2", "iris_2.b")])).is_ok());
        for bad in [versions(&[]), versions(&[("v1", "")]), versions(&[("v1", "iris/v1")]), versions(&[("", "x")])] {
            let error = validate(&bad).unwrap_err().to_string();
            assert!(error.contains("version"), "{error}");
        }
    }

    #[test]
    fn the_index_is_kept_to_mapped_entries_and_a_ready_line_wins() {
        let answer = serde_json::json!([
            {"name": "iris-v1", "version": "v1", "state": "READY", "reason": ""},
            {"name": "iris-v1", "version": "old", "state": "UNAVAILABLE"},
            {"name": "iris-v2", "version": "v2"},
            {"name": "fraud", "version": "1", "state": "READY"},
        ]);
        let lines: Vec<IndexLine> = serde_json::from_value(answer).unwrap();
        let index = Index::of(lines, &versions(&[("v1", "iris-v1"), ("v2", "iris-v2"), ("v3", "iris-v3")]));
        assert!(index.ready("iris-v1") && index.loaded("iris-v1"));
        assert!(!index.ready("iris-v2") && !index.loaded("iris-v2"), "no state is not ready");
        assert!(!index.loaded("iris-v3") && !index.loaded("fraud"), "unlisted, or not ours");
    }

    #[test]
    fn only_one_version_at_100_percent_and_no_mirror_is_a_switch() {
        assert_eq!(switched_to(&Traffic::only("v2")), Ok("v2"));
        assert_eq!(switched_to(&Traffic::split("v1", "v2", 100)), Ok("v2"), "a split at 100 % is a switch");
        let mirrored = Traffic { mirror: Some("v2".into()), ..Traffic::only("v1") };
        for refused in [Traffic::split("v1", "v2", 10), Traffic::default(), mirrored] {
            let failure = switched_to(&refused).unwrap_err();
            assert_eq!(failure.kind, FailureKind::Config);
            assert!(failure.message.contains("only switches"), "{failure}");
        }
    }

    #[test]
    fn endpoints_escape_the_entry_and_keep_the_base_path() {
        let url = endpoint("http://h:8080/seldon/", &["v2", "repository", "models", "a b/c", "load"]).unwrap();
        assert_eq!(url.as_str(), "http://h:8080/seldon/v2/repository/models/a%20b%2Fc/load");
        assert_eq!(endpoint("not a url", &["v2"]).unwrap_err().kind, FailureKind::Config);
    }

    #[test]
    fn a_stored_spec_is_tagged_oip_repository_and_its_url_checked() {
        use super::super::{capabilities_of, TargetSpec};
        let stored = json!({"kind": "oip_repository", "url": "http://mlserver:8080", "versions": {"v1": "iris-v1"}});
        let spec: TargetSpec = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(serde_json::to_value(&spec).unwrap(), stored);
        assert!(spec.validate().is_ok());
        assert_eq!(capabilities_of(&spec), CAPABILITIES);
        let ftp = TargetSpec::OipRepository { url: "ftp://mlserver".into(), versions: versions(&[("v1", "iris-v1")]) };
        assert!(matches!(ftp.validate(), Err(VigilError::InvalidInput { field: "url", .. })));
    }
}
