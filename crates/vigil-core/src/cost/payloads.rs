//! The request bodies a load test sends: read from a file a person gives, or built from the
//! model's reference data (the drift domain's stored samples) in the shape the model's metadata
//! asks for — one Open Inference Protocol request of one row per body, the values cycling
//! through the reference's sample so the server sees realistic, varied inputs. A model whose
//! metadata lists its inputs gets one tensor per input, by name; one whose metadata lists none
//! (MLServer's and KServe's scikit-learn runtimes) gets its numeric feature columns, in the
//! reference's order, as one `[1, features]` FP64 tensor, the way those runtimes take a row.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::drift::profile::{ColumnProfile, Values};
use crate::drift::reference::ProfiledFile;
use crate::oip::{inputs_of, typed};
use crate::{Result, VigilError};

/// Bodies built from reference data: enough to vary the inputs, few enough to build at once.
pub const BUILT_BODIES: usize = 64;
/// The largest payload file read.
pub const MAX_PAYLOAD_FILE: u64 = 16 * 1024 * 1024;

/// The bodies in `path`: a JSON object (one body), a JSON array of objects (one body each), or
/// JSON lines (one object a line).
pub fn from_file(path: &Path) -> Result<Vec<Bytes>> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|err| invalid(format!("The payload file {shown} cannot be read: {err}.")))?
        .len();
    if size > MAX_PAYLOAD_FILE {
        return Err(invalid(format!(
            "The payload file {shown} is {size} bytes; at most {MAX_PAYLOAD_FILE} are read: give a smaller sample."
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|err| invalid(format!("The payload file {shown} cannot be read as UTF-8 text: {err}.")))?;
    let values: Vec<Value> = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(items)) => items,
        Ok(one) => vec![one],
        Err(_) => text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                serde_json::from_str(line).map_err(|err| {
                    invalid(format!("Line {} of {shown} is not JSON ({err}): give one JSON object a line.", index + 1))
                })
            })
            .collect::<Result<_>>()?,
    };
    if values.is_empty() || values.iter().any(|value| !value.is_object()) {
        return Err(invalid(format!(
            "The payload file {shown} must hold request bodies as JSON objects: one object, an array of them, or one a line."
        )));
    }
    Ok(values.iter().map(|value| Bytes::from(value.to_string())).collect())
}

/// [`BUILT_BODIES`] bodies for `model_name` from its `reference`, shaped by `metadata` (the
/// revision's OIP metadata).
pub fn from_reference(model_name: &str, reference: &ProfiledFile, metadata: &str) -> Result<Vec<Bytes>> {
    let columns: BTreeMap<&str, &ColumnProfile> = reference
        .summary
        .columns
        .iter()
        .zip(&reference.profiles)
        .filter_map(|(column, profile)| Some((column.name.as_str(), profile.as_ref()?)))
        .collect();
    let Some(inputs) = inputs_of(metadata) else {
        return one_row_tensor(model_name, reference, &columns);
    };
    let mut tensors = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let profile = columns.get(input.name.as_str()).ok_or_else(|| {
            invalid(format!(
                "{model_name} takes input '{}', which its reference data has no column for: import reference data with that column, or pass a payload file.",
                input.name
            ))
        })?;
        tensors.push((input, cycle(profile, BUILT_BODIES)));
    }
    Ok((0..BUILT_BODIES)
        .map(|row| {
            let inputs: Vec<Value> = tensors
                .iter()
                .map(|(input, values)| {
                    let value = typed(&values[row], &input.datatype);
                    json!({ "name": input.name, "shape": [1], "datatype": input.datatype, "data": [value] })
                })
                .collect();
            Bytes::from(json!({ "inputs": inputs }).to_string())
        })
        .collect())
}

/// Bodies of one `[1, features]` FP64 tensor: the reference's feature columns (neither
/// prediction nor target), in order, each row from the columns' samples.
fn one_row_tensor(
    model_name: &str,
    reference: &ProfiledFile,
    columns: &BTreeMap<&str, &ColumnProfile>,
) -> Result<Vec<Bytes>> {
    let summary = &reference.summary;
    let not_feature =
        |name: &str| summary.prediction.as_deref() == Some(name) || summary.target.as_deref() == Some(name);
    let features: Vec<(&str, &ColumnProfile)> = summary
        .columns
        .iter()
        .filter(|column| !not_feature(&column.name))
        .filter_map(|column| Some((column.name.as_str(), *columns.get(column.name.as_str())?)))
        .collect();
    let named = |names: Vec<&str>| names.join(", ");
    if features.is_empty() {
        return Err(invalid(format!(
            "The reference data of {model_name} has no feature columns to build requests from: give a payload file."
        )));
    }
    let mut values = Vec::with_capacity(features.len());
    for (name, profile) in &features {
        let cycled: Vec<Value> = cycle(profile, BUILT_BODIES).iter().map(|value| typed(value, "FP64")).collect();
        if cycled.iter().any(|value| !value.is_number()) {
            return Err(invalid(format!(
                "{model_name}'s metadata lists no inputs, so its features are sent as one row of numbers, but '{name}' \
                 is not numeric (features: {}): give a payload file.",
                named(features.iter().map(|(name, _)| *name).collect())
            )));
        }
        values.push(cycled);
    }
    Ok((0..BUILT_BODIES)
        .map(|row| {
            let data: Vec<&Value> = values.iter().map(|column| &column[row]).collect();
            let tensor = json!({ "name": "input-0", "shape": [1, data.len()], "datatype": "FP64", "data": data });
            Bytes::from(json!({ "inputs": [tensor] }).to_string())
        })
        .collect())
}

/// A value of the column for each of `n` rows: the numeric sample in order, cycled; the
/// categories in proportion to their counts.
fn cycle(profile: &ColumnProfile, n: usize) -> Vec<Value> {
    match &profile.values {
        Values::Numeric(numeric) if !numeric.sample.is_empty() => {
            (0..n).map(|row| json!(numeric.sample[row % numeric.sample.len()])).collect()
        }
        Values::Numeric(_) => vec![json!(0.0); n],
        Values::Categorical(counts) => {
            let total: u64 = counts.values().sum();
            if total == 0 {
                return vec![json!(""); n];
            }
            (0..n)
                .map(|row| {
                    let at = ((row as f64 + 0.5) / n as f64 * total as f64) as u64;
                    let mut seen = 0;
                    let label = counts.iter().find(|(_, count)| {
                        seen += **count;
                        at < seen
                    });
                    json!(label.map_or("", |(label, _)| label.as_str()))
                })
                .collect()
        }
    }
}

fn invalid(message: String) -> VigilError {
    VigilError::invalid("payload", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::reference::{ReferenceColumn, ReferenceSummary};
    use crate::drift::schema::ColumnUse;
    use crate::drift::stats::ColumnKind;

    fn reference() -> ProfiledFile {
        let (mut amount, mut rng) = (ColumnProfile::numeric(10), crate::drift::profile::SplitMix64::new(1));
        for x in [12.5, 40.0, 7.25] {
            amount.add_number(x, &mut rng);
        }
        let mut country = ColumnProfile::categorical();
        for label in ["FR", "FR", "FR", "DE"] {
            country.add_label(label);
        }
        let column = |name: &str, kind| ReferenceColumn {
            name: name.into(),
            column_use: ColumnUse::Test { kind },
            count: 3,
            missing: 0,
        };
        let summary = ReferenceSummary {
            model: "fraud".into(),
            version: None,
            source: "ref.csv".into(),
            imported_at: chrono::Utc::now(),
            rows: 4,
            skipped_rows: 0,
            bad_rows: Vec::new(),
            prediction: Some("is_fraud".into()),
            target: None,
            columns: vec![
                column("amount", ColumnKind::Numeric),
                column("country", ColumnKind::Categorical),
                column("is_fraud", ColumnKind::Categorical),
            ],
        };
        ProfiledFile { summary, profiles: vec![Some(amount), Some(country), Some(ColumnProfile::categorical())] }
    }

    fn body(bytes: &Bytes) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn bodies_follow_the_metadata_inputs_and_cycle_the_reference_sample() {
        let metadata = r#"{"inputs":[{"name":"amount","datatype":"INT64","shape":[-1]},{"name":"country","datatype":"BYTES","shape":[-1]}]}"#;
        let bodies = from_reference("fraud", &reference(), metadata).unwrap();
        assert_eq!(bodies.len(), BUILT_BODIES);
        let first = body(&bodies[0]);
        assert_eq!(first["inputs"][0], json!({"name": "amount", "shape": [1], "datatype": "INT64", "data": [13]}));
        assert_eq!(first["inputs"][1]["data"], json!(["DE"]), "categories sorted, in proportion to their counts");
        assert_eq!(body(&bodies[1])["inputs"][0]["data"], json!([40]));
        assert_eq!(
            crate::oip::typed(&json!("3"), "INT32"),
            json!(3),
            "a label that reads as a number, for a number input"
        );
        assert_eq!(crate::oip::typed(&json!("07"), "BYTES"), json!("07"), "a label stays as written for a BYTES input");
        let countries: Vec<Value> = bodies.iter().map(|b| body(b)["inputs"][1]["data"][0].clone()).collect();
        assert_eq!(countries.iter().filter(|c| *c == "FR").count(), 48, "3 in 4 rows are FR");
    }

    #[test]
    fn without_listed_inputs_the_numeric_features_go_as_one_row_and_the_prediction_does_not() {
        let mut numbers_only = reference();
        numbers_only.summary.columns.remove(1);
        numbers_only.profiles.remove(1);
        let bodies = from_reference("iris", &numbers_only, r#"{"name":"iris","inputs":[]}"#).unwrap();
        let tensor = &body(&bodies[2])["inputs"][0];
        assert_eq!(*tensor, json!({"name": "input-0", "shape": [1, 1], "datatype": "FP64", "data": [7.25]}));
        let err = from_reference("fraud", &reference(), "{}").unwrap_err().to_string();
        assert!(err.contains("'country' is not numeric (features: amount, country)"), "{err}");
    }

    #[test]
    fn an_input_the_reference_lacks_is_named() {
        let metadata = r#"{"inputs":[{"name":"merchant","datatype":"BYTES"}]}"#;
        let err = from_reference("fraud", &reference(), metadata).unwrap_err().to_string();
        assert!(err.contains("fraud takes input 'merchant'") && err.contains("payload file"), "{err}");
    }

    #[test]
    fn payload_files_hold_one_object_an_array_or_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        assert_eq!(from_file(&write("one.json", r#"{"inputs": []}"#)).unwrap().len(), 1);
        assert_eq!(from_file(&write("array.json", r#"[{"a": 1}, {"a": 2}]"#)).unwrap().len(), 2);
        assert_eq!(from_file(&write("lines.jsonl", "{\"a\": 1}\n\n{\"a\": 2}\n{\"a\": 3}\n")).unwrap().len(), 3);
        let bad_line = from_file(&write("bad.jsonl", "{\"a\": 1}\nnot json\n")).unwrap_err().to_string();
        assert!(bad_line.contains("Line 2 of"), "{bad_line}");
        let numbers = from_file(&write("numbers.json", "[1, 2]")).unwrap_err().to_string();
        assert!(numbers.contains("JSON objects"), "{numbers}");
    }
}
