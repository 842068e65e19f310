//! Quantiles from cumulative histogram buckets, by the same rule as Prometheus'
//! `histogram_quantile`: find the bucket the rank falls in and interpolate linearly inside it.

/// The `q`-quantile (0 ≤ q ≤ 1) of a histogram given as `(upper bound, cumulative count)`
/// pairs, one of which is `+Inf`. None when there is nothing to rank (no `+Inf` bucket, fewer
/// than two buckets, or no observations); −∞/+∞ for q below 0 or above 1, as Prometheus gives.
///
/// As in Prometheus: buckets are sorted by bound; counts that decrease (which a scrape racing an
/// update can show) are raised to the running maximum; a rank in the `+Inf` bucket gives the
/// highest finite bound; the first bucket's lower bound is 0 unless its upper bound is ≤ 0.
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    if q.is_nan() {
        return None;
    }
    if q < 0.0 {
        return Some(f64::NEG_INFINITY);
    }
    if q > 1.0 {
        return Some(f64::INFINITY);
    }
    let mut sorted: Vec<(f64, f64)> = buckets.iter().copied().filter(|(bound, _)| !bound.is_nan()).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    if sorted.len() < 2 || sorted.last().is_none_or(|(bound, _)| *bound != f64::INFINITY) {
        return None;
    }
    let mut running_max = 0.0_f64;
    for bucket in &mut sorted {
        running_max = running_max.max(bucket.1);
        bucket.1 = running_max;
    }
    let observations = sorted[sorted.len() - 1].1;
    if observations <= 0.0 {
        return None;
    }
    let rank = q * observations;
    let index = sorted.partition_point(|(_, count)| *count < rank).min(sorted.len() - 1);
    if index == sorted.len() - 1 {
        return Some(sorted[sorted.len() - 2].0);
    }
    let (upper, count) = sorted[index];
    if index == 0 && upper <= 0.0 {
        return Some(upper);
    }
    let (lower, below) = if index == 0 { (0.0, 0.0) } else { sorted[index - 1] };
    let in_bucket = count - below;
    if in_bucket <= 0.0 {
        return Some(upper);
    }
    Some(lower + (upper - lower) * ((rank - below) / in_bucket))
}

#[cfg(test)]
mod tests {
    use super::histogram_quantile;

    const INF: f64 = f64::INFINITY;

    /// 10 observations ≤ 0.1, 40 more ≤ 0.5, 50 more ≤ 1, none above.
    const BUCKETS: [(f64, f64); 4] = [(0.1, 10.0), (0.5, 50.0), (1.0, 100.0), (INF, 100.0)];

    #[test]
    fn interpolates_inside_the_bucket_the_rank_falls_in() {
        // rank 50 is the last of the (0.1, 0.5] bucket: 0.1 + 0.4 × 40/40.
        assert_eq!(histogram_quantile(0.5, &BUCKETS), Some(0.5));
        // rank 95 falls in (0.5, 1]: 0.5 + 0.5 × (95 − 50)/50 = 0.95.
        assert!((histogram_quantile(0.95, &BUCKETS).unwrap() - 0.95).abs() < 1e-12);
        // rank 5 in the first bucket, lower bound 0: 0.1 × 5/10.
        assert!((histogram_quantile(0.05, &BUCKETS).unwrap() - 0.05).abs() < 1e-12);
    }

    #[test]
    fn a_rank_in_the_inf_bucket_gives_the_highest_finite_bound() {
        let tail = [(0.1, 1.0), (1.0, 2.0), (INF, 10.0)];
        assert_eq!(histogram_quantile(0.99, &tail), Some(1.0));
    }

    #[test]
    fn order_of_buckets_does_not_matter_and_decreasing_counts_are_raised() {
        let shuffled = [(1.0, 100.0), (INF, 100.0), (0.1, 10.0), (0.5, 50.0)];
        assert_eq!(histogram_quantile(0.5, &shuffled), histogram_quantile(0.5, &BUCKETS));
        let racing = [(0.1, 10.0), (0.5, 8.0), (1.0, 20.0), (INF, 20.0)];
        // (0.5) is raised to 10, so rank 10 (q = 0.5) ends the first bucket: 0.1.
        assert_eq!(histogram_quantile(0.5, &racing), Some(0.1));
    }

    #[test]
    fn nothing_to_rank_gives_none_and_out_of_range_q_gives_infinities() {
        assert_eq!(histogram_quantile(0.5, &[(0.1, 0.0), (INF, 0.0)]), None);
        assert_eq!(histogram_quantile(0.5, &[(0.1, 5.0), (1.0, 5.0)]), None, "no +Inf bucket");
        assert_eq!(histogram_quantile(0.5, &[(INF, 5.0)]), None, "one bucket");
        assert_eq!(histogram_quantile(-0.1, &BUCKETS), Some(f64::NEG_INFINITY));
        assert_eq!(histogram_quantile(1.5, &BUCKETS), Some(INF));
        assert_eq!(histogram_quantile(f64::NAN, &BUCKETS), None);
    }

    #[test]
    fn a_first_bucket_at_or_below_zero_is_returned_as_is() {
        assert_eq!(histogram_quantile(0.1, &[(-1.0, 5.0), (1.0, 10.0), (INF, 10.0)]), Some(-1.0));
    }
}
