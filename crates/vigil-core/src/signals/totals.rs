//! What one scrape says, per model revision, as cumulative totals: requests, errors, time spent
//! and latency buckets. Read from a parsed metrics page through the kind's [`SignalMap`].

use std::collections::BTreeMap;

use vigil_exposition::{Exposition, Sample};

use super::maps::{Counted, LabelFilter, Latency, SignalMap};

/// A model revision as metrics name it: the model, and its version (None: the default version,
/// for requests that named none or servers that do not label versions).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevisionKey {
    pub model: String,
    pub version: Option<String>,
}

/// Cumulative counts one scrape shows for one revision. Counters only grow, except when the
/// server restarts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub requests: f64,
    /// None when the server exposes no error count.
    pub errors: Option<f64>,
    /// Seconds spent on requests, and how many requests that covers.
    pub latency_sum_s: Option<f64>,
    pub latency_count: Option<f64>,
    /// Cumulative latency buckets: (upper bound in seconds, count), `+Inf` included.
    pub latency_buckets: Vec<(f64, f64)>,
    /// Seconds requests spent queued, where the server counts it.
    pub queue_sum_s: Option<f64>,
    /// Latency quantiles as the server reports them (quantile → seconds), where it does.
    pub reported_quantiles: Vec<(f64, f64)>,
    /// Inferences run and the model executions that ran them (batched), where counted.
    pub inferences: Option<f64>,
    pub executions: Option<f64>,
    /// Gauges as read, by stored signal name (summed over the revision's series).
    pub gauges: BTreeMap<&'static str, f64>,
}

impl Totals {
    /// Adds `other`'s counts to these: two series that belong to one revision (requests that
    /// named no version, counted against the default version).
    pub fn merge(&mut self, other: &Totals) {
        let add = |mine: &mut Option<f64>, theirs: Option<f64>| {
            if let Some(value) = theirs {
                *mine.get_or_insert(0.0) += value;
            }
        };
        self.requests += other.requests;
        add(&mut self.errors, other.errors);
        add(&mut self.latency_sum_s, other.latency_sum_s);
        add(&mut self.latency_count, other.latency_count);
        add(&mut self.queue_sum_s, other.queue_sum_s);
        add(&mut self.inferences, other.inferences);
        add(&mut self.executions, other.executions);
        for &(le, count) in &other.latency_buckets {
            add_bucket(&mut self.latency_buckets, le, count);
        }
        if self.reported_quantiles.is_empty() {
            self.reported_quantiles = other.reported_quantiles.clone();
        }
        for (name, value) in &other.gauges {
            *self.gauges.entry(name).or_default() += value;
        }
    }
}

/// Reads every revision's totals from `page` as `map` says.
pub fn totals(page: &Exposition<'_>, map: &SignalMap) -> BTreeMap<RevisionKey, Totals> {
    let mut by_revision = BTreeMap::new();
    for Counted { name, only } in map.requests {
        add_each(page, map, &mut by_revision, name, *only, |t, v| t.requests += v);
    }
    for Counted { name, only } in map.errors.unwrap_or_default() {
        add_each(page, map, &mut by_revision, name, *only, |t, v| *t.errors.get_or_insert(0.0) += v);
    }
    match map.latency {
        Latency::None => {}
        Latency::Histogram { name, to_seconds } | Latency::Summary { name, to_seconds } => {
            let sum = format!("{name}_sum");
            add_each(page, map, &mut by_revision, &sum, None, |t, v| {
                *t.latency_sum_s.get_or_insert(0.0) += v * to_seconds
            });
            let count = format!("{name}_count");
            add_each(page, map, &mut by_revision, &count, None, |t, v| *t.latency_count.get_or_insert(0.0) += v);
            for sample in page.samples_named(&format!("{name}_bucket")) {
                let Some(le) = page.label(sample, "le").and_then(parse_bound) else { continue };
                if counts(page, sample, map, None) && sample.value.is_finite() {
                    let totals = by_revision.entry(revision_of(page, sample, map)).or_default();
                    add_bucket(&mut totals.latency_buckets, le * to_seconds, sample.value);
                }
            }
        }
        Latency::Cumulative { name, to_seconds } => {
            add_each(page, map, &mut by_revision, name, None, |t, v| {
                *t.latency_sum_s.get_or_insert(0.0) += v * to_seconds
            });
            // Time spent over every request: the request count is the count.
            for totals in by_revision.values_mut().filter(|t| t.latency_sum_s.is_some()) {
                totals.latency_count = Some(totals.requests);
            }
        }
    }
    if let Some((name, to_seconds)) = map.queue {
        add_each(page, map, &mut by_revision, name, None, |t, v| *t.queue_sum_s.get_or_insert(0.0) += v * to_seconds);
    }
    if let Some((name, to_seconds)) = map.reported_quantiles {
        for sample in page.samples_named(name) {
            let Some(quantile) = page.label(sample, "quantile").and_then(|q| q.parse::<f64>().ok()) else { continue };
            if counts(page, sample, map, None) && sample.value.is_finite() {
                let totals = by_revision.entry(revision_of(page, sample, map)).or_default();
                totals.reported_quantiles.push((quantile, sample.value * to_seconds));
            }
        }
    }
    if let Some((inferences, executions)) = map.batches {
        add_each(page, map, &mut by_revision, inferences, None, |t, v| *t.inferences.get_or_insert(0.0) += v);
        add_each(page, map, &mut by_revision, executions, None, |t, v| *t.executions.get_or_insert(0.0) += v);
    }
    for (signal, name) in map.gauges {
        add_each(page, map, &mut by_revision, name, None, |t, v| *t.gauges.entry(signal).or_default() += v);
    }
    by_revision
}

/// Adds the value of every counted, finite sample called `name` to its revision's totals.
fn add_each(
    page: &Exposition<'_>,
    map: &SignalMap,
    by_revision: &mut BTreeMap<RevisionKey, Totals>,
    name: &str,
    only: Option<LabelFilter>,
    mut apply: impl FnMut(&mut Totals, f64),
) {
    for sample in page.samples_named(name) {
        if counts(page, sample, map, only) && sample.value.is_finite() {
            apply(by_revision.entry(revision_of(page, sample, map)).or_default(), sample.value);
        }
    }
}

/// Whether a sample is traffic that `only` (if any) selects.
fn counts(page: &Exposition<'_>, sample: &Sample<'_>, map: &SignalMap, only: Option<LabelFilter>) -> bool {
    if let Some((label, excluded)) = map.exclude {
        if page.label(sample, label).is_some_and(|value| excluded.contains(&value)) {
            return false;
        }
    }
    match only {
        None => true,
        Some(LabelFilter::Not(label, value)) => page.label(sample, label) != Some(value),
        Some(LabelFilter::StartsWith(label, prefix)) => {
            page.label(sample, label).is_some_and(|v| v.starts_with(prefix))
        }
    }
}

fn revision_of(page: &Exposition<'_>, sample: &Sample<'_>, map: &SignalMap) -> RevisionKey {
    let model = map.model_label.and_then(|label| page.label(sample, label)).unwrap_or("").to_owned();
    let version = map
        .version_label
        .and_then(|label| page.label(sample, label))
        .filter(|v| !v.is_empty() && !map.unversioned.contains(v))
        .map(str::to_owned);
    RevisionKey { model, version }
}

/// A bucket bound as Prometheus writes it (`0.5`, `+Inf`).
fn parse_bound(le: &str) -> Option<f64> {
    match le.trim() {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        other => other.parse().ok(),
    }
}

/// Adds `count` to the bucket with bound `le`, so series split by other labels (replicas,
/// endpoints) add up into one histogram per revision.
fn add_bucket(buckets: &mut Vec<(f64, f64)>, le: f64, count: f64) {
    match buckets.iter_mut().find(|(bound, _)| *bound == le) {
        Some(bucket) => bucket.1 += count,
        None => buckets.push((le, count)),
    }
}
