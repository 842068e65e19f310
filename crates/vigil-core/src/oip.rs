//! The Open Inference Protocol's shapes that load tests and parity checks both build: the inputs
//! a model's metadata lists, and a value typed as an input's datatype asks.

use serde_json::{json, Value};

/// One input or output tensor a model's metadata lists: its name and its datatype.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub datatype: String,
}

/// The inputs the OIP metadata lists, if it lists any.
pub fn inputs_of(metadata: &str) -> Option<Vec<Tensor>> {
    listed(metadata, "inputs")
}

/// The outputs the OIP metadata lists, if it lists any.
pub fn outputs_of(metadata: &str) -> Option<Vec<Tensor>> {
    listed(metadata, "outputs")
}

fn listed(metadata: &str, key: &str) -> Option<Vec<Tensor>> {
    let value: Value = serde_json::from_str(metadata).ok()?;
    let inputs: Vec<Tensor> = value
        .get(key)?
        .as_array()?
        .iter()
        .filter_map(|input| {
            Some(Tensor {
                name: input.get("name")?.as_str()?.to_owned(),
                datatype: input.get("datatype").and_then(Value::as_str).unwrap_or("FP64").to_owned(),
            })
        })
        .collect();
    (!inputs.is_empty()).then_some(inputs)
}

/// `value` as the datatype asks: integers rounded, booleans from non-zero, bytes as text; a
/// label that reads as a number (a column of few integers is profiled as categories) as one.
pub fn typed(value: &Value, datatype: &str) -> Value {
    let number = value.as_f64().or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()));
    match (datatype, number) {
        ("BOOL", Some(x)) => json!(x != 0.0),
        ("BYTES", _) if value.is_string() => value.clone(),
        ("BYTES", Some(x)) => json!(x.to_string()),
        (integer, Some(x)) if integer.starts_with("INT") || integer.starts_with("UINT") => json!(x.round() as i64),
        _ => value.clone(),
    }
}
