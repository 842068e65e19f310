//! Entry points for the fuzz targets in `fuzz/` (`make fuzz`): one thin function a target, each
//! handing untrusted bytes to the parsers the engine itself runs on them, through the same calls.
//! Not an API: hidden from the docs, and nothing in the engine calls it. A function here holds
//! no parsing of its own; what it adds is only how one input stands for what the engine is given
//! (a file written where an import would read it, headers before a body).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use chrono::DateTime;
use serde_json::Value;

use crate::discovery::Listing;
use crate::drift::payload::{self, Columns};
use crate::drift::reference::{self, ReferenceRequest};
use crate::drift::table::{BadRows, Cell, Table};
use crate::drift::{ingest, logs};
use crate::kinds::ServerKind;
use crate::parity::compare;
use crate::parity::protocol::{answers, Protocol};
use crate::performance::outputs::{self, ModelOutputs, OutputRule};
use crate::performance::{labels, reference as labelled_reference};
use crate::rollouts::targets;
use crate::scrape::prometheus_api;

/// A metrics page as a poll reads it: into totals per revision and resources, by every kind's
/// signal map.
pub fn metrics_page(bytes: &[u8]) {
    for kind in ServerKind::all() {
        if let Some(map) = kind.signal_map() {
            let _ = crate::observe::scraped_from(bytes, None, map);
        }
    }
}

/// An answer of Prometheus' `/api/v1/query` as a server read through it takes it: the series,
/// written back as a page and read by each source kind's map.
pub fn prometheus_answer(bytes: &[u8]) {
    let Ok(series) = prometheus_api::instant_vector(bytes, 200) else { return };
    let page = prometheus_api::exposition(series.iter());
    metrics_page(page.as_bytes());
}

/// One answer of a model server as every kind reads it: as the answer to its detection probe, and
/// as its listing (the index, the model names, one model's versions, its default version). Every
/// revision listed has a bounded, non-empty name and version.
pub fn server_answer(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes); // as detection reads a probe's answer
    let json = serde_json::from_slice::<Value>(bytes).ok(); // as `fetch_json` reads a listing
    for spec in ServerKind::all().into_iter().filter_map(ServerKind::spec) {
        let _ = (spec.probe.recognise)(200, &text);
        let (Some(listing), Some(json)) = (&spec.listing, &json) else { continue };
        let listed = match listing {
            Listing::Index { read, .. } => read(json),
            Listing::PerModel { names, versions: (_, versions), default_version, .. } => {
                let names = names.map(|(_, read)| read(json)).unwrap_or_default();
                assert!(names.iter().all(|name| bounded(name)), "{}: a model name is unbounded", spec.name);
                let _ = default_version.and_then(|(_, read)| read(json));
                versions("model", json)
            }
        };
        for revision in listed {
            let version = revision.key.version.as_deref().unwrap_or("x");
            assert!(bounded(&revision.key.model) && bounded(version), "{}: {:?}", spec.name, revision.key);
        }
    }
}

fn bounded(name: &str) -> bool {
    !name.is_empty() && name.len() <= 256
}

/// A revision's metadata as a poll keeps it (a JSON object), then as each reader of it takes it:
/// which output is the prediction, the inputs and outputs load tests and parity checks build
/// from, and the environment it names.
pub fn model_metadata(bytes: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else { return };
    let Some(stored) = value.is_object().then(|| value.to_string()) else { return };
    let _ = outputs::from_metadata(&stored, None);
    let _ = outputs::from_metadata(&stored, Some("prediction"));
    for tensor in crate::oip::inputs_of(&stored).into_iter().chain(crate::oip::outputs_of(&stored)).flatten() {
        let _ = crate::oip::typed(&Value::from(1.5), &tensor.datatype);
    }
    crate::environment::gather::from_metadata(&stored, &mut crate::environment::Fingerprint::default());
}

/// An answer to an inference request, as a parity check reads it in either protocol and
/// compares each row's values with an expected one.
pub fn infer_answer(bytes: &[u8]) {
    let Ok(answer) = serde_json::from_slice::<Value>(bytes) else { return };
    let expected = [Cell::Number(1.0), Cell::Text("[1, \"a\"]".into())];
    let outputs = ["predict".to_owned()];
    let rule = compare::OutputRule::default_for("predict");
    for protocol in [Protocol::OipV2, Protocol::KserveV1] {
        for (datatype, rows) in answers(protocol, &answer, &outputs, expected.len()).into_iter().flatten() {
            for (want, got) in expected.iter().zip(&rows) {
                let _ = compare::check(want, got, &datatype, &rule);
            }
        }
    }
}

/// An answer of a deployment target, as every target reads one (its words when it refuses), as a
/// router's route (and a webhook target's read-back) and as an MLflow alias.
pub fn deployment_answer(bytes: &[u8]) {
    let json = serde_json::from_slice::<Value>(bytes).unwrap_or(Value::Null); // as `TargetHttp` reads it
    let _ = targets::own_words(&json, bytes);
    if let Ok(traffic) = targets::router::route_traffic(json.clone(), "http://router/route") {
        let _ = traffic.normalized().describe();
    }
    let _ = targets::mlflow::version_in(json);
}

/// A data file, written as `data.EXTENSION` (`csv`, `jsonl`, `parquet`), imported as each import
/// reads one: reference data (with CBPE's labelled rows), an inference log typed by that
/// reference, labels, and a golden set.
pub fn data_file(extension: &str, bytes: &[u8]) {
    let path = scratch().join(format!("data.{extension}"));
    std::fs::write(&path, bytes).expect("the scratch file is written");
    let columns = Table::open(&path).map(|table| table.columns().to_vec()).unwrap_or_default();
    let named = |name: &str| columns.iter().any(|column| column == name).then(|| name.to_owned());
    let cancel = AtomicBool::new(false);
    let request = ReferenceRequest {
        model: "fuzzed".into(),
        prediction: named("prediction"),
        target: named("target"),
        bad_rows: BadRows::Skip,
        ..ReferenceRequest::default()
    };
    let summary = reference::read(&path, &request, reference::Profiling::Parallel, &|_| {}, &cancel)
        .ok()
        .map(|file| file.summary);
    let rule = OutputRule::Classifier { label: "prediction".into(), probability: Some("probability".into()) };
    let _ = labelled_reference::read(&path, &rule, request.target.as_deref());
    let known = logs::KnownModel {
        kinds: reference::kinds_of(summary.as_ref()),
        outputs: ModelOutputs::for_every_version(rule),
        keep_inputs: true,
    };
    let log = logs::LogRequest {
        model: "fuzzed".into(),
        time_column: named("time"),
        bad_rows: BadRows::Skip,
        ..Default::default()
    };
    let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default();
    let _ = logs::read(&path, &log, known, now, &|_| {}, &cancel);
    let _ = labels::read_file(&path, BadRows::Skip, 0);
    let _ = crate::parity::golden::read(&path, &[], &[], &cancel);
}

/// A directory of this process's own for the files [`data_file`] writes.
fn scratch() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vigil-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the scratch directory is made");
        dir
    })
    .clone()
}

/// A post to the ingest endpoint: `name: value` header lines, an empty line, then the body (or a
/// body alone), read as a payload logger's inference and as posted labels.
pub fn ingest(bytes: &[u8]) {
    let (head, body) = match bytes.windows(2).position(|pair| pair == b"\n\n") {
        Some(at) => (&bytes[..at], &bytes[at + 2..]),
        None => (&[][..], bytes),
    };
    let mut headers = HeaderMap::new();
    for line in head.split(|byte| *byte == b'\n') {
        let Some(colon) = line.iter().position(|byte| *byte == b':') else { continue };
        let value = line[colon + 1..].trim_ascii();
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(value)) {
            headers.append(name, value);
        }
    }
    let features = ["amount".to_owned(), "channel".to_owned()];
    let columns = Columns { features: &features, prediction: Some("prediction") };
    if let Ok(parsed) = payload::Body::parse(body) {
        let _ = parsed.model_name();
        let _ = payload::read_body(&parsed, &ingest::envelope(&headers), &columns);
    }
    let _ = labels::parse_post(body, 0);
}

/// A rollout plan file (TOML, or JSON), checked as `vigil rollout plan` checks it.
pub fn rollout_plan(text: &str) {
    let _ = crate::rollouts::plan::Plan::parse(text);
}

/// A price catalog file (CSV), checked row by row as its import checks it.
pub fn price_catalog(text: &str) {
    let _ = crate::cost::catalog::parse_csv(text);
}
