//! Engine events paced for a listener that redraws on them (the desktop window): every event as
//! it comes, except `Polled`, which comes at most once a period, the polls heard meanwhile merged
//! into one. A fleet of fifty servers polled every 2 s publishes 25 `Polled` a second; each one
//! the window hears costs it a script to run (which WebKit keeps until its next collection) and
//! a look at what changed, while all it needs is that polls landed, when, and on which servers.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use super::EngineEvent;

/// The engine's events with its polls merged over `period`.
pub struct PacedEvents {
    events: broadcast::Receiver<EngineEvent>,
    period: Duration,
    /// Polls heard and not yet passed on: the newest time, and every server named.
    held: Option<(DateTime<Utc>, Vec<String>)>,
    /// When the last `Polled` was passed on.
    passed_at: Option<Instant>,
}

impl PacedEvents {
    pub fn new(events: broadcast::Receiver<EngineEvent>, period: Duration) -> PacedEvents {
        PacedEvents { events, period, held: None, passed_at: None }
    }

    /// The next event; None once the engine is gone (after the polls still held). A poll that
    /// comes a period or more after the last one passed on is passed on at once.
    pub async fn recv(&mut self) -> Option<EngineEvent> {
        loop {
            let heard = match (&self.held, self.passed_at) {
                (Some(_), Some(passed_at)) => tokio::select! {
                    heard = self.events.recv() => heard,
                    () = tokio::time::sleep_until(passed_at + self.period) => return self.pass_polls(),
                },
                _ => self.events.recv().await,
            };
            match heard {
                Ok(EngineEvent::Polled { at, servers }) => {
                    self.hold(at, servers);
                    if self.passed_at.is_none_or(|passed_at| passed_at.elapsed() >= self.period) {
                        return self.pass_polls();
                    }
                }
                Ok(event) => return Some(event),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return self.pass_polls(),
            }
        }
    }

    fn hold(&mut self, at: DateTime<Utc>, servers: Vec<String>) {
        let Some((held_at, held)) = &mut self.held else {
            self.held = Some((at, servers));
            return;
        };
        *held_at = (*held_at).max(at);
        let mut named: HashSet<String> = held.iter().cloned().collect();
        held.extend(servers.into_iter().filter(|server| named.insert(server.clone())));
    }

    fn pass_polls(&mut self) -> Option<EngineEvent> {
        let (at, servers) = self.held.take()?;
        self.passed_at = Some(Instant::now());
        Some(EngineEvent::Polled { at, servers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polled(second: i64, servers: &[&str]) -> EngineEvent {
        let at = DateTime::from_timestamp(1_800_000_000 + second, 0).unwrap();
        EngineEvent::Polled { at, servers: servers.iter().map(|s| s.to_string()).collect() }
    }

    #[tokio::test(start_paused = true)]
    async fn polls_pass_at_most_once_a_period_merged_and_other_events_at_once() {
        let (engine, events) = broadcast::channel(64);
        let mut paced = PacedEvents::new(events, Duration::from_secs(1));

        engine.send(polled(0, &["a"])).unwrap();
        assert_eq!(paced.recv().await, Some(polled(0, &["a"])), "the first poll passes at once");

        let started = Instant::now();
        for (second, server) in [(1, "b"), (2, "a"), (3, "c")] {
            engine.send(polled(second, &[server])).unwrap();
        }
        engine.send(EngineEvent::AlertsChanged).unwrap();
        assert_eq!(paced.recv().await, Some(EngineEvent::AlertsChanged), "not held behind the polls");
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(paced.recv().await, Some(polled(3, &["b", "a", "c"])), "the newest time, every server once");
        assert_eq!(started.elapsed(), Duration::from_secs(1), "a period after the last poll passed on");

        tokio::time::sleep(Duration::from_secs(5)).await;
        engine.send(polled(9, &["d"])).unwrap();
        assert_eq!(paced.recv().await, Some(polled(9, &["d"])), "after a quiet period, at once again");

        engine.send(polled(10, &["e"])).unwrap();
        drop(engine);
        assert_eq!(paced.recv().await, Some(polled(10, &["e"])), "held polls pass when the engine goes");
        assert_eq!(paced.recv().await, None);
    }
}
