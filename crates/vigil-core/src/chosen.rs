//! Which revision a person means when they name a model, and perhaps its server and version: the
//! server that serves the model when only one does, the version named, else the model's only
//! revision, else the one the dashboard calls stable. Load tests, environments and parity checks
//! all choose this way.

use sqlx::AnyPool;

use crate::dashboard::roles::RevisionRole;
use crate::revisions::version_name;
use crate::servers::Server;
use crate::{Result, VigilError};

/// The revision a person meant.
#[derive(Debug, Clone)]
pub struct ChosenRevision {
    pub server: Server,
    pub model: String,
    /// "" for the model's default version.
    pub version: String,
    /// The revision's metadata as the server gave it (`{}` when it gave none).
    pub metadata: String,
}

/// The revision of `model` on `server` ("" for the only server serving it) at `version` (None:
/// the only revision, else the stable one). `purpose` finishes "name the one to …" when it is
/// ambiguous ("load-test", "check").
pub async fn choose(
    pool: &AnyPool,
    server: &str,
    model: &str,
    version: Option<&str>,
    purpose: &str,
) -> Result<ChosenRevision> {
    let server = server_of(pool, server, model).await?;
    revision_on(pool, server, model, version, purpose).await
}

/// The server named `server`, or ("") the only server serving `model`.
pub async fn server_of(pool: &AnyPool, server: &str, model: &str) -> Result<Server> {
    let model = named(model)?;
    let server_name = match server.trim() {
        "" => {
            let overviews = crate::dashboard::overview::read(pool, chrono::Utc::now().timestamp_millis()).await?;
            let servers: Vec<&str> = overviews.iter().filter(|m| m.model == model).map(|m| m.server.as_str()).collect();
            match servers.as_slice() {
                [one] => (*one).to_owned(),
                [] => {
                    return Err(VigilError::NotFound(format!(
                        "No server serves a model '{model}': `vigil status` lists them."
                    )))
                }
                many => {
                    return Err(VigilError::invalid(
                        "server",
                        format!("Several servers serve {model} ({}): name one.", many.join(", ")),
                    ))
                }
            }
        }
        named => named.to_owned(),
    };
    crate::servers::queries::get(&mut *pool.acquire().await?, &server_name).await
}

/// The revision of `model` on `server` at `version` (None: the only revision, else the stable one).
pub async fn revision_on(
    pool: &AnyPool,
    server: Server,
    model: &str,
    version: Option<&str>,
    purpose: &str,
) -> Result<ChosenRevision> {
    let model = named(model)?;
    let stable = match version {
        Some(_) => None,
        None => {
            let overviews = crate::dashboard::overview::read(pool, chrono::Utc::now().timestamp_millis()).await?;
            overviews
                .into_iter()
                .find(|m| m.server == server.name && m.model == model)
                .and_then(|m| m.revisions.into_iter().find(|r| r.role == RevisionRole::Stable).map(|r| r.version))
        }
    };
    let revisions = crate::revisions::of_model(&mut *pool.acquire().await?, &server.name, model).await?;
    let versions = || revisions.iter().map(|(v, _)| version_name(v)).collect::<Vec<_>>().join(", ");
    let (version, metadata) = match version.or(stable.as_deref()) {
        Some(wanted) => {
            let found = revisions.iter().find(|(version, _)| version == wanted || version_name(version) == wanted);
            found.cloned().ok_or_else(|| {
                VigilError::NotFound(format!(
                    "Server {} serves no revision '{wanted}' of {model}; it serves: {}.",
                    server.name,
                    versions()
                ))
            })?
        }
        None if revisions.len() == 1 => revisions[0].clone(),
        None if revisions.is_empty() => {
            return Err(VigilError::NotFound(format!(
                "Server {} serves no model '{model}' that Vigil has seen: `vigil status` lists what it serves.",
                server.name
            )))
        }
        None => {
            return Err(VigilError::invalid(
                "version",
                format!(
                    "{model} has several revisions on {} ({}): name the one to {purpose}.",
                    server.name,
                    versions()
                ),
            ))
        }
    };
    Ok(ChosenRevision { server, model: model.to_owned(), version, metadata })
}

fn named(model: &str) -> Result<&str> {
    match model.trim() {
        "" => Err(VigilError::invalid("model", "Name the model.")),
        model => Ok(model),
    }
}
