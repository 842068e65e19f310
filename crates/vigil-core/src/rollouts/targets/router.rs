//! A traffic router with weights over HTTP, as the demo fleet's: `GET {url}` answers the model's
//! route with `{"weights": {"12": 90, "13": 10}}` (and optionally `"mirror": "13"`), `PUT {url}`
//! with the same shape sets it. Setting a split twice is the same as once.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::{Answer, Capabilities, DeploymentTarget, TargetFailure, TargetHttp, Traffic};

/// It splits by weight, switches, and mirrors.
pub const CAPABILITIES: Capabilities = Capabilities { weights: true, switch: true, mirror: true };

pub struct Router {
    http: TargetHttp,
    url: String,
}

impl Router {
    pub fn new(http: TargetHttp, url: String) -> Router {
        Router { http, url }
    }
}

#[derive(Deserialize)]
struct Route {
    weights: BTreeMap<String, u32>,
    #[serde(default)]
    mirror: Option<String>,
}

/// The traffic in a route answered by `url`: `{"weights": {...}, "mirror": ...}`. Other targets
/// that read back in the router's shape (the webhook's read-back URL) read it here too.
pub(crate) fn route_traffic(json: serde_json::Value, url: &str) -> Result<Traffic, TargetFailure> {
    let route: Route = super::decode(json, url, "a route with weights")?;
    Ok(Traffic { weights: route.weights, mirror: route.mirror })
}

impl DeploymentTarget for Router {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn idempotent(&self) -> bool {
        true
    }

    fn read(&self) -> Answer<'_, Traffic> {
        Box::pin(async move {
            let (_, json) = self.http.exchange(self.http.client.get(&self.url), &self.url).await?;
            route_traffic(json, &self.url)
        })
    }

    fn apply<'a>(&'a self, wanted: &'a Traffic) -> Answer<'a, ()> {
        Box::pin(async move {
            let body = json!({ "weights": wanted.weights, "mirror": wanted.mirror });
            self.http.exchange(self.http.client.put(&self.url).json(&body), &self.url).await.map(|_| ())
        })
    }
}
