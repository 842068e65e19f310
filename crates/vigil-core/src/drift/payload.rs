//! Reading live inference payloads into rows of named values: Open Inference Protocol v2
//! requests and responses (`inputs` / `outputs` tensors), KServe v1 bodies (`instances` /
//! `predictions`), as plain JSON or inside CloudEvents in the KServe/Seldon logger convention
//! (binary mode: `ce-type` says request or response, `ce-id` pairs them, the body is the payload).
//!
//! A tensor of shape `[N]` or `[N, 1]` is one column named after the tensor; `[N, F]` is F
//! columns, named after the reference's features when F matches their count, else `name[j]`.
//! A response's single output is the prediction column.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
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

/// A payload's JSON body, parsed once. An OIP v2 body whose tensors are well typed (the
/// common case) is read straight into borrowed fields, without a `Value` for every key and
/// name; any other body is a `Value`, read by [`read`].
pub enum Body<'a> {
    Tensors(TensorBody<'a>),
    Other(Value),
}

/// An OIP v2 request or response as its fields. `Some(None)` is a key present as null, which
/// [`read`] tells apart from a key absent.
#[derive(Deserialize)]
pub struct TensorBody<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model_version: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "present")]
    inputs: Option<Option<Vec<Tensor<'a>>>>,
    #[serde(borrow, default, deserialize_with = "present")]
    outputs: Option<Option<Vec<Tensor<'a>>>>,
    #[serde(default, deserialize_with = "present")]
    instances: Option<Option<serde::de::IgnoredAny>>,
    #[serde(default, deserialize_with = "present")]
    predictions: Option<Option<serde::de::IgnoredAny>>,
}

#[derive(Deserialize)]
struct Tensor<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    shape: Option<Vec<u64>>,
    #[serde(default, deserialize_with = "present")]
    data: Option<Value>,
}

/// A field that is present, whatever its value (null included).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

impl<'a> Body<'a> {
    /// Parses a payload's bytes; the error says why they are not JSON.
    pub fn parse(bytes: &'a [u8]) -> Result<Body<'a>, String> {
        let object = bytes.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{');
        if let Ok(body) = serde_json::from_slice::<TensorBody<'a>>(bytes) {
            if object && body.tensors().is_some() {
                return Ok(Body::Tensors(body));
            }
        }
        serde_json::from_slice(bytes).map(Body::Other).map_err(|err| format!("the payload is not valid JSON: {err}"))
    }

    /// The body's `model_name`, if it is a string.
    pub fn model_name(&self) -> Option<&str> {
        match self {
            Body::Tensors(body) => body.model_name.as_deref(),
            Body::Other(json) => json.get("model_name").and_then(Value::as_str),
        }
    }
}

impl TensorBody<'_> {
    /// The tensors [`read`] would read: `inputs` if present, else `outputs`, if a list.
    fn tensors(&self) -> Option<&[Tensor<'_>]> {
        match &self.inputs {
            Some(inputs) => inputs.as_deref(),
            None => self.outputs.as_ref().and_then(|outputs| outputs.as_deref()),
        }
    }
}

/// Reads a parsed body sent with `envelope`, as [`read`] reads its `Value`.
pub fn read_body(body: &Body<'_>, envelope: &Envelope<'_>, known: &Columns<'_>) -> Result<Payload, String> {
    let body = match body {
        Body::Other(json) => return read(json, envelope, known),
        Body::Tensors(body) => body,
    };
    let part = part_of(envelope, || {
        let has = |request: bool| {
            if request {
                body.inputs.is_some() || body.instances.is_some()
            } else {
                body.outputs.is_some() || body.predictions.is_some()
            }
        };
        (has(true), has(false))
    })?;
    let text = |value: &Option<Cow<'_, str>>| value.as_deref().filter(|value| !value.is_empty()).map(str::to_owned);
    let endpoint = envelope.ce_endpoint.filter(|endpoint| !endpoint.is_empty() && *endpoint != "default");
    let mut payload = Payload {
        id: envelope.ce_id.map(str::to_owned).or_else(|| text(&body.id)),
        model: envelope.ce_model.map(str::to_owned).or_else(|| text(&body.model_name)),
        version: text(&body.model_version).or(endpoint.map(str::to_owned)),
        part,
        columns: Vec::new(),
        rows: Vec::new(),
    };
    let tensors = body.tensors().unwrap_or_default();
    let views = tensors.iter().map(|tensor| TensorView {
        name: tensor.name.as_deref().unwrap_or("output"),
        shape: tensor.shape.as_ref().map(|dims| dims.iter().map(|dim| *dim as usize).collect()),
        data: tensor.data.as_ref(),
    });
    read_tensor_views(views, tensors.len(), part, known, &mut payload)?;
    Ok(payload)
}

/// Whether a payload is a request or a response: by `ce-type`, else by its keys
/// (`has()`: whether it has inputs or instances, and whether it has outputs or predictions).
fn part_of(envelope: &Envelope<'_>, has: impl FnOnce() -> (bool, bool)) -> Result<Part, String> {
    match envelope.ce_type {
        Some(kind) if kind.ends_with(".request") => Ok(Part::Request),
        Some(kind) if kind.ends_with(".response") => Ok(Part::Response),
        Some(kind) => Err(format!("ce-type {kind} is neither an inference request nor a response")),
        None => match has() {
            (true, _) => Ok(Part::Request),
            (false, true) => Ok(Part::Response),
            (false, false) => Err("the payload has none of inputs, outputs, instances or predictions".into()),
        },
    }
}

/// Reads `body` (JSON) sent with `envelope`; the error says what was expected.
pub fn read(body: &Value, envelope: &Envelope<'_>, known: &Columns<'_>) -> Result<Payload, String> {
    let object = body.as_object().ok_or("the payload is not a JSON object")?;
    let part = part_of(envelope, || {
        let has = |a: &str, b: &str| object.contains_key(a) || object.contains_key(b);
        (has("inputs", "instances"), has("outputs", "predictions"))
    })?;
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
    let views = tensors.iter().map(|tensor| TensorView {
        name: tensor.get("name").and_then(Value::as_str).unwrap_or("output"),
        shape: tensor
            .get("shape")
            .and_then(Value::as_array)
            .map(|dims| dims.iter().map(|dim| dim.as_u64().unwrap_or(0) as usize).collect()),
        data: tensor.get("data"),
    });
    read_tensor_views(views, tensors.len(), part, known, payload)
}

/// A tensor's name, shape (if given as a list) and data (if given).
struct TensorView<'a> {
    name: &'a str,
    shape: Option<Vec<usize>>,
    data: Option<&'a Value>,
}

/// `count` tensors as columns.
fn read_tensor_views<'a>(
    tensors: impl Iterator<Item = TensorView<'a>>,
    count: usize,
    part: Part,
    known: &Columns<'_>,
    payload: &mut Payload,
) -> Result<(), String> {
    let mut columns: Vec<(String, Vec<Cell>)> = Vec::new();
    for TensorView { name, shape, data: values } in tensors {
        let mut data = Vec::new();
        flatten(values.ok_or_else(|| format!("tensor {name} has no data"))?, &mut data, 0)?;
        let shape: Vec<usize> = shape.unwrap_or_else(|| vec![data.len()]);
        let rows = *shape.first().ok_or_else(|| format!("tensor {name} has an empty shape"))?;
        // The values a row, and in all: None past usize, which no payload holds.
        let width = shape.iter().skip(1).try_fold(1usize, |width, dim| width.checked_mul(*dim));
        let width = match width {
            Some(width) if (1..=MAX_ROWS).contains(&rows) && rows.checked_mul(width) == Some(data.len()) => width,
            _ => {
                let values = data.len();
                return Err(format!("tensor {name} has shape {shape:?} but {values} values (1 to {MAX_ROWS} rows)"));
            }
        };
        let names = column_names(name, width, part, count, known);
        if width == 1 {
            // One column: the values as they are, not copied.
            columns.extend(names.into_iter().map(|column| (column, std::mem::take(&mut data))));
            continue;
        }
        for (j, column) in names.into_iter().enumerate() {
            columns.push((
                column,
                (0..rows).map(|i| std::mem::replace(&mut data[i * width + j], Cell::Missing)).collect(),
            ));
        }
    }
    let rows = columns.first().map_or(0, |(_, values)| values.len());
    if columns.iter().any(|(_, values)| values.len() != rows) {
        return Err("the tensors do not all have the same number of rows".into());
    }
    let (names, values): (Vec<String>, Vec<Vec<Cell>>) = columns.into_iter().unzip();
    let mut values: Vec<std::vec::IntoIter<Cell>> = values.into_iter().map(Vec::into_iter).collect();
    payload.rows =
        (0..rows).map(|_| values.iter_mut().map(|column| column.next().unwrap_or(Cell::Missing)).collect()).collect();
    payload.columns = names;
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
    fn a_shape_whose_size_overflows_is_refused_not_a_crash() {
        let text = include_str!("../../../../fuzz/regressions/ingest/shape-overflowing-usize");
        let why = "tensor x has shape [1, 4294967296, 4294967296] but 1 values (1 to 4096 rows)";
        let body = Body::parse(text.as_bytes()).unwrap();
        assert!(matches!(body, Body::Tensors(_)), "read by the typed path");
        assert_eq!(read_body(&body, &Envelope::default(), &Columns::default()).unwrap_err(), why);
        let json: Value = serde_json::from_str(text).unwrap();
        assert_eq!(read(&json, &Envelope::default(), &Columns::default()).unwrap_err(), why);
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
