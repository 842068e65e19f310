//! Reference data for the fleet's models: rows drawn from the distributions a model was
//! trained on, with its predictions, written as CSV, the way a team exports a training set for
//! Vigil's drift reports (`vigil drift reference`). The demo imports it for each model, so the
//! `drift` scenario's shift shows against it.

use std::fmt::Write;

use crate::models::Model;
use crate::rng::Rng;
use crate::schema::FeatureValue;

/// `rows` rows of `model`'s features as trained (the stream `reference/NAME` of `seed`) and
/// its prediction for them (its first output: the probability, or the value), as CSV with a
/// header line.
pub fn reference_csv(model: &Model, seed: u64, rows: usize) -> String {
    let mut rng = Rng::stream(seed, &format!("reference/{}", model.name));
    let examples: Vec<_> = (0..rows).map(|_| model.schema.sample(&mut rng)).collect();
    let outputs: Vec<_> = model.predict(&examples).into_iter().take(1).collect();
    let features = &model.schema.features;
    let mut header: Vec<&str> = features.iter().map(|feature| feature.name).collect();
    header.extend(outputs.iter().map(|output| output.name));
    let mut csv = header.join(",") + "\n";
    for (index, row) in examples.iter().enumerate() {
        let values = row.iter().zip(features).map(|(value, feature)| match value {
            FeatureValue::Number(number) => number.to_string(),
            FeatureValue::Category(category) => feature.category_names()[*category].to_owned(),
        });
        let predicted = outputs.iter().map(|output| output.data[index].to_string());
        let _ = writeln!(csv, "{}", values.chain(predicted).collect::<Vec<_>>().join(","));
    }
    csv
}

/// The name of `model`'s prediction column in [`reference_csv`].
pub fn prediction_column(model: &Model) -> &'static str {
    model.predict(&[]).first().map_or("prediction", |output| output.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::catalog;

    #[test]
    fn a_reference_has_every_feature_and_the_outputs_with_a_row_each() {
        let spec = catalog().into_iter().find(|spec| spec.name == "churn").unwrap();
        let model = spec.train(7).unwrap();
        let csv = reference_csv(&model, 7, 50);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 51);
        let header: Vec<&str> = lines[0].split(',').collect();
        assert_eq!(header.len(), model.schema.features.len() + 1, "the features and the probability");
        assert!(header.contains(&"churn_probability") && header.contains(&"contract"), "{header:?}");
        assert_eq!(prediction_column(&model), "churn_probability");
        assert!(lines[1..].iter().all(|line| line.split(',').count() == header.len()));
        assert_eq!(csv, reference_csv(&model, 7, 50), "the same seed draws the same rows");
    }
}
