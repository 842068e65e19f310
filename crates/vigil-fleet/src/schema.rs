//! A model's input schema: its features, what each means, the distribution each is drawn from
//! (for training data and for traffic), and how the fleet describes them in model metadata.
//!
//! A feature is numeric (a number within a range, maybe whole) or categorical (one of a fixed
//! set of strings). Drift is expressed here too: a [`Drift`] shifts a numeric feature's centre
//! and spread, or changes a categorical feature's mix.

use serde_json::{json, Value};

use crate::rng::Rng;

/// How a numeric feature's values are spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    Normal {
        mean: f64,
        sd: f64,
    },
    /// `exp(N(ln median, sigma))`: skewed, positive (amounts, distances). Models read such a
    /// feature as its logarithm.
    LogNormal {
        median: f64,
        sigma: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
}

impl Distribution {
    fn sample(self, rng: &mut Rng) -> f64 {
        match self {
            Distribution::Normal { mean, sd } => mean + sd * rng.normal(),
            Distribution::LogNormal { median, sigma } => median * (sigma * rng.normal()).exp(),
            Distribution::Uniform { low, high } => rng.between(low, high),
        }
    }

    /// This distribution with its centre moved by `shift` standard deviations (of the log, for a
    /// log-normal) and its spread multiplied by `spread`.
    fn drifted(self, shift: f64, spread: f64) -> Distribution {
        match self {
            Distribution::Normal { mean, sd } => Distribution::Normal { mean: mean + shift * sd, sd: sd * spread },
            Distribution::LogNormal { median, sigma } => {
                Distribution::LogNormal { median: median * (shift * sigma).exp(), sigma: sigma * spread }
            }
            Distribution::Uniform { low, high } => {
                let (centre, half) = ((low + high) / 2.0, (high - low) / 2.0);
                let centre = centre + shift * half * 2.0 / 12f64.sqrt();
                Distribution::Uniform { low: centre - half * spread, high: centre + half * spread }
            }
        }
    }
}

/// What values a feature takes.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureKind {
    /// A number in `[min, max]` (drawn values are clipped to it), whole when `integer`.
    Numeric { distribution: Distribution, min: f64, max: f64, integer: bool, unit: &'static str },
    /// One of `categories`, drawn with the paired weights.
    Categorical { categories: Vec<(&'static str, f64)> },
}

/// One input of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub name: &'static str,
    pub description: &'static str,
    pub kind: FeatureKind,
}

impl Feature {
    pub fn numeric(name: &'static str, description: &'static str, unit: &'static str) -> NumericBuilder {
        NumericBuilder { name, description, unit, integer: false }
    }

    pub fn categorical(name: &'static str, description: &'static str, categories: &[(&'static str, f64)]) -> Feature {
        Feature { name, description, kind: FeatureKind::Categorical { categories: categories.to_vec() } }
    }

    /// The Open Inference Protocol datatype requests use for this feature.
    pub fn datatype(&self) -> &'static str {
        match self.kind {
            FeatureKind::Numeric { integer: true, .. } => "INT64",
            FeatureKind::Numeric { .. } => "FP64",
            FeatureKind::Categorical { .. } => "BYTES",
        }
    }

    /// The category names of a categorical feature, in order (empty for numeric ones).
    pub fn category_names(&self) -> Vec<&'static str> {
        match &self.kind {
            FeatureKind::Categorical { categories } => categories.iter().map(|(name, _)| *name).collect(),
            FeatureKind::Numeric { .. } => Vec::new(),
        }
    }

    fn sample(&self, rng: &mut Rng) -> FeatureValue {
        match &self.kind {
            FeatureKind::Numeric { distribution, min, max, integer, .. } => {
                let value = distribution.sample(rng).clamp(*min, *max);
                FeatureValue::Number(if *integer { value.round() } else { (value * 100.0).round() / 100.0 })
            }
            FeatureKind::Categorical { categories } => {
                let weights: Vec<f64> = categories.iter().map(|(_, weight)| *weight).collect();
                FeatureValue::Category(rng.weighted(&weights))
            }
        }
    }

    /// How model metadata describes this input: name, datatype, shape, and in `parameters` its
    /// meaning and its range or categories.
    pub fn metadata(&self) -> Value {
        let parameters = match &self.kind {
            FeatureKind::Numeric { min, max, unit, .. } => {
                json!({"description": self.description, "unit": unit, "min": min, "max": max})
            }
            FeatureKind::Categorical { .. } => {
                json!({"description": self.description, "categories": self.category_names()})
            }
        };
        json!({"name": self.name, "datatype": self.datatype(), "shape": [-1], "parameters": parameters})
    }
}

/// Builds a numeric [`Feature`] step by step: `Feature::numeric(..).whole().drawn(..)`.
pub struct NumericBuilder {
    name: &'static str,
    description: &'static str,
    unit: &'static str,
    integer: bool,
}

impl NumericBuilder {
    /// Values are whole numbers.
    pub fn whole(self) -> NumericBuilder {
        NumericBuilder { integer: true, ..self }
    }

    /// Values are drawn from `distribution` and clipped to `[min, max]`.
    pub fn drawn(self, distribution: Distribution, min: f64, max: f64) -> Feature {
        let kind = FeatureKind::Numeric { distribution, min, max, integer: self.integer, unit: self.unit };
        Feature { name: self.name, description: self.description, kind }
    }
}

/// One feature's value in a row: a number, or the index of a category.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FeatureValue {
    Number(f64),
    Category(usize),
}

/// One example: a value per feature of the schema, in the schema's order.
pub type Row = Vec<FeatureValue>;

/// How the inputs a model takes drift away from what it was trained on.
#[derive(Debug, Clone, PartialEq)]
pub enum Drift {
    /// A numeric feature's centre moves by `shift` standard deviations and its spread is
    /// multiplied by `spread`.
    Numeric { feature: &'static str, shift: f64, spread: f64 },
    /// A categorical feature's categories come with new weights (categories not named keep
    /// theirs).
    Mix { feature: &'static str, weights: Vec<(&'static str, f64)> },
}

impl Drift {
    /// Changes `feature`'s distribution if this drift names it and is of its kind.
    fn apply(&self, feature: &mut Feature) {
        match (self, &mut feature.kind) {
            (Drift::Numeric { feature: name, shift, spread }, FeatureKind::Numeric { distribution, .. })
                if *name == feature.name =>
            {
                *distribution = distribution.drifted(*shift, *spread);
            }
            (Drift::Mix { feature: name, weights }, FeatureKind::Categorical { categories })
                if *name == feature.name =>
            {
                for (category, weight) in categories.iter_mut() {
                    if let Some((_, new)) = weights.iter().find(|(name, _)| name == category) {
                        *weight = *new;
                    }
                }
            }
            _ => {}
        }
    }
}

/// A model's inputs, in the order rows hold them.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub features: Vec<Feature>,
}

impl Schema {
    /// One row drawn from the features' distributions.
    pub fn sample(&self, rng: &mut Rng) -> Row {
        self.features.iter().map(|feature| feature.sample(rng)).collect()
    }

    /// This schema with `drifts` applied to the features they name.
    pub fn drifted(&self, drifts: &[Drift]) -> Schema {
        let mut schema = self.clone();
        for feature in &mut schema.features {
            drifts.iter().for_each(|drift| drift.apply(feature));
        }
        schema
    }

    /// The model metadata's `inputs`.
    pub fn metadata(&self) -> Value {
        Value::Array(self.features.iter().map(Feature::metadata).collect())
    }

    /// `rows` as the `inputs` of an Open Inference Protocol request: one tensor per feature.
    pub fn request_inputs(&self, rows: &[Row]) -> Value {
        let tensors = self.features.iter().enumerate().map(|(column, feature)| {
            let data: Vec<Value> = rows
                .iter()
                .map(|row| match (row[column], &feature.kind) {
                    (FeatureValue::Number(x), FeatureKind::Numeric { integer: true, .. }) => json!(x as i64),
                    (FeatureValue::Number(x), _) => json!(x),
                    (FeatureValue::Category(index), _) => json!(feature.category_names().get(index)),
                })
                .collect();
            json!({"name": feature.name, "shape": [rows.len()], "datatype": feature.datatype(), "data": data})
        });
        Value::Array(tensors.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema {
            features: vec![
                Feature::numeric("amount", "paid", "EUR").drawn(
                    Distribution::LogNormal { median: 50.0, sigma: 0.5 },
                    1.0,
                    1e4,
                ),
                Feature::numeric("items", "count", "").whole().drawn(
                    Distribution::Normal { mean: 3.0, sd: 1.0 },
                    1.0,
                    9.0,
                ),
                Feature::categorical("channel", "where", &[("web", 0.8), ("store", 0.2)]),
            ],
        }
    }

    fn mean_of(schema: &Schema, column: usize, rng: &mut Rng) -> f64 {
        let values: Vec<f64> = (0..20_000)
            .map(|_| match schema.sample(rng)[column] {
                FeatureValue::Number(x) => x,
                FeatureValue::Category(i) => i as f64,
            })
            .collect();
        values.iter().sum::<f64>() / values.len() as f64
    }

    #[test]
    fn rows_follow_the_schema_and_clip_to_its_ranges() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let row = schema().sample(&mut rng);
            let FeatureValue::Number(items) = row[1] else { panic!("numeric") };
            assert!((1.0..=9.0).contains(&items) && items.fract() == 0.0, "{items}");
            assert!(matches!(row[2], FeatureValue::Category(0 | 1)));
        }
        // Share of "store" is 0.2.
        assert!((mean_of(&schema(), 2, &mut rng) - 0.2).abs() < 0.02);
    }

    #[test]
    fn drift_moves_centres_and_changes_the_mix() {
        let drifted = schema().drifted(&[
            Drift::Numeric { feature: "amount", shift: 1.0, spread: 1.5 },
            Drift::Mix { feature: "channel", weights: vec![("store", 0.8)] },
        ]);
        let mut rng = Rng::new(2);
        assert!(mean_of(&drifted, 0, &mut rng) > 1.5 * mean_of(&schema(), 0, &mut rng));
        assert!((mean_of(&drifted, 2, &mut rng) - 0.5).abs() < 0.02, "web 0.8 vs store 0.8");
        assert_eq!(drifted.features[1], schema().features[1], "features not named stay");
    }

    #[test]
    fn metadata_and_request_inputs_name_each_feature_with_its_datatype() {
        let inputs = schema().metadata();
        assert_eq!(inputs[1]["datatype"], "INT64");
        assert_eq!(inputs[2]["parameters"]["categories"], json!(["web", "store"]));
        let rows = vec![vec![FeatureValue::Number(12.5), FeatureValue::Number(2.0), FeatureValue::Category(1)]];
        let request = schema().request_inputs(&rows);
        assert_eq!(request[0], json!({"name": "amount", "shape": [1], "datatype": "FP64", "data": [12.5]}));
        assert_eq!(request[1]["data"], json!([2]));
        assert_eq!(request[2]["data"], json!(["store"]));
    }
}
