//! The scraped targets: many MLServer-like HTTP servers on 127.0.0.1, one port each, served by
//! this process. Each answers what Vigil and Prometheus ask an MLServer 1.7.1: server metadata,
//! readiness of the server and of each model revision, the model repository index, model
//! metadata, and a metrics page (the one captured from a real MLServer) whose request counters
//! grow as if the model were serving. A target may instead serve models of its own, each in two
//! revisions, v1 and v2, all serving (what a rollout of v2 over v1 measures, the rollouts
//! benchmark's; several models a target make the window benchmark's generated fleet).
//! Every metrics read is counted by who made it.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// The metrics page of MLServer 1.7.1 after 7 good requests to model iris v1 and one bad one.
const CAPTURED_PAGE: &str = include_str!("../../../tests/fixtures/metrics/mlserver-1.7.1.prom");

/// The simulated traffic: requests per second that each target's model iris v1 serves.
const REQUESTS_PER_SECOND: f64 = 2.0;

/// Series of the captured page that grow with each simulated request, and by how much.
const GROWING: [(&str, f64); 3] = [
    ("model_infer_request_success_total{model=\"iris\",version=\"v1\"}", 1.0),
    ("model_infer_request_duration_count{model=\"iris\",version=\"v1\"}", 1.0),
    ("model_infer_request_duration_sum{model=\"iris\",version=\"v1\"}", 0.01),
];

const SERVER_METADATA: &str = r#"{"name":"mlserver","version":"1.7.1","extensions":[]}"#;
/// The revisions of each model a target serves of its own.
const REVISIONS: [&str; 2] = ["v1", "v2"];

/// `POST /v2/repository/index`, as MLServer 1.7.1 answered with model iris v1 loaded.
const REPOSITORY_INDEX: &str = r#"[{"name":"iris","version":"v1","state":"READY","reason":""}]"#;

/// A piece of the metrics page: fixed text, or the value of a growing series.
enum Part {
    Text(String),
    Growing { captured: f64, per_request: f64 },
}

/// The metrics page as parts, rendered afresh for each read.
struct Page {
    parts: Vec<Part>,
    since: Instant,
}

impl Page {
    fn from_captured() -> Page {
        let growing: Vec<(String, f64)> = GROWING.iter().map(|(series, per)| ((*series).to_owned(), *per)).collect();
        Page::from_text(CAPTURED_PAGE, &growing)
    }

    /// The captured page with model iris v1 replaced by every one of `models` in revisions v1
    /// and v2, all growing: each `# HELP` and `# TYPE` line once, then the series of every model
    /// and revision.
    fn revisions_of(models: &[String]) -> Page {
        const IRIS: &str = "model=\"iris\"";
        const IRIS_V1: &str = "model=\"iris\",version=\"v1\"";
        let revision = |model: &str, version: &str| format!("model=\"{model}\",version=\"{version}\"");
        let mut text = String::with_capacity(CAPTURED_PAGE.len() * (1 + models.len()));
        for line in CAPTURED_PAGE.lines() {
            if line.contains(IRIS_V1) {
                for (model, version) in models.iter().flat_map(|model| REVISIONS.map(|version| (model, version))) {
                    text.push_str(&line.replace(IRIS_V1, &revision(model, version)));
                    text.push('\n');
                }
            } else if line.contains(IRIS) {
                for model in models {
                    text.push_str(&line.replace(IRIS, &format!("model=\"{model}\"")));
                    text.push('\n');
                }
            } else {
                text.push_str(line);
                text.push('\n');
            }
        }
        let growing: Vec<(String, f64)> = GROWING
            .iter()
            .flat_map(|(series, per)| {
                models.iter().flat_map(move |model| {
                    REVISIONS.map(|version| (series.replace(IRIS_V1, &revision(model, version)), *per))
                })
            })
            .collect();
        Page::from_text(&text, &growing)
    }

    fn from_text(page: &str, growing: &[(String, f64)]) -> Page {
        let mut parts = Vec::new();
        let mut text = String::new();
        for line in page.lines() {
            let growing = growing.iter().find_map(|(series, per_request)| {
                let value = line.strip_prefix(series)?.strip_prefix(' ')?;
                Some((series, value.parse::<f64>().ok()?, *per_request))
            });
            match growing {
                Some((series, captured, per_request)) => {
                    text.push_str(series);
                    text.push(' ');
                    parts.push(Part::Text(std::mem::take(&mut text)));
                    parts.push(Part::Growing { captured, per_request });
                    text.push('\n');
                }
                None => {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
        parts.push(Part::Text(text));
        Page { parts, since: Instant::now() }
    }

    fn render(&self) -> String {
        let requests = (self.since.elapsed().as_secs_f64() * REQUESTS_PER_SECOND).floor();
        let mut page = String::with_capacity(CAPTURED_PAGE.len() + 64);
        for part in &self.parts {
            match part {
                Part::Text(text) => page.push_str(text),
                Part::Growing { captured, per_request } => {
                    let _ = write!(page, "{}", captured + per_request * requests);
                }
            }
        }
        page
    }
}

/// Who read a metrics page, told by its User-Agent.
#[derive(Default)]
pub struct Reads {
    pub vigil: AtomicU64,
    pub prometheus: AtomicU64,
    pub other: AtomicU64,
}

impl Reads {
    fn count(&self, headers: &HeaderMap) {
        let agent = headers.get(header::USER_AGENT).and_then(|value| value.to_str().ok()).unwrap_or_default();
        let counter = if agent.starts_with("vigil/") {
            &self.vigil
        } else if agent.starts_with("Prometheus/") {
            &self.prometheus
        } else {
            &self.other
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

struct Shared {
    page: Page,
    /// What `POST /v2/repository/index` answers.
    index: String,
    reads: Arc<Reads>,
}

impl Shared {
    /// What a target serving `models`, each in revisions v1 and v2, answers: its metrics page and
    /// a repository index listing every model and revision as READY.
    fn revisions_of(models: &[String], reads: Arc<Reads>) -> Shared {
        let index: Vec<serde_json::Value> = models
            .iter()
            .flat_map(|model| {
                REVISIONS.map(|version| {
                    serde_json::json!({
                        "name": model, "version": version, "state": "READY", "reason": ""
                    })
                })
            })
            .collect();
        Shared { page: Page::revisions_of(models), index: serde_json::Value::from(index).to_string(), reads }
    }
}

/// The running targets; they stop serving when this is dropped.
pub struct Targets {
    /// `127.0.0.1:PORT` of each target.
    pub addresses: Vec<String>,
    reads: Arc<Reads>,
    _serving: JoinSet<()>,
}

impl Targets {
    /// Starts `count` targets, each on its own free loopback port.
    pub async fn start(count: usize) -> Result<Targets, String> {
        Targets::start_with_models(count, 0).await
    }

    /// Starts `count` targets, each on its own free loopback port; the first `models` of them
    /// serve a model of their own ([`model_name`]) in revisions v1 and v2, the others iris v1.
    pub async fn start_with_models(count: usize, models: usize) -> Result<Targets, String> {
        Targets::serve(count, |number| (number < models).then(|| vec![model_name(number)])).await
    }

    /// Starts `servers` targets, each on its own free loopback port, each serving
    /// `models_per_server` models in revisions v1 and v2: model `m` of target `s` is named
    /// `name_of(s, m)`.
    pub async fn start_fleet(
        servers: usize,
        models_per_server: usize,
        name_of: impl Fn(usize, usize) -> String,
    ) -> Result<Targets, String> {
        Targets::serve(servers, |server| Some((0..models_per_server).map(|model| name_of(server, model)).collect()))
            .await
    }

    /// Starts `count` targets: target `number` serves the models `models_of(number)` names, each
    /// in revisions v1 and v2, or, when it names none, the captured page's iris v1.
    async fn serve(count: usize, models_of: impl Fn(usize) -> Option<Vec<String>>) -> Result<Targets, String> {
        let reads = Arc::new(Reads::default());
        let iris =
            Arc::new(Shared { page: Page::from_captured(), index: REPOSITORY_INDEX.to_owned(), reads: reads.clone() });
        let iris = Router::new().fallback(answer).with_state(iris);
        let mut serving = JoinSet::new();
        let mut addresses = Vec::with_capacity(count);
        for number in 0..count {
            let app = match models_of(number) {
                Some(models) => {
                    let shared = Arc::new(Shared::revisions_of(&models, reads.clone()));
                    Router::new().fallback(answer).with_state(shared)
                }
                None => iris.clone(),
            };
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|error| format!("cannot open a loopback port for a target: {error}"))?;
            let address = listener.local_addr().map_err(|error| format!("a target's port: {error}"))?;
            addresses.push(address.to_string());
            serving.spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
        }
        Ok(Targets { addresses, reads, _serving: serving })
    }

    /// Metrics pages read so far, by whom.
    pub fn reads(&self) -> &Reads {
        &self.reads
    }
}

/// The model that target `number` serves when it serves one of its own: `model-007`.
pub fn model_name(number: usize) -> String {
    format!("model-{number:03}")
}

/// Answers one request as MLServer 1.7.1 would.
async fn answer(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    const JSON: [(header::HeaderName, &str); 1] = [(header::CONTENT_TYPE, "application/json")];
    let path = uri.path();
    match path {
        "/metrics" => {
            shared.reads.count(&headers);
            let text_format = [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")];
            (text_format, shared.page.render()).into_response()
        }
        "/v2" => (JSON, SERVER_METADATA).into_response(),
        "/v2/repository/index" => (JSON, shared.index.clone()).into_response(),
        "/v2/health/ready" | "/v2/health/live" => StatusCode::OK.into_response(),
        _ => match path.strip_prefix("/v2/models/") {
            Some(_) if path.ends_with("/ready") => StatusCode::OK.into_response(),
            Some(model) => {
                let name = model.split('/').next().unwrap_or_default();
                let metadata = serde_json::json!({
                    "name": name, "versions": [], "platform": "", "inputs": [], "outputs": [], "parameters": {}
                });
                (JSON, metadata.to_string()).into_response()
            }
            None => StatusCode::NOT_FOUND.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_several_models_has_each_family_once_and_every_revision_growing() {
        let models = ["fraud-7".to_owned(), "recsys-ranking-two-tower-candidate-generation-eu-west-017".to_owned()];
        let page = Page::revisions_of(&models).render();
        let help = |text: &str| text.lines().filter(|line| line.starts_with("# HELP")).count();
        assert_eq!(help(&page), help(CAPTURED_PAGE));
        for model in &models {
            for version in ["v1", "v2"] {
                let series = format!("model_infer_request_success_total{{model=\"{model}\",version=\"{version}\"}} ");
                assert!(page.contains(&series), "{series} is missing");
            }
        }
        assert!(!page.contains("\"iris\""));
        let growing =
            Page::revisions_of(&models).parts.iter().filter(|part| matches!(part, Part::Growing { .. })).count();
        assert_eq!(growing, GROWING.len() * models.len() * 2);
        let index: serde_json::Value =
            serde_json::from_str(&Shared::revisions_of(&models, Arc::default()).index).expect("JSON");
        assert_eq!(index.as_array().map(Vec::len), Some(4));
        assert!(index.as_array().into_iter().flatten().all(|entry| entry["state"] == "READY"));
    }
}
