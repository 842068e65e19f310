//! The seeded series the anomaly benchmark scores on: traffic, latency and error share of one
//! model, a point every few minutes over several weeks, with daily and weekly seasons and noise,
//! and anomalies of known spans injected into them.
//!
//! The season: a load between 0.2 (04:00) and 1 (16:00), `0.2 + 0.8 × ((1 − cos(2π (h − 4) / 24)) / 2)²`,
//! times 0.55 on Saturdays and Sundays. From it, with one standard normal draw z a point:
//! - traffic: `30 × load × (1 + 0.06 z)` requests a second;
//! - latency (p99): `80 × (1 + 0.5 load²) × e^(0.08 z)` ms;
//! - error share: errors among the point's requests, `λ + √λ z` with `λ` the requests times
//!   `0.004 + 0.008 load²`, over the requests (noisy at night, when requests are few).
//!
//! Each week gets five anomalies at random, never within an hour of another:
//! - three spikes of 1 to 3 points, the value times 2.5 to 4;
//! - a level shift of 3 to 8 hours: traffic halved or times 1.8, latency times 1.7, errors times 3;
//! - a missed daily peak on a weekday: from 12:00 to 20:00 the load stays at its 12:00 level,
//!   so the afternoon peak (of traffic, and of the latency and errors that follow load) never
//!   comes.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};

use crate::random::Random;

/// The metrics a series is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Traffic,
    Latency,
    ErrorShare,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Traffic, Metric::Latency, Metric::ErrorShare];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Traffic => "traffic",
            Metric::Latency => "latency p99",
            Metric::ErrorShare => "error share",
        }
    }
}

/// The kinds of anomaly injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Spike,
    LevelShift,
    MissedPeak,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Spike, Kind::LevelShift, Kind::MissedPeak];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Spike => "spike",
            Kind::LevelShift => "level shift",
            Kind::MissedPeak => "missed daily peak",
        }
    }
}

/// One injected anomaly: its kind and the points it spans, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// A generated series: its times, values and the anomalies in it.
pub struct Series {
    pub times: Vec<DateTime<Utc>>,
    pub values: Vec<f64>,
    pub anomalies: Vec<Span>,
}

/// Monday 2026-01-05 00:00 UTC, where every series starts.
fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_571_200, 0).unwrap_or_default()
}

/// The season's load at `at`.
fn load(at: DateTime<Utc>) -> f64 {
    let hour = f64::from(at.hour()) + f64::from(at.minute()) / 60.0;
    let wave = (1.0 - (std::f64::consts::TAU * (hour - 4.0) / 24.0).cos()) / 2.0;
    let weekend = matches!(at.weekday(), Weekday::Sat | Weekday::Sun);
    (0.2 + 0.8 * wave * wave) * if weekend { 0.55 } else { 1.0 }
}

/// A point's value at `load` with its draw `z`, over `step_seconds`.
fn value(metric: Metric, load: f64, z: f64, step_seconds: f64) -> f64 {
    match metric {
        Metric::Traffic => 30.0 * load * (1.0 + 0.06 * z),
        Metric::Latency => 80.0 * (1.0 + 0.5 * load * load) * (0.08 * z).exp(),
        Metric::ErrorShare => {
            let requests = (30.0 * load * step_seconds).max(1.0);
            let expected = requests * (0.004 + 0.008 * load * load);
            (expected + expected.sqrt() * z).max(0.0).round() / requests
        }
    }
}

/// `weeks` weeks of `metric` at a point every `step`, with its anomalies, from `seed`.
pub fn generate(metric: Metric, weeks: usize, step: Duration, seed: u64) -> Series {
    let mut random = Random::new(seed);
    let per_hour = (3600 / step.num_seconds().max(1)) as usize;
    let points = weeks * 7 * 24 * per_hour;
    let times: Vec<DateTime<Utc>> = (0..points).map(|i| start() + step * i as i32).collect();
    let mut loads: Vec<f64> = times.iter().map(|at| load(*at)).collect();
    let draws: Vec<f64> = (0..points).map(|_| random.normal()).collect();
    let mut factors = vec![1.0; points];
    let anomalies = schedule(weeks, per_hour, &mut random);
    for span in &anomalies {
        match span.kind {
            Kind::MissedPeak => {
                let level = loads[span.start];
                loads[span.start..span.end].iter_mut().for_each(|load| *load = load.min(level));
            }
            Kind::Spike => {
                let factor = 2.5 + 1.5 * random.uniform();
                factors[span.start..span.end].iter_mut().for_each(|f| *f = factor);
            }
            Kind::LevelShift => {
                let factor = match metric {
                    Metric::Traffic if random.uniform() < 0.5 => 0.5,
                    Metric::Traffic => 1.8,
                    Metric::Latency => 1.7,
                    Metric::ErrorShare => 3.0,
                };
                factors[span.start..span.end].iter_mut().for_each(|f| *f = factor);
            }
        }
    }
    let step_seconds = step.num_seconds() as f64;
    let values =
        (0..points).map(|i| value(metric, loads[i], draws[i], step_seconds) * factors[i]).collect::<Vec<f64>>();
    Series { times, values, anomalies }
}

/// Where each week's anomalies go: a missed peak on a weekday, a level shift, three spikes, none
/// within an hour of another; sorted by start.
fn schedule(weeks: usize, per_hour: usize, random: &mut Random) -> Vec<Span> {
    let day = 24 * per_hour;
    let mut spans: Vec<Span> = Vec::new();
    for week in 0..weeks {
        let monday = week * 7 * day;
        let peak_day = monday + day * random.whole(0, 4) as usize;
        spans.push(Span { kind: Kind::MissedPeak, start: peak_day + 12 * per_hour, end: peak_day + 20 * per_hour });
        let hours = random.whole(3, 8) as usize;
        let shift = place(Kind::LevelShift, hours * per_hour, monday..monday + 7 * day, per_hour, &spans, random);
        spans.push(shift);
        for _ in 0..3 {
            let points = random.whole(1, 3) as usize;
            let spike = place(Kind::Spike, points, monday..monday + 7 * day, per_hour, &spans, random);
            spans.push(spike);
        }
    }
    spans.sort_by_key(|span| span.start);
    spans
}

/// A span of `kind` and `length` points at random within `within`, at least `gap` points from
/// every span of `taken`.
fn place(
    kind: Kind,
    length: usize,
    within: std::ops::Range<usize>,
    gap: usize,
    taken: &[Span],
    random: &mut Random,
) -> Span {
    loop {
        let start = within.start + (random.uniform() * (within.len() - length) as f64) as usize;
        let candidate = Span { kind, start, end: start + length };
        if taken.iter().all(|s| candidate.end + gap <= s.start || s.end + gap <= candidate.start) {
            return candidate;
        }
    }
}
