//! Golden rows as inference requests, and the answers as values per row per output, in the two
//! protocols parity speaks: the Open Inference Protocol v2 (`POST …/infer`, one tensor per
//! input the metadata lists, or all inputs as one `[rows, features]` tensor) and KServe's v1
//! (`POST /v1/models/{m}:predict` with `{"instances": [[…], …]}`, answered with
//! `{"predictions": […]}`), which TF Serving's REST API also speaks.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;

use crate::drift::table::Cell;
use crate::oip::{typed, Tensor};

/// How a revision is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    #[default]
    OipV2,
    KserveV1,
}

impl Protocol {
    pub fn parse(name: &str) -> Result<Protocol, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "oip-v2" | "v2" | "oip" => Ok(Protocol::OipV2),
            "kserve-v1" | "v1" => Ok(Protocol::KserveV1),
            other => Err(format!("'{other}' is not a protocol Vigil speaks: oip-v2 or kserve-v1")),
        }
    }

    /// The URL that takes `model`'s (at `version`) requests below `base_url`.
    pub fn url(self, kind: crate::kinds::ServerKind, base_url: &str, model: &str, version: &str) -> Option<String> {
        let version = Some(version).filter(|version| !version.is_empty());
        match self {
            Protocol::OipV2 => kind.model_infer_url(base_url, model, version),
            Protocol::KserveV1 => {
                let mut url = url::Url::parse(base_url).ok()?;
                {
                    let mut path = url.path_segments_mut().ok()?;
                    path.pop_if_empty().extend(["v1", "models"]);
                    match version {
                        Some(version) => path.extend([model, "versions", &format!("{version}:predict")]),
                        None => path.push(&format!("{model}:predict")),
                    };
                }
                Some(url.to_string())
            }
        }
    }
}

/// The request for `rows` (each a row's values of the golden `inputs`), shaped by the
/// metadata's `listed` inputs.
pub fn request(
    protocol: Protocol,
    inputs: &[String],
    listed: Option<&[Tensor]>,
    rows: &[Vec<Cell>],
) -> Result<Value, String> {
    let cell = |cell: &Cell| match cell {
        Cell::Missing => Value::Null,
        Cell::Number(number) => json!(number),
        Cell::Text(text) => json!(text),
    };
    if protocol == Protocol::KserveV1 {
        let instances: Vec<Value> = rows.iter().map(|row| Value::Array(row.iter().map(cell).collect())).collect();
        return Ok(json!({ "instances": instances }));
    }
    let whole = |name: &str, datatype: &str| {
        let data: Vec<Value> = rows.iter().flatten().map(|value| typed(&cell(value), datatype)).collect();
        json!({ "name": name, "shape": [rows.len(), inputs.len()], "datatype": datatype, "data": data })
    };
    let tensors = match listed {
        None => vec![whole("input-0", "FP64")],
        Some(listed) if listed.iter().all(|tensor| inputs.contains(&tensor.name)) => listed
            .iter()
            .map(|tensor| {
                let at = inputs.iter().position(|name| *name == tensor.name).unwrap_or(0);
                let data: Vec<Value> = rows.iter().map(|row| typed(&cell(&row[at]), &tensor.datatype)).collect();
                json!({ "name": tensor.name, "shape": [rows.len()], "datatype": tensor.datatype, "data": data })
            })
            .collect(),
        Some([one]) => vec![whole(&one.name, &one.datatype)],
        Some(listed) => {
            let missing: Vec<&str> = listed
                .iter()
                .map(|tensor| tensor.name.as_str())
                .filter(|name| !inputs.iter().any(|i| i == name))
                .collect();
            return Err(format!("the model takes inputs the golden set has no column for: {}", missing.join(", ")));
        }
    };
    Ok(json!({ "inputs": tensors }))
}

/// One output's values for each of `rows` rows, with its datatype; or why there are none.
pub type Answers = Result<(String, Vec<Vec<Value>>), String>;

/// The `outputs`' values per row in `answer`, in `outputs` order.
pub fn answers(protocol: Protocol, answer: &Value, outputs: &[String], rows: usize) -> Vec<Answers> {
    match protocol {
        Protocol::OipV2 => {
            let returned = answer["outputs"].as_array().cloned().unwrap_or_default();
            let names: Vec<&str> = returned.iter().filter_map(|output| output["name"].as_str()).collect();
            outputs
                .iter()
                .map(|name| {
                    let found = returned.iter().find(|output| output["name"].as_str() == Some(name));
                    let found =
                        found.or(if returned.len() == 1 && outputs.len() == 1 { returned.first() } else { None });
                    let output = found.ok_or_else(|| {
                        format!("the server returned no output named {name} (it returned: {})", names.join(", "))
                    })?;
                    let data = output["data"].as_array().cloned().unwrap_or_default();
                    if rows == 0 || data.len() % rows != 0 || data.is_empty() {
                        return Err(format!("the server returned {} values of {name} for {rows} rows", data.len()));
                    }
                    let per_row = data.len() / rows;
                    let datatype = output["datatype"].as_str().unwrap_or("").to_owned();
                    Ok((datatype, data.chunks(per_row).map(<[Value]>::to_vec).collect()))
                })
                .collect()
        }
        Protocol::KserveV1 => {
            let predictions = answer["predictions"].as_array().cloned().unwrap_or_default();
            outputs
                .iter()
                .map(|name| {
                    if predictions.len() != rows {
                        return Err(format!("the server returned {} predictions for {rows} rows", predictions.len()));
                    }
                    let values = predictions
                        .iter()
                        .map(|prediction| match prediction {
                            Value::Object(fields) => fields.get(name).map_or_else(Vec::new, flat),
                            other => flat(other),
                        })
                        .collect();
                    Ok((String::new(), values))
                })
                .collect()
        }
    }
}

fn flat(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_one_tensor_or_one_per_listed_input_and_answers_split_by_row() {
        let inputs = vec!["a".to_owned(), "b".to_owned()];
        let rows = vec![vec![Cell::Number(1.0), Cell::Number(2.0)], vec![Cell::Number(3.0), Cell::Number(4.0)]];
        let body = request(Protocol::OipV2, &inputs, None, &rows).unwrap();
        assert_eq!(body["inputs"][0]["shape"], json!([2, 2]));
        assert_eq!(body["inputs"][0]["data"], json!([1.0, 2.0, 3.0, 4.0]));
        let listed = [
            Tensor { name: "b".into(), datatype: "INT64".into() },
            Tensor { name: "a".into(), datatype: "FP32".into() },
        ];
        let body = request(Protocol::OipV2, &inputs, Some(&listed), &rows).unwrap();
        assert_eq!(body["inputs"][0]["data"], json!([2, 4]));
        let v1 = request(Protocol::KserveV1, &inputs, None, &rows).unwrap();
        assert_eq!(v1, json!({"instances": [[1.0, 2.0], [3.0, 4.0]]}));

        let answer = json!({"outputs": [{"name": "predict_proba", "datatype": "FP64", "shape": [2, 2], "data": [0.1, 0.9, 0.8, 0.2]}]});
        let (datatype, values) = answers(Protocol::OipV2, &answer, &["predict_proba".into()], 2).remove(0).unwrap();
        assert_eq!(
            (datatype.as_str(), values),
            ("FP64", vec![vec![json!(0.1), json!(0.9)], vec![json!(0.8), json!(0.2)]])
        );
        let two = json!({"outputs": [{"name": "x", "data": [1]}, {"name": "y", "data": [2]}]});
        let missing = answers(Protocol::OipV2, &two, &["z".into()], 1).remove(0).unwrap_err();
        assert_eq!(missing, "the server returned no output named z (it returned: x, y)");
        let (_, values) =
            answers(Protocol::KserveV1, &json!({"predictions": [1, 0]}), &["p".into()], 2).remove(0).unwrap();
        assert_eq!(values, vec![vec![json!(1)], vec![json!(0)]]);
    }

    #[test]
    fn the_v1_url_names_the_model_and_its_version() {
        let url =
            Protocol::KserveV1.url(crate::kinds::ServerKind::OipV2, "http://127.0.0.1:8080/", "iris", "").unwrap();
        assert_eq!(url, "http://127.0.0.1:8080/v1/models/iris:predict");
    }
}
