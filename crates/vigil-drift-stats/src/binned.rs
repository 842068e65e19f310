//! Distances on binned data: PSI, Jensen–Shannon and Hellinger, on the bins Evidently uses.
//!
//! Evidently's `get_binned_data`: a numeric column whose reference has more than 20 distinct
//! values is cut into numpy's Sturges bins over reference and current together; any other column
//! gets one bin per distinct value. Shares are counts over the sample size. For PSI only, empty
//! bins are filled ("feel_zeroes"): with 0.0001, or with a millionth of the smallest non-empty
//! share when that is 0.0001 or less. Hellinger bins numbers differently (see
//! [`hellinger_numeric`]).

use super::categorical::Aligned;
use super::Method;

/// Numeric columns with at most this many distinct reference values get one bin per value.
pub const CATEGORY_BINS_UP_TO: usize = 20;

/// Bin edges as `numpy.histogram_bin_edges(data, bins="sturges")` makes them, for data of `size`
/// values between `min` and `max`: `ceil(ptp / (ptp / (log2(size) + 1)))` equal bins (numpy's
/// exact arithmetic, which is not always `ceil(log2(size) + 1)`), edges `min + i * step` with the
/// last edge `max` itself; one bin of width 1 around a constant.
pub fn sturges_edges(min: f64, max: f64, size: usize) -> Vec<f64> {
    let (first, last) = if min == max { (min - 0.5, max + 0.5) } else { (min, max) };
    let width = (max - min) / ((size as f64).log2() + 1.0);
    let bins = if width != 0.0 { ((last - first) / width).ceil() as usize } else { 1 };
    let step = (last - first) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| i as f64 * step + first).collect();
    edges[bins] = last;
    edges
}

/// Counts per bin of a sorted sample as `numpy.histogram` counts with explicit edges: bin `i`
/// holds `edges[i] <= v < edges[i + 1]`, the last bin also its right edge.
pub fn histogram(sorted: &[f64], edges: &[f64]) -> Vec<u64> {
    let last = edges.len() - 1;
    let below = |i: usize| {
        if i == last {
            sorted.partition_point(|&v| v <= edges[i])
        } else {
            sorted.partition_point(|&v| v < edges[i])
        }
    };
    let mut counts = Vec::with_capacity(last);
    let mut prev = below(0);
    for i in 1..=last {
        let next = below(i);
        counts.push((next - prev) as u64);
        prev = next;
    }
    counts
}

/// Shares per Sturges bin over both samples (both sorted and non-empty).
pub fn sturges_shares(reference: &[f64], current: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let min = reference[0].min(current[0]);
    let max = reference[reference.len() - 1].max(current[current.len() - 1]);
    let edges = sturges_edges(min, max, reference.len() + current.len());
    let share = |sorted: &[f64]| {
        let n = sorted.len() as f64;
        histogram(sorted, &edges).into_iter().map(|c| c as f64 / n).collect()
    };
    (share(reference), share(current))
}

/// Shares per category.
pub fn category_shares(aligned: &Aligned) -> (Vec<f64>, Vec<f64>) {
    let (n1, n2) = (aligned.reference_total as f64, aligned.current_total as f64);
    aligned.counts.iter().map(|&(r, c)| (r as f64 / n1, c as f64 / n2)).unzip()
}

/// Evidently's `feel_zeroes`: empty bins get 0.0001, or a millionth of the smallest non-empty
/// share when that is 0.0001 or less.
fn fill_zeroes(shares: &mut [f64]) {
    let smallest = shares.iter().copied().filter(|&s| s != 0.0).fold(f64::INFINITY, f64::min);
    let fill = if smallest <= 0.0001 { smallest / 1e6 } else { 0.0001 };
    for share in shares.iter_mut().filter(|s| **s == 0.0) {
        *share = fill;
    }
}

/// PSI or Jensen–Shannon on binned shares.
pub fn distance(method: Method, mut reference: Vec<f64>, mut current: Vec<f64>) -> f64 {
    match method {
        Method::Psi => {
            fill_zeroes(&mut reference);
            fill_zeroes(&mut current);
            psi(&reference, &current)
        }
        Method::JensenShannon => jensen_shannon(&reference, &current),
        other => unreachable!("{} is not a binned distance", other.name()),
    }
}

/// Population stability index, `Σ (r − c) ln(r / c)` over bins with no empty share.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    reference.iter().zip(current).map(|(&r, &c)| (r - c) * (r / c).ln()).sum()
}

/// Jensen–Shannon distance with natural logarithms, as `scipy.spatial.distance.jensenshannon`
/// (each vector normalised to sum 1; `sqrt((KL(p‖m) + KL(q‖m)) / 2)` with `m` their mean).
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    let rel_entr = |x: f64, y: f64| if x > 0.0 && y > 0.0 { x * (x / y).ln() } else { 0.0 };
    let (mut left, mut right) = (0.0, 0.0);
    for (&p, &q) in p.iter().zip(q) {
        let (p, q) = (p / sp, q / sq);
        let m = (p + q) / 2.0;
        left += rel_entr(p, m);
        right += rel_entr(q, m);
    }
    ((left + right) / 2.0).sqrt()
}

/// Hellinger distance on category shares: `sqrt(1 − Σ sqrt(r c))`.
pub fn hellinger_categorical(aligned: &Aligned) -> f64 {
    let (r, c) = category_shares(aligned);
    let overlap: f64 = r.iter().zip(&c).map(|(&r, &c)| (r * c).sqrt()).sum();
    (1.0 - overlap.clamp(0.0, 1.0)).sqrt()
}

/// Hellinger distance on numbers, as Evidently bins them for it: Sturges edges over the distinct
/// values of both samples (not over the values), density histograms, and
/// `sqrt(1 − Σ sqrt(h1 h2) · w)` with `w` the mean bin width.
pub fn hellinger_numeric(reference: &[f64], current: &[f64]) -> f64 {
    let min = reference[0].min(current[0]);
    let max = reference[reference.len() - 1].max(current[current.len() - 1]);
    let distinct = super::categorical::align_values(reference, current).len();
    let edges = sturges_edges(min, max, distinct);
    let density = |sorted: &[f64]| -> Vec<f64> {
        let counts = histogram(sorted, &edges);
        let total = counts.iter().sum::<u64>() as f64;
        counts.iter().zip(edges.windows(2)).map(|(&c, e)| c as f64 / (e[1] - e[0]) / total).collect()
    };
    let (h1, h2) = (density(reference), density(current));
    let bins = edges.len() - 1;
    let width = (edges[bins] - edges[0]) / bins as f64;
    let overlap: f64 = h1.iter().zip(&h2).map(|(&a, &b)| (a * b).sqrt() * width).sum();
    (1.0 - overlap.clamp(0.0, 1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sturges_edges_match_numpy() {
        // numpy.histogram_bin_edges([0, 1, 2, 3, 4, 5, 6, 7], bins="sturges")
        assert_eq!(sturges_edges(0.0, 7.0, 8), vec![0.0, 1.75, 3.5, 5.25, 7.0]);
        assert_eq!(sturges_edges(3.0, 3.0, 5), vec![2.5, 3.5]);
    }

    #[test]
    fn histogram_includes_the_last_edge() {
        assert_eq!(histogram(&[0.0, 0.5, 1.0, 1.0, 2.0], &[0.0, 1.0, 2.0]), vec![2, 3]);
    }
}
