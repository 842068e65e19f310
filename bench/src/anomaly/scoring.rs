//! How a detector is scored on a series: which points it flags, walking forward through time,
//! and what share of the injected anomalies it found and of its flags were right.
//!
//! An anomaly is found when at least one point inside its span is flagged; a flag outside every
//! span is a false positive. Precision is the share of flags inside a span (counted per point,
//! so one long false alarm counts as many), recall the share of anomalies found.

use vigil_core::alerts::anomaly::Baseline;

use super::series::{Kind, Series, Span};

/// Every point's departure from the seasonal baseline of the points before it, in spreads; None
/// while its hour has too little history.
pub fn seasonal_scores(series: &Series) -> Vec<Option<f64>> {
    (0..series.values.len())
        .map(|i| {
            let history = series.times[..i].iter().copied().zip(series.values[..i].iter().copied());
            Baseline::from_history(history).judge(series.times[i], series.values[i]).map(|d| d.score)
        })
        .collect()
}

/// A static threshold: a point below `low` or above `high` is flagged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub low: f64,
    pub high: f64,
}

impl Bounds {
    pub fn flags(&self, value: f64) -> bool {
        value < self.low || value > self.high
    }
}

/// Quantiles tried for the static threshold's bounds (a lower bound of −∞ is tried too).
const LOW_QUANTILES: [f64; 10] = [0.0, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15];
const HIGH_QUANTILES: [f64; 10] = [0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99, 0.995, 0.9975, 1.0];

/// The static bounds with the best F1 on `series`' points `range` (its first week): every pair
/// of a lower bound at one of [`LOW_QUANTILES`] of those points' values (or none) and an upper
/// bound at one of [`HIGH_QUANTILES`], scored as the detector is; the first best pair wins.
pub fn tune_static(series: &Series, range: std::ops::Range<usize>) -> Bounds {
    let mut values = series.values[range.clone()].to_vec();
    values.sort_by(f64::total_cmp);
    let quantile = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    let lows = std::iter::once(f64::NEG_INFINITY).chain(LOW_QUANTILES.iter().map(|q| quantile(*q)));
    let mut best = (f64::NEG_INFINITY, Bounds { low: f64::NEG_INFINITY, high: f64::INFINITY });
    for low in lows {
        for high in HIGH_QUANTILES.iter().map(|q| quantile(*q)) {
            let bounds = Bounds { low, high };
            let flags: Vec<bool> = series.values.iter().map(|v| bounds.flags(*v)).collect();
            let f1 = Tally::of(&flags, &series.anomalies, range.clone()).f1();
            if f1 > best.0 {
                best = (f1, bounds);
            }
        }
    }
    best.1
}

/// What a detector did on some points: flags inside and outside the spans, and the anomalies
/// (of each kind) found and injected.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub true_flags: usize,
    pub false_flags: usize,
    pub found: [usize; 3],
    pub injected: [usize; 3],
}

impl Tally {
    /// The tally of `flags` on the points `range`, for the anomalies that start in it.
    pub fn of(flags: &[bool], anomalies: &[Span], range: std::ops::Range<usize>) -> Tally {
        let mut tally = Tally::default();
        let inside = |i: usize| anomalies.iter().any(|span| (span.start..span.end).contains(&i));
        for i in range.clone().filter(|i| flags[*i]) {
            if inside(i) {
                tally.true_flags += 1;
            } else {
                tally.false_flags += 1;
            }
        }
        for span in anomalies.iter().filter(|span| range.contains(&span.start)) {
            let kind = kind_index(span.kind);
            tally.injected[kind] += 1;
            tally.found[kind] += usize::from((span.start..span.end.min(range.end)).any(|i| flags[i]));
        }
        tally
    }

    pub fn add(&mut self, other: &Tally) {
        self.true_flags += other.true_flags;
        self.false_flags += other.false_flags;
        for kind in 0..3 {
            self.found[kind] += other.found[kind];
            self.injected[kind] += other.injected[kind];
        }
    }

    /// Flags inside a span over all flags (0 without flags).
    pub fn precision(&self) -> f64 {
        let flags = self.true_flags + self.false_flags;
        if flags == 0 {
            0.0
        } else {
            self.true_flags as f64 / flags as f64
        }
    }

    /// Anomalies found over anomalies injected.
    pub fn recall(&self) -> f64 {
        let injected: usize = self.injected.iter().sum();
        self.found.iter().sum::<usize>() as f64 / injected.max(1) as f64
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

pub fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Spike => 0,
        Kind::LevelShift => 1,
        Kind::MissedPeak => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::series::{generate, Metric};

    fn span(kind: Kind, start: usize, end: usize) -> Span {
        Span { kind, start, end }
    }

    #[test]
    fn an_anomaly_is_found_by_one_flag_in_its_span_and_flags_outside_are_false() {
        let anomalies = [span(Kind::Spike, 2, 3), span(Kind::LevelShift, 5, 9), span(Kind::MissedPeak, 12, 14)];
        let mut flags = vec![false; 16];
        for i in [2, 6, 7, 0, 10, 11] {
            flags[i] = true;
        }
        let tally = Tally::of(&flags, &anomalies, 0..16);
        assert_eq!((tally.true_flags, tally.false_flags), (3, 3));
        assert_eq!((tally.found, tally.injected), ([1, 1, 0], [1, 1, 1]));
        assert_eq!((tally.precision(), tally.recall()), (0.5, 2.0 / 3.0));
        // Scored from point 4 on: the spike is not in it, the false flags before it neither.
        let later = Tally::of(&flags, &anomalies, 4..16);
        assert_eq!((later.true_flags, later.false_flags, later.injected), (2, 2, [0, 1, 1]));
        assert_eq!(Tally::of(&[false; 16], &anomalies, 0..16).f1(), 0.0, "no flags: nothing found, F1 0");
    }

    #[test]
    fn the_static_threshold_is_tuned_to_catch_the_first_weeks_anomalies_without_false_flags() {
        // 1,000 points wobbling between 9 and 11, a spike to 100 at 500 and a drop to 1 at 800.
        let mut values: Vec<f64> = (0..1_000).map(|i| 10.0 + ((i * 37) % 21) as f64 / 10.0 - 1.0).collect();
        values[500] = 100.0;
        values[800] = 1.0;
        let times = (0..1_000).map(|i| chrono::DateTime::from_timestamp(i * 300, 0).unwrap_or_default()).collect();
        let anomalies = vec![span(Kind::Spike, 500, 501), span(Kind::LevelShift, 800, 801)];
        let series = Series { times, values, anomalies };
        let bounds = tune_static(&series, 0..1_000);
        assert!(bounds.low > 1.0 && bounds.low <= 9.0 && bounds.high >= 11.0 && bounds.high < 100.0, "{bounds:?}");
        let flags: Vec<bool> = series.values.iter().map(|v| bounds.flags(*v)).collect();
        assert_eq!(Tally::of(&flags, &series.anomalies, 0..1_000).f1(), 1.0);
    }

    #[test]
    fn series_have_five_apart_anomalies_a_week_and_the_same_seed_draws_the_same_series() {
        let step = chrono::Duration::minutes(5);
        let series = generate(Metric::ErrorShare, 3, step, 7);
        assert_eq!(series.values.len(), 3 * 7 * 24 * 12);
        assert_eq!(series.anomalies.len(), 15);
        for pair in series.anomalies.windows(2) {
            assert!(pair[0].end + 12 <= pair[1].start, "an hour apart: {pair:?}");
        }
        assert!(series.values.iter().all(|share| (0.0..=1.0).contains(share)), "error shares are shares");
        assert_eq!(generate(Metric::ErrorShare, 3, step, 7).values, series.values);
    }
}
