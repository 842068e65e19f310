//! The collector's health endpoint, for systemd, a load balancer or a person: `GET /health`
//! answers 200 with what this collector does (its name among the collectors, the servers it
//! holds, its polls and their worst lag, the store) while the store answers and its heartbeat
//! is current, and 503 with the reason when not.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;

use super::leases::shares;
use super::PollStats;
use crate::context::Context;
use crate::store::{backend_of, Backend};
use crate::{Result, VigilError};

/// How long the store may take to answer a health check.
const STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// What `GET /health` answers.
#[derive(Debug, Serialize)]
pub struct Health {
    pub ok: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    pub collector: String,
    pub store: &'static str,
    pub servers_held: usize,
    pub collectors_alive: usize,
    pub polls: u64,
    pub worst_lag_ms: u128,
}

struct Shared {
    context: Context,
    collector: String,
    stats: Arc<PollStats>,
}

/// Serves `GET /health` on `addr` until the returned task is aborted.
pub(super) async fn serve(
    addr: SocketAddr,
    context: Context,
    collector: String,
    stats: Arc<PollStats>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|err| {
        VigilError::invalid(
            "health",
            format!("Vigil could not listen for health checks on {addr}: {err}. Choose another address with --health."),
        )
    })?;
    let addr = listener.local_addr().map_err(|err| VigilError::Internal(err.to_string()))?;
    let app =
        axum::Router::new().route("/health", get(health)).with_state(Arc::new(Shared { context, collector, stats }));
    let task = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!("the health endpoint stopped: {err}");
        }
    });
    Ok((addr, task))
}

async fn health(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let pool = shared.context.pool();
    let mut health = Health {
        ok: false,
        problem: None,
        collector: shared.collector.clone(),
        store: match backend_of(pool) {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        servers_held: 0,
        collectors_alive: 0,
        polls: shared.stats.polls(),
        worst_lag_ms: shared.stats.worst_lag().as_millis(),
    };
    match tokio::time::timeout(STORE_TIMEOUT, shares(pool)).await {
        Err(_) => health.problem = Some(format!("the store did not answer within {} s", STORE_TIMEOUT.as_secs())),
        Ok(Err(err)) => health.problem = Some(format!("the store cannot be read: {err}")),
        Ok(Ok(shares)) => {
            health.collectors_alive = shares.iter().filter(|share| share.alive).count();
            match shares.iter().find(|share| share.holder == shared.collector) {
                Some(mine) if mine.alive => {
                    health.servers_held = mine.servers.len();
                    health.ok = true;
                }
                _ => health.problem = Some("this collector's heartbeat is not current in the store".to_owned()),
            }
        }
    }
    let status = if health.ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::to_string(&health).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}
