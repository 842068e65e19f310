//! The models the fleet serves, each trained at start-up from a seeded synthetic data set whose
//! labels come from a known rule with noise:
//!
//! | model | versions | task | output |
//! |---|---|---|---|
//! | `fraud` | `12` (stable), `13` (canary, retrained on more data) | card-payment fraud, logistic regression | `fraud_probability` FP64, `is_fraud` INT64 |
//! | `churn` | `v3` | subscriber churn within 90 days, logistic regression | `churn_probability` FP64, `will_churn` INT64 |
//! | `price` | `v7` | flat sale price in thousands of euros, linear regression | `price_keur` FP64 |
//! | `recs` | `1`, `2`, `3` (only with `feedback-loop`, trained by [`crate::feedback`]) | will a shopper click the recommended item, logistic regression | `click_probability` FP64, `will_click` INT64 |
//!
//! Their inputs (names, units, ranges, categories) are in [`fraud_schema`], [`churn_schema`],
//! [`price_schema`], [`recs_schema`], in the crate's README, and in each model's metadata.

use serde_json::{json, Value};

use crate::learn::{self, dot, sigmoid, Encoder, GradientDescent};
use crate::rng::Rng;
use crate::schema::{Distribution, Feature, FeatureValue, Row, Schema};

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Task {
    /// A probability and a 0/1 label (probability ≥ 0.5).
    Classifier { probability: &'static str, label: &'static str },
    /// One number.
    Regressor { value: &'static str },
}

/// How a model's training labels arise from a row.
#[derive(Debug, Clone, Copy)]
pub enum Truth {
    /// The label is 1 with probability `sigmoid(logit(row))`.
    Class { logit: fn(&Row) -> f64 },
    /// The target is `mean(row)` plus normal noise of this spread.
    Value { mean: fn(&Row) -> f64, noise: f64 },
}

impl Truth {
    /// The label of `row`: 1 or 0 drawn with the rule's probability, or the value with its noise.
    pub fn draw(&self, row: &Row, rng: &mut Rng) -> f64 {
        match self {
            Truth::Class { logit } => f64::from(u8::from(rng.chance(sigmoid(logit(row))))),
            Truth::Value { mean, noise } => mean(row) + noise * rng.normal(),
        }
    }
}

/// How a model is fitted.
#[derive(Debug, Clone, Copy)]
pub enum Training {
    GradientDescent(GradientDescent),
    /// Least squares by the normal equations, with this ridge penalty.
    NormalEquations {
        ridge: f64,
    },
}

/// A model before training: what it is, what it takes, and how it learns.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    pub name: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    pub schema: Schema,
    pub task: Task,
    pub truth: Truth,
    pub training_rows: usize,
    pub training: Training,
}

/// A trained model, ready to serve.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub version: String,
    pub description: String,
    pub schema: Schema,
    pub task: Task,
    encoder: Encoder,
    weights: Vec<f64>,
}

/// One output tensor of a prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: &'static str,
    pub datatype: &'static str,
    pub data: Vec<Value>,
}

/// Why a model could not be trained.
#[derive(Debug, thiserror::Error)]
#[error("model {model} {version} could not be trained: {reason}")]
pub struct TrainingError {
    model: &'static str,
    version: &'static str,
    reason: &'static str,
}

impl ModelSpec {
    /// `rows` examples drawn from the schema with their labels, from the named stream of `seed`.
    pub fn examples(&self, seed: u64, stream: &str, rows: usize) -> (Vec<Row>, Vec<f64>) {
        let mut rng = Rng::stream(seed, stream);
        let x: Vec<Row> = (0..rows).map(|_| self.schema.sample(&mut rng)).collect();
        let y = x.iter().map(|row| self.truth.draw(row, &mut rng)).collect();
        (x, y)
    }

    /// Trains the model on its training set (the stream `train/NAME/VERSION` of `seed`).
    pub fn train(&self, seed: u64) -> Result<Model, TrainingError> {
        let stream = format!("train/{}/{}", self.name, self.version);
        let (rows, labels) = self.examples(seed, &stream, self.training_rows);
        self.fit(&rows, &labels)
    }

    /// Trains the model on `rows` with these `labels` (one each), whatever they came from.
    pub fn fit(&self, rows: &[Row], labels: &[f64]) -> Result<Model, TrainingError> {
        let encoder = Encoder::fit(&self.schema, rows);
        let x: Vec<Vec<f64>> = rows.iter().map(|row| encoder.encode(row)).collect();
        let weights = match self.training {
            Training::GradientDescent(settings) => learn::logistic_regression(&x, labels, settings),
            Training::NormalEquations { ridge } => {
                learn::linear_regression(&x, labels, ridge).ok_or(TrainingError {
                    model: self.name,
                    version: self.version,
                    reason: "the training data is degenerate",
                })?
            }
        };
        Ok(Model {
            name: self.name.into(),
            version: self.version.into(),
            description: self.description.into(),
            schema: self.schema.clone(),
            task: self.task,
            encoder,
            weights,
        })
    }
}

impl Model {
    /// The model's raw score per row: a probability (classifier) or a value (regressor).
    pub fn score(&self, rows: &[Row]) -> Vec<f64> {
        rows.iter()
            .map(|row| {
                let z = dot(&self.weights, &self.encoder.encode(row));
                match self.task {
                    Task::Classifier { .. } => sigmoid(z),
                    Task::Regressor { .. } => z,
                }
            })
            .collect()
    }

    /// The output tensors for `rows`.
    pub fn predict(&self, rows: &[Row]) -> Vec<Output> {
        let scores = self.score(rows);
        match self.task {
            Task::Classifier { probability, label } => vec![
                Output {
                    name: probability,
                    datatype: "FP64",
                    data: scores.iter().map(|p| json!(round6(*p))).collect(),
                },
                Output {
                    name: label,
                    datatype: "INT64",
                    data: scores.iter().map(|p| json!(i64::from(*p >= 0.5))).collect(),
                },
            ],
            Task::Regressor { value } => {
                vec![Output { name: value, datatype: "FP64", data: scores.iter().map(|v| json!(round6(*v))).collect() }]
            }
        }
    }

    /// The model metadata's `outputs`.
    pub fn outputs_metadata(&self) -> Value {
        let tensor = |name: &str, datatype: &str| json!({"name": name, "datatype": datatype, "shape": [-1]});
        match self.task {
            Task::Classifier { probability, label } => json!([tensor(probability, "FP64"), tensor(label, "INT64")]),
            Task::Regressor { value } => json!([tensor(value, "FP64")]),
        }
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The number in column `index` of a row (0 for a category).
pub(crate) fn num(row: &Row, index: usize) -> f64 {
    match row.get(index) {
        Some(FeatureValue::Number(x)) => *x,
        _ => 0.0,
    }
}

/// The effect of the category in column `index`, from `effects` in category order.
pub(crate) fn effect(row: &Row, index: usize, effects: &[f64]) -> f64 {
    match row.get(index) {
        Some(FeatureValue::Category(category)) => effects.get(*category).copied().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Card payments: is this one fraudulent?
pub fn fraud_schema() -> Schema {
    use Distribution::*;
    Schema {
        features: vec![
            Feature::numeric("amount", "amount paid", "EUR").drawn(
                LogNormal { median: 45.0, sigma: 1.0 },
                0.5,
                20_000.0,
            ),
            Feature::numeric("account_age_days", "days since the card's account was opened", "days").whole().drawn(
                LogNormal { median: 400.0, sigma: 1.0 },
                1.0,
                7_300.0,
            ),
            Feature::numeric("distance_from_home_km", "distance from the card holder's home", "km").drawn(
                LogNormal { median: 8.0, sigma: 1.2 },
                0.01,
                5_000.0,
            ),
            Feature::numeric("transactions_24h", "payments with this card in the last 24 hours", "").whole().drawn(
                Normal { mean: 3.0, sd: 2.0 },
                0.0,
                40.0,
            ),
            Feature::categorical(
                "merchant_category",
                "what the merchant sells",
                &[
                    ("grocery", 0.30),
                    ("restaurants", 0.18),
                    ("fuel", 0.12),
                    ("electronics", 0.12),
                    ("travel", 0.10),
                    ("gaming", 0.08),
                    ("fashion", 0.10),
                ],
            ),
            Feature::categorical(
                "channel",
                "how the card was used",
                &[("in_store", 0.55), ("online", 0.35), ("mobile", 0.10)],
            ),
        ],
    }
}

pub(crate) fn fraud_logit(row: &Row) -> f64 {
    -3.4 + 0.9 * (num(row, 0) / 45.0).ln() - 0.6 * (num(row, 1) / 400.0).ln()
        + 0.45 * (num(row, 2) / 8.0).ln()
        + 0.15 * (num(row, 3) - 3.0)
        + effect(row, 4, &[-0.3, 0.0, 0.0, 0.9, 0.6, 1.1, 0.3])
        + effect(row, 5, &[-0.4, 0.8, 0.5])
}

/// Subscribers: will this one cancel within 90 days?
pub fn churn_schema() -> Schema {
    use Distribution::*;
    Schema {
        features: vec![
            Feature::numeric("tenure_months", "months as a subscriber", "months").whole().drawn(
                Uniform { low: 0.0, high: 72.0 },
                0.0,
                72.0,
            ),
            Feature::numeric("monthly_charges", "the monthly bill", "EUR").drawn(
                Normal { mean: 70.0, sd: 25.0 },
                18.0,
                130.0,
            ),
            Feature::numeric("support_calls_90d", "calls to support in the last 90 days", "").whole().drawn(
                Normal { mean: 1.5, sd: 1.5 },
                0.0,
                15.0,
            ),
            Feature::numeric("data_usage_gb", "mobile data used last month", "GB").drawn(
                LogNormal { median: 12.0, sigma: 0.8 },
                0.1,
                500.0,
            ),
            Feature::categorical(
                "contract",
                "contract length",
                &[("month_to_month", 0.55), ("one_year", 0.25), ("two_year", 0.20)],
            ),
            Feature::categorical(
                "payment_method",
                "how the bill is paid",
                &[("card", 0.30), ("bank_transfer", 0.25), ("electronic_check", 0.30), ("mailed_check", 0.15)],
            ),
        ],
    }
}

pub(crate) fn churn_logit(row: &Row) -> f64 {
    -0.9 - 0.045 * (num(row, 0) - 36.0) + 0.025 * (num(row, 1) - 70.0) + 0.45 * (num(row, 2) - 1.5)
        - 0.3 * (num(row, 3) / 12.0).ln()
        + effect(row, 4, &[0.9, -0.5, -1.6])
        + effect(row, 5, &[-0.2, -0.2, 0.6, 0.1])
}

/// Flats for sale: what will this one sell for, in thousands of euros?
pub fn price_schema() -> Schema {
    use Distribution::*;
    Schema {
        features: vec![
            Feature::numeric("living_area_m2", "living area", "m²").drawn(Normal { mean: 90.0, sd: 30.0 }, 20.0, 400.0),
            Feature::numeric("rooms", "number of rooms", "").whole().drawn(Normal { mean: 3.2, sd: 1.1 }, 1.0, 9.0),
            Feature::numeric("building_age_years", "age of the building", "years").whole().drawn(
                Uniform { low: 0.0, high: 110.0 },
                0.0,
                110.0,
            ),
            Feature::numeric("distance_to_centre_km", "distance to the city centre", "km").drawn(
                LogNormal { median: 6.0, sigma: 0.7 },
                0.2,
                60.0,
            ),
            Feature::categorical(
                "neighbourhood",
                "where the flat is",
                &[("centre", 0.15), ("riverside", 0.15), ("north", 0.25), ("south", 0.25), ("suburbs", 0.20)],
            ),
            Feature::categorical(
                "condition",
                "state of the flat",
                &[("new", 0.15), ("good", 0.60), ("needs_work", 0.25)],
            ),
        ],
    }
}

pub(crate) fn price_mean(row: &Row) -> f64 {
    40.0 + 3.2 * num(row, 0) + 9.0 * num(row, 1) - 0.7 * num(row, 2) - 35.0 * (num(row, 3) / 6.0).ln()
        + effect(row, 4, &[120.0, 80.0, 20.0, 0.0, -30.0])
        + effect(row, 5, &[45.0, 0.0, -55.0])
}

/// Recommendations shown to shoppers: will this one click the item recommended to them? Served
/// only in the `feedback-loop` scenario (see [`crate::feedback`]).
pub fn recs_schema() -> Schema {
    use Distribution::*;
    Schema {
        features: vec![
            Feature::numeric("visits_30d", "visits to the shop in the last 30 days", "").whole().drawn(
                LogNormal { median: 6.0, sigma: 0.8 },
                1.0,
                200.0,
            ),
            Feature::numeric("item_price", "price of the recommended item", "EUR").drawn(
                LogNormal { median: 30.0, sigma: 0.9 },
                1.0,
                2_000.0,
            ),
            Feature::numeric("item_rating", "the item's average rating", "stars").drawn(
                Normal { mean: 3.8, sd: 0.6 },
                1.0,
                5.0,
            ),
            Feature::numeric("minutes_on_site", "minutes on the site in this visit", "min").drawn(
                LogNormal { median: 5.0, sigma: 0.7 },
                0.1,
                240.0,
            ),
            Feature::categorical(
                "item_category",
                "what the item is",
                &[("books", 0.25), ("music", 0.15), ("games", 0.20), ("home", 0.25), ("sport", 0.15)],
            ),
            Feature::categorical("device", "where the shopper is", &[("mobile", 0.6), ("desktop", 0.4)]),
        ],
    }
}

pub(crate) fn recs_logit(row: &Row) -> f64 {
    -0.3 + 0.6 * (num(row, 0) / 6.0).ln() - 0.5 * (num(row, 1) / 30.0).ln()
        + 0.9 * (num(row, 2) - 3.8)
        + 0.5 * (num(row, 3) / 5.0).ln()
        + effect(row, 4, &[0.3, -0.2, 0.4, -0.3, 0.0])
        + effect(row, 5, &[-0.2, 0.3])
}

/// Every model the fleet serves, untrained.
pub fn catalog() -> Vec<ModelSpec> {
    let fraud = |version, description, training_rows, epochs, l2| ModelSpec {
        name: "fraud",
        version,
        description,
        schema: fraud_schema(),
        task: Task::Classifier { probability: "fraud_probability", label: "is_fraud" },
        truth: Truth::Class { logit: fraud_logit },
        training_rows,
        training: Training::GradientDescent(GradientDescent { epochs, learning_rate: 1.0, l2 }),
    };
    vec![
        fraud("12", "Card-payment fraud classifier, stable version", 3_000, 100, 1e-3),
        fraud("13", "Card-payment fraud classifier, canary: retrained on more data", 5_000, 120, 1e-4),
        ModelSpec {
            name: "churn",
            version: "v3",
            description: "Subscriber churn (cancels within 90 days) classifier",
            schema: churn_schema(),
            task: Task::Classifier { probability: "churn_probability", label: "will_churn" },
            truth: Truth::Class { logit: churn_logit },
            training_rows: 3_000,
            training: Training::GradientDescent(GradientDescent { epochs: 100, learning_rate: 1.0, l2: 1e-3 }),
        },
        ModelSpec {
            name: "price",
            version: "v7",
            description: "Flat sale price regressor, in thousands of euros",
            schema: price_schema(),
            task: Task::Regressor { value: "price_keur" },
            truth: Truth::Value { mean: price_mean, noise: 25.0 },
            training_rows: 4_000,
            training: Training::NormalEquations { ridge: 1e-6 },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, version: &str) -> ModelSpec {
        catalog().into_iter().find(|s| s.name == name && s.version == version).expect("in the catalog")
    }

    /// Area under the ROC curve: the chance a random positive scores above a random negative.
    fn auc(scores: &[f64], labels: &[f64]) -> f64 {
        let mut pairs: Vec<(f64, f64)> = scores.iter().copied().zip(labels.iter().copied()).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut negatives_below, mut wins, mut positives) = (0.0, 0.0, 0.0);
        for (_, label) in pairs {
            if label > 0.5 {
                wins += negatives_below;
                positives += 1.0;
            } else {
                negatives_below += 1.0;
            }
        }
        wins / (positives * negatives_below)
    }

    fn held_out_auc(spec: &ModelSpec, model: &Model) -> f64 {
        let (rows, labels) = spec.examples(42, "held-out", 4_000);
        auc(&model.score(&rows), &labels)
    }

    #[test]
    fn same_seed_same_weights_other_seed_other_weights() {
        for spec in catalog() {
            let (a, b, c) = (spec.train(42).unwrap(), spec.train(42).unwrap(), spec.train(43).unwrap());
            assert_eq!(a, b, "{} {}", spec.name, spec.version);
            assert_ne!(a.weights, c.weights, "{} {}", spec.name, spec.version);
        }
    }

    #[test]
    fn classifiers_rank_held_out_examples_well() {
        // The bar: an AUC of 0.80 on 4,000 fresh examples (the rule that drew the labels scores 0.83 to 0.84;
        // labels are noisy by construction).
        for (name, version) in [("fraud", "12"), ("fraud", "13"), ("churn", "v3")] {
            let spec = spec(name, version);
            let model = spec.train(42).unwrap();
            let auc = held_out_auc(&spec, &model);
            assert!(auc > 0.80, "{name} {version}: AUC {auc}");
        }
    }

    #[test]
    fn the_price_regressor_explains_most_of_the_variance() {
        let spec = spec("price", "v7");
        let model = spec.train(42).unwrap();
        let (rows, prices) = spec.examples(42, "held-out", 4_000);
        let predicted = model.score(&rows);
        let mean = prices.iter().sum::<f64>() / prices.len() as f64;
        let residual: f64 = prices.iter().zip(&predicted).map(|(y, p)| (y - p).powi(2)).sum();
        let total: f64 = prices.iter().map(|y| (y - mean).powi(2)).sum();
        let r2 = 1.0 - residual / total;
        assert!(r2 > 0.85, "R² {r2}");
    }

    #[test]
    fn predictions_have_the_documented_outputs() {
        let spec = spec("fraud", "12");
        let model = spec.train(1).unwrap();
        let (rows, _) = spec.examples(1, "rows", 3);
        let outputs = model.predict(&rows);
        assert_eq!(
            outputs.iter().map(|o| (o.name, o.datatype, o.data.len())).collect::<Vec<_>>(),
            [("fraud_probability", "FP64", 3), ("is_fraud", "INT64", 3)]
        );
        assert_eq!(model.outputs_metadata()[1]["name"], "is_fraud");
    }
}
