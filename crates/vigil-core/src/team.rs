//! Team mode's announcements: engines sharing one PostgreSQL tell each other what changed.
//!
//! On PostgreSQL every event an engine publishes is also sent, after its write committed, with
//! `NOTIFY vigil_events` (one notification carries as many events as fit in PostgreSQL's
//! 8,000-byte payload); every engine on the database listens on its own connection and
//! republishes on its event bus what the others sent, so an approval given on one desktop
//! reaches every other window as the same [`EngineEvent`] its own would have made, without
//! anyone polling the database. The database stays the truth: a listener that lost its
//! connection reconnects and the window reads the current state again on its next event.

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use sqlx::AnyPool;
use tokio::sync::{broadcast, mpsc};

use crate::events::EngineEvent;

/// The channel engines announce on.
const CHANNEL: &str = "vigil_events";
/// The largest payload PostgreSQL takes is 8,000 bytes; a little is kept for the envelope.
const PAYLOAD_LIMIT: usize = 7_800;
/// Events waiting to be announced before the newest are dropped (the database keeps the truth).
const QUEUE: usize = 4_096;

/// One notification: who sent it and what changed.
#[derive(Serialize, Deserialize)]
struct Notice {
    origin: u64,
    events: Vec<EngineEvent>,
}

/// This engine's side of team mode: where its own events go out.
pub(crate) struct Team {
    origin: u64,
    outgoing: mpsc::Sender<EngineEvent>,
}

impl Team {
    /// Starts announcing this engine's events on `pool` and republishing others' on `events`.
    /// `url` (with its password) opens the listening connection.
    pub(crate) fn start(pool: AnyPool, url: String, events: broadcast::Sender<EngineEvent>) -> Team {
        let origin = getrandom::u64().unwrap_or_else(|_| u64::from(std::process::id()));
        let (outgoing, queued) = mpsc::channel(QUEUE);
        tokio::spawn(announce(pool, origin, queued));
        tokio::spawn(listen(url, origin, events));
        Team { origin, outgoing }
    }

    /// Queues `event` for the other engines; never waits.
    pub(crate) fn send(&self, event: &EngineEvent) {
        if self.outgoing.try_send(event.clone()).is_err() {
            tracing::warn!(
                origin = self.origin,
                "team announcements fell behind; an event was not sent to other engines"
            );
        }
    }
}

/// Sends queued events, as many a notification as fit, in the order they were published.
async fn announce(pool: AnyPool, origin: u64, mut queued: mpsc::Receiver<EngineEvent>) {
    while let Some(first) = queued.recv().await {
        let mut batch = vec![first];
        while let Ok(next) = queued.try_recv() {
            batch.push(next);
        }
        for payload in payloads(origin, batch) {
            if let Err(err) = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&payload).execute(&pool).await
            {
                tracing::warn!(error = %err, "an announcement to the other engines failed");
            }
        }
    }
}

/// The notifications that carry `events`, each within PostgreSQL's payload limit. An event too
/// large for one alone (a poll of thousands of servers) is split where it can be, else skipped.
fn payloads(origin: u64, events: Vec<EngineEvent>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<EngineEvent> = Vec::new();
    let encode = |events: &[EngineEvent]| serde_json::to_string(&Notice { origin, events: events.to_vec() }).ok();
    for event in events.into_iter().flat_map(split) {
        current.push(event);
        if encode(&current).is_some_and(|text| text.len() > PAYLOAD_LIMIT) {
            let last = current.pop().expect("just pushed");
            if let Some(text) = encode(&current).filter(|_| !current.is_empty()) {
                out.push(text);
            }
            current = vec![last];
            if encode(&current).is_some_and(|text| text.len() > PAYLOAD_LIMIT) {
                tracing::warn!("an event too large to announce was not sent to other engines");
                current.clear();
            }
        }
    }
    if !current.is_empty() {
        out.extend(encode(&current));
    }
    out
}

/// A poll of many servers as several polls of at most 100 each, so that each fits a notification.
fn split(event: EngineEvent) -> Vec<EngineEvent> {
    match event {
        EngineEvent::Polled { at, servers } if servers.len() > 100 => {
            servers.chunks(100).map(|chunk| EngineEvent::Polled { at, servers: chunk.to_vec() }).collect()
        }
        other => vec![other],
    }
}

/// Republishes what other engines announce. Reconnects when the connection drops.
async fn listen(url: String, origin: u64, events: broadcast::Sender<EngineEvent>) {
    loop {
        let mut listener = match PgListener::connect(&url).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "listening for other engines failed; trying again in 2 s");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %err, "listening for other engines failed; trying again in 2 s");
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(notification) => match serde_json::from_str::<Notice>(notification.payload()) {
                    Ok(notice) if notice.origin != origin => {
                        notice.events.into_iter().for_each(|event| drop(events.send(event)));
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "an announcement from another engine could not be read"),
                },
                Err(err) => {
                    tracing::warn!(error = %err, "the connection listening for other engines dropped; reconnecting");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_packed_within_the_payload_limit_and_a_large_poll_is_split() {
        let many = (0..40).map(|i| EngineEvent::ServerRemoved { name: format!("server-{i:03}-{}", "x".repeat(200)) });
        let texts = payloads(7, many.collect());
        assert!(texts.len() > 1, "{} notifications", texts.len());
        assert!(texts.iter().all(|t| t.len() <= PAYLOAD_LIMIT));
        let back: usize = texts.iter().map(|t| serde_json::from_str::<Notice>(t).unwrap().events.len()).sum();
        assert_eq!(back, 40, "every event arrives once");

        let poll =
            EngineEvent::Polled { at: chrono::Utc::now(), servers: (0..5_000).map(|i| format!("s{i}")).collect() };
        let texts = payloads(7, vec![poll]);
        let servers: usize = texts
            .iter()
            .flat_map(|t| serde_json::from_str::<Notice>(t).unwrap().events)
            .map(|e| match e {
                EngineEvent::Polled { servers, .. } => servers.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(servers, 5_000);
        assert!(texts.iter().all(|t| t.len() <= PAYLOAD_LIMIT));
    }
}
