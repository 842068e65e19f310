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
use crate::health;
use crate::observe::{observe, Observation};
use crate::revisions;
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

/// Polls every registered server once, stores what it learned and publishes the changes.
/// Returns the servers as they stand after the round.
pub async fn poll_once(engine: &Engine) -> Result<Vec<Server>> {
    let servers = servers::list(engine.pool()).await?;
    let mut known = revisions::known(engine.pool()).await?;
    let limit = Arc::new(Semaphore::new(MAX_CONCURRENT_CHECKS));
    let mut polls = JoinSet::new();
    for (index, server) in servers.iter().enumerate() {
        let (client, server, limit) = (engine.http().clone(), server.clone(), limit.clone());
        let known = known.remove(&server.id).unwrap_or_default();
        let timeout = engine.options().request_timeout;
        polls.spawn(async move {
            let _permit = limit.acquire_owned().await;
            (index, observe(&client, &server, &known, timeout).await)
        });
    }
    let mut observations: Vec<Option<Observation>> = servers.iter().map(|_| None).collect();
    while let Some(done) = polls.join_next().await {
        if let Ok((index, observation)) = done {
            observations[index] = Some(observation);
        }
    }

    let now = Utc::now();
    let mut previous = engine.previous_totals().lock().await;
    let mut tx = engine.pool().begin().await?;
    let mut changes = Vec::new();
    for (server, observation) in servers.iter().zip(&observations) {
        let Some(observation) = observation else { continue };
        if let Some(transition) = health::record(&mut tx, server.id, &observation.health, now).await? {
            changes.push((server.name.clone(), transition));
        }
        previous.record(&mut tx, server.id, observation, now).await?;
    }
    // A server removed while it was being polled is simply gone; nothing to record for it.
    let after = servers::list_in(&mut tx).await?;
    tx.commit().await?;
    previous.retain(&after);
    drop(previous);

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
