//! The first Wasserstein distance between two samples divided by the reference's standard
//! deviation, Evidently's `wasserstein` stattest.
//!
//! `scipy.stats.wasserstein_distance` integrates |F_ref − F_cur| between consecutive values of
//! both samples; here that is one merge of the two sorted samples.

/// `W1(reference, current) / max(std(reference), 0.001)`, population standard deviation, on
/// sorted non-empty samples.
pub fn wasserstein_normed(reference: &[f64], current: &[f64]) -> f64 {
    wasserstein(reference, current) / std_dev(reference).max(0.001)
}

/// The first Wasserstein distance between two sorted non-empty samples.
pub fn wasserstein(u: &[f64], v: &[f64]) -> f64 {
    let (nu, nv) = (u.len() as f64, v.len() as f64);
    let (mut i, mut j) = (0, 0);
    let mut total = 0.0;
    // Step through the merged values; after taking one, i and j count the values at or below it,
    // and the CDF gap holds until the next merged value.
    while i + j < u.len() + v.len() {
        let x = if j == v.len() || (i < u.len() && u[i] <= v[j]) {
            i += 1;
            u[i - 1]
        } else {
            j += 1;
            v[j - 1]
        };
        let next = match (u.get(i), v.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        if next > x {
            total += (i as f64 / nu - j as f64 / nv).abs() * (next - x);
        }
    }
    total
}

/// Population standard deviation (numpy's `std` with ddof 0), two passes.
pub fn std_dev(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifted_sample_moves_by_the_shift() {
        let u = [0.0, 1.0, 2.0, 3.0];
        let v = [0.5, 1.5, 2.5, 3.5];
        assert!((wasserstein(&u, &v) - 0.5).abs() < 1e-15);
        assert_eq!(wasserstein(&u, &u), 0.0);
        // Constant reference: the norm is the 0.001 floor.
        assert!((wasserstein_normed(&[2.0, 2.0], &[3.0]) - 1000.0).abs() < 1e-9);
    }
}
