//! Two data files compared at once (`vigil drift compare REFERENCE CURRENT`): both are read in
//! parallel into profiles, as a reference is read, each current column typed as the reference
//! types it, and compared as a stored report would be. Nothing is stored: the one-shot check a
//! pipeline runs before it ships a model, or a person runs on two exports.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use chrono::Utc;

use super::profile::ColumnProfile;
use super::reference::{self, ProfiledFile, Profiling, ReferenceRequest};
use super::report::{self, DriftReport, Settings, DATASET_DRIFT_SHARE};
use super::schema::ColumnUse;
use super::table::BadRows;
use crate::{Result, VigilError};

/// What to compare, beyond the two files.
#[derive(Debug, Clone, Default)]
pub struct CompareRequest {
    /// The column holding the model's prediction, tested as the prediction.
    pub prediction: Option<String>,
    /// Columns whose use was chosen rather than inferred.
    pub columns: BTreeMap<String, ColumnUse>,
    /// The share of drifted features at which the data set counts as drifted (None: 0.5).
    pub drift_share: Option<f64>,
    pub bad_rows: BadRows,
}

/// Compares `current` with `reference` (CSV, JSON Lines or Parquet each), reading both at once
/// (blocking: run it on a blocking thread); setting `cancel` stops it.
pub fn compare_files(
    reference_path: &Path,
    current_path: &Path,
    request: &CompareRequest,
    cancel: &AtomicBool,
) -> Result<DriftReport> {
    let read = |path: &Path, columns: &BTreeMap<String, ColumnUse>| {
        let model = path.file_stem().map_or_else(|| "data".to_owned(), |stem| stem.to_string_lossy().into_owned());
        let request = ReferenceRequest {
            model,
            version: None,
            prediction: request.prediction.clone(),
            target: None,
            columns: columns.clone(),
            bad_rows: request.bad_rows,
        };
        reference::read(path, &request, Profiling::InLine, &|_| {}, cancel)
            .map_err(|err| VigilError::invalid("file", format!("{}: {err}", path.display())))
    };
    let (reference, current) = std::thread::scope(|scope| {
        let reference = scope.spawn(|| read(reference_path, &request.columns));
        let current = read(current_path, &request.columns);
        let reference = reference.join().unwrap_or_else(|_| Err(VigilError::Internal("reading stopped".into())));
        (reference, current)
    });
    let reference = reference?;
    let mut current = current?;
    // A column the two files would type apart (say, a few values that look numeric in one) is
    // read again from the current file as the reference types it.
    let uses = uses_of(&reference);
    if uses_of(&current).iter().any(|(name, column_use)| uses.get(name).is_some_and(|used| used != column_use)) {
        current = read(current_path, &uses)?;
    }
    let current: BTreeMap<String, ColumnProfile> = current
        .summary
        .columns
        .iter()
        .zip(current.profiles)
        .filter_map(|(column, profile)| Some((column.name.clone(), profile?)))
        .collect();
    let settings =
        Settings { choices: BTreeMap::new(), drift_share: request.drift_share.unwrap_or(DATASET_DRIFT_SHARE) };
    let now = Utc::now();
    Ok(report::compare(&reference, &current, &settings, (now, now), now))
}

/// Each column's use in a file read.
fn uses_of(file: &ProfiledFile) -> BTreeMap<String, ColumnUse> {
    file.summary.columns.iter().map(|column| (column.name.clone(), column.column_use.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, rows: impl Iterator<Item = String>) -> std::path::PathBuf {
        let path = dir.join(name);
        let text: String = std::iter::once("age,plan,score\n".to_owned()).chain(rows).collect();
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn two_files_compare_column_by_column_and_a_shifted_column_is_the_one_that_drifts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let plans = ["basic", "plus", "pro"];
        let row = |i: usize, shift: usize| format!("{},{},{}\n", 20 + i % 40 + shift, plans[i % 3], (i * 7) % 100);
        let reference = write(dir.path(), "train.csv", (0..3_000).map(|i| row(i, 0)));
        let current = write(dir.path(), "today.csv", (0..2_000).map(|i| row(i, 15)));
        let request = CompareRequest { prediction: Some("score".into()), ..CompareRequest::default() };
        let report = compare_files(&reference, &current, &request, &AtomicBool::new(false)).expect("a report");
        let verdicts: BTreeMap<&str, bool> = report
            .columns
            .iter()
            .map(|column| (column.column.as_str(), column.test.as_ref().expect("tested").drifted))
            .collect();
        assert_eq!(verdicts, BTreeMap::from([("age", true), ("plan", false), ("score", false)]));
        assert_eq!((report.reference_rows, report.current_rows), (3_000, 2_000));
        assert_eq!(report.prediction_drift, Some(false));
    }

    #[test]
    fn a_missing_file_is_named_and_a_column_typed_apart_is_read_as_the_reference_types_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let reference = write(dir.path(), "train.csv", (0..500).map(|i| format!("{},{},{}\n", i % 50, i % 3, i % 100)));
        let request = CompareRequest::default();
        let missing = compare_files(&reference, &dir.path().join("nope.csv"), &request, &AtomicBool::new(false));
        assert!(missing.unwrap_err().to_string().contains("nope.csv"), "the missing file is named");
        // score takes 100 values in the reference (numeric), two in the current file (which alone
        // would read as categories): it is read as numbers and compared as numbers.
        let current = write(dir.path(), "today.csv", (0..500).map(|i| format!("{},{},{}\n", i % 50, i % 3, 1 + i % 2)));
        let report = compare_files(&reference, &current, &request, &AtomicBool::new(false)).expect("a report");
        let score = report.columns.iter().find(|column| column.column == "score").expect("score is compared");
        let test = score.test.as_ref().expect("tested");
        assert_eq!(
            (test.method.name(), score.current_count, test.drifted, score.problem.as_deref()),
            ("ks", 500, true, None),
            "{score:?}"
        );
    }
}
