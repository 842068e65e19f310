//! The background task that keeps alerts current: it evaluates every rule as soon as a poll or a
//! drift report is stored (`Polled`, `DriftReported`), and once a second sends the notifications
//! that grouping makes due. A failed round is logged and tried again at the next event.
//!
//! A round reads the whole fleet, so on a large fleet with a long history it is not free: rounds
//! start at most once per [`SPACING`] times the last round's length (and at least a second
//! apart), which keeps their share of a core near one in [`SPACING`] however slow the store is;
//! a poll stored in between is evaluated by the next round.
//!
//! However many engines share the store, each server's alerts are evaluated by one: the collector
//! that holds the server's lease, or, for servers no live collector holds, the holder of the
//! `alerts` duty (`duties.rs`), which alone sends the notifications. Another engine takes the
//! duty over within [`DUTY_TTL`] of its holder stopping, and a dead collector's servers within
//! two poll intervals.

use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use super::Alerts;
use crate::duties::{self, Duty};
use crate::events::EngineEvent;

/// How often due notifications are looked for.
pub const DISPATCH_EVERY: Duration = Duration::from_secs(1);
/// A round starts no sooner than this many times the last round's length after it began.
pub const SPACING: u32 = 10;
/// How long the alert rounds stay with an engine that stopped doing them.
pub const DUTY_TTL: Duration = Duration::from_secs(10);

/// A running watch; dropping it stops it.
pub struct AlertWatch {
    task: JoinHandle<()>,
}

impl Drop for AlertWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(super) fn start(alerts: Alerts) -> AlertWatch {
    let mut events = alerts.context.subscribe();
    let duty = Duty::new("alerts", alerts.context.holder(), DUTY_TTL);
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(DISPATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut stored, mut next_round) = (false, Instant::now());
        loop {
            stored |= tokio::select! {
                event = events.recv() => match event {
                    Ok(EngineEvent::Polled { .. } | EngineEvent::DriftReported { .. }) | Err(RecvError::Lagged(_)) => true,
                    Ok(_) => false,
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => false,
            };
            let on_duty = duty.hold(alerts.context.pool()).await.unwrap_or_else(|err| {
                tracing::warn!("could not tell whether this engine holds the alerts duty: {err}");
                false
            });
            if stored && Instant::now() >= next_round {
                let began = Instant::now();
                if let Err(err) = round(&alerts, on_duty).await {
                    tracing::warn!("alert rules were not evaluated: {err}");
                }
                (stored, next_round) = (false, began + (began.elapsed() * SPACING).max(DISPATCH_EVERY));
            }
            if on_duty {
                if let Err(err) = alerts.dispatch(Utc::now()).await {
                    tracing::warn!("alert notifications were not sent: {err}");
                }
            }
        }
    });
    AlertWatch { task }
}

/// Evaluates the rules on the servers whose work falls to this engine, if any.
async fn round(alerts: &Alerts, on_duty: bool) -> crate::Result<()> {
    let scope = duties::scope(alerts.context.pool(), alerts.context.holder(), on_duty).await?;
    if !scope.is_empty() {
        alerts.evaluate_in(Utc::now(), &scope).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::duties::Scope;
    use crate::{Engine, EngineOptions, NewServer};

    #[tokio::test]
    async fn a_round_over_some_servers_leaves_the_alerts_of_the_others_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(EngineOptions::new(crate::store::testing::scratch(dir.path()).await)).await.unwrap();
        for name in ["a", "b"] {
            // A port nothing listens on: the server is down.
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let new =
                NewServer { name: name.into(), base_url: format!("http://127.0.0.1:{port}"), ..Default::default() };
            engine.servers().add(new).await.unwrap();
        }
        engine.polling().check_all().await.unwrap();
        let only = |name: &str| Scope::Only(HashSet::from([name.to_owned()]));
        let alerted = || async {
            let mut servers: Vec<String> =
                engine.alerts().alerts().await.unwrap().into_iter().filter_map(|a| a.server).collect();
            servers.sort();
            servers
        };
        engine.alerts().evaluate_in(Utc::now(), &only("a")).await.unwrap();
        assert_eq!(alerted().await, ["a"], "b is another engine's work");
        engine.alerts().evaluate_in(Utc::now(), &only("b")).await.unwrap();
        assert_eq!(alerted().await, ["a", "b"], "a's alert stays while b's round runs");
        engine.alerts().evaluate_in(Utc::now(), &only("a")).await.unwrap();
        assert_eq!(alerted().await, ["a", "b"]);
    }
}
