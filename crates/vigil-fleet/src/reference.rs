//! Reference data for the fleet's models: rows drawn from the distributions a model was
//! trained on, with its outputs and the true outcome, written as CSV, the way a team exports a
//! labelled validation set for Vigil's drift reports and performance estimates
//! (`vigil drift reference --prediction P --target target`). The demo imports it for each model,
//! so the `drift` scenario's shift shows against it and CBPE is calibrated on its labels.

use std::fmt::Write;

use crate::models::{Model, Truth};
use crate::rng::Rng;
use crate::schema::FeatureValue;

/// The name of the true outcome's column in [`reference_csv`].
pub const TARGET_COLUMN: &str = "target";

/// `rows` rows of `model`'s features as trained (the stream `reference/NAME` of `seed`), its
/// outputs for them (a classifier's probability and label, or a regressor's value) and the true
/// outcome drawn by `truth` (the stream `reference-truth/NAME`), as CSV with a header line.
pub fn reference_csv(model: &Model, truth: Truth, seed: u64, rows: usize) -> String {
    let mut rng = Rng::stream(seed, &format!("reference/{}", model.name));
    let examples: Vec<_> = (0..rows).map(|_| model.schema.sample(&mut rng)).collect();
    let mut truth_rng = Rng::stream(seed, &format!("reference-truth/{}", model.name));
    let outputs = model.predict(&examples);
    let features = &model.schema.features;
    let mut header: Vec<&str> = features.iter().map(|feature| feature.name).collect();
    header.extend(outputs.iter().map(|output| output.name));
    header.push(TARGET_COLUMN);
    let mut csv = header.join(",") + "\n";
    for (index, row) in examples.iter().enumerate() {
        let values = row.iter().zip(features).map(|(value, feature)| match value {
            FeatureValue::Number(number) => number.to_string(),
            FeatureValue::Category(category) => feature.category_names()[*category].to_owned(),
        });
        let predicted = outputs.iter().map(|output| output.data[index].to_string());
        let target = truth.draw(row, &mut truth_rng).to_string();
        let _ = writeln!(csv, "{}", values.chain(predicted).chain([target]).collect::<Vec<_>>().join(","));
    }
    csv
}

/// The name of `model`'s prediction column in [`reference_csv`]: its first output (the
/// probability, or the value).
pub fn prediction_column(model: &Model) -> &'static str {
    model.predict(&[]).first().map_or("prediction", |output| output.name)
}

/// The outputs of `model` in [`reference_csv`] beside its prediction column (a classifier's
/// label): the model's answer, not a feature to test for drift.
pub fn other_outputs(model: &Model) -> Vec<&'static str> {
    model.predict(&[]).iter().skip(1).map(|output| output.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::catalog;

    #[test]
    fn a_reference_has_every_feature_the_outputs_and_the_truth_with_a_row_each() {
        let spec = catalog().into_iter().find(|spec| spec.name == "churn").unwrap();
        let model = spec.train(7).unwrap();
        let csv = reference_csv(&model, spec.truth, 7, 50);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 51);
        let header: Vec<&str> = lines[0].split(',').collect();
        assert_eq!(header.len(), model.schema.features.len() + 3, "the features, probability, label and target");
        assert_eq!(header[header.len() - 3..], ["churn_probability", "will_churn", "target"]);
        assert_eq!((prediction_column(&model), other_outputs(&model)), ("churn_probability", vec!["will_churn"]));
        assert!(lines[1..].iter().all(|line| line.split(',').count() == header.len()));
        let targets: Vec<&str> = lines[1..].iter().filter_map(|line| line.rsplit(',').next()).collect();
        assert!(targets.iter().all(|t| *t == "0" || *t == "1"), "a classifier's truth is 0 or 1: {targets:?}");
        assert!(targets.contains(&"0") && targets.contains(&"1"), "both outcomes among 50 rows");
        assert_eq!(csv, reference_csv(&model, spec.truth, 7, 50), "the same seed draws the same rows");
    }
}
