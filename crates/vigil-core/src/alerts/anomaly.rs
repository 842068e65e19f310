//! Anomalies without hand-set thresholds, for traffic, latency and errors: a seasonal baseline
//! (the values seen at the same hour of the week, or of the day while fewer weeks are known)
//! with a robust centre and spread (the median, and 1.4826 × the median absolute deviation, which
//! estimates a standard deviation without being pulled by the outliers it must find). A value
//! further than `k` spreads from its hour's median departs, above or below: a spike, a level
//! shift, or a daily peak that did not come.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// The hours of a week.
const WEEK_HOURS: usize = 7 * 24;
/// Values an hour of the week needs before it is the baseline; below, the hour of the day is.
pub const MIN_WEEKLY: usize = 3;
/// Values an hour of the day needs before there is a baseline at all.
pub const MIN_DAILY: usize = 5;
/// MAD × this estimates the standard deviation of normal data.
const MAD_TO_SIGMA: f64 = 1.4826;
/// The spread is never taken below this share of the median's size (a flat series has no
/// spread, and every small wobble would depart from it).
const MIN_RELATIVE_SPREAD: f64 = 0.05;

/// What a value at one time is expected to be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expected {
    pub median: f64,
    /// A robust standard deviation (never zero).
    pub spread: f64,
    /// How many past values it rests on.
    pub samples: usize,
    /// Whether it is the hour of the week's (else the hour of the day's).
    pub weekly: bool,
}

/// A value's distance from what was expected, in spreads: positive above, negative below.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Departure {
    pub expected: Expected,
    pub score: f64,
}

impl Departure {
    /// Whether it is further than `k` spreads from the median.
    pub fn is_anomaly(&self, k: f64) -> bool {
        self.score.abs() > k
    }
}

/// Past values by hour of the week.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    by_hour_of_week: Vec<Vec<f64>>,
}

impl Baseline {
    /// The baseline of `history` (times and values; non-finite values are left out).
    pub fn from_history(history: impl IntoIterator<Item = (DateTime<Utc>, f64)>) -> Baseline {
        let mut by_hour_of_week = vec![Vec::new(); WEEK_HOURS];
        for (at, value) in history.into_iter().filter(|(_, value)| value.is_finite()) {
            by_hour_of_week[hour_of_week(at)].push(value);
        }
        Baseline { by_hour_of_week }
    }

    /// What a value at `at` is expected to be; None while too little is known of its hour.
    pub fn expected(&self, at: DateTime<Utc>) -> Option<Expected> {
        let weekly = &self.by_hour_of_week[hour_of_week(at)];
        if weekly.len() >= MIN_WEEKLY {
            return Some(robust(weekly, true));
        }
        let hour = at.hour() as usize;
        let daily: Vec<f64> = (0..7).flat_map(|day| self.by_hour_of_week[day * 24 + hour].iter().copied()).collect();
        (daily.len() >= MIN_DAILY).then(|| robust(&daily, false))
    }

    /// How far `value` at `at` is from what was expected.
    pub fn judge(&self, at: DateTime<Utc>, value: f64) -> Option<Departure> {
        let expected = self.expected(at)?;
        Some(Departure { expected, score: (value - expected.median) / expected.spread })
    }
}

fn hour_of_week(at: DateTime<Utc>) -> usize {
    at.weekday().num_days_from_monday() as usize * 24 + at.hour() as usize
}

/// The median and robust spread of `values` (not empty).
fn robust(values: &[f64], weekly: bool) -> Expected {
    let median = median(values.to_vec());
    let deviation = median_deviation(values, median);
    let floor = (median.abs() * MIN_RELATIVE_SPREAD).max(f64::MIN_POSITIVE);
    Expected { median, spread: (deviation * MAD_TO_SIGMA).max(floor), samples: values.len(), weekly }
}

fn median_deviation(values: &[f64], median: f64) -> f64 {
    self::median(values.iter().map(|value| (value - median).abs()).collect())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    /// Monday 2026-11-02 00:00 UTC.
    fn monday() -> DateTime<Utc> {
        DateTime::from_timestamp(1_793_577_600, 0).unwrap_or_default()
    }

    /// Requests a second with a daily peak of 100 at 14:00 and a trough of 10 at night, and a
    /// small deterministic wobble.
    fn traffic(at: DateTime<Utc>) -> f64 {
        let hour = at.hour() as f64;
        let daily = 55.0 + 45.0 * ((hour - 8.0) / 24.0 * std::f64::consts::TAU).sin();
        daily * (1.0 + 0.03 * ((at.timestamp() / 3600) % 5 - 2) as f64)
    }

    fn weeks(n: i64) -> Baseline {
        Baseline::from_history((0..n * WEEK_HOURS as i64).map(|h| {
            let at = monday() + Duration::hours(h);
            (at, traffic(at))
        }))
    }

    #[test]
    fn the_medians_and_spreads_are_the_robust_ones() {
        // 1, 2, 3, 4, 100: median 3; deviations 2, 1, 0, 1, 97 → MAD 1; spread 1.4826.
        let expected = robust(&[4.0, 100.0, 1.0, 3.0, 2.0], true);
        assert_eq!((expected.median, expected.spread), (3.0, 1.4826));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        let flat = robust(&[10.0; 6], false);
        assert_eq!(flat.spread, 0.5, "a flat series still has 5 % of its level as spread");
    }

    #[test]
    fn a_normal_peak_is_expected_and_a_spike_a_level_drop_and_a_missed_peak_are_not() {
        let baseline = weeks(3);
        let next_week = monday() + Duration::weeks(3);
        let peak = next_week + Duration::hours(14);
        let normal = baseline.judge(peak, traffic(peak)).unwrap_or_else(|| panic!("a baseline at 14:00"));
        assert!(normal.expected.weekly && !normal.is_anomaly(4.0), "{normal:?}");
        let night = next_week + Duration::hours(3);
        let spike = baseline.judge(night, 60.0).unwrap_or_else(|| panic!("a baseline at 03:00"));
        assert!(spike.is_anomaly(4.0) && spike.score > 0.0, "60/s at 3 am is a spike: {spike:?}");
        let missed = baseline.judge(peak, 30.0).unwrap_or_else(|| panic!("a baseline at 14:00"));
        assert!(missed.is_anomaly(4.0) && missed.score < 0.0, "a peak that did not come: {missed:?}");
    }

    #[test]
    fn with_fewer_than_three_weeks_the_hour_of_the_day_serves_and_with_too_little_nothing_is_judged() {
        let one_week = weeks(1);
        let tuesday_peak = monday() + Duration::weeks(1) + Duration::days(1) + Duration::hours(14);
        let expected = one_week.expected(tuesday_peak).unwrap_or_else(|| panic!("7 days of 14:00"));
        assert!(!expected.weekly && expected.samples == 7, "{expected:?}");
        let three_days = Baseline::from_history((0..72).map(|h| {
            let at = monday() + Duration::hours(h);
            (at, traffic(at))
        }));
        assert_eq!(three_days.expected(monday() + Duration::days(3)), None, "3 values of an hour are too few");
    }
}
