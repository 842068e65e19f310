//! The router's HTTP face on its own loopback port:
//! - `POST /v2/models/{model}/infer` goes to one version by the split in force (forwarded to
//!   `/v2/models/{model}/versions/{version}/infer` on the server hosting it); the answer comes
//!   back as the server gave it, with `x-vigil-fleet-version` naming the version;
//! - `GET /admin/routes` lists every model's split and backends;
//! - `GET /admin/routes/{model}` reads one, `PUT /admin/routes/{model}` with
//!   `{"weights": {"12": 50, "13": 50}}` sets it (whole percent adding up to 100; versions not
//!   named get 0), and `"mirror": "13"` (optional) sends a copy of every request to version 13,
//!   whose answer is dropped (shadow traffic). A refused split answers 400, an unknown model 404,
//!   both `{"error": "..."}`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::{RouteError, Router};

/// How long the router waits for a server's answer.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(10);

struct Shared {
    router: Arc<Router>,
    client: reqwest::Client,
}

type AppState = State<Arc<Shared>>;

/// The router's routes.
pub fn app(router: Arc<Router>) -> Result<axum::Router, reqwest::Error> {
    let client = reqwest::Client::builder().timeout(FORWARD_TIMEOUT).build()?;
    let shared = Arc::new(Shared { router, client });
    Ok(axum::Router::new()
        .route("/v2/models/{model}/infer", post(forward))
        .route("/admin/routes", get(list))
        .route("/admin/routes/{model}", get(read).put(set))
        .with_state(shared))
}

fn json_answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn refused(error: RouteError) -> Response {
    let status = match error {
        RouteError::UnknownModel(_) => StatusCode::NOT_FOUND,
        RouteError::UnknownVersion { .. } | RouteError::BadTotal(_) => StatusCode::BAD_REQUEST,
    };
    json_answer(status, json!({ "error": error.to_string() }))
}

async fn list(State(shared): AppState) -> Response {
    json_answer(StatusCode::OK, json!({ "routes": shared.router.routes() }))
}

async fn read(State(shared): AppState, Path(model): Path<String>) -> Response {
    match shared.router.info(&model) {
        Ok(info) => json_answer(StatusCode::OK, json!(info)),
        Err(error) => refused(error),
    }
}

#[derive(Deserialize)]
struct NewSplit {
    weights: BTreeMap<String, u32>,
    #[serde(default)]
    mirror: Option<String>,
}

async fn set(State(shared): AppState, Path(model): Path<String>, body: Bytes) -> Response {
    let split: NewSplit = match serde_json::from_slice(&body) {
        Ok(split) => split,
        Err(err) => {
            let message = format!("send {{\"weights\": {{\"VERSION\": PERCENT, ...}}}} with whole percentages: {err}");
            return json_answer(StatusCode::BAD_REQUEST, json!({ "error": message }));
        }
    };
    match shared.router.set_route(&model, split.weights, split.mirror).and_then(|_| shared.router.info(&model)) {
        Ok(info) => json_answer(StatusCode::OK, json!(info)),
        Err(error) => refused(error),
    }
}

async fn forward(State(shared): AppState, Path(model): Path<String>, body: Bytes) -> Response {
    let (backend, mirror) = match shared.router.choose_with_mirror(&model) {
        Ok(chosen) => chosen,
        Err(error) => return refused(error),
    };
    if let Some(mirror) = mirror {
        // The copy's answer is dropped: the person sees only the chosen version's.
        let url = format!("{}/v2/models/{model}/versions/{}/infer", mirror.url, mirror.version);
        let copy = shared.client.post(url).header(header::CONTENT_TYPE, "application/json").body(body.clone());
        tokio::spawn(async move {
            let _ = copy.send().await;
        });
    }
    let url = format!("{}/v2/models/{model}/versions/{}/infer", backend.url, backend.version);
    let sent = shared.client.post(url).header(header::CONTENT_TYPE, "application/json").body(body).send().await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(err) => {
            let message =
                format!("{model} version {} on server '{}' did not answer: {err}", backend.version, backend.server);
            return json_answer(StatusCode::SERVICE_UNAVAILABLE, json!({ "error": message }));
        }
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = answer.headers().get(reqwest::header::CONTENT_TYPE).cloned();
    let body = answer.bytes().await.unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    if let Some(content_type) = content_type.and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok()) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    if let Ok(version) = HeaderValue::try_from(backend.version) {
        headers.insert("x-vigil-fleet-version", version);
    }
    response
}
