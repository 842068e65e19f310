//! The poller: polls every registered server on its own schedule, stores what it learns in
//! batches, and publishes what changed.
//!
//! Two tasks. The *scheduler* keeps, per server, when it is next due; it starts a poll for each
//! server that is due and not already being polled, at most [`MAX_CONCURRENT_POLLS`] at once.
//! Each poll ([`observe`]) has its own request timeout, so a slow or hanging server only delays
//! itself. Interval and timeout are the server's own when it has them, else the engine's. A
//! server that answers is next due one interval after its poll started (not after it finished,
//! so a slow answer does not stretch the interval), with ±10 % jitter so a fleet added at once
//! does not poll in lock-step; one that is down backs off exponentially (twice the interval,
//! four times, … up to [`MAX_BACKOFF`] intervals) until it answers again. A poll is never due
//! before the previous one of its server has finished. How late polls start is measured
//! ([`PollStats`]): a poll's *schedule lag* is the time from when it was due to when it started,
//! waiting for a free slot included. The server
//! list is read afresh every second and whenever the engine asks (a server added), so editing or
//! removing a server takes effect without a restart, and after a restart polling resumes from
//! the database.
//!
//! The scheduler looks at the schedule when a poll falls due, but at most once per
//! [`SCHEDULER_TICK`]: polls due within one tick start together, so a large fleet costs a few
//! passes over the schedule a second, not one per poll.
//!
//! The *recorder* receives finished polls and writes whatever has arrived in one transaction,
//! then publishes the health changes and a [`EngineEvent::Polled`] naming the servers written.
//! It writes at most once per [`RECORD_EVERY`]: a lone poll is written at once, while under load
//! polls gather into larger transactions. Once a minute it also folds the minutes that closed into
//! rollups and prunes metrics older than the retention allows.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinSet;

use crate::engine::Engine;
use crate::events::EngineEvent;
use crate::health::{self, HealthState, Transition};
use crate::observe::{observe, Observation};
use crate::servers::{self, Server};
use crate::{points, revisions, Result, VigilError};

/// How many servers are polled at the same time.
pub const MAX_CONCURRENT_POLLS: usize = 64;
/// The longest a failing server waits between polls, in poll intervals.
pub const MAX_BACKOFF: u32 = 16;
/// How often the scheduler looks whether the servers changed (and if so reads them again).
const RELIST_EVERY: Duration = Duration::from_secs(1);
/// The most polls written in one transaction.
const MAX_BATCH: usize = 512;
/// The shortest time between two passes of the scheduler over the schedule.
pub const SCHEDULER_TICK: Duration = Duration::from_millis(20);
/// The shortest time between the starts of two writes of finished polls.
pub const RECORD_EVERY: Duration = Duration::from_millis(1000);

/// The running poller; polling stops when this is dropped.
pub struct PollerHandle {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stats: Arc<PollStats>,
}

impl PollerHandle {
    /// How many polls this poller has made so far, and how punctual they were.
    pub fn stats(&self) -> &PollStats {
        &self.stats
    }
}

impl Drop for PollerHandle {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|task| task.abort());
    }
}

/// How punctual polling has been since the poller started.
#[derive(Debug, Default)]
pub struct PollStats {
    polls: AtomicU64,
    servers: AtomicUsize,
    worst_lag_micros: AtomicU64,
}

impl PollStats {
    /// Polls finished so far.
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    /// Servers on the schedule when it last read the server list.
    pub fn servers(&self) -> usize {
        self.servers.load(Ordering::Relaxed)
    }

    /// The longest any poll so far started after it was due.
    pub fn worst_lag(&self) -> Duration {
        Duration::from_micros(self.worst_lag_micros.load(Ordering::Relaxed))
    }

    /// Counts a finished poll that started `lag` after it was due.
    fn count(&self, lag: Duration) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(lag.as_micros()).unwrap_or(u64::MAX);
        self.worst_lag_micros.fetch_max(micros, Ordering::Relaxed);
    }
}

/// Starts polling in the background on the current tokio runtime.
pub fn start(engine: Engine) -> PollerHandle {
    let (finished, arrivals) = mpsc::channel(MAX_BATCH * 2);
    let stats = Arc::new(PollStats::default());
    PollerHandle {
        tasks: vec![
            tokio::spawn(schedule(engine.clone(), finished, stats.clone())),
            tokio::spawn(record_arrivals(engine, arrivals)),
        ],
        stats,
    }
}

/// When each server is next due, how many polls in a row it has failed, and when the scheduler
/// looks again by itself.
#[derive(Default)]
struct Schedule {
    next_due: HashMap<i64, Instant>,
    failures: HashMap<i64, u32>,
    looks_at: Option<Instant>,
}

impl Schedule {
    /// Notes a poll of `server_id` that started at `started` and has just finished (`now`), and
    /// sets when it is next due: a wait after it started, but not before now. True when that is
    /// before the scheduler would look by itself, so it must be woken.
    fn finished(&mut self, server_id: i64, healthy: bool, interval: Duration, started: Instant, now: Instant) -> bool {
        let failures = self.failures.entry(server_id).or_default();
        *failures = if healthy { 0 } else { failures.saturating_add(1) };
        let wait = if *failures == 0 { jittered(interval) } else { interval * backoff_factor(*failures) };
        let due = (started + wait).max(now);
        self.next_due.insert(server_id, due);
        self.looks_at.is_none_or(|looks_at| due < looks_at)
    }

    /// Forgets servers that are no longer registered; true if there were any.
    fn retain(&mut self, registered: &[Server]) -> bool {
        let ids: HashSet<i64> = registered.iter().map(|server| server.id).collect();
        let before = self.next_due.len();
        self.next_due.retain(|id, _| ids.contains(id));
        self.failures.retain(|id, _| ids.contains(id));
        self.next_due.len() < before
    }
}

/// 1, 2, 4, … intervals after the first, second, third failure in a row, capped.
fn backoff_factor(failures: u32) -> u32 {
    1u32.checked_shl(failures.saturating_sub(1)).unwrap_or(MAX_BACKOFF).min(MAX_BACKOFF)
}

/// `interval` give or take up to 10 %.
fn jittered(interval: Duration) -> Duration {
    let unit = (RandomState::new().hash_one(Instant::now()) % 2001) as f64 / 1000.0 - 1.0; // -1..=1
    interval.mul_f64(1.0 + 0.1 * unit)
}

async fn schedule(engine: Engine, finished: mpsc::Sender<(Server, Observation)>, stats: Arc<PollStats>) {
    let limit = Arc::new(Semaphore::new(MAX_CONCURRENT_POLLS));
    let schedule = Arc::new(Mutex::new(Schedule::default()));
    // A finished poll sets its server's next due time; the scheduler wakes to honour it.
    let rescheduled = Arc::new(Notify::new());
    let (default_interval, default_timeout) = (engine.options().poll_interval, engine.options().request_timeout);
    let mut servers: Vec<Server> = Vec::new();
    let mut known = HashMap::new();
    let (mut listed_at, mut listed_version): (Option<Instant>, Option<i64>) = (None, None);
    loop {
        if listed_at.is_none_or(|at| at.elapsed() >= RELIST_EVERY) {
            listed_at = Some(Instant::now());
            let version = servers::catalog_version(engine.pool()).await.ok();
            // Read again only when something changed (or the engine asked, after an edit).
            if version.is_none() || version != listed_version {
                let edited = match (servers::list(engine.pool()).await, revisions::known(engine.pool()).await) {
                    (Ok(listed), Ok(revisions)) => {
                        let edited = edited_since(&servers, &listed);
                        (servers, known, listed_version) = (listed, revisions, version);
                        edited
                    }
                    (Err(err), _) | (_, Err(err)) => {
                        tracing::warn!("could not read the servers to poll: {err}");
                        Vec::new()
                    }
                };
                stats.servers.store(servers.len(), Ordering::Relaxed);
                let removed = {
                    let mut plan = schedule.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    // An edited server is polled at once with its new settings, out of any backoff.
                    for id in edited {
                        plan.next_due.insert(id, Instant::now());
                        plan.failures.remove(&id);
                    }
                    plan.retain(&servers)
                };
                if removed {
                    engine.previous_totals().lock().await.retain(&servers);
                }
            }
        }
        let now = Instant::now();
        let next_wake = {
            let mut plan = schedule.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let mut next_wake = now + RELIST_EVERY;
            for server in &servers {
                let due = *plan.next_due.entry(server.id).or_insert(now);
                if due > now {
                    next_wake = next_wake.min(due);
                    continue;
                }
                // Not due again until this poll has finished and set a new time.
                plan.next_due.insert(server.id, now + Duration::from_secs(86_400));
                let (client, server, known) = (engine.http().clone(), server.clone(), known.get(&server.id).cloned());
                let (limit, schedule, finished) = (limit.clone(), schedule.clone(), finished.clone());
                let (rescheduled, stats) = (rescheduled.clone(), stats.clone());
                let (interval, timeout) = (server.poll_interval(default_interval), server.timeout(default_timeout));
                tokio::spawn(async move {
                    let _permit = limit.acquire_owned().await;
                    let started = Instant::now();
                    let observation = observe(&client, &server, known.as_deref().unwrap_or_default(), timeout).await;
                    stats.count(started.saturating_duration_since(due));
                    let healthy = observation.health.state != HealthState::Down;
                    let wake = {
                        let mut plan = schedule.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                        plan.finished(server.id, healthy, interval, started, Instant::now())
                    };
                    if wake {
                        rescheduled.notify_one();
                    }
                    let _ = finished.send((server, observation)).await;
                });
            }
            let next_wake = next_wake.max(now + SCHEDULER_TICK);
            plan.looks_at = Some(next_wake);
            next_wake
        };
        tokio::select! {
            _ = tokio::time::sleep_until(next_wake.into()) => {}
            _ = rescheduled.notified() => {}
            _ = engine.wake_requested() => (listed_at, listed_version) = (None, None),
        }
    }
}

/// The servers in `listed` whose settings differ from their copy in `before`.
fn edited_since(before: &[Server], listed: &[Server]) -> Vec<i64> {
    let before: HashMap<i64, &Server> = before.iter().map(|server| (server.id, server)).collect();
    listed
        .iter()
        .filter(|server| before.get(&server.id).is_some_and(|old| old.settings() != server.settings()))
        .map(|server| server.id)
        .collect()
}

async fn record_arrivals(engine: Engine, mut arrivals: mpsc::Receiver<(Server, Observation)>) {
    let mut last_write: Option<Instant> = None;
    while let Some(first) = arrivals.recv().await {
        // Polls that finish meanwhile wait in the channel and join this batch.
        if let Some(at) = last_write {
            tokio::time::sleep_until((at + RECORD_EVERY).into()).await;
        }
        last_write = Some(Instant::now());
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match arrivals.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        if let Err(err) = record(&engine, &batch).await {
            tracing::warn!("could not store {} polls: {err}", batch.len());
        }
    }
}

/// Polls every registered server once, now, stores what it learned and publishes the changes.
/// Returns the servers as they stand after.
pub async fn poll_once(engine: &Engine) -> Result<Vec<Server>> {
    let servers = servers::list(engine.pool()).await?;
    let mut known = revisions::known(engine.pool()).await?;
    let limit = Arc::new(Semaphore::new(MAX_CONCURRENT_POLLS));
    let mut polls = JoinSet::new();
    for server in servers {
        let (client, limit) = (engine.http().clone(), limit.clone());
        let known = known.remove(&server.id).unwrap_or_default();
        let timeout = server.timeout(engine.options().request_timeout);
        polls.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let observation = observe(&client, &server, &known, timeout).await;
            (server, observation)
        });
    }
    let batch = polls.join_all().await;
    record(engine, &batch).await?;
    servers::list(engine.pool()).await
}

/// Writes a batch of finished polls in one transaction and publishes what changed.
async fn record(engine: &Engine, batch: &[(Server, Observation)]) -> Result<()> {
    let now = Utc::now();
    // A server removed while it was being polled is simply gone: nothing is recorded for it (its
    // revisions could not be stored without it). Read before the transaction, whose first
    // statement must be a write (see `health::record`).
    let registered: HashSet<i64> =
        sqlx::query_scalar("SELECT id FROM servers").fetch_all(engine.pool()).await?.into_iter().collect();
    let batch: Vec<&(Server, Observation)> =
        batch.iter().filter(|(server, _)| registered.contains(&server.id)).collect();
    let mut previous = engine.previous_totals().lock().await;
    let mut tx = engine.write_transaction().await?;
    let mut news = Vec::new();
    for (server, observation) in batch.iter().copied() {
        let transition = health::record(&mut tx, server.id, &observation.health, now).await?;
        let metrics_error_changed = previous.record(&mut tx, server.id, observation, now).await?;
        let detected = observation.health.detected.is_some_and(|kind| Some(kind) != server.detected_kind);
        if transition.is_some() || metrics_error_changed || detected {
            news.push((server, transition));
        }
    }
    if engine.upkeep_due() {
        points::fold(&mut tx, now.timestamp_millis()).await?;
        points::prune(&mut tx, engine.options().retention, now.timestamp_millis()).await?;
    }
    // Only the servers with news are read back, as they stand after (one renamed meanwhile is
    // found at its next poll).
    let mut events = Vec::new();
    for (before, transition) in news {
        let server = match servers::get(&mut tx, &before.name).await {
            Ok(server) => server,
            Err(VigilError::NotFound(_)) => continue,
            Err(err) => return Err(err),
        };
        // A health change already carries the server as it stands.
        events.push(match transition {
            Some(Transition { from, to, .. }) => EngineEvent::HealthChanged { server, from, to },
            None => EngineEvent::ServerUpdated { server },
        });
    }
    tx.commit().await?;
    drop(previous);
    events.into_iter().for_each(|event| engine.publish(event));
    let polled: Vec<String> = batch.iter().map(|(server, _)| server.name.clone()).collect();
    engine.finish_polls(now, polled);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::HealthCheck;
    use crate::signals::RevisionKey;
    use crate::{EngineOptions, NewServer, ServerKind};

    #[tokio::test]
    async fn the_poll_of_a_server_removed_meanwhile_is_dropped_and_the_rest_of_its_batch_stored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let engine = Engine::open(EngineOptions::new(dir.path().join("vigil.db"))).await.expect("open the engine");
        let mlserver = |name: &str| NewServer {
            name: name.into(),
            base_url: "http://127.0.0.1:9".into(),
            kind: ServerKind::Mlserver,
            ..Default::default()
        };
        let kept = engine.add_server(mlserver("kept")).await.expect("add");
        let gone = engine.add_server(mlserver("gone")).await.expect("add");
        engine.remove_server("gone").await.expect("remove");
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
        record(&engine, &[(gone, up()), (kept, up())]).await.expect("the batch is stored");
        let polled = std::iter::from_fn(|| events.try_recv().ok()).find_map(|event| match event {
            EngineEvent::Polled { servers, .. } => Some(servers),
            _ => None,
        });
        assert_eq!(polled, Some(vec!["kept".to_owned()]));
        let servers = engine.list_servers().await.expect("list");
        assert_eq!(
            servers.iter().map(|s| (s.name.as_str(), s.health)).collect::<Vec<_>>(),
            [("kept", HealthState::Up)]
        );
    }

    #[test]
    fn a_failing_server_backs_off_exponentially_up_to_a_cap_and_recovers_at_once() {
        assert_eq!([1, 2, 3, 4, 5, 6, 40].map(backoff_factor), [1, 2, 4, 8, 16, 16, 16]);
        let mut plan = Schedule::default();
        let (interval, now) = (Duration::from_secs(10), Instant::now());
        for _ in 0..3 {
            plan.finished(7, false, interval, now, now);
        }
        assert_eq!(plan.next_due[&7], now + interval * 4, "third failure in a row: four intervals");
        plan.finished(7, true, interval, now, now);
        let wait = plan.next_due[&7] - now;
        assert!(wait >= interval.mul_f64(0.9) && wait <= interval.mul_f64(1.1), "back to the interval: {wait:?}");
    }

    #[test]
    fn the_next_poll_is_due_an_interval_after_the_last_one_started_but_never_before_it_finished() {
        let mut plan = Schedule::default();
        let (interval, started) = (Duration::from_secs(10), Instant::now());
        plan.finished(7, false, interval, started, started + Duration::from_secs(2));
        assert_eq!(plan.next_due[&7], started + interval, "a slow answer does not stretch the interval");
        plan.finished(7, false, interval, started, started + Duration::from_secs(30));
        assert_eq!(plan.next_due[&7], started + Duration::from_secs(30), "due again as soon as it finished");
    }

    #[test]
    fn a_finished_poll_wakes_the_scheduler_only_when_due_before_it_looks_again() {
        let (interval, now) = (Duration::from_secs(10), Instant::now());
        let mut plan = Schedule { looks_at: Some(now + Duration::from_secs(1)), ..Schedule::default() };
        assert!(!plan.finished(7, true, interval, now, now), "due in about 10 s: the scheduler looks before");
        assert!(plan.finished(7, true, Duration::from_millis(200), now, now), "due in about 0.2 s");
    }

    #[test]
    fn stats_count_every_poll_and_keep_the_worst_lag() {
        let stats = PollStats::default();
        for millis in [3, 250, 40] {
            stats.count(Duration::from_millis(millis));
        }
        assert_eq!((stats.polls(), stats.worst_lag()), (3, Duration::from_millis(250)));
    }

    #[test]
    fn jitter_stays_within_ten_percent_and_varies() {
        let interval = Duration::from_secs(5);
        let waits: Vec<Duration> = (0..200).map(|_| jittered(interval)).collect();
        assert!(waits.iter().all(|w| *w >= interval.mul_f64(0.9) && *w <= interval.mul_f64(1.1)));
        assert!(waits.iter().any(|w| *w != waits[0]), "polls of a fleet added at once spread out");
    }
}
