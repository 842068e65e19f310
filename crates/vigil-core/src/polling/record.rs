//! The recorder: writes finished polls in batches, folds and prunes stored metrics once a
//! minute, and publishes what changed.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::mpsc;

use super::checks;
use super::{Polling, MAX_BATCH, RECORD_EVERY};
use crate::events::EngineEvent;
use crate::health::Transition;
use crate::observe::Observation;
use crate::servers::{self, Server};
use crate::{points, Result, VigilError};

/// Receives finished polls and records them in batches (see [`gather`]).
pub(super) async fn arrivals(polling: Polling, mut arrivals: mpsc::Receiver<(Server, Observation)>) {
    let mut last_write: Option<tokio::time::Instant> = None;
    while let Some(first) = arrivals.recv().await {
        let due = last_write.map_or_else(tokio::time::Instant::now, |at| at + RECORD_EVERY);
        let batch = gather(first, &mut arrivals, due).await;
        last_write = Some(tokio::time::Instant::now());
        if let Err(err) = polling.record(&batch).await {
            tracing::warn!("could not store {} polls: {err}", batch.len());
        }
    }
}

/// The batch to write next: `first` and the polls that arrive before `due` (those already
/// waiting, always), at most [`MAX_BATCH`]. It is written when full or due, whichever comes
/// first: a lone poll at once (due now), a large fleet as fast as the store takes it rather than
/// one batch per [`RECORD_EVERY`].
async fn gather<T>(first: T, arrivals: &mut mpsc::Receiver<T>, due: tokio::time::Instant) -> Vec<T> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match tokio::time::timeout_at(due, arrivals.recv()).await {
            Ok(Some(more)) => batch.push(more),
            Ok(None) | Err(_) => break,
        }
    }
    batch
}

impl Polling {
    /// Writes a batch of finished polls in one transaction and publishes what changed.
    pub(super) async fn record(&self, batch: &[(Server, Observation)]) -> Result<()> {
        let now = Utc::now();
        // A server removed while it was being polled is simply gone: nothing is recorded for it
        // (its revisions could not be stored without it). Read before the transaction, whose
        // first statement must be a write (see `checks::record`).
        let registered: HashSet<i64> = servers::ids(self.context().pool()).await?;
        let batch: Vec<&(Server, Observation)> =
            batch.iter().filter(|(server, _)| registered.contains(&server.id)).collect();
        let mut previous = self.state.previous_totals.lock().await;
        let mut write = self.context().write().await?;
        let mut news = Vec::new();
        for (server, observation) in batch.iter().copied() {
            let transition = checks::record(&mut write, server.id, &observation.health, now).await?;
            let metrics_error_changed = previous.record(&mut write, server.id, observation, now).await?;
            let detected = observation.health.detected.is_some_and(|kind| Some(kind) != server.detected_kind);
            if transition.is_some() || metrics_error_changed || detected {
                news.push((server, transition));
            }
        }
        if self.upkeep_due() {
            points::fold(&mut write, now.timestamp_millis()).await?;
            points::prune(&mut write, self.context().options().retention, now.timestamp_millis()).await?;
        }
        // Only the servers with news are read back, as they stand after (one renamed meanwhile
        // is found at its next poll). A health change carries the server as it stands.
        for (before, transition) in news {
            let server = match servers::get(&mut write, &before.name).await {
                Ok(server) => server,
                Err(VigilError::NotFound(_)) => continue,
                Err(err) => return Err(err),
            };
            write.announce(match transition {
                Some(Transition { from, to, .. }) => EngineEvent::HealthChanged { server, from, to },
                None => EngineEvent::ServerUpdated { server },
            });
        }
        write.commit().await?;
        drop(previous);
        // Set before it is announced, so whoever hears of it reads the new time.
        *self.state.polled_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(now);
        let servers = batch.iter().map(|(server, _)| server.name.clone()).collect();
        self.context().publish(EngineEvent::Polled { at: now, servers });
        Ok(())
    }

    /// Whether stored metrics are due to be folded into rollups and pruned (at most once a
    /// minute); marks them done.
    fn upkeep_due(&self) -> bool {
        let mut kept_at = self.state.kept_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = kept_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
        if due {
            *kept_at = Some(Instant::now());
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::health::{HealthCheck, HealthState};
    use crate::signals::RevisionKey;
    use crate::Engine;
    use crate::{EngineOptions, NewServer, ServerKind};

    #[tokio::test]
    async fn the_poll_of_a_server_removed_meanwhile_is_dropped_and_the_rest_of_its_batch_stored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let engine = Engine::open(EngineOptions::new(crate::store::testing::scratch(dir.path()).await))
            .await
            .expect("open the engine");
        let mlserver = |name: &str| NewServer {
            name: name.into(),
            base_url: "http://127.0.0.1:9".into(),
            kind: ServerKind::Mlserver,
            ..Default::default()
        };
        let kept = engine.servers().add(mlserver("kept")).await.expect("add");
        let gone = engine.servers().add(mlserver("gone")).await.expect("add");
        engine.servers().remove("gone").await.expect("remove");
        let key = RevisionKey { model: "iris".into(), version: Some("v1".into()) };
        let up = || Observation {
            health: HealthCheck { state: HealthState::Up, reason: "ready".into(), detected: None },
            revisions: vec![(key.clone(), None)],
            metadata: HashMap::new(),
            metrics: None,
            attributed: HashMap::new(),
            at: Instant::now(),
        };
        let mut events = engine.subscribe();
        engine.polling().record(&[(gone, up()), (kept, up())]).await.expect("the batch is stored");
        let polled = std::iter::from_fn(|| events.try_recv().ok()).find_map(|event| match event {
            EngineEvent::Polled { servers, .. } => Some(servers),
            _ => None,
        });
        assert_eq!(polled, Some(vec!["kept".to_owned()]));
        let servers = engine.servers().list().await.expect("list");
        assert_eq!(
            servers.iter().map(|s| (s.name.as_str(), s.health)).collect::<Vec<_>>(),
            [("kept", HealthState::Up)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_batch_is_written_at_once_and_a_few_polls_wait_until_they_are_due() {
        let (sender, mut arrivals) = mpsc::channel(MAX_BATCH * 2);
        for poll in 0..MAX_BATCH + 100 {
            sender.send(poll).await.expect("sent");
        }
        let (start, due) = (tokio::time::Instant::now(), tokio::time::Instant::now() + RECORD_EVERY);
        let full = gather(usize::MAX, &mut arrivals, due).await;
        assert_eq!(full.len(), MAX_BATCH, "a full batch");
        assert_eq!(tokio::time::Instant::now(), start, "written at once, not held until it is due");
        let rest = gather(usize::MAX, &mut arrivals, due).await;
        assert_eq!(rest.len(), 102, "the 101 left, and the one that came first");
        assert_eq!(tokio::time::Instant::now(), due, "a part batch waits for more until it is due");
        let lone = gather(7, &mut arrivals, tokio::time::Instant::now()).await;
        assert_eq!((lone, tokio::time::Instant::now()), (vec![7], due), "a lone poll due now is written at once");
    }
}
