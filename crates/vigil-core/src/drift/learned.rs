//! Thresholds learned from the reference, as NannyML learns them: the reference is cut into
//! chunks, each chunk is compared with the whole reference by the column's distance, and the
//! threshold is the mean of those distances plus three standard deviations. A distance above it
//! is larger than the reference's own chunks show by chance.
//!
//! Vigil's chunks are uniform random draws of the size of the live data being judged (at most
//! half the reference), so the threshold fits the sample it judges: a distance on a few hundred
//! rows varies far more than one on a hundred thousand. The draws are seeded, so a report
//! computed twice on the same data gives the same threshold.

use std::collections::BTreeMap;

use super::profile::SplitMix64;
use super::stats::{ColumnKind, Method, Pair, Sample};
use crate::{Result, VigilError};

/// How many chunks of the reference the threshold is learned from.
pub const CHUNKS: usize = 10;
/// How many standard deviations above the chunks' mean distance the threshold sits.
pub const SIGMAS: f64 = 3.0;

/// The threshold of `method` (a distance) for a live sample of `size` values, learned from
/// `reference`. Errors for a p-value test, or a reference too small to cut into chunks.
pub fn threshold(method: Method, kind: ColumnKind, reference: Sample<'_>, size: u64) -> Result<f64> {
    if method.is_p_value() {
        return Err(VigilError::invalid(
            "method",
            format!(
                "{} gives a p-value; a threshold is learned for a distance (wasserstein, jensen_shannon, psi or hellinger).",
                method.name()
            ),
        ));
    }
    let reference_size = match reference {
        Sample::Values(values) => values.len() as u64,
        Sample::Counts(counts) => counts.values().sum(),
    };
    let chunk = size.min(reference_size / 2) as usize;
    if chunk < 2 {
        return Err(VigilError::invalid("threshold", "the reference is too small to learn a threshold from"));
    }
    let mut rng = SplitMix64::new(0x01EA_24ED + size);
    let distances = (0..CHUNKS)
        .map(|_| {
            let distance = |drawn: Sample<'_>| Pair::new(reference, drawn)?.run(method, kind, None);
            match reference {
                Sample::Values(values) => distance(Sample::Values(&draw_values(values, chunk, &mut rng))),
                Sample::Counts(counts) => distance(Sample::Counts(&draw_labels(counts, chunk, &mut rng))),
            }
            .map(|test| test.statistic)
        })
        .collect::<std::result::Result<Vec<f64>, _>>()?;
    let mean = distances.iter().sum::<f64>() / CHUNKS as f64;
    let variance = distances.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (CHUNKS - 1) as f64;
    Ok(mean + SIGMAS * variance.sqrt())
}

/// `size` values drawn from `values` without replacement (a partial Fisher–Yates shuffle).
fn draw_values(values: &[f64], size: usize, rng: &mut SplitMix64) -> Vec<f64> {
    let mut drawn = values.to_vec();
    for i in 0..size.min(drawn.len()) {
        let j = i + rng.below((drawn.len() - i) as u64) as usize;
        drawn.swap(i, j);
    }
    drawn.truncate(size);
    drawn
}

/// `size` labels drawn from `counts` as rows would be, each with its count's chance.
fn draw_labels(counts: &BTreeMap<String, u64>, size: usize, rng: &mut SplitMix64) -> BTreeMap<String, u64> {
    let labels: Vec<(&String, u64)> = counts.iter().map(|(label, count)| (label, *count)).collect();
    let mut running = 0;
    let cumulative: Vec<u64> = labels.iter().map(|(_, count)| (running += count, running).1).collect();
    let mut drawn: BTreeMap<String, u64> = BTreeMap::new();
    for _ in 0..size {
        let at = rng.below(running.max(1));
        let index = cumulative.partition_point(|&end| end <= at);
        *drawn.entry(labels[index].0.clone()).or_default() += 1;
    }
    drawn
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal_sample(n: usize, seed: u64) -> Vec<f64> {
        // Box–Muller on the seeded generator.
        let mut rng = SplitMix64::new(seed);
        let mut uniform = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 + f64::EPSILON;
        (0..n).map(|_| (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos()).collect()
    }

    #[test]
    fn a_learned_threshold_shrinks_as_the_live_sample_grows_and_catches_a_real_shift() {
        let mut reference = normal_sample(20_000, 1);
        reference.sort_by(f64::total_cmp);
        let small = threshold(Method::Wasserstein, ColumnKind::Numeric, Sample::Values(&reference), 200).unwrap();
        let large = threshold(Method::Wasserstein, ColumnKind::Numeric, Sample::Values(&reference), 5_000).unwrap();
        // Chance alone moves a normed Wasserstein by about 0.8/√n: the threshold follows.
        assert!(small > 2.0 * large, "200 values: {small}, 5,000 values: {large}");
        assert!(large < 0.1, "below Evidently's fixed 0.1 on 5,000 values: {large}");

        let same = normal_sample(5_000, 2);
        let shifted: Vec<f64> = normal_sample(5_000, 3).into_iter().map(|v| v + 0.1).collect();
        let distance = |live: &[f64]| {
            Pair::new(Sample::Values(&reference), Sample::Values(live))
                .unwrap()
                .run(Method::Wasserstein, ColumnKind::Numeric, None)
                .unwrap()
                .statistic
        };
        assert!(distance(&same) < large, "the same distribution stays under: {}", distance(&same));
        assert!(distance(&shifted) > large, "a 0.1 σ shift goes over: {}", distance(&shifted));
        assert_eq!(
            large,
            threshold(Method::Wasserstein, ColumnKind::Numeric, Sample::Values(&reference), 5_000).unwrap()
        );
    }

    #[test]
    fn labels_are_drawn_in_their_shares_and_p_value_tests_are_refused() {
        let counts = BTreeMap::from([("a".to_string(), 700), ("b".to_string(), 300)]);
        let drawn = draw_labels(&counts, 10_000, &mut SplitMix64::new(5));
        assert_eq!(drawn.values().sum::<u64>(), 10_000);
        assert!((drawn["a"] as f64 - 7_000.0).abs() < 4.0 * 46.0, "{drawn:?}");
        let learned = threshold(Method::JensenShannon, ColumnKind::Categorical, Sample::Counts(&counts), 400).unwrap();
        assert!(learned > 0.0 && learned < 0.1, "{learned}");

        let err = threshold(Method::Ks, ColumnKind::Numeric, Sample::Values(&[1.0, 2.0, 3.0]), 2).unwrap_err();
        assert_eq!(err.field(), Some("method"));
        let err = threshold(Method::Psi, ColumnKind::Numeric, Sample::Values(&[1.0, 2.0]), 100).unwrap_err();
        assert!(err.to_string().contains("too small"), "{err}");
    }
}
