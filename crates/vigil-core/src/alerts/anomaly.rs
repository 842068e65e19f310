//! Anomalies without hand-set thresholds, for traffic, latency and errors: a seasonal baseline
//! (the values seen at the same hour of the week, or of the day while fewer weeks are known)
//! with a robust centre and spread (the median, and 1.4826 × the median absolute deviation, which
//! estimates a standard deviation without being pulled by the outliers it must find). A value
//! further than `k` spreads from its hour's median departs, above or below: a spike, a level
//! shift, or a daily peak that did not come.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// The hours of a week.
const WEEK_HOURS: usize = 7 * 24;
/// Weeks an hour of the week must have been seen in before it is the baseline; below, the hour
/// of the day is. Weeks, not values: at one value every five minutes, a single week gives an hour
/// twelve values, and one bad day would become the baseline. Two, not three: on the anomaly
/// bench's seeded series (`vigil-bench anomaly`), two weeks give F1 0.876 with 695 false flags,
/// three 0.843 with 905 (the hour of the day, mixing weekdays and weekends, serves too long).
pub const MIN_WEEKLY: usize = 2;
/// Days an hour of the day must have been seen on before there is a baseline at all.
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

/// Past values by hour of the week, each with the day it was seen on (days since the epoch).
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    by_hour_of_week: Vec<Vec<(i64, f64)>>,
}

impl Baseline {
    /// The baseline of `history` (times and values; non-finite values are left out).
    pub fn from_history(history: impl IntoIterator<Item = (DateTime<Utc>, f64)>) -> Baseline {
        let mut by_hour_of_week = vec![Vec::new(); WEEK_HOURS];
        for (at, value) in history.into_iter().filter(|(_, value)| value.is_finite()) {
            by_hour_of_week[hour_of_week(at)].push((at.timestamp().div_euclid(86_400), value));
        }
        Baseline { by_hour_of_week }
    }

    /// What a value at `at` is expected to be; None while too little is known of its hour.
    pub fn expected(&self, at: DateTime<Utc>) -> Option<Expected> {
        let weekly = &self.by_hour_of_week[hour_of_week(at)];
        // An hour of the week comes once a week, so its distinct days are its weeks.
        if distinct_days(weekly) >= MIN_WEEKLY {
            return Some(robust(&values(weekly), true));
        }
        let hour = at.hour() as usize;
        let daily: Vec<(i64, f64)> =
            (0..7).flat_map(|day| self.by_hour_of_week[day * 24 + hour].iter().copied()).collect();
        (distinct_days(&daily) >= MIN_DAILY).then(|| robust(&values(&daily), false))
    }

    /// How far `value` at `at` is from what was expected.
    pub fn judge(&self, at: DateTime<Utc>, value: f64) -> Option<Departure> {
        let expected = self.expected(at)?;
        Some(Departure { expected, score: (value - expected.median) / expected.spread })
    }
}

fn distinct_days(seen: &[(i64, f64)]) -> usize {
    seen.iter().map(|(day, _)| *day).collect::<std::collections::HashSet<_>>().len()
}

fn values(seen: &[(i64, f64)]) -> Vec<f64> {
    seen.iter().map(|(_, value)| *value).collect()
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
    fn with_fewer_than_two_weeks_the_hour_of_the_day_serves_and_with_too_little_nothing_is_judged() {
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

    #[test]
    fn many_values_from_one_week_do_not_make_an_hour_of_the_week_its_baseline() {
        // One value every five minutes for a week: twelve values an hour, all of one week.
        let five_minutes = Baseline::from_history((0..7 * 24 * 12).map(|m| {
            let at = monday() + Duration::minutes(5 * m);
            (at, traffic(at))
        }));
        let peak = monday() + Duration::weeks(1) + Duration::hours(14);
        let expected = five_minutes.expected(peak).unwrap_or_else(|| panic!("7 days of 14:00"));
        assert!(!expected.weekly, "one week is not two: the hour of the day serves ({expected:?})");
        assert_eq!(expected.samples, 7 * 12);
    }
}
