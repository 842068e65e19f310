//! Column profiles: what Vigil keeps of a column's values, bounded whatever the traffic.
//!
//! A numeric column keeps its count, moments, range and a uniform random sample of at most
//! `capacity` values (reservoir sampling, Vitter's algorithm R); tests that need raw values run
//! on that sample, which holds every value while there are no more than `capacity`. A
//! categorical column keeps exact counts for up to [`MAX_CATEGORIES`] labels; later labels are
//! counted together under [`OTHER_LABEL`]. Profiles of adjacent windows merge into one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::table::{parse_number, Field};

/// The most distinct labels a categorical profile counts one by one.
pub const MAX_CATEGORIES: usize = 1_000;
/// The label under which the labels past [`MAX_CATEGORIES`] are counted.
pub const OTHER_LABEL: &str = "(other labels)";
/// The longest label kept, in bytes; longer labels are cut (at a character boundary).
pub const MAX_LABEL_BYTES: usize = 200;

/// What is kept of one column over some rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// Values seen, missing ones excluded.
    pub count: u64,
    /// Rows where the value was missing (empty, null or NaN).
    pub missing: u64,
    pub values: Values,
}

/// The values of a column, by the kind of test they feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Values {
    Numeric(NumericValues),
    /// Label → count.
    Categorical(BTreeMap<String, u64>),
}

/// A numeric column's summary and sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericValues {
    /// The smallest and largest values seen (None before the first).
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub sum: f64,
    pub sum_of_squares: f64,
    /// At most `capacity` values drawn uniformly from all seen; every value while count ≤ capacity.
    #[serde(skip)]
    pub sample: Vec<f64>,
    pub capacity: usize,
}

impl ColumnProfile {
    /// An empty numeric profile keeping a sample of at most `capacity` values.
    pub fn numeric(capacity: usize) -> Self {
        let values =
            NumericValues { min: None, max: None, sum: 0.0, sum_of_squares: 0.0, sample: Vec::new(), capacity };
        ColumnProfile { count: 0, missing: 0, values: Values::Numeric(values) }
    }

    /// An empty categorical profile.
    pub fn categorical() -> Self {
        ColumnProfile { count: 0, missing: 0, values: Values::Categorical(BTreeMap::new()) }
    }

    /// Counts a missing value.
    pub fn add_missing(&mut self) {
        self.missing += 1;
    }

    /// Adds a numeric value (NaN and infinities count as missing); `rng` draws the sample. A
    /// categorical profile counts the number as its label ("3" for 3.0).
    pub fn add_number(&mut self, value: f64, rng: &mut SplitMix64) {
        let Values::Numeric(numbers) = &mut self.values else {
            return with_label_of(value, |label| self.add_label(label));
        };
        if !value.is_finite() {
            return self.add_missing();
        }
        self.count += 1;
        numbers.min = Some(numbers.min.map_or(value, |min| min.min(value)));
        numbers.max = Some(numbers.max.map_or(value, |max| max.max(value)));
        numbers.sum += value;
        numbers.sum_of_squares += value * value;
        if numbers.sample.len() < numbers.capacity {
            numbers.sample.push(value);
        } else {
            let slot = rng.below(self.count);
            if let Some(kept) = numbers.sample.get_mut(slot as usize) {
                *kept = value;
            }
        }
    }

    /// Adds a value as read from a file or a payload: text that reads as a number is one.
    pub fn add_field(&mut self, field: Field<'_>, rng: &mut SplitMix64) {
        match field {
            Field::Missing => self.add_missing(),
            Field::Number(number) => self.add_number(number, rng),
            Field::Text(text) => match parse_number(text) {
                Some(number) => self.add_number(number, rng),
                None => self.add_label(text),
            },
        }
    }

    /// Adds a label (cut to [`MAX_LABEL_BYTES`]; past [`MAX_CATEGORIES`] labels, counted as
    /// [`OTHER_LABEL`]).
    pub fn add_label(&mut self, label: &str) {
        let Values::Categorical(counts) = &mut self.values else { return self.add_missing() };
        self.count += 1;
        let label = cut(label);
        if let Some(count) = counts.get_mut(label) {
            *count += 1;
        } else if counts.len() < MAX_CATEGORIES {
            counts.insert(label.to_owned(), 1);
        } else {
            *counts.entry(OTHER_LABEL.to_owned()).or_default() += 1;
        }
    }

    /// Merges `other` (of the same kind) into this profile: the counts add up and the sample
    /// stays a uniform draw of at most this profile's capacity from both.
    pub fn merge(&mut self, other: &ColumnProfile, rng: &mut SplitMix64) {
        let (own_count, other_count) = (self.count, other.count);
        self.count += other.count;
        self.missing += other.missing;
        match (&mut self.values, &other.values) {
            (Values::Numeric(mine), Values::Numeric(theirs)) => {
                mine.min = [mine.min, theirs.min].into_iter().flatten().reduce(f64::min);
                mine.max = [mine.max, theirs.max].into_iter().flatten().reduce(f64::max);
                mine.sum += theirs.sum;
                mine.sum_of_squares += theirs.sum_of_squares;
                mine.sample = merge_samples(
                    (std::mem::take(&mut mine.sample), own_count),
                    (&theirs.sample, other_count),
                    mine.capacity,
                    rng,
                );
            }
            (Values::Categorical(mine), Values::Categorical(theirs)) => {
                for (label, count) in theirs {
                    if mine.contains_key(label) || mine.len() < MAX_CATEGORIES {
                        *mine.entry(label.clone()).or_default() += count;
                    } else {
                        *mine.entry(OTHER_LABEL.to_owned()).or_default() += count;
                    }
                }
            }
            // Profiles of one column share its kind; a mismatch (the kind was changed between
            // windows) keeps what this profile holds.
            _ => {}
        }
    }

    /// Sorts the sample ascending (a uniform sample has no order of its own). A reference is
    /// stored sorted, so that a report's tests, run on it again and again, need no sort; a live
    /// window, rewritten every second while traffic lasts, is not.
    pub fn sort_sample(&mut self) {
        if let Values::Numeric(numbers) = &mut self.values {
            vigil_drift_stats::sort::sort_floats(&mut numbers.sample);
        }
    }

    /// The sample as stored: little-endian f64s in the sample's order (empty for a categorical
    /// profile).
    pub fn sample_bytes(&self) -> Vec<u8> {
        match &self.values {
            Values::Numeric(numbers) => numbers.sample.iter().flat_map(|value| value.to_le_bytes()).collect(),
            Values::Categorical(_) => Vec::new(),
        }
    }

    /// Puts back a sample read with [`ColumnProfile::sample_bytes`].
    pub fn restore_sample(&mut self, bytes: &[u8]) {
        if let Values::Numeric(numbers) = &mut self.values {
            numbers.sample =
                bytes.chunks_exact(8).map(|chunk| f64::from_le_bytes(chunk.try_into().unwrap_or_default())).collect();
        }
    }
}

/// Draws at most `capacity` values from two uniform samples standing for `a_count` and `b_count`
/// values, at one rate for both sides so that every value seen has the same chance to be kept.
fn merge_samples(
    (mut a, a_count): (Vec<f64>, u64),
    (b, b_count): (&[f64], u64),
    capacity: usize,
    rng: &mut SplitMix64,
) -> Vec<f64> {
    let rate_of = |kept: usize, seen: u64| if seen == 0 { 1.0 } else { kept as f64 / seen as f64 };
    let total = (a_count + b_count).max(1) as f64;
    let rate = rate_of(a.len(), a_count).min(rate_of(b.len(), b_count)).min(capacity as f64 / total).min(1.0);
    let from_a = ((rate * a_count as f64).round() as usize).min(a.len());
    let from_b = ((rate * b_count as f64).round() as usize).min(b.len()).min(capacity - from_a.min(capacity));
    if from_a == a.len() && from_b == b.len() {
        a.extend_from_slice(b);
        return a;
    }
    let mut b = b.to_vec();
    shuffle_prefix(&mut a, from_a, rng);
    shuffle_prefix(&mut b, from_b, rng);
    a.truncate(from_a);
    a.extend_from_slice(&b[..from_b]);
    a
}

/// Moves a uniform random choice of `k` values to the front (a partial Fisher–Yates shuffle).
fn shuffle_prefix(values: &mut [f64], k: usize, rng: &mut SplitMix64) {
    for i in 0..k.min(values.len()) {
        let j = i + rng.below((values.len() - i) as u64) as usize;
        values.swap(i, j);
    }
}

/// Calls `with` on `value` as a label, as Rust displays it ("3", "0.25"), formatted on the stack.
fn with_label_of<R>(value: f64, with: impl FnOnce(&str) -> R) -> R {
    use std::fmt::Write;
    let mut label = StackText { bytes: [0; 32], len: 0 };
    match write!(label, "{value}") {
        Ok(()) => with(std::str::from_utf8(&label.bytes[..label.len]).unwrap_or_default()),
        Err(_) => with(&value.to_string()),
    }
}

/// A short text written on the stack; writing past its room fails.
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.len + text.len();
        self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `label` cut to at most [`MAX_LABEL_BYTES`] at a character boundary.
fn cut(label: &str) -> &str {
    if label.len() <= MAX_LABEL_BYTES {
        return label;
    }
    let mut end = MAX_LABEL_BYTES;
    while !label.is_char_boundary(end) {
        end -= 1;
    }
    &label[..end]
}

/// A small, seeded pseudo-random generator (SplitMix64), so that samples are reproducible.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..bound` (Lemire's multiply-shift; `bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((self.next_u64() as u128 * bound as u128) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numeric_profile_keeps_every_value_until_full_then_a_uniform_sample() {
        let mut rng = SplitMix64::new(7);
        let mut profile = ColumnProfile::numeric(1_000);
        for value in 0..1_000 {
            profile.add_number(value as f64, &mut rng);
        }
        profile.add_number(f64::NAN, &mut rng);
        profile.add_number(f64::INFINITY, &mut rng);
        let Values::Numeric(numbers) = &profile.values else { panic!("numeric") };
        assert_eq!((profile.count, profile.missing, numbers.sample.len()), (1_000, 2, 1_000));
        assert_eq!(numbers.sample, (0..1_000).map(f64::from).collect::<Vec<_>>());

        for value in 1_000..100_000 {
            profile.add_number(value as f64, &mut rng);
        }
        let Values::Numeric(numbers) = &profile.values else { panic!("numeric") };
        assert_eq!((numbers.min, numbers.max, numbers.sample.len()), (Some(0.0), Some(99_999.0), 1_000));
        // A uniform sample of 0..100000 has its mean near 50000: 4 standard errors is ±3651.
        let mean = numbers.sample.iter().sum::<f64>() / 1_000.0;
        assert!((mean - 49_999.5).abs() < 3_651.0, "sample mean {mean}");
    }

    #[test]
    fn merged_samples_keep_every_value_with_the_same_chance() {
        let mut rng = SplitMix64::new(3);
        // 10,000 kept of 15,000 seen, and all 5,000 of 5,000: both sides at two thirds.
        let merged = merge_samples((vec![1.0; 10_000], 15_000), (&[2.0; 5_000], 5_000), 100_000, &mut rng);
        let twos = merged.iter().filter(|value| **value == 2.0).count();
        assert_eq!((merged.len(), twos), (13_333, 3_333));
    }

    #[test]
    fn merged_samples_draw_from_each_side_in_proportion() {
        let mut rng = SplitMix64::new(11);
        let (mut small, mut large) = (ColumnProfile::numeric(1_000), ColumnProfile::numeric(1_000));
        for _ in 0..1_000 {
            small.add_number(1.0, &mut rng);
        }
        for _ in 0..9_000 {
            large.add_number(2.0, &mut rng);
        }
        small.merge(&large, &mut rng);
        let Values::Numeric(numbers) = &small.values else { panic!("numeric") };
        let ones = numbers.sample.iter().filter(|value| **value == 1.0).count();
        assert_eq!((small.count, numbers.sample.len(), ones), (10_000, 1_000, 100));
        assert_eq!((numbers.sum, numbers.min, numbers.max), (19_000.0, Some(1.0), Some(2.0)));
    }

    #[test]
    fn categories_are_counted_exactly_up_to_the_limit_and_labels_are_cut() {
        let mut profile = ColumnProfile::categorical();
        for n in 0..MAX_CATEGORIES + 5 {
            profile.add_label(&format!("label-{n}"));
        }
        profile.add_label("label-0");
        profile.add_label(&"é".repeat(150));
        let Values::Categorical(counts) = &profile.values else { panic!("categorical") };
        assert_eq!(counts["label-0"], 2);
        assert_eq!(counts[OTHER_LABEL], 6, "5 labels past the limit, then the long one");
        assert_eq!(cut(&"é".repeat(150)).len(), MAX_LABEL_BYTES);
    }

    #[test]
    fn a_sorted_sample_survives_its_stored_form() {
        let mut rng = SplitMix64::new(1);
        let mut profile = ColumnProfile::numeric(10);
        for value in [1.5, -2.0, 1e100] {
            profile.add_number(value, &mut rng);
        }
        profile.sort_sample();
        let bytes = profile.sample_bytes();
        let mut restored: ColumnProfile = serde_json::from_str(&serde_json::to_string(&profile).unwrap()).unwrap();
        restored.restore_sample(&bytes);
        let Values::Numeric(numbers) = &restored.values else { panic!("numeric") };
        assert_eq!(numbers.sample, [-2.0, 1.5, 1e100]);
        assert_eq!((restored.count, numbers.min, numbers.max), (3, Some(-2.0), Some(1e100)));
    }

    #[test]
    fn numbers_counted_as_labels_read_as_rust_displays_them() {
        let mut rng = SplitMix64::new(1);
        let mut profile = ColumnProfile::categorical();
        for value in [3.0, 3.0, 0.25, -1.0, 1e40] {
            profile.add_number(value, &mut rng);
        }
        let Values::Categorical(counts) = &profile.values else { panic!("categorical") };
        assert_eq!(counts["3"], 2);
        assert_eq!((counts["0.25"], counts["-1"]), (1, 1));
        assert_eq!(counts[&1e40.to_string()], 1, "a label too long for the stack is formatted on the heap");
    }
}
