//! The HTTP face of a fleet server: the Open Inference Protocol v2 REST endpoints (server and
//! model readiness, metadata, `infer`), the model listing its style offers, and `/metrics`,
//! each answered as the imitated server answers. A slow server waits before every answer.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use super::{Answer, ServerState};

type Shared = State<Arc<ServerState>>;

/// The model (and version) a path names.
#[derive(Debug, Deserialize)]
struct ModelPath {
    model: String,
    version: Option<String>,
}

/// Every route of a server in `state`'s style.
pub fn router(state: Arc<ServerState>) -> Router {
    let app = Router::new()
        .route("/v2", get(server_metadata))
        .route("/v2/health/live", get(|state: Shared| async move { health(&state, "live") }))
        .route("/v2/health/ready", get(|state: Shared| async move { health(&state, "ready") }))
        .route("/v2/models/{model}", get(model_metadata))
        .route("/v2/models/{model}/versions/{version}", get(model_metadata))
        .route("/v2/models/{model}/ready", get(model_ready))
        .route("/v2/models/{model}/versions/{version}/ready", get(model_ready))
        .route("/v2/models/{model}/infer", post(infer))
        .route("/v2/models/{model}/versions/{version}/infer", post(infer))
        .route("/metrics", get(metrics));
    let app = if state.spec.style.has_repository_index() {
        app.route("/v2/repository/index", post(repository_index))
    } else {
        app.route("/v2/models", get(model_list))
    };
    app.layer(middleware::from_fn_with_state(state.clone(), answer_slowly)).with_state(state)
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let body = match &self.body {
            Some(json) => Body::from(json.to_string()),
            None => Body::empty(),
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        if self.body.is_some() {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::try_from(value) {
                headers.insert(name, value);
            }
        }
        response
    }
}

/// Waits the server's answer delay (a slow server), then answers. Inferences are slowed in
/// the model instead (see `VersionFaults::extra`), where the server's own metrics see it.
async fn answer_slowly(State(state): Shared, request: Request, next: Next) -> Response {
    if !state.spec.answer_delay.is_zero() && !request.uri().path().ends_with("/infer") {
        tokio::time::sleep(state.spec.answer_delay).await;
    }
    next.run(request).await
}

async fn server_metadata(State(state): Shared) -> Answer {
    Answer::json(StatusCode::OK, state.spec.style.server_metadata())
}

fn health(state: &ServerState, probe: &str) -> Answer {
    Answer { status: StatusCode::OK, body: state.spec.style.health_body(probe), headers: Vec::new() }
}

async fn model_metadata(State(state): Shared, Path(path): Path<ModelPath>) -> Answer {
    let style = state.spec.style;
    match state.model(&path.model, path.version.as_deref()) {
        Some(model) => Answer::json(StatusCode::OK, style.model_metadata(model, &state.versions(&path.model))),
        None => Answer::error(style.unknown_model(&path.model, path.version.as_deref())),
    }
}

async fn model_ready(State(state): Shared, Path(path): Path<ModelPath>) -> Answer {
    let style = state.spec.style;
    match state.model(&path.model, path.version.as_deref()) {
        Some(model) => {
            Answer { status: StatusCode::OK, body: style.model_ready_body(&model.name), headers: Vec::new() }
        }
        None => Answer::error(style.unknown_model(&path.model, path.version.as_deref())),
    }
}

async fn infer(State(state): Shared, Path(path): Path<ModelPath>, body: Bytes) -> Answer {
    state.infer(&path.model, path.version.as_deref(), &body).await
}

async fn repository_index(State(state): Shared) -> Answer {
    Answer::json(StatusCode::OK, state.repository_index())
}

async fn model_list(State(state): Shared) -> Answer {
    Answer::json(StatusCode::OK, json!({ "models": state.model_names() }))
}

async fn metrics(State(state): Shared) -> Response {
    let page = state.spec.style.render_metrics(&state.recorder.snapshot(), &state.cpu);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], page).into_response()
}
