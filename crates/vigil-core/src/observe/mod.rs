//! One poll of one server: its readiness, and when it is up and its kind is known, its metrics
//! page read into cumulative totals per revision, the models it lists, and the readiness and
//! metadata of each revision it shows. Then, against the previous poll's totals, what each
//! revision did in between, stored as golden signals.
//!
//! What differs between kinds comes from the kind's spec (`kinds/`): this module has no branch
//! on a kind. A server read through a Prometheus is polled by [`through_prometheus`].

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::clients::ServerClient;
use crate::discovery::{discover, read_index, Listed, Listing, Readiness};
use crate::health::{self, HealthCheck, HealthState};
use crate::kinds::{Metrics, ServerKind};

use crate::scrape::http::{fetch_json, get_capped, Capped, JsonError, ServerHttp};
use crate::scrape::readings::Shared;
use crate::servers::Server;
use crate::signals::resources::{self, Resource};
use crate::signals::{totals, RevisionKey, SignalMap, Totals};
use vigil_exposition::{parse_bytes, Format};

mod through_prometheus;

/// The largest metrics page Vigil reads; a larger one is an error, not a truncated page.
pub const MAX_METRICS_BYTES: usize = 16 * 1024 * 1024;
/// The most lines of a metrics page Vigil parses (Prometheus's `sample_limit`, in lines): a
/// page of more is refused unparsed, so one page never costs more than ~40 MB to read.
const MAX_METRICS_LINES: usize = 200_000;
/// The most model revisions one server's metrics page may name (each is stored and followed).
const MAX_METRICS_REVISIONS: usize = 1_000;

/// What one metrics page said: cumulative totals per revision, and what the whole server uses.
#[derive(Debug, Clone, Default)]
pub struct Scraped {
    pub revisions: BTreeMap<RevisionKey, Totals>,
    /// Resource readings by stored signal name (see `signals::resources`).
    pub resources: BTreeMap<&'static str, f64>,
    /// The kind's resources, to turn two readings into use.
    pub(crate) kinds_resources: &'static [Resource],
}

/// The most model revisions whose readiness, and whose metadata, one poll asks for.
const MAX_MODEL_CHECKS: usize = 64;

/// What one poll of a server learned.
pub struct Observation {
    /// The server's health: degraded when it is ready but one of its revisions is not.
    pub health: HealthCheck,
    /// Every revision the server showed (in its metrics, its listing, or known and checked),
    /// with its readiness where the server reports it.
    pub revisions: Vec<(RevisionKey, Option<HealthCheck>)>,
    /// Metadata (JSON) of revisions, for kinds that give it: stored when first seen.
    pub metadata: HashMap<RevisionKey, String>,
    /// None when metrics were not read (server down, kind unknown, or a kind without a page).
    pub metrics: Option<std::result::Result<Scraped, String>>,
    /// Metrics keys counted against another revision: requests naming no version belong to
    /// the one version the server lists as serving that model.
    pub attributed: HashMap<RevisionKey, RevisionKey>,
    pub at: Instant,
}

impl Observation {
    fn down(reason: String) -> Observation {
        Observation {
            health: HealthCheck { state: HealthState::Down, reason, detected: None },
            revisions: Vec::new(),
            metadata: HashMap::new(),
            metrics: None,
            attributed: HashMap::new(),
            at: Instant::now(),
        }
    }
}

/// A revision, and its readiness where known.
type Checked = (RevisionKey, Option<HealthCheck>);

/// Polls `server` through `client`: readiness first (see `readiness`); then, if it is up, its
/// metrics, the models it lists (see [`crate::discovery`]) and the readiness of each revision it
/// shows or Vigil already knows (`known`: an unloaded model may vanish from the metrics page,
/// but must still be seen). Each request may take `timeout`. A server read through a Prometheus
/// takes its share of a reading in `prometheus` instead.
pub async fn observe(
    client: &ServerClient,
    server: &Server,
    known: &[RevisionKey],
    timeout: Duration,
    prometheus: Shared<'_>,
) -> Observation {
    let http = match client.authorize().await {
        Ok(http) => http,
        Err(reason) => return Observation::down(reason),
    };
    if let Some(source) = prometheus_source(server, server.detected_kind.unwrap_or(server.kind)) {
        return through_prometheus::observe(&http, server, known, timeout, (prometheus, source), None).await;
    }
    let (mut health, indexed) = readiness(&http, server, timeout).await;
    let kind = health.detected.or(server.detected_kind).unwrap_or(server.kind);
    if health.state != HealthState::Up {
        return Observation { health, ..Observation::down(String::new()) };
    }
    if let Some(source) = prometheus_source(server, kind) {
        let shared = (prometheus, source);
        return through_prometheus::observe(&http, server, known, timeout, shared, health.detected).await;
    }
    let metrics = read_metrics(&http, server, kind, timeout).await;
    let scraped: Vec<&RevisionKey> = match &metrics {
        Some(Ok(scraped)) => scraped.revisions.keys().collect(),
        _ => Vec::new(),
    };
    let listed = match indexed {
        Some(listed) => Some(listed),
        None => list_models(&http, server, kind, &scraped, known, timeout).await,
    };
    let single_model = kind.signal_map().is_some_and(|map| map.model_label.is_none());
    let attributed = attribute_unversioned(&scraped, listed.as_deref().unwrap_or_default(), single_model);
    let Shown { shown, mut metadata, retired } = shown(listed.as_deref(), &scraped, &attributed, known);
    let mut revisions = check_revisions(&http, &server.base_url, kind, shown, timeout).await;
    let new_metadata = read_new_metadata(&http, &server.base_url, kind, &revisions, known, &metadata, timeout).await;
    metadata.extend(new_metadata);
    degrade(&mut health, &revisions);
    revisions.extend(retired);
    Observation { health, revisions, metadata, metrics, attributed, at: Instant::now() }
}

/// The server's readiness and, for kinds whose listing stands for it (MLServer and Triton's
/// repository index), what the listing lists. Such a listing answers only while the server is
/// up, and names each model's state: one request stands for the readiness check and the
/// listing. A server that answers it with anything but a listing is asked its readiness
/// endpoint instead; if ready, its reason says why its listing was not read.
async fn readiness(http: &ServerHttp, server: &Server, timeout: Duration) -> (HealthCheck, Option<Vec<Listed>>) {
    let kind = server.detected_kind.unwrap_or(server.kind);
    let listing = kind.spec().and_then(|spec| spec.listing.as_ref());
    if let Some(index @ Listing::Index { path, stands_for_readiness: true, .. }) = listing {
        let management = server.management_url.as_deref();
        match read_index(http, &server.base_url, management, index, timeout).await {
            Some(Ok((status, listed))) => {
                let reason = format!("{path} answered HTTP {status}");
                return (HealthCheck { state: HealthState::Up, reason, detected: None }, Some(listed));
            }
            Some(Err(JsonError::NoAnswer(reason))) => {
                return (HealthCheck { state: HealthState::Down, reason, detected: None }, None);
            }
            Some(Err(JsonError::NotJson(why))) => {
                let mut check = health::check(http, &server.base_url, kind, timeout).await;
                if check.state == HealthState::Up {
                    check.reason = format!("{}; its model listing was not read: {why}", check.reason);
                }
                return (check, None);
            }
            None => {}
        }
    }
    (health::check(http, &server.base_url, kind, timeout).await, None)
}

/// What the server lists, asked as its kind's listing says (model by model for the models in
/// its metrics and `known`); None when its kind lists nothing or the listing failed.
async fn list_models(
    http: &ServerHttp,
    server: &Server,
    kind: ServerKind,
    scraped: &[&RevisionKey],
    known: &[RevisionKey],
    timeout: Duration,
) -> Option<Vec<Listed>> {
    let listing = kind.spec()?.listing.as_ref()?;
    let mut models: Vec<String> = scraped.iter().copied().chain(known).map(|key| key.model.clone()).collect();
    models.sort();
    models.dedup();
    let management = server.management_url.as_deref();
    match discover(http, &server.base_url, management, listing, &models, timeout).await? {
        Ok(listed) => Some(listed),
        Err(reason) => {
            tracing::debug!("{} lists no models: {reason}", server.name);
            None
        }
    }
}

/// Which metrics keys that name no version belong to which listed revision: the version the
/// server says is its default, else the one version it lists serving that model (for a server
/// of one model, the one revision it lists).
fn attribute_unversioned(
    scraped: &[&RevisionKey],
    listed: &[Listed],
    single_model: bool,
) -> HashMap<RevisionKey, RevisionKey> {
    let serving = |entry: &&Listed| entry.ready.as_ref().is_none_or(|ready| *ready == Readiness::Ready);
    scraped
        .iter()
        .filter(|key| key.version.is_none())
        .filter_map(|key| {
            let candidates: Vec<&Listed> =
                listed.iter().filter(serving).filter(|entry| single_model || entry.key.model == key.model).collect();
            let chosen = match candidates.iter().find(|entry| entry.default) {
                Some(default) => default,
                None => match candidates.as_slice() {
                    [only] => only,
                    _ => return None,
                },
            };
            (chosen.key != **key).then(|| ((*key).clone(), chosen.key.clone()))
        })
        .collect()
}

/// The revisions one poll shows, and those it retires.
struct Shown {
    /// Each with its readiness as the listing states it, if it does.
    shown: Vec<Checked>,
    /// Metadata the listing gave.
    metadata: HashMap<RevisionKey, String>,
    /// Known revisions the listing no longer names (and the metrics do not show): down.
    retired: Vec<Checked>,
}

/// The revisions shown: those listed (loaded, or known, or in the metrics), then those in the
/// metrics (counted against the revision they are attributed to) or `known` that the listing
/// does not name. A known revision a listing no longer names, and the metrics do not show, is
/// retired.
fn shown(
    listed: Option<&[Listed]>,
    scraped: &[&RevisionKey],
    attributed: &HashMap<RevisionKey, RevisionKey>,
    known: &[RevisionKey],
) -> Shown {
    let mut shown: Vec<Checked> = Vec::new();
    let mut metadata = HashMap::new();
    for entry in listed.unwrap_or_default() {
        if entry.loaded || known.contains(&entry.key) || scraped.contains(&&entry.key) {
            shown.push((entry.key.clone(), entry.ready.as_ref().map(listed_check)));
            metadata.extend(entry.metadata.clone().map(|json| (entry.key.clone(), json)));
        }
    }
    let mut unlisted: Vec<&RevisionKey> = scraped
        .iter()
        .map(|key| attributed.get(*key).unwrap_or(key))
        .chain(known)
        .filter(|key| !shown.iter().any(|(listed, _)| listed == *key))
        .collect();
    unlisted.sort();
    unlisted.dedup();
    let mut retired = Vec::new();
    for key in unlisted {
        if listed.is_some() && known.contains(key) && !scraped.contains(&key) {
            let reason = "the server no longer lists it".to_owned();
            retired.push((key.clone(), Some(HealthCheck { state: HealthState::Down, reason, detected: None })));
        } else {
            shown.push((key.clone(), None));
        }
    }
    Shown { shown, metadata, retired }
}

/// A listing's word on a revision, as a check.
fn listed_check(readiness: &Readiness) -> HealthCheck {
    let (state, reason) = match readiness {
        Readiness::Ready => (HealthState::Up, "ready".to_owned()),
        Readiness::NotReady(why) => (HealthState::Down, why.clone()),
    };
    HealthCheck { state, reason, detected: None }
}

/// Each shown revision and whether it is ready: as its listing said, else, for kinds that answer
/// for one revision, as its readiness endpoint answers (the first [`MAX_MODEL_CHECKS`]).
async fn check_revisions(
    http: &ServerHttp,
    base_url: &str,
    kind: ServerKind,
    shown: Vec<Checked>,
    timeout: Duration,
) -> Vec<Checked> {
    let mut revisions = Vec::with_capacity(shown.len());
    for (index, (key, check)) in shown.into_iter().enumerate() {
        let url = kind.model_readiness_url(base_url, &key.model, key.version.as_deref());
        let check = match (check, url) {
            (None, Some(url)) if index < MAX_MODEL_CHECKS => {
                Some(health::check_url(http, &url, timeout, |status| (200..300).contains(&status)).await)
            }
            (check, _) => check,
        };
        revisions.push((key, check));
    }
    revisions
}

/// The metadata of revisions seen for the first time (not `known`) that `listed` (the
/// listing's) lacks, for kinds that give it: at most [`MAX_MODEL_CHECKS`] requests.
async fn read_new_metadata(
    http: &ServerHttp,
    base_url: &str,
    kind: ServerKind,
    revisions: &[Checked],
    known: &[RevisionKey],
    listed: &HashMap<RevisionKey, String>,
    timeout: Duration,
) -> HashMap<RevisionKey, String> {
    let mut metadata = HashMap::new();
    let new = revisions.iter().map(|(key, _)| key).filter(|key| !known.contains(key) && !listed.contains_key(*key));
    for key in new.take(MAX_MODEL_CHECKS) {
        if let Some(url) = kind.model_metadata_url(base_url, &key.model, key.version.as_deref()) {
            metadata.extend(read_metadata(http, &url, timeout).await.map(|json| (key.clone(), json)));
        }
    }
    metadata
}

/// A ready server one of whose revisions is not ready is degraded, and says which.
fn degrade(health: &mut HealthCheck, revisions: &[Checked]) {
    let not_ready = revisions
        .iter()
        .find_map(|(key, check)| check.as_ref().filter(|c| c.state != HealthState::Up).map(|c| (key, c)));
    if let Some((key, check)) = not_ready {
        let version = key.version.as_deref().unwrap_or("default version");
        health.state = HealthState::Degraded;
        health.reason = format!("model {} {version} is not ready: {}", key.model, check.reason);
    }
}

/// The most of a model's metadata Vigil reads and stores.
const MAX_METADATA_BYTES: usize = 64 * 1024;

/// A revision's metadata as compact JSON, if the server gives a JSON object within the cap.
async fn read_metadata(http: &ServerHttp, url: &str, timeout: Duration) -> Option<String> {
    let value = fetch_json(http, url, None, timeout, MAX_METADATA_BYTES).await.ok()?;
    value.is_object().then(|| value.to_string())
}

/// For a server of `kind` read through a Prometheus that scrapes it: the kind of the servers it
/// scrapes, and their signal map. None for other kinds, and for a Prometheus not told what it
/// scrapes (found by detection): that one is polled as itself, up or down, without metrics.
fn prometheus_source(server: &Server, kind: ServerKind) -> Option<(ServerKind, &'static SignalMap)> {
    if !kind.spec().is_some_and(|spec| matches!(spec.metrics, Metrics::ThroughPrometheus)) {
        return None;
    }
    let source = server.source_kind?;
    Some((source, source.signal_map()?))
}

/// Reads the server's metrics page as totals per revision. None when the kind has no metrics
/// page Vigil reads.
async fn read_metrics(
    http: &ServerHttp,
    server: &Server,
    kind: ServerKind,
    timeout: Duration,
) -> Option<std::result::Result<Scraped, String>> {
    let Metrics::Page { path, map } = kind.spec()?.metrics else { return None };
    let url = server.metrics_url.clone().unwrap_or_else(|| format!("{}{path}", server.base_url));
    let page = fetch_page(http, &url, timeout).await;
    Some(page.and_then(|page| scraped_from(&page.body, page.content_type.as_deref(), map)))
}

async fn fetch_page(http: &ServerHttp, url: &str, timeout: Duration) -> std::result::Result<Capped, String> {
    let page = get_capped(http, url, timeout, MAX_METRICS_BYTES).await?;
    if page.truncated {
        return Err(format!("the metrics page is larger than {} MB; Vigil reads no more", MAX_METRICS_BYTES >> 20));
    }
    if !(200..300).contains(&page.status) {
        return Err(format!("the metrics page answered HTTP {}", page.status));
    }
    if let Some(encoding) = page.content_encoding.as_deref().filter(|e| !e.eq_ignore_ascii_case("identity")) {
        return Err(format!(
            "the metrics page came compressed ({encoding}), which Vigil did not ask for; it was not read"
        ));
    }
    let lines = page.body.iter().filter(|&&byte| byte == b'\n').count();
    if lines > MAX_METRICS_LINES {
        return Err(format!(
            "the metrics page has more than {MAX_METRICS_LINES} lines ({lines}); Vigil reads at most that many from one \
             server (a model server's page has a few thousand)"
        ));
    }
    Ok(page)
}

/// Totals per revision from exposition text, or why the text is not metrics at all (naming its
/// `content_type`, if the server gave one).
pub(crate) fn scraped_from(
    text: &[u8],
    content_type: Option<&str>,
    map: &SignalMap,
) -> std::result::Result<Scraped, String> {
    let parsed = parse_bytes(text, Format::Auto);
    if parsed.samples.is_empty() && parsed.skipped > 0 {
        let first = parsed.errors.first().map(|e| format!("; first, {e}")).unwrap_or_default();
        let sent_as = content_type.map(|kind| format!(" ({kind})")).unwrap_or_default();
        return Err(format!(
            "the metrics page{sent_as} is not in the Prometheus text format: none of its {} lines could be read{first}",
            parsed.skipped
        ));
    }
    let revisions = totals(&parsed, map);
    if revisions.len() > MAX_METRICS_REVISIONS {
        return Err(format!(
            "the metrics page names {} model revisions, more than the {MAX_METRICS_REVISIONS} Vigil follows on one server",
            revisions.len()
        ));
    }
    Ok(Scraped { revisions, resources: resources::read(&parsed, map.resources), kinds_resources: map.resources })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The base URL of a server on loopback that answers every request with `body` as JSON.
    async fn answering(body: Vec<u8>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let answer = move || {
            let body = body.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) }
        };
        tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(answer)).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn metadata_nested_deeper_than_json_allows_is_refused_without_overflowing_the_stack() {
        // Run on a test thread's 2 MB stack, as small as the runtime's workers'.
        let nested = |depth: usize| format!(r#"{{"name":"m","inputs":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
        let http = ServerHttp::new(reqwest::Client::new());
        for (depth, why) in [
            (100_000, "/v2/models/m answered with more than 64 KB"),
            (30_000, "/v2/models/m answered with JSON nested deeper than 128 levels"),
        ] {
            let base = answering(nested(depth).into_bytes()).await;
            let url = ServerKind::OipV2.model_metadata_url(&base, "m", None).unwrap();
            assert_eq!(read_metadata(&http, &url, Duration::from_secs(5)).await, None, "nothing kept");
            let refused = fetch_json(&http, &url, None, Duration::from_secs(5), MAX_METADATA_BYTES).await;
            assert_eq!(refused.unwrap_err(), why);
        }
        let base = answering(nested(100).into_bytes()).await;
        let url = ServerKind::OipV2.model_metadata_url(&base, "m", None).unwrap();
        assert!(read_metadata(&http, &url, Duration::from_secs(5)).await.is_some(), "100 deep is kept");
    }
}
