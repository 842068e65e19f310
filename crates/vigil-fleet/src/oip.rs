//! The Open Inference Protocol v2 over REST, as far as the fleet speaks it: decoding an
//! `infer` request into rows of a model's schema (one input tensor per feature), and writing
//! the response. Every way a request can be wrong gets a message that says what to send instead.

use serde_json::{json, Map, Value};

use crate::models::Output;
use crate::schema::{FeatureKind, FeatureValue, Row, Schema};

/// The most rows one request may carry.
pub const MAX_ROWS: usize = 1024;

/// A decoded `infer` request.
#[derive(Debug, Clone, PartialEq)]
pub struct InferRequest {
    /// The request's `id`, if it gave one.
    pub id: Option<String>,
    pub rows: Vec<Row>,
}

/// Why a request could not be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRequest {
    /// Not an Open Inference Protocol request at all: every server answers 400 before any
    /// model sees it.
    Malformed(String),
    /// A well-formed request the model cannot take (wrong inputs, types, shapes, values).
    Mismatch(String),
}

impl BadRequest {
    pub fn message(&self) -> &str {
        match self {
            BadRequest::Malformed(message) | BadRequest::Mismatch(message) => message,
        }
    }
}

/// Parses an `infer` request body as JSON.
pub fn parse(body: &[u8]) -> Result<Value, BadRequest> {
    serde_json::from_slice(body)
        .map_err(|err| BadRequest::Malformed(format!("the request body is not valid JSON: {err}")))
}

/// Decodes an `infer` request for a model taking `schema`; the error says what is wrong.
pub fn decode(request: &Value, schema: &Schema) -> Result<InferRequest, BadRequest> {
    let inputs = request.get("inputs").and_then(Value::as_array).ok_or_else(|| {
        let expected = r#"{"inputs": [{"name", "shape", "datatype", "data"}, ...]}"#;
        BadRequest::Malformed(format!("the request has no \"inputs\" list: send {expected}"))
    })?;
    let id = request.get("id").and_then(Value::as_str).map(str::to_owned);
    let rows = decode_rows(inputs, schema).map_err(BadRequest::Mismatch)?;
    Ok(InferRequest { id, rows })
}

/// The rows that `inputs` (one tensor per feature) carry.
fn decode_rows(inputs: &[Value], schema: &Schema) -> Result<Vec<Row>, String> {
    for input in inputs {
        let name = input.get("name").and_then(Value::as_str).unwrap_or("");
        if !schema.features.iter().any(|f| f.name == name) {
            let expected: Vec<&str> = schema.features.iter().map(|f| f.name).collect();
            return Err(format!("unexpected input '{name}': the model takes {}", expected.join(", ")));
        }
    }
    let mut columns = Vec::with_capacity(schema.features.len());
    for feature in &schema.features {
        let input = inputs
            .iter()
            .find(|input| input.get("name").and_then(Value::as_str) == Some(feature.name))
            .ok_or_else(|| format!("input '{}' ({}) is missing", feature.name, feature.datatype()))?;
        columns.push(decode_column(input, feature.name, &feature.kind)?);
    }
    let rows = columns.first().map_or(0, Vec::len);
    if rows == 0 || rows > MAX_ROWS {
        return Err(format!("a request carries 1 to {MAX_ROWS} rows, not {rows}"));
    }
    if let Some((feature, column)) = schema.features.iter().zip(&columns).find(|(_, c)| c.len() != rows) {
        return Err(format!("input '{}' has {} values but the other inputs have {rows}", feature.name, column.len()));
    }
    Ok((0..rows).map(|i| columns.iter().map(|column| column[i]).collect()).collect())
}

/// One input tensor as the values of one feature.
fn decode_column(input: &Value, name: &str, kind: &FeatureKind) -> Result<Vec<FeatureValue>, String> {
    let datatype = input.get("datatype").and_then(Value::as_str).unwrap_or("");
    let shape: Vec<i64> = input
        .get("shape")
        .and_then(Value::as_array)
        .map(|dims| dims.iter().map(|d| d.as_i64().unwrap_or(-1)).collect())
        .ok_or_else(|| format!("input '{name}' has no shape"))?;
    let mut data = Vec::new();
    flatten(input.get("data").ok_or_else(|| format!("input '{name}' has no data"))?, &mut data, 0)
        .map_err(|why| format!("input '{name}': {why}"))?;
    let elements: i64 = shape.iter().product();
    let per_row: i64 = shape.iter().skip(1).product();
    if shape.is_empty() || shape.iter().any(|d| *d < 0) || elements != data.len() as i64 || per_row != 1 {
        return Err(format!(
            "input '{name}' has shape {shape:?} and {} values: send shape [N] (or [N, 1]) with N values",
            data.len()
        ));
    }
    match kind {
        FeatureKind::Numeric { .. } => {
            if !is_numeric(datatype) {
                return Err(format!(
                    "input '{name}' is numeric: send datatype FP64 (or another number type), not '{datatype}'"
                ));
            }
            data.iter()
                .map(|v| {
                    v.as_f64()
                        .filter(|x| x.is_finite())
                        .map(FeatureValue::Number)
                        .ok_or_else(|| format!("input '{name}' has {v}, which is not a number"))
                })
                .collect()
        }
        FeatureKind::Categorical { categories } => {
            if datatype != "BYTES" {
                return Err(format!("input '{name}' is categorical: send datatype BYTES, not '{datatype}'"));
            }
            data.iter()
                .map(|v| {
                    let text = v.as_str().unwrap_or_default();
                    categories.iter().position(|(c, _)| *c == text).map(FeatureValue::Category).ok_or_else(|| {
                        let known: Vec<&str> = categories.iter().map(|(c, _)| *c).collect();
                        format!("input '{name}' has {v}, which is not one of {}", known.join(", "))
                    })
                })
                .collect()
        }
    }
}

fn is_numeric(datatype: &str) -> bool {
    matches!(
        datatype,
        "FP16" | "FP32" | "FP64" | "INT8" | "INT16" | "INT32" | "INT64" | "UINT8" | "UINT16" | "UINT32" | "UINT64"
    )
}

/// Tensor data may be flat or nested by the shape; either way, the elements in row-major order.
fn flatten<'a>(value: &'a Value, into: &mut Vec<&'a Value>, depth: usize) -> Result<(), String> {
    match value {
        Value::Array(items) if depth < 4 => items.iter().try_for_each(|item| flatten(item, into, depth + 1)),
        Value::Array(_) => Err("its data is nested too deep".into()),
        Value::Object(_) | Value::Null => Err("its data holds something that is not a value".into()),
        value => {
            into.push(value);
            Ok(())
        }
    }
}

/// An `infer` response: one output tensor per model output. `tensor_parameters`, when given,
/// go on each output (MLServer says how it encoded them).
pub fn response(model: &str, version: &str, id: &str, outputs: &[Output], tensor_parameters: Option<&Value>) -> Value {
    let outputs: Vec<Value> = outputs
        .iter()
        .map(|output| {
            let mut tensor = Map::new();
            tensor.insert("name".into(), json!(output.name));
            tensor.insert("shape".into(), json!([output.data.len()]));
            tensor.insert("datatype".into(), json!(output.datatype));
            if let Some(parameters) = tensor_parameters {
                tensor.insert("parameters".into(), parameters.clone());
            }
            tensor.insert("data".into(), Value::Array(output.data.clone()));
            Value::Object(tensor)
        })
        .collect();
    json!({"model_name": model, "model_version": version, "id": id, "parameters": {}, "outputs": outputs})
}

/// The protocol's error body.
pub fn error_body(message: &str) -> Value {
    json!({ "error": message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::fraud_schema;
    use crate::rng::Rng;

    fn request(rows: usize) -> Value {
        let schema = fraud_schema();
        let mut rng = Rng::new(4);
        let rows: Vec<Row> = (0..rows).map(|_| schema.sample(&mut rng)).collect();
        json!({"id": "r-1", "inputs": schema.request_inputs(&rows)})
    }

    fn decode_value(value: &Value) -> Result<InferRequest, String> {
        decode(value, &fraud_schema()).map_err(|bad| bad.message().to_owned())
    }

    #[test]
    fn a_request_built_from_the_schema_decodes_to_its_rows() {
        let decoded = decode_value(&request(3)).expect("valid");
        assert_eq!((decoded.id.as_deref(), decoded.rows.len()), (Some("r-1"), 3));
        assert!(matches!(decoded.rows[0][4], FeatureValue::Category(_)));
        // Shape [N, 1] and nested data are the same tensor.
        let mut nested = request(2);
        let amounts = nested["inputs"][0]["data"].clone();
        nested["inputs"][0]["shape"] = json!([2, 1]);
        nested["inputs"][0]["data"] = json!([[amounts[0]], [amounts[1]]]);
        assert_eq!(decode_value(&nested).expect("valid").rows, decode_value(&request(2)).unwrap().rows);
    }

    #[test]
    fn each_kind_of_bad_request_says_what_is_wrong() {
        let bad = |edit: &dyn Fn(&mut Value)| {
            let mut value = request(2);
            edit(&mut value);
            decode_value(&value).expect_err("invalid")
        };
        assert!(matches!(parse(b"{not json"), Err(BadRequest::Malformed(m)) if m.contains("not valid JSON")));
        let no_inputs = decode(&json!({"inputs": null}), &fraud_schema());
        assert!(matches!(no_inputs, Err(BadRequest::Malformed(m)) if m.contains("no \"inputs\" list")));
        assert!(matches!(decode(&json!({"inputs": []}), &fraud_schema()), Err(BadRequest::Mismatch(_))));
        let missing = bad(&|v| {
            v["inputs"].as_array_mut().unwrap().remove(1);
        });
        assert_eq!(missing, "input 'account_age_days' (INT64) is missing");
        assert!(bad(&|v| v["inputs"][0]["name"] = json!("amt")).starts_with("unexpected input 'amt'"));
        assert!(bad(&|v| v["inputs"][0]["datatype"] = json!("BYTES")).contains("is numeric"));
        assert!(bad(&|v| v["inputs"][4]["data"][0] = json!("casino")).contains("not one of grocery"));
        assert!(bad(&|v| v["inputs"][0]["shape"] = json!([3])).contains("shape [3] and 2 values"));
        assert!(bad(&|v| v["inputs"][0]["data"][0] = json!("12")).contains("not a number"));
        let short = bad(&|v| {
            v["inputs"][1]["data"] = json!([5]);
            v["inputs"][1]["shape"] = json!([1]);
        });
        assert!(short.contains("has 1 values but the other inputs have 2"), "{short}");
    }

    #[test]
    fn responses_carry_each_output_with_its_shape() {
        let outputs = [Output { name: "p", datatype: "FP64", data: vec![json!(0.25), json!(0.5)] }];
        let body = response("fraud", "12", "abc", &outputs, Some(&json!({"content_type": "np"})));
        assert_eq!(body["outputs"][0]["shape"], json!([2]));
        assert_eq!(body["outputs"][0]["parameters"]["content_type"], "np");
        assert_eq!((body["model_version"].as_str(), body["id"].as_str()), (Some("12"), Some("abc")));
        assert_eq!(error_body("no"), json!({"error": "no"}));
    }
}
