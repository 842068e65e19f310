//! Reading live inference payloads into rows of named values: Open Inference Protocol v2
//! requests and responses (`inputs` / `outputs` tensors), KServe v1 bodies (`instances` /
//! `predictions`), as plain JSON or inside CloudEvents in the KServe/Seldon logger convention
//! (binary mode: `ce-type` says request or response, `ce-id` pairs them, the body is the payload).
//!
//! A tensor of shape `[N]` or `[N, 1]` is one column named after the tensor; `[N, F]` is F
//! columns, named after the reference's features when F matches their count, else `name[j]`.
//! A response's single output is the prediction column.

use serde_json::Value;

use super::table::Cell;

/// The most rows one payload may carry.
pub const MAX_ROWS: usize = 4_096;

/// Whether a payload is what the model was asked or what it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Request,
    Response,
}

/// One payload read into rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// The inference id pairing a request with its response.
    pub id: Option<String>,
    pub model: Option<String>,
    pub version: Option<String>,
    pub part: Part,
    /// Column names, then each row's values in that order.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// What the payload's model is known to take: its features in order and its prediction column.
#[derive(Debug, Clone, Default)]
pub struct Columns<'a> {
    pub features: &'a [String],
    pub prediction: Option<&'a str>,
}

/// The CloudEvents attributes a payload arrived with (lower-case header names), if any.
#[derive(Debug, Clone, Default)]
pub struct Envelope<'a> {
    pub ce_type: Option<&'a str>,
    pub ce_id: Option<&'a str>,
    /// `ce-inferenceservicename` (KServe) or `ce-modelid` (Seldon).
    pub ce_model: Option<&'a str>,
    /// `ce-endpoint`: the revision's endpoint label, taken as the version unless the body names one.
    pub ce_endpoint: Option<&'a str>,
}

/// Reads `body` (JSON) sent with `envelope`; the error says what was expected.
pub fn read(body: &Value, envelope: &Envelope<'_>, known: &Columns<'_>) -> Result<Payload, String> {
    let object = body.as_object().ok_or("the payload is not a JSON object")?;
    let part = match envelope.ce_type {
        Some(kind) if kind.ends_with(".request") => Part::Request,
        Some(kind) if kind.ends_with(".response") => Part::Response,
        Some(kind) => return Err(format!("ce-type {kind} is neither an inference request nor a response")),
        None if object.contains_key("inputs") || object.contains_key("instances") => Part::Request,
        None if object.contains_key("outputs") || object.contains_key("predictions") => Part::Response,
        None => return Err("the payload has none of inputs, outputs, instances or predictions".into()),
    };
    let text = |key: &str| object.get(key).and_then(Value::as_str).filter(|value| !value.is_empty());
    let endpoint = envelope.ce_endpoint.filter(|endpoint| !endpoint.is_empty() && *endpoint != "default");
    let mut payload = Payload {
        id: envelope.ce_id.map(str::to_owned).or_else(|| text("id").map(str::to_owned)),
        model: envelope.ce_model.map(str::to_owned).or_else(|| text("model_name").map(str::to_owned)),
        version: text("model_version").or(endpoint).map(str::to_owned),
        part,
        columns: Vec::new(),
        rows: Vec::new(),
    };
    if let Some(tensors) = object.get("inputs").or_else(|| object.get("outputs")).and_then(Value::as_array) {
        read_tensors(tensors, part, known, &mut payload)?;
    } else if let Some(instances) = object.get("instances").or_else(|| object.get("predictions")) {
        read_instances(instances, part, known, &mut payload)?;
    } else {
        return Err("the payload has none of inputs, outputs, instances or predictions".into());
    }
    Ok(payload)
}

/// OIP v2 tensors as columns.
fn read_tensors(tensors: &[Value], part: Part, known: &Columns<'_>, payload: &mut Payload) -> Result<(), String> {
    let mut columns: Vec<(String, Vec<Cell>)> = Vec::new();
    for tensor in tensors {
        let name = tensor.get("name").and_then(Value::as_str).unwrap_or("output");
        let mut data = Vec::new();
        flatten(tensor.get("data").ok_or_else(|| format!("tensor {name} has no data"))?, &mut data, 0)?;
        let shape: Vec<usize> = match tensor.get("shape").and_then(Value::as_array) {
            Some(dims) => dims.iter().map(|dim| dim.as_u64().unwrap_or(0) as usize).collect(),
            None => vec![data.len()],
        };
        let rows = *shape.first().ok_or_else(|| format!("tensor {name} has an empty shape"))?;
        let width: usize = shape.iter().skip(1).product();
        if rows == 0 || rows > MAX_ROWS || rows * width != data.len() {
            return Err(format!("tensor {name} has shape {shape:?} but {} values (1 to {MAX_ROWS} rows)", data.len()));
        }
        let names = column_names(name, width, part, tensors.len(), known);
        for (j, column) in names.into_iter().enumerate() {
            columns.push((column, (0..rows).map(|i| data[i * width + j].clone()).collect()));
        }
    }
    let rows = columns.first().map_or(0, |(_, values)| values.len());
    if columns.iter().any(|(_, values)| values.len() != rows) {
        return Err("the tensors do not all have the same number of rows".into());
    }
    payload.rows = (0..rows).map(|i| columns.iter().map(|(_, values)| values[i].clone()).collect()).collect();
    payload.columns = columns.into_iter().map(|(name, _)| name).collect();
    Ok(())
}

/// KServe v1 `instances` (lists by position, or objects by name) or `predictions`.
fn read_instances(instances: &Value, part: Part, known: &Columns<'_>, payload: &mut Payload) -> Result<(), String> {
    let instances = instances.as_array().ok_or("instances/predictions is not a list")?;
    if instances.is_empty() || instances.len() > MAX_ROWS {
        return Err(format!("a payload carries 1 to {MAX_ROWS} rows, not {}", instances.len()));
    }
    if let Some(first) = instances[0].as_object() {
        payload.columns = first.keys().cloned().collect();
        for instance in instances {
            let object = instance.as_object().ok_or("instances mix objects and other values")?;
            payload.rows.push(payload.columns.iter().map(|key| object.get(key).map_or(Cell::Missing, cell)).collect());
        }
        return Ok(());
    }
    let width = instances[0].as_array().map_or(1, Vec::len);
    payload.columns = column_names("instance", width, part, 1, known);
    for instance in instances {
        let mut values = Vec::new();
        flatten(instance, &mut values, 0)?;
        if values.len() != width {
            return Err(format!("instances have {} and {width} values", values.len()));
        }
        payload.rows.push(values);
    }
    Ok(())
}

/// The names of a tensor's `width` columns.
fn column_names(tensor: &str, width: usize, part: Part, tensors: usize, known: &Columns<'_>) -> Vec<String> {
    match (part, width) {
        (Part::Response, 1) if tensors == 1 => vec![known.prediction.unwrap_or(tensor).to_owned()],
        (_, 1) => vec![tensor.to_owned()],
        (Part::Request, _) if tensors == 1 && width == known.features.len() => known.features.to_vec(),
        _ => (0..width).map(|j| format!("{tensor}[{j}]")).collect(),
    }
}

/// A JSON value as a cell.
fn cell(value: &Value) -> Cell {
    match value {
        Value::Number(number) => number.as_f64().map_or(Cell::Missing, Cell::Number),
        Value::String(text) => Cell::Text(text.clone()),
        Value::Bool(flag) => Cell::Text(flag.to_string()),
        _ => Cell::Missing,
    }
}

/// Nested lists of scalars, row-major, as cells.
fn flatten(value: &Value, out: &mut Vec<Cell>, depth: usize) -> Result<(), String> {
    match value {
        Value::Array(items) if depth < 8 => items.iter().try_for_each(|item| flatten(item, out, depth + 1)),
        Value::Array(_) => Err("tensor data is nested too deeply".into()),
        Value::Object(_) => Err("tensor data holds an object, not numbers or strings".into()),
        scalar => {
            out.push(cell(scalar));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn features() -> Vec<String> {
        vec!["amount".into(), "channel".into()]
    }

    #[test]
    fn an_oip_request_with_a_tensor_per_feature_is_rows_by_name() {
        let body = json!({"id": "r1", "inputs": [
            {"name": "amount", "shape": [2], "datatype": "FP64", "data": [12.5, 80.0]},
            {"name": "channel", "shape": [2, 1], "datatype": "BYTES", "data": [["online"], ["in_store"]]}]});
        let payload = read(&body, &Envelope::default(), &Columns::default()).unwrap();
        assert_eq!((payload.part, payload.id.as_deref()), (Part::Request, Some("r1")));
        assert_eq!(payload.columns, ["amount", "channel"]);
        assert_eq!(payload.rows[1], vec![Cell::Number(80.0), Cell::Text("in_store".into())]);
    }

    #[test]
    fn a_kserve_cloudevent_pair_reads_as_a_request_and_its_prediction() {
        let features = features();
        let known = Columns { features: &features, prediction: Some("fraud_probability") };
        let envelope = Envelope {
            ce_type: Some("org.kubeflow.serving.inference.request"),
            ce_id: Some("abc"),
            ce_model: Some("fraud"),
            ce_endpoint: Some("13"),
        };
        let request = json!({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [[3.0, 1.0]]}]});
        let payload = read(&request, &envelope, &known).unwrap();
        assert_eq!((payload.model.as_deref(), payload.version.as_deref()), (Some("fraud"), Some("13")));
        assert_eq!(payload.columns, features, "a [1, 2] tensor takes the reference's feature names");

        let envelope = Envelope { ce_type: Some("org.kubeflow.serving.inference.response"), ..envelope };
        let response = json!({"model_name": "fraud", "model_version": "13", "id": "abc",
            "outputs": [{"name": "probability", "shape": [1], "datatype": "FP64", "data": [0.92]}]});
        let payload = read(&response, &envelope, &known).unwrap();
        assert_eq!((payload.part, payload.id.as_deref()), (Part::Response, Some("abc")));
        assert_eq!(
            (payload.columns.clone(), payload.rows.clone()),
            (vec!["fraud_probability".into()], vec![vec![Cell::Number(0.92)]])
        );
    }

    #[test]
    fn kserve_v1_instances_read_by_name_or_position() {
        let features = features();
        let known = Columns { features: &features, prediction: None };
        let by_name = json!({"instances": [{"amount": 1.0, "channel": "online"}, {"amount": 2.0}]});
        let payload = read(&by_name, &Envelope::default(), &known).unwrap();
        assert_eq!(payload.rows[1], vec![Cell::Number(2.0), Cell::Missing]);
        let by_position = json!({"instances": [[1.0, "online"], [2.0, "in_store"]]});
        assert_eq!(read(&by_position, &Envelope::default(), &known).unwrap().columns, features);
        let predictions = json!({"predictions": [0, 1, 1]});
        let payload = read(&predictions, &Envelope::default(), &known).unwrap();
        assert_eq!(
            (payload.part, payload.columns.clone(), payload.rows.len()),
            (Part::Response, vec!["instance".into()], 3)
        );
    }

    #[test]
    fn payloads_that_cannot_be_read_say_why() {
        let none = Columns::default();
        let read = |body: Value| read(&body, &Envelope::default(), &none).unwrap_err();
        assert!(read(json!([1, 2])).contains("not a JSON object"));
        assert!(read(json!({"foo": 1})).contains("none of inputs"));
        let short = json!({"inputs": [{"name": "a", "shape": [3], "data": [1, 2]}]});
        assert!(read(short).contains("shape [3] but 2 values"));
        let ragged =
            json!({"inputs": [{"name": "a", "shape": [2], "data": [1, 2]}, {"name": "b", "shape": [1], "data": [1]}]});
        assert!(read(ragged).contains("same number of rows"));
        let odd = Envelope { ce_type: Some("com.example.audit"), ..Default::default() };
        assert!(super::read(&json!({"inputs": []}), &odd, &none).unwrap_err().contains("neither"));
    }
}
