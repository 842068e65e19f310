//! The feedback-loop warning: whether successive revisions of a model are being trained on data
//! their predecessors shaped (a recommender trained on the clicks of what it recommended).
//!
//! Two signs must hold together over at least [`MIN_REVISIONS`] successive revisions:
//! - the predictions narrow: the entropy of each revision's prediction distribution falls at
//!   every step, and by more than [`ENTROPY_FALL_SHARE`] of the first one's across the run;
//! - the labels converge on past predictions: the Jensen–Shannon distance between the labels that
//!   arrived in a revision's window and the previous revision's predictions shrinks at every step,
//!   and by more than [`DISTANCE_SHRINK_SHARE`] of the first one's across the run.
//!
//! A model retrained on fresh, uninfluenced data may narrow its predictions (it learns), but its
//! labels keep the world's distribution, so it does not warn. Entropies are in bits and distances
//! use base-2 logarithms, so a distance lies between 0 (the same distribution) and 1.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The fewest successive revisions a feedback loop is called on.
pub const MIN_REVISIONS: usize = 3;
/// How much the prediction entropy must fall across the run, as a share of the run's first
/// revision's entropy (and it must fall at every step).
pub const ENTROPY_FALL_SHARE: f64 = 0.10;
/// How much the distance between a window's labels and the previous revision's predictions must
/// shrink across the run, as a share of the first such distance (and it must shrink at every step).
pub const DISTANCE_SHRINK_SHARE: f64 = 0.25;

/// One revision's window, in deployment order. Both distributions are counts (or shares) over
/// the same categories: the classes in one fixed order, or fixed bins of the predicted value
/// (where a regressor's true values, or a binary label read as probability 0 or 1, fall too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RevisionWindow {
    pub revision: String,
    pub predictions: Vec<f64>,
    /// Empty when no label has arrived for the window yet.
    pub labels: Vec<f64>,
}

/// The verdict on a model's revisions.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct FeedbackVerdict {
    pub warn: bool,
    /// The revisions judged, in deployment order.
    pub revisions: Vec<String>,
    /// The entropy of each revision's predictions, in bits.
    pub entropies: Vec<f64>,
    /// For each revision, the Jensen–Shannon distance between its labels and the previous
    /// revision's predictions; `None` for the first revision and a window without labels.
    pub distances: Vec<Option<f64>>,
    /// What the verdict means, for a product manager.
    pub sentence: String,
}

/// Judges the revisions, in deployment order; an error names the revision whose distributions
/// are unusable.
pub fn feedback_loop(revisions: &[RevisionWindow]) -> Result<FeedbackVerdict, String> {
    let categories = revisions.first().map_or(0, |first| first.predictions.len());
    let mut predictions = Vec::with_capacity(revisions.len());
    let mut labels = Vec::with_capacity(revisions.len());
    for window in revisions {
        predictions.push(
            normalized(&window.predictions, categories)
                .map_err(|why| format!("the predictions of revision {}: {why}", window.revision))?,
        );
        labels.push(if window.labels.is_empty() {
            None
        } else {
            Some(
                normalized(&window.labels, categories)
                    .map_err(|why| format!("the labels of revision {}: {why}", window.revision))?,
            )
        });
    }
    let entropies: Vec<f64> = predictions.iter().map(|shares| entropy(shares)).collect();
    let distances: Vec<Option<f64>> = (0..revisions.len())
        .map(|i| {
            let previous = i.checked_sub(1).map(|p| &predictions[p])?;
            labels[i].as_ref().map(|labels| js_distance(labels, previous))
        })
        .collect();
    let run = latest_loop(&entropies, &distances);
    let sentence = match run {
        Some((start, end)) => warning(revisions, &entropies, &distances, start, end),
        None if revisions.len() < MIN_REVISIONS => format!(
            "Too early to tell whether this model feeds on its own predictions: that takes at least {MIN_REVISIONS} \
             revisions in a row, and there {}.",
            if revisions.len() == 1 { "is 1".to_string() } else { format!("are {}", revisions.len()) }
        ),
        None => format!(
            "No sign of a feedback loop across the {} revisions: the predictions did not narrow over {MIN_REVISIONS} \
             revisions in a row while the labels drew closer to what the previous revision predicted.",
            revisions.len()
        ),
    };
    Ok(FeedbackVerdict {
        warn: run.is_some(),
        revisions: revisions.iter().map(|window| window.revision.clone()).collect(),
        entropies,
        distances,
        sentence,
    })
}

/// Shares summing to 1 over `categories` categories, or why the counts cannot be read as a distribution.
fn normalized(counts: &[f64], categories: usize) -> Result<Vec<f64>, String> {
    if counts.len() != categories {
        return Err(format!(
            "{} categories where the first revision's predictions have {categories}: give every distribution over the \
             same classes or bins",
            counts.len()
        ));
    }
    if let Some(bad) = counts.iter().find(|c| !(c.is_finite() && **c >= 0.0)) {
        return Err(format!("a count of {bad}: counts are finite and not negative"));
    }
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return Err("every count is 0: a distribution needs at least one observation".to_string());
    }
    Ok(counts.iter().map(|c| c / total).collect())
}

/// Shannon entropy in bits.
fn entropy(shares: &[f64]) -> f64 {
    -shares.iter().filter(|&&p| p > 0.0).map(|p| p * p.log2()).sum::<f64>()
}

/// The Jensen–Shannon distance (the square root of the divergence), base 2.
fn js_distance(p: &[f64], q: &[f64]) -> f64 {
    let relative = |a: &[f64], m: &[f64]| -> f64 {
        a.iter().zip(m).filter(|(&x, _)| x > 0.0).map(|(x, y)| x * (x / y).log2()).sum()
    };
    let m: Vec<f64> = p.iter().zip(q).map(|(x, y)| (x + y) / 2.0).collect();
    ((relative(p, &m) + relative(q, &m)) / 2.0).max(0.0).sqrt()
}

/// The latest, then longest, run of revisions `start..=end` that shows both signs.
fn latest_loop(entropies: &[f64], distances: &[Option<f64>]) -> Option<(usize, usize)> {
    let n = entropies.len();
    (MIN_REVISIONS - 1..n)
        .rev()
        .flat_map(|end| (0..=end + 1 - MIN_REVISIONS).map(move |start| (start, end)))
        .find(|&(start, end)| narrows(&entropies[start..=end]) && converges(&distances[start.max(1)..=end]))
}

/// Falling at every step, and by more than `ENTROPY_FALL_SHARE` of the first across the run.
fn narrows(entropies: &[f64]) -> bool {
    let (first, last) = (entropies[0], entropies[entropies.len() - 1]);
    entropies.windows(2).all(|pair| pair[1] < pair[0]) && first - last > ENTROPY_FALL_SHARE * first
}

/// Every distance known, shrinking at every step, and by more than `DISTANCE_SHRINK_SHARE` of
/// the first across the run.
fn converges(distances: &[Option<f64>]) -> bool {
    let Some(known) = distances.iter().copied().collect::<Option<Vec<f64>>>() else {
        return false;
    };
    match (known.first(), known.last()) {
        (Some(&first), Some(&last)) if known.len() >= 2 => {
            known.windows(2).all(|pair| pair[1] < pair[0]) && first - last > DISTANCE_SHRINK_SHARE * first
        }
        _ => false,
    }
}

fn warning(
    revisions: &[RevisionWindow],
    entropies: &[f64],
    distances: &[Option<f64>],
    start: usize,
    end: usize,
) -> String {
    let percent = |from: f64, to: f64| ((from - to) / from * 100.0).round();
    let first_distance = distances[start.max(1)].unwrap_or_default();
    let last_distance = distances[end].unwrap_or_default();
    format!(
        "Possible feedback loop: from revision {} to revision {} ({} revisions), the model's predictions grew {}% less \
         varied, and the outcomes users came back with grew {}% closer to what the revision before had predicted. \
         Each revision seems to be learning from behaviour its predecessor caused rather than from what users want. \
         Retrain the next revision on data the model did not influence (for example a random slice of traffic), then \
         compare.",
        revisions[start].revision,
        revisions[end].revision,
        end - start + 1,
        percent(entropies[start], entropies[end]),
        percent(first_distance, last_distance),
    )
}
