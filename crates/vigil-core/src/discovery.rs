//! Model discovery: which models and versions a server serves, whether each is ready, and what
//! the server says of them. Each kind says in its [`Listing`] (in `kinds/`) where to ask and how
//! to read the answers; this module asks as the listing says, and holds the helpers the kinds
//! read answers with. A listing is either one request that answers with every model (MLServer
//! and Triton's repository index, `/v2/models`, vLLM's `/v1/models`, TGI's `/info`, Ray's
//! applications) or a request per model (TorchServe, TF Serving).
//!
//! Answers are untrusted: each is read up to a cap, names are bounded and path-encoded, and an
//! entry without the expected shape is skipped.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::scrape::http::{fetch_json, fetch_json_answer, JsonError, ServerHttp};
use crate::signals::RevisionKey;

/// The most of one listing Vigil reads.
const MAX_LISTING_BYTES: usize = 1024 * 1024;
/// The most requests for single models one poll makes (TorchServe, TF Serving).
const MAX_DETAIL_REQUESTS: usize = 64;

/// One model revision as a server lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub key: RevisionKey,
    /// Whether it can serve, when the listing says.
    pub ready: Option<Readiness>,
    /// What the listing says of it (platform, runtime, batch size…), a JSON object.
    pub metadata: Option<String>,
    /// False for a model the repository holds but has not loaded: not a deployment (yet).
    pub loaded: bool,
    /// The version that answers requests naming none, when the server says which.
    pub default: bool,
}

/// Whether a listed revision can serve, as its listing says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Not ready, and why, in words.
    NotReady(String),
}

/// How a kind lists what it serves.
pub enum Listing {
    /// One request answers with every model revision.
    Index {
        root: Root,
        path: &'static str,
        /// POSTed with an empty JSON object (the OIP repository extension); else a GET.
        post: bool,
        read: fn(&Value) -> Vec<Listed>,
        /// The index answers only while the server is up, and names each model's state: one
        /// request stands for the readiness check and the listing.
        stands_for_readiness: bool,
    },
    /// Each model asked for on its own, at most 64 requests a poll (`MAX_DETAIL_REQUESTS`).
    PerModel {
        root: Root,
        /// A path that lists the model names, and how to read them; None for the names Vigil
        /// already knows (from the metrics page and earlier polls).
        names: Option<(&'static str, ReadNames)>,
        /// A path to each model's versions, `{model}` standing for its name, and how to read the
        /// answer, given the name.
        versions: (&'static str, ReadVersions),
        /// A path to the model asked for without a version, and how to read which version
        /// answers requests naming none.
        default_version: Option<(&'static str, ReadDefault)>,
    },
}

/// Reads the model names from a listing's answer.
pub type ReadNames = fn(&Value) -> Vec<String>;
/// Reads one model's versions from the answer about it, given its name.
pub type ReadVersions = fn(&str, &Value) -> Vec<Listed>;
/// Reads the version that answers requests naming none from the answer about a model.
pub type ReadDefault = fn(&Value) -> Option<&str>;

/// Where a listing is asked.
pub enum Root {
    /// The server's base URL.
    Base,
    /// Its management URL: a server registered without one lists nothing.
    Management,
    /// Its management URL, else its base URL.
    ManagementOrBase,
}

impl Root {
    fn url<'a>(&self, base: &'a str, management: Option<&'a str>) -> Option<&'a str> {
        match self {
            Root::Base => Some(base),
            Root::Management => management,
            Root::ManagementOrBase => Some(management.unwrap_or(base)),
        }
    }
}

/// What the server at `base` (with `management`, its management URL if any) lists, asked as
/// `listing` says. `models` are the model names already known from its metrics or from earlier
/// polls, for listings that ask model by model. None when the server has no URL to ask at.
pub async fn discover(
    http: &ServerHttp,
    base: &str,
    management: Option<&str>,
    listing: &Listing,
    models: &[String],
    timeout: Duration,
) -> Option<Result<Vec<Listed>, String>> {
    match listing {
        Listing::Index { .. } => {
            let answer = read_index(http, base, management, listing, timeout).await?;
            Some(answer.map(|(_, listed)| listed).map_err(JsonError::into_reason))
        }
        Listing::PerModel { root, names, versions, default_version } => {
            let root = root.url(base, management)?;
            let get = |url: String| async move { fetch_json(http, &url, None, timeout, MAX_LISTING_BYTES).await };
            let names = match names {
                None => models.to_vec(),
                Some((path, read)) => match get(format!("{root}{path}")).await {
                    Ok(list) => read(&list),
                    Err(reason) => return Some(Err(reason)),
                },
            };
            let per_model = 1 + usize::from(default_version.is_some());
            let mut listed = Vec::new();
            for name in names.iter().take(MAX_DETAIL_REQUESTS / per_model) {
                let default_url = match default_version {
                    Some((path, _)) => match model_url(root, path, name) {
                        Some(url) => Some(url),
                        None => continue,
                    },
                    None => None,
                };
                let Some(versions_url) = model_url(root, versions.0, name) else { continue };
                let mut found = get(versions_url).await.map(|answer| (versions.1)(name, &answer)).unwrap_or_default();
                if let (Some(url), Some((_, read))) = (default_url, default_version) {
                    if let Some(default) = get(url).await.ok().as_ref().and_then(*read) {
                        found.iter_mut().for_each(|v| v.default = v.key.version.as_deref() == Some(default));
                    }
                }
                listed.extend(found);
            }
            Some(Ok(listed))
        }
    }
}

/// What an index listing lists, with the HTTP status it answered with; the error tells whether
/// the server answered at all. None for a listing that is not an index, or that is asked at a
/// URL the server has none of.
pub async fn read_index(
    http: &ServerHttp,
    base: &str,
    management: Option<&str>,
    listing: &Listing,
    timeout: Duration,
) -> Option<Result<(u16, Vec<Listed>), JsonError>> {
    let Listing::Index { root, path, post, read, .. } = listing else { return None };
    let url = format!("{}{path}", root.url(base, management)?);
    let body = post.then(|| json!({}));
    let answer = fetch_json_answer(http, &url, body.as_ref(), timeout, MAX_LISTING_BYTES).await;
    Some(answer.map(|(status, index)| (status, read(&index))))
}

/// `ROOT/SEGMENT/…` for a path template whose `{model}` segment stands for `model`, each
/// segment path-encoded (model names are the server's, untrusted).
fn model_url(root: &str, template: &str, model: &str) -> Option<String> {
    let mut url = url::Url::parse(root).ok()?;
    let segments = template.trim_start_matches('/').split('/').map(|s| if s == "{model}" { model } else { s });
    url.path_segments_mut().ok()?.pop_if_empty().extend(segments);
    Some(url.into())
}

/// A readiness as a listing states it: `ready`, or not ready because of `why`.
pub(crate) fn readiness(ready: bool, why: impl FnOnce() -> String) -> Option<Readiness> {
    Some(if ready { Readiness::Ready } else { Readiness::NotReady(why()) })
}

/// A short, bounded string field of an untrusted object.
pub(crate) fn text<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get(field)?.as_str().filter(|s| !s.is_empty() && s.len() <= 256)
}

/// The fields of `object` named in `fields` that it has, as a JSON object, if any.
pub(crate) fn pick(object: &Value, fields: &[&str]) -> Option<String> {
    let picked: Map<String, Value> =
        fields.iter().filter_map(|field| Some((field.to_string(), object.get(*field)?.clone()))).collect();
    (!picked.is_empty()).then(|| Value::Object(picked).to_string())
}

/// A listed revision that is loaded, does not say whether it is the default version, and
/// carries `ready` and `metadata`.
pub(crate) fn listed(model: &str, version: Option<&str>, ready: Option<Readiness>, metadata: Option<String>) -> Listed {
    let key = RevisionKey { model: model.to_owned(), version: version.map(str::to_owned) };
    Listed { key, ready, metadata, loaded: true, default: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_model_urls_are_path_encoded() {
        assert_eq!(
            model_url("http://h:8081/", "/models/{model}/all", "a/b c").as_deref(),
            Some("http://h:8081/models/a%2Fb%20c/all")
        );
        assert_eq!(model_url("http://h/tf", "/v1/models/{model}", "x").as_deref(), Some("http://h/tf/v1/models/x"));
    }
}
