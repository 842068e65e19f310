//! Importing inference logs: a CSV or JSON Lines file of a model's live inputs and outputs,
//! one row a prediction, gathered into the hourly windows a drift report compares with the
//! reference. A time column places each row in its hour; without one, rows count as seen now.
//! With an `inference_id` (or `id`) column, each row's prediction is logged too
//! (`performance::log`), under the model's output rule.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::live::LiveProfiles;
use super::stats::ColumnKind;
use super::table::{BadRows, Field, ImportProgress, SkippedRow, Table};
use crate::performance::log::{PredictionLog, Source};
use crate::performance::outputs::ModelOutputs;
use crate::{Result, VigilError};

/// What a person asked for when importing an inference log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct LogRequest {
    pub model: String,
    /// The version that served these rows; None when not known.
    pub version: Option<String>,
    /// The column with each row's time (RFC 3339 text, or Unix seconds or milliseconds).
    pub time_column: Option<String>,
    pub bad_rows: BadRows,
}

/// An inference log as imported.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LogSummary {
    pub model: String,
    pub source: String,
    #[ts(type = "number")]
    pub rows: u64,
    #[ts(type = "number")]
    pub skipped_rows: u64,
    pub bad_rows: Vec<SkippedRow>,
    /// The time of the first and last row.
    pub first_at: Option<DateTime<Utc>>,
    pub last_at: Option<DateTime<Utc>>,
}

/// What the log's model is known to be: its columns' kinds (the reference's), where its
/// prediction is among its outputs, and whether it keeps inputs.
pub struct KnownModel {
    pub kinds: HashMap<String, ColumnKind>,
    pub outputs: ModelOutputs,
    pub keep_inputs: bool,
}

/// Reads `path` into live profiles of `request.model`, typing columns as `known` says, and its
/// predictions into a log. Blocking: run it on a blocking thread.
pub fn read(
    path: &Path,
    request: &LogRequest,
    known: KnownModel,
    now: DateTime<Utc>,
    progress: &(dyn Fn(ImportProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<(LiveProfiles, PredictionLog, LogSummary)> {
    if request.model.trim().is_empty() {
        return Err(VigilError::invalid("model", "Name the model these predictions are from."));
    }
    let mut table = Table::open(path)?;
    let columns = table.columns().to_vec();
    let time_index = match &request.time_column {
        Some(name) => Some(columns.iter().position(|column| column == name).ok_or_else(|| {
            VigilError::invalid(
                "time_column",
                format!("the file has no column {name}; its columns are {}.", columns.join(", ")),
            )
        })?),
        None => None,
    };
    let version = request.version.clone().unwrap_or_default();
    let model = request.model.trim();
    let mut live = LiveProfiles::new(model, known.kinds);
    let mut log = PredictionLog::default();
    let id_index = ["inference_id", "id"].iter().find_map(|id| columns.iter().position(|column| column == id));
    let leave_out: Vec<usize> = [time_index, id_index].into_iter().flatten().collect();
    let rule = known.outputs.for_version(&version);
    // (index in the file, position in the profiles) of every column but the time.
    let positions: Vec<(usize, usize)> = (0..columns.len())
        .filter(|index| Some(*index) != time_index)
        .map(|index| (index, live.column(&columns[index])))
        .collect();
    let (mut first_ms, mut last_ms) = (i64::MAX, i64::MIN);
    let (counts, bad_rows) = table.read_all(path, request.bad_rows, progress, cancel, |row| {
        let at_ms = match time_index.map(|index| time_of(row.get(index))) {
            Some(Some(at_ms)) => at_ms,
            Some(None) => {
                return Ok(Some(format!(
                    "its {} is not a time (RFC 3339, or Unix seconds or milliseconds)",
                    request.time_column.as_deref().unwrap_or_default()
                )))
            }
            None => now.timestamp_millis(),
        };
        (first_ms, last_ms) = (first_ms.min(at_ms), last_ms.max(at_ms));
        live.add_row(&version, at_ms, positions.iter().map(|&(index, position)| (position, row.get(index))));
        let id = id_index.and_then(|index| crate::performance::log::class_of(row.get(index)));
        let source = Source {
            model,
            version: &version,
            id: id.as_deref(),
            at_ms,
            columns: &columns,
            rule,
            keep_inputs: known.keep_inputs,
            leave_out: &leave_out,
        };
        log.log(&source, 1, |_, column| row.get(column));
        Ok(None)
    })?;
    let source = path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into());
    let summary = LogSummary {
        model: request.model.trim().to_owned(),
        source,
        rows: counts.rows,
        skipped_rows: counts.skipped_rows,
        bad_rows,
        first_at: DateTime::from_timestamp_millis(first_ms).filter(|_| counts.rows > 0),
        last_at: DateTime::from_timestamp_millis(last_ms).filter(|_| counts.rows > 0),
    };
    Ok((live, log, summary))
}

/// A cell's time in Unix ms: RFC 3339 text, or a number of seconds (below 10^11) or milliseconds.
fn time_of(field: Field<'_>) -> Option<i64> {
    match field {
        Field::Number(number) if number.is_finite() => {
            Some(if number.abs() < 1e11 { (number * 1000.0) as i64 } else { number as i64 })
        }
        Field::Text(text) => DateTime::parse_from_rfc3339(text).ok().map(|at| at.timestamp_millis()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_rfc_3339_seconds_or_milliseconds() {
        let ms = 1_764_000_000_000;
        assert_eq!(time_of(Field::Text("2025-11-24T16:00:00Z")), Some(ms));
        assert_eq!(time_of(Field::Number(1_764_000_000.0)), Some(ms));
        assert_eq!(time_of(Field::Number(ms as f64)), Some(ms));
        assert_eq!(time_of(Field::Text("yesterday")), None);
        assert_eq!(time_of(Field::Missing), None);
    }
}
