//! Ground truth: the true label of an inference, posted to the ingest endpoint
//! (`POST /ingest/{model}/labels`) or imported from a file (`vigil labels import`), kept whether
//! or not its prediction is logged yet, and joined to it by inference id when a report is asked.
//! Every statement on the `ground_truth` table.
//!
//! The posted body is exactly `{"labels":[{"id":"<inference id>","label":<number or string>,
//! "at":"<RFC 3339, optional: when the truth became known>"}]}`. A file has a column `id` (or
//! `inference_id`) and a column `label`, and may have `at`.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use chrono::DateTime;
use serde::Serialize;
use serde_json::Value;
use sqlx::AnyConnection;
use ts_rs::TS;

use super::log::class_of;
use crate::drift::table::{BadRows, Field, SkippedRow, Table};
use crate::store::sql;
use crate::{Result, VigilError};

/// The most labels one post may carry.
pub const MAX_LABELS_POSTED: usize = 10_000;

/// One inference's true label.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub inference_id: String,
    /// As a predicted class is kept (`log::class_of`), or a number's text.
    pub class: String,
    /// When the label is a number.
    pub value: Option<f64>,
    /// When the truth became known, in Unix ms.
    pub known_at_ms: i64,
}

impl Label {
    /// A label read from `id`, `label` and `at` values; the error names what is wrong.
    fn read(id: Field<'_>, label: Field<'_>, at: Field<'_>, now_ms: i64) -> Result<Label, String> {
        let inference_id = match id {
            Field::Text(text) if !text.trim().is_empty() => text.trim().to_owned(),
            Field::Number(number) => class_of(Field::Number(number)).ok_or("id is not an inference id")?,
            _ => return Err("id is missing".to_owned()),
        };
        let (class, value) = match label {
            Field::Number(number) if number.is_finite() => {
                (class_of(label).unwrap_or_else(|| number.to_string()), Some(number))
            }
            Field::Text(_) => (class_of(label).ok_or("label is empty")?, None),
            _ => return Err("label is missing".to_owned()),
        };
        let known_at_ms = match at {
            Field::Missing => now_ms,
            Field::Text(text) => DateTime::parse_from_rfc3339(text)
                .map_err(|_| format!("at is {text:?}, not an RFC 3339 time such as 2026-12-03T09:00:00Z"))?
                .timestamp_millis(),
            Field::Number(number) => return Err(format!("at is {number}, not an RFC 3339 time")),
        };
        Ok(Label { inference_id, class, value, known_at_ms })
    }
}

/// A posted JSON value as a field: null or absent is missing, a string is read as a CSV field
/// is; the error is the value's JSON when it is neither a number nor a string.
fn field(value: Option<&Value>) -> Result<Field<'_>, String> {
    match value {
        None | Some(Value::Null) => Ok(Field::Missing),
        Some(Value::Number(number)) => Ok(number.as_f64().map_or(Field::Missing, Field::Number)),
        Some(Value::String(text)) => Ok(Field::parse(text)),
        Some(other) => Err(other.to_string()),
    }
}

/// The labels of a posted body; the error names the entry and what is wrong with it.
pub fn parse_post(body: &[u8], now_ms: i64) -> Result<Vec<Label>, String> {
    let json: Value = serde_json::from_slice(body).map_err(|err| format!("the body is not valid JSON: {err}"))?;
    let entries = json
        .get("labels")
        .and_then(Value::as_array)
        .ok_or(r#"the body has no "labels" list: send {"labels":[{"id":"…","label":1}]}"#)?;
    if entries.is_empty() || entries.len() > MAX_LABELS_POSTED {
        return Err(format!("a post carries 1 to {MAX_LABELS_POSTED} labels, not {}", entries.len()));
    }
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let wrong = |why: String| format!("labels[{index}]: {why}");
            let object = entry.as_object().ok_or_else(|| wrong("is not an object".into()))?;
            if let Some(key) = object.keys().find(|key| !matches!(key.as_str(), "id" | "label" | "at")) {
                return Err(wrong(format!("has {key:?}; an entry has only id, label and at")));
            }
            let id = match object.get("id") {
                Some(Value::String(text)) => Field::Text(text),
                Some(Value::Number(_)) => field(object.get("id")).map_err(wrong)?,
                None | Some(Value::Null) => Field::Missing,
                Some(other) => return Err(wrong(format!("id is {other}, not a string"))),
            };
            let label = field(object.get("label"))
                .map_err(|other| wrong(format!("label is {other}, not a number or a string")))?;
            let at = match object.get("at") {
                Some(Value::String(text)) => Field::Text(text),
                None | Some(Value::Null) => Field::Missing,
                Some(other) => return Err(wrong(format!("at is {other}, not an RFC 3339 time"))),
            };
            Label::read(id, label, at, now_ms).map_err(wrong)
        })
        .collect()
}

/// A label file as imported.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LabelImport {
    pub model: String,
    pub source: String,
    #[ts(type = "number")]
    pub labels: u64,
    /// Of them, how many join a prediction already logged.
    #[ts(type = "number")]
    pub joined: u64,
    #[ts(type = "number")]
    pub skipped_rows: u64,
    pub bad_rows: Vec<SkippedRow>,
}

/// Reads a label file (CSV, JSON Lines, Parquet); blocking. A malformed row stops the import,
/// naming its line and column, unless `bad_rows` says to leave it out.
pub fn read_file(path: &Path, bad_rows: BadRows, now_ms: i64) -> Result<(Vec<Label>, u64, Vec<SkippedRow>)> {
    let mut table = Table::open(path)?;
    let columns = table.columns().to_vec();
    let find = |names: &[&str]| columns.iter().position(|column| names.contains(&column.as_str()));
    let missing = |what: &str| {
        VigilError::invalid(
            "file",
            format!("{} has no {what} column; its columns are {}.", path.display(), columns.join(", ")),
        )
    };
    let id = find(&["id", "inference_id"]).ok_or_else(|| missing("id (or inference_id)"))?;
    let label = find(&["label"]).ok_or_else(|| missing("label"))?;
    let at = find(&["at"]);
    let mut labels = Vec::new();
    let (counts, skipped) = table.read_all(path, bad_rows, &|_| {}, &AtomicBool::new(false), |row| {
        let at = at.map_or(Field::Missing, |at| row.get(at));
        match Label::read(row.get(id), row.get(label), at, now_ms) {
            Ok(read) => labels.push(read),
            Err(why) => return Ok(Some(format!("column {why}"))),
        }
        Ok(None)
    })?;
    Ok((labels, counts.skipped_rows, skipped))
}

/// Labels a statement stores at once: far fewer trips through sqlx than one a label.
const ROWS_PER_INSERT: usize = 512;

/// Stores `labels` of `model` received at `received_at_ms`, in the caller's transaction (a
/// label given again replaces the one before); returns how many join a logged prediction.
pub async fn store(conn: &mut AnyConnection, model: &str, labels: &[Label], received_at_ms: i64) -> Result<u64> {
    store_received(conn, model, labels.iter().map(|label| (label, received_at_ms)).collect()).await
}

/// As [`store`], each label with when it was received; of a label given twice, the last
/// stands (one statement may not name a key twice on PostgreSQL).
pub async fn store_received(conn: &mut AnyConnection, model: &str, mut labels: Vec<(&Label, i64)>) -> Result<u64> {
    let mut seen = std::collections::HashSet::new();
    labels.reverse();
    labels.retain(|(label, _)| seen.insert(label.inference_id.as_str()));
    labels.reverse();
    let mut joined = 0;
    for chunk in sql::runs(&labels, ROWS_PER_INSERT) {
        let columns = ["model", "inference_id", "class", "value", "known_at_ms", "received_at_ms"];
        let backend = crate::store::backend_of_connection(conn);
        let text = sql::replace_into(backend, "ground_truth", &columns, &["model", "inference_id"], chunk.len());
        let mut insert = sqlx::query(&text);
        for (label, received_at_ms) in chunk {
            insert = insert
                .bind(model)
                .bind(&label.inference_id)
                .bind(&label.class)
                .bind(label.value)
                .bind(label.known_at_ms)
                .bind(*received_at_ms);
        }
        insert.execute(&mut *conn).await?;
        let text = format!(
            "SELECT count(*) FROM predictions WHERE model = {} AND inference_id IN ({})",
            sql::parameters(backend, 1, 1),
            sql::parameters(backend, 2, chunk.len())
        );
        let mut logged = sqlx::query_scalar::<_, i64>(&text).bind(model);
        for (label, _) in chunk {
            logged = logged.bind(&label.inference_id);
        }
        joined += logged.fetch_one(&mut *conn).await? as u64;
    }
    Ok(joined)
}

/// How many labels of `model` wait for their prediction.
pub async fn waiting(conn: &mut AnyConnection, model: &str) -> Result<u64> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ground_truth g WHERE g.model = $1
         AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.model = $1 AND p.inference_id = g.inference_id)",
    )
    .bind(model)
    .fetch_one(conn)
    .await?;
    Ok(count as u64)
}

/// The models with labels.
pub async fn models(conn: &mut AnyConnection) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT DISTINCT model FROM ground_truth").fetch_all(conn).await?)
}

/// Deletes the labels of `model` received before `before_ms`.
pub async fn prune(conn: &mut AnyConnection, model: &str, before_ms: i64) -> Result<()> {
    sqlx::query("DELETE FROM ground_truth WHERE model = $1 AND received_at_ms < $2")
        .bind(model)
        .bind(before_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes every label of `model`; returns how many.
pub async fn delete(conn: &mut AnyConnection, model: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM ground_truth WHERE model = $1").bind(model).execute(conn).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000_000;

    #[test]
    fn a_posted_body_reads_numbers_strings_and_times() {
        let body = br#"{"labels":[{"id":"a","label":1},{"id":"b","label":"cat","at":"2025-11-24T16:00:00Z"},
            {"id":"c","label":2.5}]}"#;
        let labels = parse_post(body, NOW).unwrap();
        assert_eq!(
            labels[0],
            Label { inference_id: "a".into(), class: "1".into(), value: Some(1.0), known_at_ms: NOW }
        );
        assert_eq!((labels[1].class.as_str(), labels[1].known_at_ms), ("cat", 1_764_000_000_000));
        assert_eq!((labels[2].class.as_str(), labels[2].value), ("2.5", Some(2.5)));
    }

    #[test]
    fn a_wrong_body_names_the_entry_and_what_is_wrong() {
        let wrong = |body: &str| parse_post(body.as_bytes(), NOW).unwrap_err();
        assert!(wrong("{").contains("not valid JSON"));
        assert!(wrong(r#"{"label":1}"#).contains(r#"no "labels" list"#));
        assert!(wrong(r#"{"labels":[]}"#).contains("1 to 10000 labels"));
        assert_eq!(wrong(r#"{"labels":[{"id":"a","label":1},{"label":1}]}"#), "labels[1]: id is missing");
        assert_eq!(wrong(r#"{"labels":[{"id":"a"}]}"#), "labels[0]: label is missing");
        assert!(wrong(r#"{"labels":[{"id":"a","label":[1]}]}"#).contains("labels[0]: label is [1], not a number"));
        assert!(wrong(r#"{"labels":[{"id":"a","label":1,"at":"monday"}]}"#).contains("not an RFC 3339 time"));
        assert!(wrong(r#"{"labels":[{"id":"a","label":1,"truth":1}]}"#).contains(r#"has "truth""#));
    }
}
