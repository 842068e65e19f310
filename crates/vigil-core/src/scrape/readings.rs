//! One Prometheus answer for every server read through it. Servers registered as kind
//! `prometheus` with the same Prometheus, token and source kind form a group; a poll of any of
//! them takes the group's latest reading if it is recent enough, and otherwise asks Prometheus
//! once for all of them (polls that arrive meanwhile wait for that answer instead of asking
//! again). Each server then takes the series its selector selects: at 5,000 servers every 15 s,
//! a few queries per interval instead of 5,000.
//!
//! A reading carries when it was taken: two polls of one server never share a reading (a poll
//! takes only readings younger than half its interval), and rates divide by the time between
//! the readings, not between the polls. A poll that takes a reading older than a quarter of its
//! interval has a new one asked in the background, so polls seldom wait for Prometheus.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::kinds::ServerKind;
use crate::servers::Server;
use crate::signals::SignalMap;

use super::http::ServerHttp;
use super::prometheus_api::{self, Series};
use super::selector::Matcher;

/// The least time a reading for a whole group may take (its answer is large).
const MIN_GROUP_TIMEOUT: Duration = Duration::from_secs(5);

/// The latest reading of each group; shared by every poll of one engine.
#[derive(Default)]
pub struct PrometheusReadings {
    groups: Mutex<HashMap<Group, Arc<GroupState>>>,
}

/// A group's latest reading, locked while a poll asks for a new one so that the others wait for
/// it; and whether a new one is being asked in the background.
#[derive(Default)]
struct GroupState {
    latest: tokio::sync::Mutex<Option<Arc<Reading>>>,
    refreshing: AtomicBool,
}

/// The series of one answer by their value of one label: where each value's series are.
type Index = HashMap<String, Vec<usize>>;

/// What servers share a reading: the same Prometheus, token and source kind.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Group {
    base_url: String,
    token_ref: Option<String>,
    source_kind: ServerKind,
}

/// The readings, the oldest reading one poll takes, and the age from which a new one is asked
/// in the background.
#[derive(Clone, Copy)]
pub struct Shared<'a> {
    pub readings: &'a PrometheusReadings,
    pub taken_after: Instant,
    pub refresh_after: Instant,
}

/// What Prometheus answered for a group at one time.
pub struct Reading {
    pub at: Instant,
    answer: Result<Answer, String>,
}

struct Answer {
    series: Vec<Series>,
    /// Per label, the series by their value of it: built the first time a selector looks up by
    /// the label.
    by_label: Mutex<HashMap<String, Arc<Index>>>,
}

impl PrometheusReadings {
    /// The reading of `server`'s group (its source kind's `map`) taken after `shared.taken_after`:
    /// the latest one, or a new one asked through `http`. A reading older than
    /// `shared.refresh_after` is still taken, and a new one asked in the background, so that the
    /// polls after it rarely wait for Prometheus.
    pub async fn read(
        &self,
        shared: Shared<'_>,
        http: &ServerHttp,
        server: &Server,
        (source_kind, map): (ServerKind, &SignalMap),
        timeout: Duration,
    ) -> Arc<Reading> {
        let group = Group { base_url: server.base_url.clone(), token_ref: server.token_ref.clone(), source_kind };
        let state =
            self.groups.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entry(group).or_default().clone();
        let asking = Asking {
            http: http.clone(),
            url: server.base_url.clone(),
            query: prometheus_api::query(&prometheus_api::metric_names(map)),
            timeout: timeout.max(MIN_GROUP_TIMEOUT),
        };
        let mut latest = state.latest.lock().await;
        if let Some(reading) = latest.as_ref().filter(|reading| reading.at >= shared.taken_after) {
            if reading.at < shared.refresh_after && !state.refreshing.swap(true, Ordering::AcqRel) {
                tokio::spawn(refresh(state.clone(), asking));
            }
            return reading.clone();
        }
        let reading = Arc::new(asking.ask().await);
        *latest = Some(reading.clone());
        reading
    }
}

/// One question to a group's Prometheus.
struct Asking {
    http: ServerHttp,
    url: String,
    query: String,
    timeout: Duration,
}

impl Asking {
    async fn ask(&self) -> Reading {
        let at = Instant::now();
        let answer = prometheus_api::read(&self.http, &self.url, &self.query, self.timeout).await;
        Reading { at, answer: answer.map(|series| Answer { series, by_label: Mutex::default() }) }
    }
}

/// Asks for a new reading while the polls go on with the latest, then puts it in its place.
async fn refresh(state: Arc<GroupState>, asking: Asking) {
    let reading = Arc::new(asking.ask().await);
    let mut latest = state.latest.lock().await;
    if latest.as_ref().is_none_or(|older| older.at < reading.at) {
        *latest = Some(reading);
    }
    state.refreshing.store(false, Ordering::Release);
}

impl Reading {
    /// The series `matchers` select, or why Prometheus gave none.
    pub fn select(&self, matchers: &[Matcher]) -> Result<Vec<&Series>, String> {
        let answer = self.answer.as_ref().map_err(Clone::clone)?;
        let selected = |series: &&Series| matchers.iter().all(|matcher| matcher.selects(series.label(&matcher.label)));
        let Some((label, value)) = matchers.iter().find_map(|m| Some((&m.label, m.only_value()?))) else {
            return Ok(answer.series.iter().filter(selected).collect());
        };
        let index = answer.index(label);
        let candidates = index.get(value).map(Vec::as_slice).unwrap_or_default();
        Ok(candidates.iter().map(|&at| &answer.series[at]).filter(selected).collect())
    }
}

impl Answer {
    fn index(&self, label: &str) -> Arc<Index> {
        let mut by_label = self.by_label.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        by_label
            .entry(label.to_owned())
            .or_insert_with(|| {
                let mut index = Index::new();
                for (at, series) in self.series.iter().enumerate() {
                    index.entry(series.label(label).to_owned()).or_default().push(at);
                }
                Arc::new(index)
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scrape::selector::parse;

    fn series(name: &str, labels: &[(&str, &str)], value: &str) -> Series {
        let labels = labels.iter().map(|(label, value)| ((*label).to_owned(), (*value).to_owned())).collect();
        Series { name: name.to_owned(), labels, value: value.to_owned() }
    }

    #[test]
    fn each_server_takes_the_series_its_selector_selects() {
        let all = vec![
            series("up", &[("instance", "a:1"), ("job", "m")], "1"),
            series("up", &[("instance", "b:1"), ("job", "m")], "0"),
            series("requests_total", &[("instance", "a:1"), ("job", "m"), ("model", "iris")], "7"),
            series("requests_total", &[("instance", "b:1"), ("job", "m"), ("model", "iris")], "3"),
            series("requests_total", &[("instance", "b:1"), ("job", "other"), ("model", "iris")], "9"),
        ];
        let reading = Reading { at: Instant::now(), answer: Ok(Answer { series: all, by_label: Mutex::default() }) };
        let values = |selector: &str| -> Vec<String> {
            let selected = reading.select(&parse(selector).unwrap()).unwrap();
            selected.iter().map(|s| format!("{}={}", s.name, s.value)).collect()
        };
        // Looked up through the index on instance, then the other matchers.
        assert_eq!(values(r#"instance="b:1",job="m""#), ["up=0", "requests_total=3"]);
        assert_eq!(values(r#"instance="c:1""#), Vec::<String>::new());
        // No equality to look up by: every series is tested.
        assert_eq!(values(r#"job=~"o.*""#), ["requests_total=9"]);
        assert_eq!(values("").len(), 5);
    }

    #[test]
    fn a_failed_reading_gives_every_server_its_reason() {
        let reading = Reading { at: Instant::now(), answer: Err("Prometheus refused the query: x".into()) };
        assert_eq!(reading.select(&[]).unwrap_err(), "Prometheus refused the query: x");
    }
}
