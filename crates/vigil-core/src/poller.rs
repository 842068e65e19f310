//! The poller: checks the health of every registered server on an interval, stores what it
//! learns, and publishes what changed.
//!
//! Each round reads the server list afresh, so adding or removing a server takes effect without
//! a restart; [`crate::Engine::add_server`] wakes the poller so a new server is checked at once.
//! Checks run concurrently with a per-request timeout, so one hanging server never delays the
//! others beyond that timeout.

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::engine::Engine;
use crate::events::EngineEvent;
use crate::health::{self, HealthCheck};
use crate::servers::{self, Server};
use crate::Result;

/// How many servers are checked at the same time.
const MAX_CONCURRENT_CHECKS: usize = 32;

/// The running poller; polling stops when this is dropped.
pub struct PollerHandle(tokio::task::JoinHandle<()>);

impl Drop for PollerHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts polling in the background on the current tokio runtime.
pub fn start(engine: Engine) -> PollerHandle {
    PollerHandle(tokio::spawn(async move {
        loop {
            if let Err(err) = poll_once(&engine).await {
                tracing::warn!("polling round failed: {err}");
            }
            tokio::select! {
                _ = tokio::time::sleep(engine.options().poll_interval) => {}
                _ = engine.wake_requested() => {}
            }
        }
    }))
}

/// Checks every registered server once, stores the results and publishes the changes.
/// Returns the servers as they stand after the round.
pub async fn poll_once(engine: &Engine) -> Result<Vec<Server>> {
    let servers = servers::list(engine.pool()).await?;
    let limit = Arc::new(Semaphore::new(MAX_CONCURRENT_CHECKS));
    let mut checks = JoinSet::new();
    for (index, server) in servers.iter().enumerate() {
        let (client, base_url, limit) = (engine.http().clone(), server.base_url.clone(), limit.clone());
        let kind = server.detected_kind.unwrap_or(server.kind);
        let timeout = engine.options().request_timeout;
        checks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            (index, health::check(&client, &base_url, kind, timeout).await)
        });
    }
    let mut results: Vec<Option<HealthCheck>> = vec![None; servers.len()];
    while let Some(done) = checks.join_next().await {
        if let Ok((index, check)) = done {
            results[index] = Some(check);
        }
    }

    let now = Utc::now();
    let mut tx = engine.pool().begin().await?;
    let mut changes = Vec::new();
    for (server, check) in servers.iter().zip(&results) {
        let Some(check) = check else { continue };
        if let Some(transition) = health::record(&mut tx, server.id, check, now).await? {
            changes.push((server.name.clone(), transition));
        }
    }
    // A server removed while it was being checked is simply gone; nothing to record for it.
    let after = servers::list_in(&mut tx).await?;
    tx.commit().await?;

    for (name, transition) in changes {
        if let Some(server) = after.iter().find(|s| s.name == name) {
            engine.publish(EngineEvent::HealthChanged {
                server: server.clone(),
                from: transition.from,
                to: transition.to,
            });
        }
    }
    engine.finish_round(now);
    Ok(after)
}
