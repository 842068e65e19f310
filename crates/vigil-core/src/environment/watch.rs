//! The background task that gathers a rollout's candidate's environment as the rollout starts,
//! so that whoever signs it off sees where it serves without asking: on the first
//! `RolloutChanged` of each rollout under way whose candidate was never gathered. A failed
//! gathering is logged; the fingerprint then says what could not be read, or the window's
//! Gather asks again.

use std::collections::HashSet;

use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use super::{queries, Environment};
use crate::events::EngineEvent;

/// A running watch; dropping it stops it.
pub struct EnvironmentWatch {
    task: JoinHandle<()>,
}

impl Drop for EnvironmentWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(super) fn start(environment: Environment) -> EnvironmentWatch {
    let mut events = environment.context.subscribe();
    let task = tokio::spawn(async move {
        let mut seen: HashSet<i64> = HashSet::new();
        loop {
            let id = match events.recv().await {
                Ok(EngineEvent::RolloutChanged { rollout: Some(id), .. }) => id,
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            };
            if seen.insert(id) {
                if let Err(err) = gather_candidate(&environment, id).await {
                    tracing::warn!("rollout {id}'s candidate's environment was not gathered: {err}");
                }
            }
        }
    });
    EnvironmentWatch { task }
}

/// Gathers rollout `id`'s candidate, when the rollout is under way and it never was.
async fn gather_candidate(environment: &Environment, id: i64) -> crate::Result<()> {
    let mut conn = environment.context.pool().acquire().await?;
    let rollout = crate::rollouts::queries::get(&mut conn, id).await?;
    if !rollout.state.active() {
        return Ok(());
    }
    let known = queries::fingerprints_of_model(&mut conn, &rollout.model).await?;
    drop(conn);
    if known.iter().any(|fingerprint| fingerprint.version == rollout.candidate) {
        return Ok(());
    }
    environment.gather("", &rollout.model, Some(&rollout.candidate)).await.map(|_| ())
}
