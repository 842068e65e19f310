//! Tests on category counts: Pearson's chi-square with expectations scaled from the reference,
//! and the Z-test for two proportions, as Evidently's `chisquare` and `z` stattests compute them.
//! Both samples are first aligned on the union of their categories, in sorted order.

use std::collections::BTreeMap;

use super::kolmogorov::{chi2_sf, normal_cdf};
use super::runs;

/// Counts per category, on the union of both samples' categories in sorted order (numbers
/// ascending, labels by code point, as Python sorts them): `(reference, current)` per category.
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned {
    pub counts: Vec<(u64, u64)>,
    pub reference_total: u64,
    pub current_total: u64,
}

impl Aligned {
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    fn from_pairs(counts: Vec<(u64, u64)>) -> Self {
        let reference_total = counts.iter().map(|c| c.0).sum();
        let current_total = counts.iter().map(|c| c.1).sum();
        Aligned { counts, reference_total, current_total }
    }
}

/// Aligns two sorted numeric samples on their distinct values.
pub fn align_values(reference: &[f64], current: &[f64]) -> Aligned {
    Aligned::from_pairs(aligned_runs(reference, current).collect())
}

/// The distinct values of two sorted samples together, counted without aligning them.
pub fn distinct_values(reference: &[f64], current: &[f64]) -> usize {
    aligned_runs(reference, current).count()
}

/// `(reference, current)` counts of each distinct value of two sorted samples, in order.
fn aligned_runs<'a>(reference: &'a [f64], current: &'a [f64]) -> impl Iterator<Item = (u64, u64)> + 'a {
    let mut r = runs(reference).peekable();
    let mut c = runs(current).peekable();
    std::iter::from_fn(move || {
        Some(match (r.peek(), c.peek()) {
            (None, None) => return None,
            (Some(&(_, n)), None) => (r.next(), (n, 0)).1,
            (None, Some(&(_, n))) => (c.next(), (0, n)).1,
            (Some(&(a, n)), Some(&(b, m))) => {
                if a < b {
                    r.next();
                    (n, 0)
                } else if b < a {
                    c.next();
                    (0, m)
                } else {
                    r.next();
                    c.next();
                    (n, m)
                }
            }
        })
    })
}

/// Aligns two label → count maps; labels whose count is zero in both are left out.
pub fn align_labels(reference: &BTreeMap<String, u64>, current: &BTreeMap<String, u64>) -> Aligned {
    let mut r = reference.iter().filter(|e| *e.1 > 0).peekable();
    let mut c = current.iter().filter(|e| *e.1 > 0).peekable();
    let mut out = Vec::with_capacity(reference.len().max(current.len()));
    loop {
        let pair = match (r.peek(), c.peek()) {
            (None, None) => break,
            (Some(&(_, &n)), None) => (r.next(), (n, 0)).1,
            (None, Some(&(_, &m))) => (c.next(), (0, m)).1,
            (Some(&(a, &n)), Some(&(b, &m))) => match a.cmp(b) {
                std::cmp::Ordering::Less => (r.next(), (n, 0)).1,
                std::cmp::Ordering::Greater => (c.next(), (0, m)).1,
                std::cmp::Ordering::Equal => (r.next(), c.next(), (n, m)).2,
            },
        };
        out.push(pair);
    }
    Aligned::from_pairs(out)
}

/// Chi-square statistic and p-value: observed current counts against reference counts scaled by
/// `current_total / reference_total`, with `categories − 1` degrees of freedom (scipy's
/// `chisquare`, as Evidently calls it). A category absent from the reference but present in current
/// makes the statistic infinite and p 0. With a single category (the same constant in both)
/// Evidently's p is NaN (zero degrees of freedom); here it is 1, the same no-drift verdict.
pub fn chi_square(aligned: &Aligned) -> (f64, f64) {
    let k_norm = aligned.current_total as f64 / aligned.reference_total as f64;
    let mut stat = 0.0;
    for &(r, c) in &aligned.counts {
        let expected = r as f64 * k_norm;
        let diff = c as f64 - expected;
        stat += diff * diff / expected;
    }
    if aligned.len() < 2 {
        return (stat, 1.0);
    }
    (stat, chi2_sf((aligned.len() - 1) as f64, stat))
}

/// Z statistic and two-sided p-value for the share of values other than the first category (in
/// sorted order) in reference against current. Evidently's formula exactly, including its
/// `2 (1 − Φ(|z|))`, which is 0 once Φ rounds to 1 (|z| > 8.3). Both samples holding the same
/// single value give z = 0, p = 1 (Evidently's special case).
pub fn z_test(aligned: &Aligned) -> (f64, f64) {
    if aligned.len() == 1 {
        return (0.0, 1.0);
    }
    let (first_ref, first_cur) = aligned.counts[0];
    let n1 = aligned.reference_total as f64;
    let n2 = aligned.current_total as f64;
    let p1 = (aligned.reference_total - first_ref) as f64 / n1;
    let p2 = (aligned.current_total - first_cur) as f64 / n2;
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let z = (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    (z, 2.0 * (1.0 - normal_cdf(z.abs())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_values_and_labels() {
        let a = align_values(&[1.0, 1.0, 2.0, 5.0], &[0.0, 2.0, 2.0, 7.0]);
        assert_eq!(a.counts, vec![(0, 1), (2, 0), (1, 2), (1, 0), (0, 1)]);
        let r = BTreeMap::from([("b".to_string(), 2), ("a".to_string(), 1), ("z".to_string(), 0)]);
        let c = BTreeMap::from([("c".to_string(), 4), ("b".to_string(), 1)]);
        let a = align_labels(&r, &c);
        assert_eq!(a.counts, vec![(1, 0), (2, 1), (0, 4)]);
        assert_eq!((a.reference_total, a.current_total), (3, 5));
    }
}
