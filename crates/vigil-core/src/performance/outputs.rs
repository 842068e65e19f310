//! Which of a model's outputs is its prediction, decided from what Vigil was told and never
//! guessed from the values.
//!
//! The rule, from the model's metadata as its server gave it (`outputs`: name, datatype, shape):
//! - one integer, boolean or text (BYTES) output with one value a row is the **class label**;
//!   a single floating-point output with one value a row beside it is the **probability of
//!   class 1** (a binary classifier's; when a model declares 0 its positive class, the report
//!   reads it as 1 − p); with more than one beside it, none is taken;
//! - a model whose only output is floating point with one value a row is a **regressor**, that
//!   output its **value**;
//! - anything else (two label candidates, only wide outputs, no outputs) cannot be told.
//!
//! Without metadata, from the model's reference: a binary or categorical prediction column is the
//! class label; a numeric one is a regressor's value when the reference's target is numeric too.
//! A numeric prediction beside no numeric target may be a value or a probability: it cannot be
//! told. When it cannot be told, no prediction is logged and the report says why.
//!
//! A response's only output is read under the reference's prediction name when there is one (as
//! `drift/payload.rs` names it), so the rule names it so too.

use serde_json::Value;
use sqlx::AnyConnection;

use crate::drift::reference::ReferenceSummary;
use crate::drift::schema::ColumnUse;
use crate::Result;
use vigil_drift_stats::ColumnKind;

/// Where a model's prediction is among the columns its responses are read into.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputRule {
    Classifier {
        label: String,
        probability: Option<String>,
    },
    Regressor {
        value: String,
    },
    /// Vigil cannot tell which output is the prediction; this says why and what to do.
    Unknown(String),
}

/// The rule of each revision of a model whose metadata says, and the one for the others.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOutputs {
    by_version: Vec<(String, OutputRule)>,
    otherwise: OutputRule,
}

impl ModelOutputs {
    /// `rule` for every revision, as for a model whose revisions all have the same metadata.
    pub fn for_every_version(rule: OutputRule) -> ModelOutputs {
        ModelOutputs { by_version: Vec::new(), otherwise: rule }
    }

    /// The rule for `version` ("" when the payload named none).
    pub fn for_version(&self, version: &str) -> &OutputRule {
        self.by_version.iter().find(|(known, _)| known == version).map_or(&self.otherwise, |(_, rule)| rule)
    }
}

/// One output as the metadata declares it.
struct Declared<'a> {
    name: &'a str,
    datatype: &'a str,
    /// Values a row: the product of the shape past its first (batch) dimension; None when unknown.
    width: Option<u64>,
}

/// The rule a revision's metadata (JSON, as stored) gives; None when it declares no outputs.
/// `single_name` is what a lone output is read as (the reference's prediction column).
pub fn from_metadata(metadata: &str, single_name: Option<&str>) -> Option<OutputRule> {
    let json: Value = serde_json::from_str(metadata).ok()?;
    let outputs: Vec<Declared<'_>> = json
        .get("outputs")?
        .as_array()?
        .iter()
        .filter_map(|output| {
            let width = match output.get("shape").and_then(Value::as_array) {
                // None for a dimension that is not a count, or a width past u64 (no width).
                Some(shape) => shape.iter().skip(1).try_fold(1u64, |width, dim| width.checked_mul(dim.as_u64()?)),
                None => Some(1),
            };
            Some(Declared {
                name: output.get("name")?.as_str()?,
                datatype: output.get("datatype").and_then(Value::as_str).unwrap_or(""),
                width,
            })
        })
        .collect();
    if outputs.is_empty() {
        return None;
    }
    let name = |output: &Declared<'_>| match (outputs.len(), single_name) {
        (1, Some(single)) => single.to_owned(),
        _ => output.name.to_owned(),
    };
    let one_a_row = |output: &&Declared<'_>| output.width == Some(1);
    let labels: Vec<&Declared<'_>> = outputs.iter().filter(one_a_row).filter(|o| is_label(o.datatype)).collect();
    let floats: Vec<&Declared<'_>> = outputs.iter().filter(one_a_row).filter(|o| is_float(o.datatype)).collect();
    let listed = || outputs.iter().map(|o| format!("{} ({})", o.name, o.datatype)).collect::<Vec<_>>().join(", ");
    Some(match (labels.as_slice(), floats.as_slice()) {
        ([label], [probability]) => OutputRule::Classifier { label: name(label), probability: Some(name(probability)) },
        ([label], _) => OutputRule::Classifier { label: name(label), probability: None },
        ([], [value]) if outputs.len() == 1 => OutputRule::Regressor { value: name(value) },
        ([], _) => OutputRule::Unknown(format!(
            "the model's outputs ({}) hold no integer, boolean or text class label, and are not a single \
             floating-point value a row",
            listed()
        )),
        _ => OutputRule::Unknown(format!(
            "the model's outputs ({}) hold more than one integer, boolean or text output, so Vigil cannot tell \
             which is the class label",
            listed()
        )),
    })
}

fn is_label(datatype: &str) -> bool {
    let datatype = datatype.to_ascii_uppercase();
    datatype.starts_with("INT") || datatype.starts_with("UINT") || datatype == "BOOL" || datatype == "BYTES"
}

fn is_float(datatype: &str) -> bool {
    let datatype = datatype.to_ascii_uppercase();
    datatype.starts_with("FP") || datatype == "BF16"
}

/// The rule the model's reference gives (its prediction column's kind, its target's).
pub fn from_reference(reference: Option<&ReferenceSummary>) -> OutputRule {
    let unknown = "neither the model's metadata nor its reference says which output is the prediction: let Vigil \
                   poll the server that serves it (it reads the outputs' datatypes from the model's metadata), or \
                   import reference data naming the prediction column (--prediction)";
    let Some(reference) = reference else { return OutputRule::Unknown(unknown.to_owned()) };
    let kind = |column: &Option<String>| {
        let name = column.as_ref()?;
        reference.columns.iter().find(|c| &c.name == name).and_then(|c| match c.column_use {
            ColumnUse::Test { kind } => Some(kind),
            ColumnUse::Skip { .. } => None,
        })
    };
    let Some(prediction) = reference.prediction.clone() else { return OutputRule::Unknown(unknown.to_owned()) };
    match (kind(&reference.prediction), kind(&reference.target)) {
        (Some(ColumnKind::Binary | ColumnKind::Categorical), _) => {
            OutputRule::Classifier { label: prediction, probability: None }
        }
        (Some(ColumnKind::Numeric), Some(ColumnKind::Numeric)) => OutputRule::Regressor { value: prediction },
        _ => OutputRule::Unknown(format!(
            "the reference's prediction column {prediction} is numeric, which may be a regressor's value or a \
             probability, and Vigil has no metadata of the model's outputs to tell: let Vigil poll the server \
             that serves it, or import reference data with a numeric target column (--target)"
        )),
    }
}

/// The rules of `model`: each revision's metadata (from any server), else its reference.
pub async fn of_model(
    conn: &mut AnyConnection,
    model: &str,
    reference: Option<&ReferenceSummary>,
) -> Result<ModelOutputs> {
    let single_name = reference.and_then(|reference| reference.prediction.as_deref());
    let revisions = crate::revisions::metadata_of_model(conn, model).await?;
    let by_version: Vec<(String, OutputRule)> = revisions
        .iter()
        .filter_map(|(version, metadata)| Some((version.clone(), from_metadata(metadata, single_name)?)))
        .collect();
    // A revision never polled is most likely shaped as the newest one that was.
    let otherwise = by_version.last().map_or_else(|| from_reference(reference), |(_, rule)| rule.clone());
    Ok(ModelOutputs { by_version, otherwise })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(outputs: serde_json::Value) -> String {
        serde_json::json!({ "name": "m", "outputs": outputs }).to_string()
    }

    #[test]
    fn an_integer_output_is_the_label_and_the_float_beside_it_the_probability() {
        let json = metadata(serde_json::json!([
            {"name": "fraud_probability", "datatype": "FP64", "shape": [-1]},
            {"name": "is_fraud", "datatype": "INT64", "shape": [-1]}]));
        assert_eq!(
            from_metadata(&json, Some("fraud_probability")),
            Some(OutputRule::Classifier { label: "is_fraud".into(), probability: Some("fraud_probability".into()) })
        );
        let bools = metadata(serde_json::json!([{"name": "spam", "datatype": "BOOL", "shape": [-1, 1]}]));
        assert_eq!(
            from_metadata(&bools, Some("prediction")),
            Some(OutputRule::Classifier { label: "prediction".into(), probability: None }),
            "a lone output is read under the reference's prediction name"
        );
    }

    #[test]
    fn a_shape_whose_width_overflows_is_no_width_not_a_crash() {
        // Found by fuzzing: the width of a row overflowed.
        let found = include_str!("../../../../fuzz/regressions/model_metadata/shape-overflowing-u64.json");
        assert_eq!(from_metadata(found, None), None, "its one output has no name");
        let huge = metadata(
            serde_json::json!([{"name": "scores", "datatype": "FP32", "shape": [-1, 4294967296u64, 4294967296u64]}]),
        );
        assert!(matches!(from_metadata(&huge, None), Some(OutputRule::Unknown(why)) if why.contains("scores (FP32)")));
    }

    #[test]
    fn a_lone_float_is_a_value_and_what_cannot_be_told_says_why() {
        let value = metadata(serde_json::json!([{"name": "price", "datatype": "FP32", "shape": [-1]}]));
        assert_eq!(from_metadata(&value, None), Some(OutputRule::Regressor { value: "price".into() }));
        let wide = metadata(serde_json::json!([{"name": "scores", "datatype": "FP32", "shape": [-1, 3]}]));
        assert!(matches!(from_metadata(&wide, None), Some(OutputRule::Unknown(why)) if why.contains("scores (FP32)")));
        let two = metadata(serde_json::json!([
            {"name": "a", "datatype": "INT64", "shape": [-1]}, {"name": "b", "datatype": "INT32", "shape": [-1]}]));
        assert!(matches!(from_metadata(&two, None), Some(OutputRule::Unknown(why)) if why.contains("more than one")));
        assert_eq!(from_metadata("{}", None), None, "no outputs declared: the reference decides");
        assert!(matches!(from_reference(None), OutputRule::Unknown(why) if why.contains("--prediction")));
    }

    #[test]
    fn each_version_has_its_own_rule_and_others_the_newest() {
        let outputs = ModelOutputs {
            by_version: vec![
                ("1".into(), OutputRule::Regressor { value: "a".into() }),
                ("2".into(), OutputRule::Regressor { value: "b".into() }),
            ],
            otherwise: OutputRule::Regressor { value: "b".into() },
        };
        assert_eq!(outputs.for_version("1"), &OutputRule::Regressor { value: "a".into() });
        assert_eq!(outputs.for_version("9"), &OutputRule::Regressor { value: "b".into() });
    }
}
