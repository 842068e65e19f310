//! The scheduler: keeps when each server is next due and starts the polls that are (see the
//! module above for the rules: interval from the start of the last poll, jitter, backoff).

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Notify, Semaphore};

use super::leases::Collector;
use super::{PollStats, Polling, MAX_BACKOFF, MAX_CONCURRENT_POLLS, RELIST_EVERY, SCHEDULER_TICK, TICK_PER_SERVER};
use crate::clients::{Clients, ServerClient};
use crate::health::HealthState;
use crate::observe::{observe, Observation};
use crate::revisions;
use crate::scrape::readings::{PrometheusReadings, Shared};
use crate::servers::{self, Server};
use crate::signals::RevisionKey;

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

    /// Sets when the servers `held` (id and interval) that are new to the schedule are first due:
    /// now, when they are few enough to poll at once; else spread evenly over each one's interval,
    /// as Prometheus spreads its targets, so that a large fleet (at start, or taken over from a
    /// collector that died) does not queue for the free slots every round.
    fn admit(&mut self, held: impl Iterator<Item = (i64, Duration)>, now: Instant) {
        let newcomers: Vec<(i64, Duration)> = held.filter(|(id, _)| !self.next_due.contains_key(id)).collect();
        let spread = newcomers.len() > MAX_CONCURRENT_POLLS;
        for (place, (id, interval)) in newcomers.iter().enumerate() {
            let offset = interval.mul_f64(place as f64 / newcomers.len() as f64);
            self.next_due.insert(*id, if spread { now + offset } else { now });
        }
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

/// The shortest time between two passes over a schedule of `servers`: [`SCHEDULER_TICK`], or
/// [`TICK_PER_SERVER`] for each server when that is longer. A pass looks at every server, so a
/// large fleet takes fewer passes (5,000 servers: one each 100 ms) and their cost stays bounded.
fn tick(servers: usize) -> Duration {
    SCHEDULER_TICK.max(TICK_PER_SERVER * u32::try_from(servers).unwrap_or(u32::MAX))
}

/// `interval` give or take up to 10 %.
fn jittered(interval: Duration) -> Duration {
    let unit = (RandomState::new().hash_one(Instant::now()) % 2001) as f64 / 1000.0 - 1.0; // -1..=1
    interval.mul_f64(1.0 + 0.1 * unit)
}

/// The scheduler's view of the fleet: the servers to poll, with their known revisions, as of
/// the catalog version it last read.
#[derive(Default)]
struct Fleet {
    servers: Vec<Server>,
    known: HashMap<i64, Vec<RevisionKey>>,
    listed_at: Option<Instant>,
    listed_version: Option<i64>,
}

/// Runs the scheduler until aborted; finished polls go to `finished`.
pub(super) async fn run(
    polling: Polling,
    collector: Arc<Collector>,
    finished: mpsc::Sender<(Server, Observation)>,
    stats: Arc<PollStats>,
) {
    let limit = Arc::new(Semaphore::new(MAX_CONCURRENT_POLLS));
    let schedule = Arc::new(Mutex::new(Schedule::default()));
    // A finished poll sets its server's next due time; the scheduler wakes to honour it.
    let rescheduled = Arc::new(Notify::new());
    let mut fleet = Fleet::default();
    let mut clients = Clients::new(polling.context().http().clone());
    // The servers this collector holds the lease of; it polls only those.
    let (mut held, mut held_at) = (HashSet::new(), None);
    loop {
        if fleet.listed_at.is_none_or(|at| at.elapsed() >= RELIST_EVERY) {
            relist(&polling, &mut fleet, &schedule, &stats).await;
            clients.retain(&fleet.servers);
            if held_at.is_none_or(|at: Instant| at.elapsed() >= collector.renew_every()) {
                match collector.hold(polling.context().pool()).await {
                    Ok(now_held) => (held, held_at) = (now_held, Some(Instant::now())),
                    Err(err) => tracing::warn!("could not renew this collector's leases: {err}"),
                }
            }
            let default_interval = polling.context().options().poll_interval;
            let held_servers = fleet.servers.iter().filter(|server| held.contains(&server.id));
            let held_servers = held_servers.map(|server| (server.id, server.poll_interval(default_interval)));
            lock(&schedule).admit(held_servers, Instant::now());
        }
        let now = Instant::now();
        let next_wake = {
            let mut plan = lock(&schedule);
            let mut next_wake = now + RELIST_EVERY;
            for server in fleet.servers.iter().filter(|server| held.contains(&server.id)) {
                let due = plan.next_due.get(&server.id).copied().unwrap_or(now);
                if due > now {
                    next_wake = next_wake.min(due);
                    continue;
                }
                // Not due again until this poll has finished and set a new time.
                plan.next_due.insert(server.id, now + Duration::from_secs(86_400));
                let poll = Poll {
                    server: server.clone(),
                    known: fleet.known.get(&server.id).cloned().unwrap_or_default(),
                    due,
                    interval: server.poll_interval(polling.context().options().poll_interval),
                    timeout: server.timeout(polling.context().options().request_timeout),
                };
                let (client, limit, schedule) = (clients.for_server(server), limit.clone(), schedule.clone());
                let (finished, rescheduled, stats) = (finished.clone(), rescheduled.clone(), stats.clone());
                let readings = polling.state.prometheus.clone();
                tokio::spawn(async move {
                    let _permit = limit.acquire_owned().await;
                    let (server, observation) = poll.run(&client, &readings, &schedule, &rescheduled, &stats).await;
                    let _ = finished.send((server, observation)).await;
                });
            }
            let next_wake = next_wake.max(now + tick(fleet.servers.len()));
            plan.looks_at = Some(next_wake);
            next_wake
        };
        tokio::select! {
            _ = tokio::time::sleep_until(next_wake.into()) => {}
            _ = rescheduled.notified() => {}
            _ = polling.context().catalog_edit_announced() => {
                (fleet.listed_at, fleet.listed_version, held_at) = (None, None, None);
            }
        }
    }
}

fn lock(schedule: &Mutex<Schedule>) -> std::sync::MutexGuard<'_, Schedule> {
    schedule.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads the servers again when the catalog changed (or the engine asked, after an edit). An
/// edited server is polled at once with its new settings, out of any backoff, and what its old
/// address gave is forgotten; a removed one leaves the schedule.
async fn relist(polling: &Polling, fleet: &mut Fleet, schedule: &Mutex<Schedule>, stats: &PollStats) {
    fleet.listed_at = Some(Instant::now());
    let pool = polling.context().pool();
    let version = servers::catalog_version(pool).await.ok();
    if version.is_some() && version == fleet.listed_version {
        return;
    }
    let edited = match (servers::list(pool).await, revisions::known(pool).await) {
        (Ok(listed), Ok(known)) => {
            let edited = edited_since(&fleet.servers, &listed);
            (fleet.servers, fleet.known, fleet.listed_version) = (listed, known, version);
            edited
        }
        (Err(err), _) | (_, Err(err)) => {
            tracing::warn!("could not read the servers to poll: {err}");
            Vec::new()
        }
    };
    stats.servers.store(fleet.servers.len(), Ordering::Relaxed);
    let removed = {
        let mut plan = lock(schedule);
        for id in &edited {
            plan.next_due.insert(*id, Instant::now());
            plan.failures.remove(id);
        }
        plan.retain(&fleet.servers)
    };
    if removed || !edited.is_empty() {
        let mut previous = polling.state.previous_totals.lock().await;
        previous.retain(&fleet.servers);
        // The old address's totals say nothing of the new one's.
        edited.iter().for_each(|id| previous.forget(*id));
    }
}

/// One poll of one server, as the scheduler starts it.
struct Poll {
    server: Server,
    known: Vec<RevisionKey>,
    due: Instant,
    interval: Duration,
    timeout: Duration,
}

impl Poll {
    /// Polls the server, counts how late it started, and sets when it is next due (waking the
    /// scheduler when that is before it would look by itself). Read through a Prometheus, it
    /// takes a reading younger than half its interval (never the one its previous poll took),
    /// and one older than a quarter has the next asked ahead.
    async fn run(
        self,
        client: &ServerClient,
        readings: &PrometheusReadings,
        schedule: &Mutex<Schedule>,
        rescheduled: &Notify,
        stats: &PollStats,
    ) -> (Server, Observation) {
        let started = Instant::now();
        let taken_after = started.checked_sub(self.interval / 2).unwrap_or(started);
        let refresh_after = started.checked_sub(self.interval / 4).unwrap_or(started);
        let shared = Shared { readings, taken_after, refresh_after };
        let observation = observe(client, &self.server, &self.known, self.timeout, shared).await;
        stats.count(started.saturating_duration_since(self.due));
        let healthy = observation.health.state != HealthState::Down;
        if lock(schedule).finished(self.server.id, healthy, self.interval, started, Instant::now()) {
            rescheduled.notify_one();
        }
        (self.server, observation)
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_large_fleet_takes_fewer_passes() {
        assert_eq!(tick(10), SCHEDULER_TICK);
        assert_eq!(tick(1000), SCHEDULER_TICK);
        assert_eq!(tick(5000), Duration::from_millis(100));
    }

    #[test]
    fn a_few_new_servers_are_due_at_once_and_a_large_fleet_is_spread_over_its_interval() {
        let (interval, now) = (Duration::from_secs(15), Instant::now());
        let mut plan = Schedule::default();
        plan.admit((1..=10).map(|id| (id, interval)), now);
        assert!((1..=10).all(|id| plan.next_due[&id] == now));
        let fleet = 5000;
        plan.admit((1..=fleet).map(|id| (id, interval)), now);
        assert_eq!(plan.next_due[&5], now, "a server already on the schedule keeps its time");
        let offsets: Vec<Duration> = (11..=fleet).map(|id| plan.next_due[&id] - now).collect();
        assert_eq!(offsets[0], Duration::ZERO);
        assert!(offsets.windows(2).all(|pair| pair[0] < pair[1]) && *offsets.last().unwrap() < interval);
        let first_second = offsets.iter().filter(|offset| **offset < Duration::from_secs(1)).count();
        assert_eq!(first_second, 333, "a fifteenth of the newcomers in each second");
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
