//! The environment domain: where each model was built and where each of its revisions serves,
//! and what differs between the two. The built side is a lock file or `pip freeze` a person
//! uploads (`import_built`); the serving side is gathered from the revision's server and, when
//! a person says where, the MLflow registry that logged it (`gather.rs`, `mlflow.rs`). Files are
//! read by `vigil-requirements` (PEP 508 / PEP 440 through `pep508_rs`), which also sets the two
//! sides against each other. Uploads and registry settings are audited. `watch.rs` gathers each
//! new rollout's candidate as the rollout starts.

pub(crate) mod gather;
mod mlflow;
pub mod queries;
mod watch;

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vigil_requirements::{Format, PackageDiff, Pin, Risk};

use crate::chosen::ChosenRevision;
use crate::context::Context;
use crate::events::EngineEvent;
use crate::revisions::version_name;
use crate::rollouts::people::Person;
use crate::{Result, VigilError};

pub use watch::EnvironmentWatch;

/// The largest environment file read.
pub const MAX_FILE: u64 = 4 * 1024 * 1024;

/// The environment a model was built in, as a person uploaded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BuiltEnvironment {
    pub model: String,
    pub file_name: String,
    pub format: Format,
    pub pins: Vec<Pin>,
    pub imported_at: DateTime<Utc>,
    pub person: String,
}

/// Where a model's serving environment is logged: a registered model on an MLflow tracking
/// server, whose version numbers are the model's revisions (`v2` is version 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MlflowSource {
    pub url: String,
    pub registered_model: String,
    /// Where the registry's bearer token is (`env:NAME` or `keyring:NAME`), if it needs one.
    pub token_ref: Option<String>,
}

/// The environment one revision serves in, as last gathered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Fingerprint {
    pub server: String,
    pub model: String,
    /// "" for the model's default version.
    pub version: String,
    pub gathered_at: DateTime<Utc>,
    /// The serving software and its version, as the server names them ("mlserver 1.7.1").
    pub software: Option<String>,
    /// The platform or runtime the model's metadata names ("sklearn", "onnxruntime_onnx").
    pub platform: Option<String>,
    /// Python's version, when a source states it.
    pub python: Option<String>,
    /// The packages the sources state (Python among them as `python`).
    pub pins: Vec<Pin>,
    /// What was read, in words.
    pub sources: Vec<String>,
    /// What could not be read, and why.
    pub problems: Vec<String>,
    /// One line for the revision's card.
    pub summary: String,
}

/// A revision's serving environment set against its model's built one.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct EnvironmentDiff {
    pub server: String,
    pub model: String,
    pub version: String,
    pub built: Option<BuiltEnvironment>,
    pub served: Fingerprint,
    /// Every package on either side, riskiest first.
    pub packages: Vec<PackageDiff>,
    /// How many packages carry a risk.
    #[ts(type = "number")]
    pub risky: usize,
    /// The difference in plain words.
    pub sentence: String,
}

/// The environment front. Cheap to clone.
#[derive(Clone)]
pub struct Environment {
    context: Context,
}

impl Environment {
    pub(crate) fn new(context: Context) -> Environment {
        Environment { context }
    }

    /// Starts gathering each new rollout's candidate's environment as the rollout starts (for
    /// whoever signs it off); stops when the handle is dropped.
    pub fn start(&self) -> EnvironmentWatch {
        watch::start(self.clone())
    }

    /// Reads `path` (a `pip freeze` output, requirements file, conda environment,
    /// `python_env.yaml` or lock file) as the environment `model` was built in, replacing the
    /// one before. A malformed line refuses it, naming the line. On the audit trail.
    pub async fn import_built(&self, person: &Person, model: &str, path: &Path) -> Result<BuiltEnvironment> {
        let model = named(model)?;
        let shown = path.display();
        let size = std::fs::metadata(path)
            .map_err(|err| VigilError::invalid("file", format!("{shown} cannot be read: {err}.")))?
            .len();
        if size > MAX_FILE {
            return Err(VigilError::invalid(
                "file",
                format!("{shown} is {size} bytes; an environment file of at most {MAX_FILE} bytes is read."),
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|err| VigilError::invalid("file", format!("{shown} cannot be read as UTF-8 text: {err}.")))?;
        let file_name = path.file_name().map_or_else(|| shown.to_string(), |name| name.to_string_lossy().into_owned());
        self.import_built_text(person, model, &file_name, &text).await
    }

    /// As [`Environment::import_built`], from the file's name and text (the window's upload).
    pub async fn import_built_text(
        &self,
        person: &Person,
        model: &str,
        file_name: &str,
        text: &str,
    ) -> Result<BuiltEnvironment> {
        let model = named(model)?;
        if text.len() as u64 > MAX_FILE {
            return Err(VigilError::invalid(
                "file",
                format!(
                    "{file_name} is {} bytes; an environment file of at most {MAX_FILE} bytes is read.",
                    text.len()
                ),
            ));
        }
        let (format, pins) = vigil_requirements::read(file_name, text).map_err(|bad| {
            VigilError::invalid(
                "file",
                format!(
                    "{file_name}, line {}: {} ({:?}). Fix that line and import again.",
                    bad.line, bad.message, bad.text
                ),
            )
        })?;
        if pins.is_empty() {
            return Err(VigilError::invalid(
                "file",
                format!("{file_name} names no package: give a pip freeze or lock file."),
            ));
        }
        let built = BuiltEnvironment {
            model: model.to_owned(),
            file_name: file_name.chars().take(200).collect(),
            format,
            pins,
            imported_at: Utc::now(),
            person: person.name.clone(),
        };
        let mut write = self.context.write().await?;
        queries::store_built(&mut write, &built).await?;
        let detail =
            serde_json::json!({ "file": built.file_name, "format": built.format, "packages": built.pins.len() });
        write.audit_by(Some(person), "environment.import", model, detail).await?;
        write.announce(EngineEvent::PreflightChanged { model: model.to_owned() });
        write.commit().await?;
        Ok(built)
    }

    /// The environment `model` was built in, if one was uploaded.
    pub async fn built(&self, model: &str) -> Result<Option<BuiltEnvironment>> {
        queries::built(&mut *self.context.pool().acquire().await?, named(model)?).await
    }

    /// Says that `model`'s revisions are versions of `source`'s registered model, whose logged
    /// environment is then read as where they serve. On the audit trail.
    pub async fn set_mlflow_source(&self, person: &Person, model: &str, source: MlflowSource) -> Result<MlflowSource> {
        let model = named(model)?;
        let url = url::Url::parse(source.url.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| {
                VigilError::invalid(
                    "url",
                    format!("'{}' is not an http(s) URL of an MLflow tracking server.", source.url),
                )
            })?;
        crate::rollouts::targets::validate_mlflow_names(&source.registered_model, source.token_ref.as_deref())?;
        let source = MlflowSource { url: url.as_str().trim_end_matches('/').to_owned(), ..source };
        let mut write = self.context.write().await?;
        queries::store_source(&mut write, model, &source).await?;
        let detail = serde_json::json!({ "mlflow": source.url, "registered_model": source.registered_model });
        write.audit_by(Some(person), "environment.source", model, detail).await?;
        write.announce(EngineEvent::PreflightChanged { model: model.to_owned() });
        write.commit().await?;
        Ok(source)
    }

    /// Where `model`'s serving environment is logged, if a person said.
    pub async fn mlflow_source(&self, model: &str) -> Result<Option<MlflowSource>> {
        queries::source(&mut *self.context.pool().acquire().await?, named(model)?).await
    }

    /// Gathers the environment of `model`'s revision `version` on `server` ("" for the only
    /// server serving it; None for its only or stable revision) now, and stores it.
    pub async fn gather(&self, server: &str, model: &str, version: Option<&str>) -> Result<Fingerprint> {
        let revision = crate::chosen::choose(self.context.pool(), server, model, version, "fingerprint").await?;
        self.gather_chosen(&revision).await
    }

    async fn gather_chosen(&self, revision: &ChosenRevision) -> Result<Fingerprint> {
        let source = queries::source(&mut *self.context.pool().acquire().await?, &revision.model).await?;
        let fingerprint = gather::gather(self.context.http(), revision, source.as_ref()).await;
        let mut write = self.context.write().await?;
        let (_, revision_id) =
            crate::revisions::find(&mut write, (&revision.server.name, &revision.model, &revision.version)).await?;
        queries::store_fingerprint(&mut write, revision_id, &fingerprint).await?;
        write.announce(EngineEvent::PreflightChanged { model: revision.model.clone() });
        write.commit().await?;
        Ok(fingerprint)
    }

    /// The environment of each revision of `model` as last gathered, by server and version.
    pub async fn fingerprints(&self, model: &str) -> Result<Vec<Fingerprint>> {
        queries::fingerprints_of_model(&mut *self.context.pool().acquire().await?, named(model)?).await
    }

    /// `model`'s revision `version` on `server` (chosen as [`Environment::gather`] does) set
    /// against where the model was built; its serving environment is gathered first when
    /// `refresh` or when it never was.
    pub async fn diff(
        &self,
        server: &str,
        model: &str,
        version: Option<&str>,
        refresh: bool,
    ) -> Result<EnvironmentDiff> {
        let revision = crate::chosen::choose(self.context.pool(), server, model, version, "compare").await?;
        let mut conn = self.context.pool().acquire().await?;
        let (_, revision_id) =
            crate::revisions::find(&mut conn, (&revision.server.name, &revision.model, &revision.version)).await?;
        let stored = queries::fingerprint(&mut conn, revision_id).await?;
        let built = queries::built(&mut conn, &revision.model).await?;
        drop(conn);
        let served = match stored {
            Some(stored) if !refresh => stored,
            _ => self.gather_chosen(&revision).await?,
        };
        Ok(compare(built, served))
    }
}

/// `served` set against `built`.
pub fn compare(built: Option<BuiltEnvironment>, served: Fingerprint) -> EnvironmentDiff {
    // A side that states no package says nothing of any: nothing is compared, the sentence says why.
    let packages = match &built {
        Some(built) if !served.pins.is_empty() => vigil_requirements::diff(&built.pins, &served.pins),
        _ => Vec::new(),
    };
    let risky = packages.iter().filter(|package| !package.risks.is_empty()).count();
    let sentence = sentence(built.as_ref(), &served, &packages, risky);
    EnvironmentDiff {
        server: served.server.clone(),
        model: served.model.clone(),
        version: served.version.clone(),
        built,
        served,
        packages,
        risky,
        sentence,
    }
}

/// The difference in plain words, the riskiest packages named.
fn sentence(built: Option<&BuiltEnvironment>, served: &Fingerprint, packages: &[PackageDiff], risky: usize) -> String {
    let revision = format!("{} {}", served.model, version_name(&served.version));
    let Some(built) = built else {
        return format!(
            "Where {} was built is not known: upload its pip freeze or lock file (vigil env import {} FILE).",
            served.model, served.model
        );
    };
    if served.pins.is_empty() {
        return format!(
            "{revision} states no packages where it serves ({}), so it cannot be set against {}.",
            served.summary, built.file_name
        );
    }
    if risky == 0 {
        return format!("{revision} serves with the same {} packages as {} states.", packages.len(), built.file_name);
    }
    let named: Vec<String> = packages
        .iter()
        .filter(|package| !package.risks.is_empty())
        .take(3)
        .map(|package| {
            let side = |version: &Option<String>| version.clone().unwrap_or_else(|| "absent".into());
            let risks: Vec<&str> = package.risks.iter().map(|risk| risk_words(*risk)).collect();
            format!(
                "{} (built {}, serves {}: {})",
                package.name,
                side(&package.built),
                side(&package.served),
                risks.join(", ")
            )
        })
        .collect();
    let more = risky.saturating_sub(named.len());
    format!(
        "{risky} of {} packages differ between {} and where {revision} serves: {}{}.",
        packages.len(),
        built.file_name,
        named.join("; "),
        if more > 0 { format!("; and {more} more") } else { String::new() }
    )
}

/// A risk in a few words.
pub fn risk_words(risk: Risk) -> &'static str {
    match risk {
        Risk::MissingWhereServed => "missing where it serves",
        Risk::MissingWhereBuilt => "missing where it was built",
        Risk::PythonMinorDiffers => "Python's minor version differs",
        Risk::MajorDiffers => "major version differs",
        Risk::NumericDiffers => "a numeric library differs",
        Risk::LocalBuildDiffers => "another build of the same release",
        Risk::VersionDiffers => "version differs",
    }
}

fn named(model: &str) -> Result<&str> {
    let model = model.trim();
    match model.is_empty() {
        true => Err(VigilError::invalid("model", "Name the model.")),
        false => Ok(model),
    }
}
