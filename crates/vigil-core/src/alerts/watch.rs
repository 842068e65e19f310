//! The background task that keeps alerts current: it evaluates every rule as soon as a poll or a
//! drift report is stored (`Polled`, `DriftReported`), and once a second sends the notifications
//! that grouping makes due. A failed round is logged and tried again at the next event.
//!
//! A round reads the whole fleet, so on a large fleet with a long history it is not free: rounds
//! start at most once per [`SPACING`] times the last round's length (and at least a second
//! apart), which keeps their share of a core near one in [`SPACING`] however slow the store is;
//! a poll stored in between is evaluated by the next round.
//!
//! However many engines share the store, one does the rounds: the holder of the `alerts` duty
//! (`duties.rs`); another takes over within [`DUTY_TTL`] of it stopping.

use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use super::Alerts;
use crate::duties::Duty;
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
    let duty = Duty::new("alerts", DUTY_TTL);
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
            match duty.hold(alerts.context.pool()).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(err) => {
                    tracing::warn!("could not tell whether this engine does the alert rounds: {err}");
                    continue;
                }
            }
            if stored && Instant::now() >= next_round {
                let began = Instant::now();
                if let Err(err) = alerts.evaluate(Utc::now()).await {
                    tracing::warn!("alert rules were not evaluated: {err}");
                }
                (stored, next_round) = (false, began + (began.elapsed() * SPACING).max(DISPATCH_EVERY));
            }
            if let Err(err) = alerts.dispatch(Utc::now()).await {
                tracing::warn!("alert notifications were not sent: {err}");
            }
        }
    });
    AlertWatch { task }
}
