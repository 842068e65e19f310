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

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

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
