//! The `feedback-loop` scenario's model, `recs`: will a shopper click the item recommended to
//! them? It is served in [`REVISIONS`] successive revisions, each retrained on the clicks the
//! shop recorded while its predecessor served, and a shopper can only click what was shown:
//! an item the model did not recommend is, with the share `influence`, never seen, and so
//! recorded as not clicked whatever the shopper would have done. Each revision therefore learns
//! from labels its predecessor shaped: it recommends less than the one before, its predictions
//! gather on "no click", and the recorded clicks converge on what was recommended before.
//!
//! With `influence` 0 the same code is the negative control: every label is the shopper's true
//! choice, and each revision is retrained on fresh rows with uninfluenced labels.

use crate::learn::GradientDescent;
use crate::models::{recs_logit, recs_schema, Model, ModelSpec, Task, Training, TrainingError, Truth};
use crate::rng::Rng;

/// The model's name, as it is served and labelled.
pub const MODEL: &str = "recs";
/// The revisions, in the order they serve.
pub const REVISIONS: [&str; 3] = ["1", "2", "3"];
/// Rows each revision is trained on.
const TRAINING_ROWS: usize = 3_000;

/// Revision `version` of `recs`, untrained: it learns from what [`revisions`] gives it.
pub fn spec(version: &'static str) -> ModelSpec {
    ModelSpec {
        name: MODEL,
        version,
        description:
            "Recommendation click classifier, retrained on the clicks its predecessor's recommendations allowed",
        schema: recs_schema(),
        task: Task::Classifier { probability: "click_probability", label: "will_click" },
        truth: Truth::Class { logit: recs_logit },
        training_rows: TRAINING_ROWS,
        training: Training::GradientDescent(GradientDescent { epochs: 100, learning_rate: 1.0, l2: 1e-3 }),
    }
}

/// The click the shop records for a shopper whose true choice is `truth` (1 or 0), when the item
/// was `recommended` or not: an item not recommended goes unseen, and unclicked, with the
/// chance `influence`.
pub fn recorded(truth: f64, recommended: bool, influence: f64, rng: &mut Rng) -> f64 {
    if !recommended && rng.chance(influence) {
        0.0
    } else {
        truth
    }
}

/// Every revision, trained in turn from `seed`: the first on true choices, each next one on
/// fresh rows (the stream `train/recs/VERSION`) labelled as the shop recorded them while its
/// predecessor recommended.
pub fn revisions(seed: u64, influence: f64) -> Result<Vec<Model>, TrainingError> {
    let mut trained: Vec<Model> = Vec::with_capacity(REVISIONS.len());
    for version in REVISIONS {
        let spec = spec(version);
        let (rows, truth) = spec.examples(seed, &format!("train/{MODEL}/{version}"), spec.training_rows);
        let labels = match trained.last() {
            None => truth,
            Some(predecessor) => {
                let mut rng = Rng::stream(seed, &format!("exposure/{MODEL}/{version}"));
                let recommended = predecessor.score(&rows).into_iter().map(|p| p >= 0.5);
                truth.iter().zip(recommended).map(|(t, shown)| recorded(*t, shown, influence, &mut rng)).collect()
            }
        };
        trained.push(spec.fit(&rows, &labels)?);
    }
    Ok(trained)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shannon entropy in bits of a distribution given by its shares.
    fn entropy(shares: &[f64]) -> f64 {
        shares.iter().filter(|p| **p > 0.0).map(|p| -p * p.log2()).sum()
    }

    /// The Jensen–Shannon distance (base 2, so between 0 and 1) of two distributions.
    fn js_distance(p: &[f64], q: &[f64]) -> f64 {
        let m: Vec<f64> = p.iter().zip(q).map(|(a, b)| (a + b) / 2.0).collect();
        let divergence =
            |x: &[f64]| -> f64 { x.iter().zip(&m).filter(|(a, _)| **a > 0.0).map(|(a, b)| a * (a / b).log2()).sum() };
        ((divergence(p) + divergence(q)) / 2.0).max(0.0).sqrt()
    }

    /// Shares of 1 and 0 among 0/1 values.
    fn shares(values: impl Iterator<Item = bool>) -> [f64; 2] {
        let (mut ones, mut all) = (0.0, 0.0);
        for value in values {
            ones += f64::from(u8::from(value));
            all += 1.0;
        }
        [ones / all, 1.0 - ones / all]
    }

    /// What each revision does while it serves 20,000 fresh rows: the distribution of its
    /// predicted labels, and of the labels the shop records for them.
    fn served(influence: f64) -> Vec<([f64; 2], [f64; 2])> {
        let models = revisions(42, influence).expect("trains");
        let (rows, truth) = spec("1").examples(42, "served", 20_000);
        let mut rng = Rng::stream(42, "served/exposure");
        models
            .iter()
            .map(|model| {
                let recommended: Vec<bool> = model.score(&rows).into_iter().map(|p| p >= 0.5).collect();
                let labels: Vec<f64> =
                    truth.iter().zip(&recommended).map(|(t, r)| recorded(*t, *r, influence, &mut rng)).collect();
                (shares(recommended.iter().copied()), shares(labels.iter().map(|l| *l > 0.5)))
            })
            .collect()
    }

    #[test]
    fn with_influence_the_predictions_narrow_and_the_labels_converge_on_past_predictions() {
        let served = served(0.9);
        let entropies: Vec<f64> = served.iter().map(|(predicted, _)| entropy(predicted)).collect();
        // Each revision's predicted labels carry at least 10 % less entropy than its predecessor's
        // (0.98, 0.82, 0.64 bits with seed 42).
        for pair in entropies.windows(2) {
            assert!(pair[1] < 0.9 * pair[0], "entropy of the predictions by revision: {entropies:?}");
        }
        // The labels recorded under each revision come closer to its predecessor's predictions.
        let distances: Vec<f64> = served.windows(2).map(|pair| js_distance(&pair[1].1, &pair[0].0)).collect();
        assert!(distances[1] < distances[0], "JS distance of labels to the previous predictions: {distances:?}");
    }

    #[test]
    fn the_negative_control_retrained_on_fresh_truth_does_not_narrow() {
        let served = served(0.0);
        let entropies: Vec<f64> = served.iter().map(|(predicted, _)| entropy(predicted)).collect();
        // Fresh, uninfluenced labels: no revision loses more than 5 % of the first one's entropy.
        assert!(entropies.iter().all(|h| *h > 0.95 * entropies[0]), "entropy by revision: {entropies:?}");
    }

    #[test]
    fn the_same_seed_trains_the_same_revisions() {
        assert_eq!(revisions(7, 0.9).expect("trains"), revisions(7, 0.9).expect("trains"));
        assert_ne!(revisions(7, 0.9).expect("trains")[2], revisions(7, 0.0).expect("trains")[2]);
    }
}
