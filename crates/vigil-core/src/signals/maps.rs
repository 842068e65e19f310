//! What a signal map says: where a kind of server keeps its golden signals (metric names, the
//! labels that name the model and version, and the units). Each kind's map is data in its file
//! under `kinds/`; one extractor (see `totals`) reads every kind through its map.

use super::resources::Resource;

/// A counter (or a histogram's `_count`) whose samples add up, optionally only those whose
/// label matches.
#[derive(Debug, Clone, Copy)]
pub struct Counted {
    pub name: &'static str,
    pub only: Option<LabelFilter>,
}

/// Which samples of a metric count.
#[derive(Debug, Clone, Copy)]
pub enum LabelFilter {
    /// The label's value is not this one (TF Serving: `status` other than `OK` is an error).
    Not(&'static str, &'static str),
    /// The label's value starts with this (BentoML: `http_response_code` 5xx).
    StartsWith(&'static str, &'static str),
}

/// How a server reports how long requests take.
#[derive(Debug, Clone, Copy)]
pub enum Latency {
    /// Not reported.
    None,
    /// A histogram (`_bucket`, `_sum`, `_count`); `to_seconds` converts its unit.
    Histogram { name: &'static str, to_seconds: f64 },
    /// A summary's `_sum` and `_count` (MLServer).
    Summary { name: &'static str, to_seconds: f64 },
    /// A cumulative counter of time spent, divided by the request count (Triton, TorchServe).
    Cumulative { name: &'static str, to_seconds: f64 },
}

/// Where one kind of server keeps its golden signals.
#[derive(Debug, Clone, Copy)]
pub struct SignalMap {
    /// The label naming the model; None when the server serves one model (TGI).
    pub model_label: Option<&'static str>,
    /// The label naming the version; None when versions are not labelled.
    pub version_label: Option<&'static str>,
    /// Version values that mean "no version given": they belong to the model's default version.
    pub unversioned: &'static [&'static str],
    /// Samples with this label value are not traffic (BentoML counts its health probes).
    pub exclude: Option<(&'static str, &'static [&'static str])>,
    pub requests: &'static [Counted],
    /// None when the server exposes no error count (KServe, vLLM, TorchServe per model).
    pub errors: Option<&'static [Counted]>,
    pub latency: Latency,
    /// Time requests spent queued before the model: a cumulative counter and its unit, over
    /// the request count (Triton, TorchServe).
    pub queue: Option<(&'static str, f64)>,
    /// Gauges read as they are: (stored signal name, metric name), e.g. requests in flight.
    pub gauges: &'static [(&'static str, &'static str)],
    /// Counters of inferences and of the model executions that served them: their ratio is
    /// the mean batch size (Triton).
    pub batches: Option<(&'static str, &'static str)>,
    /// Server-wide CPU, memory and GPU use (see `resources`).
    pub resources: &'static [Resource],
    /// A summary whose `quantile` series are the server's own latency quantiles, and its unit:
    /// p50, p95 and p99 as the server reports them, where no histogram gives them (Triton with
    /// `--metrics-config summary_latencies=true`).
    pub reported_quantiles: Option<(&'static str, f64)>,
}

/// Stored names of the gauge signals.
pub mod gauge {
    /// Requests being served right now.
    pub const IN_FLIGHT: &str = "in_flight";
    /// Requests waiting for the model right now.
    pub const WAITING: &str = "waiting";
    /// Requests in the batch being run right now (TGI).
    pub const BATCH_SIZE: &str = "batch_size";
    /// Share of the KV cache in use, 0–1 (vLLM).
    pub const KV_CACHE_USAGE: &str = "kv_cache_usage";
}

/// Every sample of metric `name` counts.
pub const fn counted(name: &'static str) -> Counted {
    Counted { name, only: None }
}
