//! A tiny traffic router on loopback for the gate-cost figure: `GET /routes/{model}` answers the
//! model's route, `{"weights": {"v1": 90, "v2": 10}}`, and `PUT /routes/{model}` with the same
//! shape sets it, as the demo fleet's router does. Only the models it was started with have a
//! route; it routes no traffic, it only keeps the weights the rollouts set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::net::TcpListener;

type Routes = Arc<Mutex<HashMap<String, Value>>>;

/// The running router; it stops serving when dropped.
pub struct Router {
    address: String,
    serving: tokio::task::JoinHandle<()>,
}

impl Router {
    /// Starts a router with a route for each of `models`, all traffic on v1.
    pub async fn start(models: &[String]) -> Result<Router, String> {
        let routes: HashMap<String, Value> =
            models.iter().map(|model| (model.clone(), json!({ "weights": { "v1": 100 } }))).collect();
        let app = axum::Router::new().fallback(answer).with_state(Arc::new(Mutex::new(routes)));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|error| format!("cannot open a loopback port for the router: {error}"))?;
        let address = listener.local_addr().map_err(|error| format!("the router's port: {error}"))?.to_string();
        let serving = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Router { address, serving })
    }

    /// Where `model`'s route is read and set.
    pub fn url(&self, model: &str) -> String {
        format!("http://{}/routes/{model}", self.address)
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

async fn answer(State(routes): State<Routes>, method: Method, uri: Uri, body: Bytes) -> Response {
    const JSON: [(header::HeaderName, &str); 1] = [(header::CONTENT_TYPE, "application/json")];
    let Some(model) = uri.path().strip_prefix("/routes/") else { return StatusCode::NOT_FOUND.into_response() };
    let Ok(mut routes) = routes.lock() else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    let Some(route) = routes.get_mut(model) else {
        return (StatusCode::NOT_FOUND, JSON, json!({ "error": format!("no route {model}") }).to_string())
            .into_response();
    };
    if method == Method::PUT {
        let asked: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if !asked["weights"].is_object() {
            return (StatusCode::BAD_REQUEST, JSON, json!({ "error": "a route needs weights" }).to_string())
                .into_response();
        }
        *route = json!({ "weights": asked["weights"], "mirror": asked.get("mirror").cloned().unwrap_or(Value::Null) });
    } else if method != Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    (JSON, route.to_string()).into_response()
}
