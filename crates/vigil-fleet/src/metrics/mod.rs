//! What each server measures about the inferences it serves, and its metrics page.
//!
//! One [`Recorder`] per server keeps counts, durations and histograms per model revision (and
//! per REST endpoint); each server style renders them as its real counterpart does
//! ([`mlserver`], [`triton`], [`kserve`]: names, labels, types, units and number formats as in
//! `tests/fixtures/metrics/`). The recorder knows nothing of styles; the renderers only read.

pub mod host;
pub mod kserve;
pub mod mlserver;
mod text;
pub mod triton;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The buckets of Python's Prometheus client, which MLServer and KServe use, in seconds.
pub const PYTHON_BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/// A cumulative histogram of durations in seconds over [`PYTHON_BUCKETS`] (and `+Inf`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Observations at or below each bound, then the total (`+Inf`).
    pub cumulative: [u64; PYTHON_BUCKETS.len() + 1],
    pub sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        let first = PYTHON_BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(PYTHON_BUCKETS.len());
        self.cumulative[first..].iter_mut().for_each(|count| *count += 1);
        self.sum += seconds;
    }

    pub fn count(&self) -> u64 {
        self.cumulative[PYTHON_BUCKETS.len()]
    }
}

/// The quantiles a summary reports (Triton's defaults).
pub const SUMMARY_QUANTILES: [f64; 5] = [0.5, 0.9, 0.95, 0.99, 0.999];
/// How far back a summary's quantiles look (prometheus-cpp's default, which Triton uses).
pub const SUMMARY_MAX_AGE: Duration = Duration::from_secs(60);
/// The most recent observations a window keeps, whatever their age.
const WINDOW_CAPACITY: usize = 100_000;

/// Observations in seconds for a Prometheus summary: all-time count and sum, and the recent
/// values its quantiles are computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    recent: VecDeque<(Instant, f64)>,
    pub count: u64,
    pub sum: f64,
}

impl Window {
    pub fn observe(&mut self, at: Instant, seconds: f64) {
        self.forget_before(at);
        if self.recent.len() == WINDOW_CAPACITY {
            self.recent.pop_front();
        }
        self.recent.push_back((at, seconds));
        self.count += 1;
        self.sum += seconds;
    }

    fn forget_before(&mut self, now: Instant) {
        while self.recent.front().is_some_and(|(at, _)| now.saturating_duration_since(*at) > SUMMARY_MAX_AGE) {
            self.recent.pop_front();
        }
    }

    /// Each of `quantiles` (nearest rank) of the values observed in the last
    /// [`SUMMARY_MAX_AGE`] before `now`; None when there are none.
    pub fn quantiles(&self, now: Instant, quantiles: &[f64]) -> Vec<Option<f64>> {
        let mut values: Vec<f64> = self
            .recent
            .iter()
            .filter(|(at, _)| now.saturating_duration_since(*at) <= SUMMARY_MAX_AGE)
            .map(|(_, value)| *value)
            .collect();
        values.sort_by(f64::total_cmp);
        quantiles
            .iter()
            .map(|q| {
                let rank = (q * values.len() as f64).ceil() as usize;
                values.get(rank.clamp(1, values.len().max(1)) - 1).copied()
            })
            .collect()
    }
}

/// The summaries of successful inferences' times, phase by phase (as Triton keeps them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summaries {
    pub request: Window,
    pub queue: Window,
    pub input: Window,
    pub infer: Window,
    pub output: Window,
}

/// How one inference ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The request was not one the model can take.
    BadInput,
    /// The model failed while running.
    ModelFailure,
}

/// What one inference took, phase by phase. Phases it did not reach are zero.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    /// From the request's arrival to its answer.
    pub total: Duration,
    /// Waiting for a free model instance.
    pub queue: Duration,
    /// Decoding the inputs, running the model, encoding the outputs.
    pub input: Duration,
    pub infer: Duration,
    pub output: Duration,
}

/// Everything recorded for one model revision, as the style labels it (MLServer labels
/// requests that named no version `None`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RevisionStats {
    pub success: u64,
    pub bad_input: u64,
    pub model_failure: u64,
    /// Rows inferred and model executions (one per request that ran; no dynamic batching).
    pub inferences: u64,
    pub executions: u64,
    /// End-to-end time of successful requests only (Triton counts no other).
    pub success_seconds: f64,
    pub queue_seconds: f64,
    /// End to end, and per phase, for every request that reached that phase.
    pub request: Histogram,
    pub input: Histogram,
    pub infer: Histogram,
    pub output: Histogram,
    /// Successful requests' times over a sliding window.
    pub summaries: Summaries,
    /// Requests waiting for a model instance right now.
    pub pending: u64,
    /// When the revision was first recorded, in seconds since the Unix epoch.
    pub created: f64,
}

impl RevisionStats {
    pub fn failures(&self) -> u64 {
        self.bad_input + self.model_failure
    }
}

/// A REST endpoint as MLServer labels its HTTP metrics: method, path template, status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub status: u16,
}

/// A copy of everything recorded, for a renderer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// By (model, version label).
    pub revisions: BTreeMap<(String, String), RevisionStats>,
    pub endpoints: BTreeMap<Endpoint, Histogram>,
    /// Inference requests being served right now.
    pub in_progress: u64,
}

/// Records what one server serves. Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug, Default)]
pub struct Recorder {
    state: Mutex<Snapshot>,
}

impl Recorder {
    /// A recorder that lists `revisions` from the start, with zero counts (Triton registers a
    /// model's metrics when it loads it).
    pub fn with_revisions<'a>(revisions: impl IntoIterator<Item = (&'a str, &'a str)>) -> Recorder {
        let recorder = Recorder::default();
        for (model, version) in revisions {
            recorder.update(model, version, |_| {});
        }
        recorder
    }

    fn update(&self, model: &str, version: &str, change: impl FnOnce(&mut RevisionStats)) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let stats = state.revisions.entry((model.to_owned(), version.to_owned())).or_insert_with(|| RevisionStats {
            created: chrono::Utc::now().timestamp_micros() as f64 / 1e6,
            ..RevisionStats::default()
        });
        change(stats);
    }

    /// A request starts (`true`) or stops (`false`) waiting for a model instance.
    pub fn waiting(&self, model: &str, version: &str, waiting: bool) {
        self.update(model, version, |stats| {
            stats.pending = if waiting { stats.pending + 1 } else { stats.pending.saturating_sub(1) }
        });
    }

    /// An inference request starts (`true`) or finishes (`false`).
    pub fn in_progress(&self, started: bool) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.in_progress = if started { state.in_progress + 1 } else { state.in_progress.saturating_sub(1) };
    }

    /// One inference of `rows` rows ended with `outcome` after `timing`.
    pub fn inference(&self, model: &str, version: &str, outcome: Outcome, rows: u64, timing: Timing) {
        self.update(model, version, |stats| {
            match outcome {
                Outcome::Success => {
                    stats.success += 1;
                    stats.success_seconds += timing.total.as_secs_f64();
                }
                Outcome::BadInput => stats.bad_input += 1,
                Outcome::ModelFailure => stats.model_failure += 1,
            }
            stats.request.observe(timing.total.as_secs_f64());
            stats.input.observe(timing.input.as_secs_f64());
            if outcome != Outcome::BadInput {
                stats.executions += 1;
                stats.inferences += rows;
                stats.queue_seconds += timing.queue.as_secs_f64();
                stats.infer.observe(timing.infer.as_secs_f64());
            }
            if outcome == Outcome::Success {
                stats.output.observe(timing.output.as_secs_f64());
                let (now, summaries) = (Instant::now(), &mut stats.summaries);
                summaries.request.observe(now, timing.total.as_secs_f64());
                summaries.queue.observe(now, timing.queue.as_secs_f64());
                summaries.input.observe(now, timing.input.as_secs_f64());
                summaries.infer.observe(now, timing.infer.as_secs_f64());
                summaries.output.observe(now, timing.output.as_secs_f64());
            }
        });
    }

    /// One REST request to `endpoint` took `elapsed`.
    pub fn http(&self, endpoint: Endpoint, elapsed: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.endpoints.entry(endpoint).or_default().observe(elapsed.as_secs_f64());
    }

    pub fn snapshot(&self) -> Snapshot {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(total_ms: u64) -> Timing {
        let ms = Duration::from_millis;
        Timing { total: ms(total_ms), queue: ms(1), input: ms(0), infer: ms(2), output: ms(0) }
    }

    #[test]
    fn histograms_are_cumulative_and_end_with_the_count() {
        let mut histogram = Histogram::default();
        [0.001, 0.02, 0.02, 3.0, 60.0].into_iter().for_each(|s| histogram.observe(s));
        assert_eq!(histogram.cumulative, [1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 5]);
        assert_eq!(histogram.count(), 5);
        assert!((histogram.sum - 63.041).abs() < 1e-9);
    }

    #[test]
    fn windows_give_nearest_rank_quantiles_of_recent_values_only() {
        let mut window = Window::default();
        let start = Instant::now();
        assert_eq!(window.quantiles(start, &[0.5]), [None]);
        window.observe(start, 100.0);
        let later = start + SUMMARY_MAX_AGE + Duration::from_secs(1);
        (1..=100).for_each(|i| window.observe(later, f64::from(i)));
        assert_eq!(window.quantiles(later, &[0.5, 0.99, 1.0]), [Some(50.0), Some(99.0), Some(100.0)]);
        assert_eq!((window.count, window.sum), (101, 5050.0 + 100.0), "count and sum are all-time");
        assert_eq!(window.quantiles(later + SUMMARY_MAX_AGE * 2, &[0.5]), [None], "nothing recent");
    }

    #[test]
    fn outcomes_count_apart_and_only_successes_add_to_triton_time() {
        let recorder = Recorder::with_revisions([("fraud", "12"), ("fraud", "13")]);
        recorder.inference("fraud", "13", Outcome::Success, 3, timing(10));
        recorder.inference("fraud", "13", Outcome::ModelFailure, 1, timing(30));
        recorder.inference("fraud", "13", Outcome::BadInput, 1, timing(5));
        let snapshot = recorder.snapshot();
        assert_eq!(snapshot.revisions[&("fraud".into(), "12".into())].request.count(), 0, "listed from the start");
        let stats = &snapshot.revisions[&("fraud".into(), "13".into())];
        assert_eq!((stats.success, stats.failures(), stats.inferences, stats.executions), (1, 2, 4, 2));
        assert_eq!(stats.request.count(), 3);
        assert!((stats.success_seconds - 0.010).abs() < 1e-12);
        assert_eq!(stats.summaries.request.count, 1, "summaries keep successes only");
    }

    #[test]
    fn pending_and_in_progress_go_up_and_down() {
        let recorder = Recorder::default();
        recorder.waiting("m", "1", true);
        recorder.waiting("m", "1", true);
        recorder.waiting("m", "1", false);
        recorder.in_progress(true);
        let snapshot = recorder.snapshot();
        assert_eq!((snapshot.revisions[&("m".into(), "1".into())].pending, snapshot.in_progress), (1, 1));
    }
}
