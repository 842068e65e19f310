//! Polling, the domain's front: polls every registered server on its own schedule, stores what it learns in
//! batches, and publishes what changed.
//!
//! Two tasks. The *scheduler* ([`schedule`]) keeps, per server, when it is next due; it starts a poll for each
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
//! [`SCHEDULER_TICK`] (longer for fleets over 1,000 servers, [`TICK_PER_SERVER`] each): polls due
//! within one tick start together, so a large fleet costs a few passes over the schedule a
//! second, not one per poll. Servers new to the schedule are admitted when the server list or
//! the leases are read again, not on every pass; more of them than the free slots are first
//! due spread over their interval.
//!
//! The *recorder* ([`record`]) receives finished polls and writes whatever has arrived in one transaction,
//! then publishes the health changes and a [`EngineEvent::Polled`] naming the servers written.
//! It writes once per [`RECORD_EVERY`] or when [`MAX_BATCH`] polls wait, whichever is first: a
//! lone poll is written at once, under load polls gather into larger transactions, and a fleet
//! finishing more polls a second than one batch holds is not held back to one batch a second. Once a minute it also folds the minutes that closed into
//! rollups and prunes metrics older than the retention allows.

pub(crate) mod checks;
pub mod health_check;
pub mod leases;
mod record;
mod remembered;
mod schedule;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::clients::ServerClient;
use crate::context::Context;
use crate::observe::observe;
use crate::scrape::readings::{PrometheusReadings, Shared};
use crate::servers::{self, Server};
use crate::{revisions, Result};
use leases::{Collector, CollectorShare};
use remembered::PreviousTotals;

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
/// The shortest time between two passes grows by this for each server on the schedule, beyond
/// [`SCHEDULER_TICK`]: a pass over 5,000 servers at most every 100 ms.
pub const TICK_PER_SERVER: Duration = Duration::from_micros(20);
/// The shortest time between the starts of two writes of finished polls.
pub const RECORD_EVERY: Duration = Duration::from_millis(1000);

/// The running poller; polling stops when this is dropped, or cleanly with [`PollerHandle::stop`].
pub struct PollerHandle {
    scheduler: tokio::task::JoinHandle<()>,
    recorder: Option<tokio::task::JoinHandle<()>>,
    stats: Arc<PollStats>,
    collector: Arc<Collector>,
    context: Context,
}

impl PollerHandle {
    /// How many polls this poller has made so far, and how punctual they were.
    pub fn stats(&self) -> &PollStats {
        &self.stats
    }

    /// This poller's name among the collectors sharing the store.
    pub fn collector(&self) -> &str {
        &self.collector.holder
    }

    /// Serves `GET /health` on `addr` for as long as the returned task runs; the address it
    /// listens on (port 0 picks one).
    pub async fn serve_health(
        &self,
        addr: std::net::SocketAddr,
    ) -> Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
        health_check::serve(addr, self.context.clone(), self.collector.holder.clone(), self.stats.clone()).await
    }

    /// Stops cleanly: starts no new poll, lets the polls under way finish (each within its
    /// timeout) and writes them, then gives this collector's servers back so that another
    /// collector on the store takes them at once.
    pub async fn stop(mut self) {
        self.scheduler.abort();
        if let Some(recorder) = self.recorder.take() {
            let _ = recorder.await;
        }
        if let Err(err) = self.collector.leave(self.context.pool()).await {
            tracing::warn!("could not give this collector's servers back: {err}");
        }
    }
}

impl Drop for PollerHandle {
    fn drop(&mut self) {
        self.scheduler.abort();
        if let Some(recorder) = &self.recorder {
            recorder.abort();
        }
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

/// Polling's front: starts the background poller, or checks every server once.
#[derive(Clone)]
pub struct Polling {
    state: Arc<State>,
}

/// What the poller keeps between rounds; shared by the background poller and [`Polling::check_all`].
struct State {
    context: Context,
    /// The metrics totals of the last poll of each server. Held for the whole recording of a
    /// round, so overlapping rounds record one after the other.
    previous_totals: tokio::sync::Mutex<PreviousTotals>,
    /// When stored metrics were last folded into rollups and pruned.
    kept_at: Mutex<Option<Instant>>,
    /// When polls were last stored.
    polled_at: Mutex<Option<DateTime<Utc>>>,
    /// The latest answer of each Prometheus that servers are read through.
    prometheus: Arc<PrometheusReadings>,
}

impl Polling {
    pub(crate) fn new(context: Context) -> Polling {
        let state = State {
            context,
            previous_totals: Default::default(),
            kept_at: Mutex::new(None),
            polled_at: Mutex::new(None),
            prometheus: Arc::default(),
        };
        Polling { state: Arc::new(state) }
    }

    /// Starts polling every registered server in the background, on the current tokio runtime,
    /// until the handle is dropped.
    pub fn start(&self) -> PollerHandle {
        let (finished, arrivals) = mpsc::channel(MAX_BATCH * 2);
        let stats = Arc::new(PollStats::default());
        let collector = Arc::new(Collector::new(self.context().holder(), self.context().options().poll_interval));
        PollerHandle {
            scheduler: tokio::spawn(schedule::run(self.clone(), collector.clone(), finished, stats.clone())),
            recorder: Some(tokio::spawn(record::arrivals(self.clone(), arrivals))),
            stats,
            collector,
            context: self.context().clone(),
        }
    }

    /// Checks every server once, now, stores what it learned and publishes the changes.
    /// Returns the servers as they stand after.
    pub async fn check_all(&self) -> Result<Vec<Server>> {
        let context = &self.state.context;
        let servers = servers::list(context.pool()).await?;
        let mut known = revisions::known(context.pool()).await?;
        let limit = Arc::new(Semaphore::new(MAX_CONCURRENT_POLLS));
        let mut polls = JoinSet::new();
        // Servers read through one Prometheus share one reading taken from now on.
        let taken_after = Instant::now();
        for server in servers {
            let (client, limit) = (ServerClient::new(context.http().clone(), &server), limit.clone());
            let known = known.remove(&server.id).unwrap_or_default();
            let timeout = server.timeout(context.options().request_timeout);
            let readings = self.state.prometheus.clone();
            polls.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let shared = Shared { readings: &readings, taken_after, refresh_after: taken_after };
                let observation = observe(&client, &server, &known, timeout, shared).await;
                (server, observation)
            });
        }
        let batch = polls.join_all().await;
        self.record(&batch).await?;
        servers::list(context.pool()).await
    }

    /// The collectors polling into this store, live first, with the servers each holds.
    pub async fn collectors(&self) -> Result<Vec<CollectorShare>> {
        leases::shares(self.context().pool()).await
    }

    /// When this engine last stored polls; None until it has polled once.
    pub fn polled_at(&self) -> Option<DateTime<Utc>> {
        *self.state.polled_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn context(&self) -> &Context {
        &self.state.context
    }
}
