//! Isotonic calibration as NannyML's `IsotonicCalibrator` does it, with scikit-learn's
//! `IsotonicRegression(out_of_bounds="clip", increasing=True)`: the labels' share per score, made
//! non-decreasing by pooling adjacent violators, then read off by linear interpolation between the
//! fitted points, scores outside the fitted range clipped to it.

/// Scores closer than this are one score (numpy's `finfo(float64).resolution`, as scikit-learn's
/// `_make_unique` uses it).
const SAME_SCORE: f64 = 1e-15;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Isotonic {
    score: Vec<f64>,
    share: Vec<f64>,
}

/// A run of adjacent scores pooled into one share.
#[derive(Clone, Copy)]
struct Block {
    weighted_sum: f64,
    weight: f64,
    points: usize,
}

impl Block {
    fn mean(self) -> f64 {
        self.weighted_sum / self.weight
    }
}

impl Isotonic {
    /// Fits on scores and their labels; `score` must not be empty.
    pub(crate) fn fit(score: &[f64], truth: &[bool]) -> Isotonic {
        let mut order: Vec<usize> = (0..score.len()).collect();
        order.sort_by(|&a, &b| score[a].total_cmp(&score[b]).then(truth[a].cmp(&truth[b])));
        // One point per distinct score: the share of positives among its labels, weighted by their number.
        let mut points: Vec<(f64, f64, f64)> = Vec::new();
        for &i in &order {
            let label = f64::from(u8::from(truth[i]));
            match points.last_mut() {
                Some((first, positives, count)) if score[i] - *first < SAME_SCORE => {
                    *positives += label;
                    *count += 1.0;
                }
                _ => points.push((score[i], label, 1.0)),
            }
        }
        let blocks = pool_adjacent_violators(points.iter().map(|&(_, positives, count)| (positives / count, count)));
        let shares: Vec<f64> =
            blocks.iter().flat_map(|block| std::iter::repeat_n(block.mean(), block.points)).collect();
        let keep =
            |i: usize| i == 0 || i + 1 == shares.len() || shares[i] != shares[i - 1] || shares[i] != shares[i + 1];
        let (score, share) = (0..shares.len()).filter(|&i| keep(i)).map(|i| (points[i].0, shares[i])).unzip();
        Isotonic { score, share }
    }

    /// The calibrated probability of one score.
    pub(crate) fn calibrate(&self, score: f64) -> f64 {
        let (first, last) = (self.score[0], self.score[self.score.len() - 1]);
        if self.score.len() == 1 {
            return self.share[0];
        }
        let score = score.clamp(first, last);
        // scipy's interp1d: the segment ending at the first fitted score not below this one.
        let hi = self.score.partition_point(|&s| s < score).clamp(1, self.score.len() - 1);
        let lo = hi - 1;
        let slope = (self.share[hi] - self.share[lo]) / (self.score[hi] - self.score[lo]);
        slope * (score - self.score[lo]) + self.share[lo]
    }
}

/// Merges adjacent `(value, weight)` pairs into blocks until their means never decrease.
fn pool_adjacent_violators(values: impl Iterator<Item = (f64, f64)>) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for (value, weight) in values {
        let mut block = Block { weighted_sum: value * weight, weight, points: 1 };
        while let Some(previous) = blocks.last().copied().filter(|previous| previous.mean() > block.mean()) {
            blocks.pop();
            block = Block {
                weighted_sum: previous.weighted_sum + block.weighted_sum,
                weight: previous.weight + block.weight,
                points: previous.points + block.points,
            };
        }
        blocks.push(block);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_falling_share_is_pooled_and_read_off_between_points() {
        let calibrator = Isotonic::fit(&[0.1, 0.2, 0.3, 0.4], &[false, true, false, true]);
        // 0.2 and 0.3 pool to a share of 1/2.
        assert_eq!(calibrator.calibrate(0.25), 0.5);
        assert_eq!(calibrator.calibrate(0.0), 0.0);
        assert!((calibrator.calibrate(0.35) - 0.75).abs() < 1e-12);
        assert_eq!(calibrator.calibrate(0.9), 1.0);
    }
}
