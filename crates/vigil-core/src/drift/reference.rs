//! Importing a model's reference data: a file streamed into one profile per column, with
//! progress, cancellation and a stated choice for malformed rows, then stored in one
//! transaction that replaces the model's previous reference. Nothing is stored unless the whole
//! file was read.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use ts_rs::TS;

use super::choice::ColumnChoice;
use super::parallel;
use super::profile::{ColumnProfile, SplitMix64};
use super::schema::{self, ColumnUse};
use super::stats::ColumnKind;
use super::table::{BadRows, ImportProgress, KeptRow, Row, SkippedRow, Table};
use crate::store::values::{stamp, Flag, Stamp};
use crate::{Result, VigilError};

/// The most values of a numeric column a reference keeps (a uniform sample beyond).
pub const REFERENCE_SAMPLE: usize = 100_000;

/// What a person asked for when importing reference data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ReferenceRequest {
    pub model: String,
    /// The version it is the reference of; None for every version.
    pub version: Option<String>,
    /// The column holding the model's prediction.
    pub prediction: Option<String>,
    /// The column holding the true outcome, if the file has one.
    pub target: Option<String>,
    /// Columns whose use was chosen rather than inferred.
    pub columns: BTreeMap<String, ColumnUse>,
    pub bad_rows: BadRows,
}

/// A column of stored reference data, as a person reviews it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReferenceColumn {
    pub name: String,
    #[serde(flatten)]
    pub column_use: ColumnUse,
    /// Values present / missing.
    #[ts(type = "number")]
    pub count: u64,
    #[ts(type = "number")]
    pub missing: u64,
}

/// Reference data as imported.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReferenceSummary {
    pub model: String,
    pub version: Option<String>,
    pub source: String,
    pub imported_at: DateTime<Utc>,
    #[ts(type = "number")]
    pub rows: u64,
    #[ts(type = "number")]
    pub skipped_rows: u64,
    /// The first rows left out, with why.
    pub bad_rows: Vec<SkippedRow>,
    pub prediction: Option<String>,
    pub target: Option<String>,
    pub columns: Vec<ReferenceColumn>,
}

/// A file read into profiles, not stored yet.
pub struct ProfiledFile {
    pub summary: ReferenceSummary,
    /// One per column of `summary.columns`; None for a skipped column.
    pub profiles: Vec<Option<ColumnProfile>>,
}

/// Each tested column's kind in a reference (none without a reference).
pub fn kinds_of(reference: Option<&ReferenceSummary>) -> HashMap<String, ColumnKind> {
    reference
        .into_iter()
        .flat_map(|reference| &reference.columns)
        .filter_map(|column| match column.column_use {
            ColumnUse::Test { kind } => Some((column.name.clone(), kind)),
            ColumnUse::Skip { .. } => None,
        })
        .collect()
}

/// How a file's columns are profiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profiling {
    /// A batch of rows at a time, the batch's columns spread over the cores: a file read alone.
    Parallel,
    /// Each row as it is read, on the reading thread: files read side by side, a core each,
    /// where holding rows for other threads would only add copies and thread switches.
    InLine,
}

/// Reads `path` into profiles as `request` says (blocking: run it on a blocking thread).
/// `progress` hears how far it got every few thousand rows; setting `cancel` stops it.
pub fn read(
    path: &Path,
    request: &ReferenceRequest,
    profiling: Profiling,
    progress: &(dyn Fn(ImportProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<ProfiledFile> {
    if request.model.trim().is_empty() {
        return Err(VigilError::invalid("model", "Name the model this reference data is for."));
    }
    let mut table = Table::open(path)?;
    let columns = table.columns().to_vec();
    for (field, column) in [("prediction", &request.prediction), ("target", &request.target)] {
        if let Some(name) = column.as_ref().filter(|name| !columns.contains(name)) {
            return Err(VigilError::invalid(
                field,
                format!("the file has no column {name}; its columns are {}.", columns.join(", ")),
            ));
        }
    }
    let mut profiler = Profiler {
        columns: &columns,
        chosen: &request.columns,
        profiling,
        held: Vec::new(),
        uses: Vec::new(),
        profiles: Vec::new(),
    };
    let (counts, bad_rows) =
        table.read_all(path, request.bad_rows, progress, cancel, |row| profiler.add(row).map(|()| None))?;
    if counts.rows == 0 {
        return Err(VigilError::invalid("file", format!("{} has no rows to import.", path.display())));
    }
    let (uses, profiles) = profiler.finish()?;

    let source = path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into());
    let summary = ReferenceSummary {
        model: request.model.trim().to_owned(),
        version: request.version.clone().filter(|version| !version.is_empty()),
        source,
        imported_at: Utc::now(),
        rows: counts.rows,
        skipped_rows: counts.skipped_rows,
        bad_rows,
        prediction: request.prediction.clone(),
        target: request.target.clone(),
        columns: columns
            .into_iter()
            .zip(uses)
            .zip(&profiles)
            .map(|((name, column_use), profile)| ReferenceColumn {
                name,
                column_use,
                count: profile.as_ref().map_or(0, |profile| profile.count),
                missing: profile.as_ref().map_or(0, |profile| profile.missing),
            })
            .collect(),
    };
    Ok(ProfiledFile { summary, profiles })
}

/// Profiles a file's rows: holds the first ones until the columns' kinds are inferred from
/// them, then profiles each row as it comes ([`Profiling::InLine`]) or holds rows a batch at a
/// time and profiles each batch's columns in parallel ([`Profiling::Parallel`]). Each column
/// sees its values in the file's order either way, so both give the same profiles.
struct Profiler<'a> {
    columns: &'a [String],
    chosen: &'a BTreeMap<String, ColumnUse>,
    profiling: Profiling,
    held: Vec<KeptRow>,
    uses: Vec<ColumnUse>,
    /// One per column: its profile (None when skipped) and the generator drawing its sample.
    profiles: Vec<(Option<ColumnProfile>, SplitMix64)>,
}

/// Rows profiled together, column by column.
const BATCH_ROWS: usize = 4_096;

impl Profiler<'_> {
    fn add(&mut self, row: Row<'_>) -> Result<()> {
        if self.uses.is_empty() {
            self.held.push(row.keep());
            if self.held.len() == schema::INFER_FROM_ROWS {
                self.start()?;
            }
        } else if self.profiling == Profiling::InLine {
            self.profiles.iter_mut().enumerate().for_each(|(index, column)| profile(column, index, row));
        } else {
            self.held.push(row.keep());
            if self.held.len() == BATCH_ROWS {
                self.profile_held();
            }
        }
        Ok(())
    }

    /// Infers the kinds from the rows held, then profiles those rows.
    fn start(&mut self) -> Result<()> {
        let rows: Vec<Row<'_>> = self.held.iter().map(KeptRow::row).collect();
        self.uses = schema::infer(self.columns, &rows, self.chosen)?;
        self.profiles = self
            .uses
            .iter()
            .enumerate()
            .map(|(index, column_use)| {
                let profile = match column_use {
                    ColumnUse::Test { kind: ColumnKind::Numeric } => Some(ColumnProfile::numeric(REFERENCE_SAMPLE)),
                    ColumnUse::Test { .. } => Some(ColumnProfile::categorical()),
                    ColumnUse::Skip { .. } => None,
                };
                (profile, SplitMix64::new(0x5EED + index as u64))
            })
            .collect();
        self.profile_held();
        Ok(())
    }

    /// Adds the rows held to the profiles, a column per thread at a time.
    fn profile_held(&mut self) {
        let rows = &self.held;
        let mut columns: Vec<(usize, &mut (Option<ColumnProfile>, SplitMix64))> =
            self.profiles.iter_mut().enumerate().filter(|(_, (profile, _))| profile.is_some()).collect();
        parallel::for_each_mut(&mut columns, |(index, column)| {
            rows.iter().for_each(|row| profile(column, *index, row.row()));
        });
        self.held.clear();
    }

    /// The columns' uses and profiles, each sample sorted as it will be stored.
    fn finish(mut self) -> Result<(Vec<ColumnUse>, Vec<Option<ColumnProfile>>)> {
        if self.uses.is_empty() {
            self.start()?;
        }
        self.profile_held();
        let mut profiles: Vec<Option<ColumnProfile>> = self.profiles.into_iter().map(|(profile, _)| profile).collect();
        parallel::for_each_mut(&mut profiles, |profile| profile.iter_mut().for_each(ColumnProfile::sort_sample));
        Ok((self.uses, profiles))
    }
}

/// Adds column `index` of `row` to the column's profile (none: the column is skipped).
fn profile(column: &mut (Option<ColumnProfile>, SplitMix64), index: usize, row: Row<'_>) {
    if let (Some(profile), rng) = column {
        profile.add_field(row.get(index), rng);
    }
}

/// Stores `file` as its model's reference, replacing the one before.
pub async fn store(conn: &mut AnyConnection, file: &ProfiledFile) -> Result<()> {
    let summary = &file.summary;
    let version = summary.version.clone().unwrap_or_default();
    // The tests chosen for columns of the reference replaced carry over to the same names.
    let chosen: Vec<(String, Option<String>, Option<f64>, Flag)> = sqlx::query_as(
        "SELECT c.name, c.method, c.threshold, c.learned FROM drift_columns c
         JOIN drift_references r ON r.id = c.reference_id
         WHERE r.model = $1 AND r.version = $2 AND (c.method IS NOT NULL OR c.threshold IS NOT NULL OR c.learned)",
    )
    .bind(&summary.model)
    .bind(&version)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM drift_references WHERE model = $1 AND version = $2")
        .bind(&summary.model)
        .bind(&version)
        .execute(&mut *conn)
        .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO drift_references
             (model, version, source, imported_at, rows, skipped_rows, prediction_column, target_column)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&summary.model)
    .bind(&version)
    .bind(&summary.source)
    .bind(stamp(summary.imported_at))
    .bind(summary.rows as i64)
    .bind(summary.skipped_rows as i64)
    .bind(&summary.prediction)
    .bind(&summary.target)
    .fetch_one(&mut *conn)
    .await?;
    for (position, (column, profile)) in summary.columns.iter().zip(&file.profiles).enumerate() {
        sqlx::query(
            "INSERT INTO drift_columns (reference_id, position, name, use, profile, sample) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(&column.name)
        .bind(to_json(&column.column_use)?)
        .bind(profile.as_ref().map(to_json).transpose()?)
        .bind(profile.as_ref().map(ColumnProfile::sample_bytes))
        .execute(&mut *conn)
        .await?;
    }
    for (name, method, threshold, learned) in chosen {
        sqlx::query(
            "UPDATE drift_columns SET method = $1, threshold = $2, learned = $3 WHERE reference_id = $4 AND name = $5",
        )
        .bind(method)
        .bind(threshold)
        .bind(learned.0)
        .bind(id)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|err| VigilError::Internal(err.to_string()))
}

/// The reference data of `model` for `version` (or, when it has none of its own, for every
/// version), as stored; None if none was imported.
pub async fn load(conn: &mut AnyConnection, model: &str, version: Option<&str>) -> Result<Option<ProfiledFile>> {
    type Row = (i64, String, String, Stamp, i64, i64, Option<String>, Option<String>);
    let found: Option<Row> = sqlx::query_as(
        "SELECT id, version, source, imported_at, rows, skipped_rows, prediction_column, target_column
         FROM drift_references WHERE model = $1 AND version IN ($2, '') ORDER BY version = $2 DESC LIMIT 1",
    )
    .bind(model)
    .bind(version.unwrap_or(""))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, stored_version, source, imported_at, rows, skipped_rows, prediction, target)) = found else {
        return Ok(None);
    };
    type ColumnRow = (String, String, Option<String>, Option<Vec<u8>>);
    let stored: Vec<ColumnRow> = sqlx::query_as(
        "SELECT name, use, profile, sample FROM drift_columns WHERE reference_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut columns = Vec::with_capacity(stored.len());
    let mut profiles = Vec::with_capacity(stored.len());
    for (name, column_use, profile, sample) in stored {
        let profile: Option<ColumnProfile> =
            profile.map(|json| from_json::<ColumnProfile>(&json)).transpose()?.map(|mut profile| {
                profile.restore_sample(sample.as_deref().unwrap_or_default());
                profile
            });
        columns.push(ReferenceColumn {
            name,
            column_use: from_json(&column_use)?,
            count: profile.as_ref().map_or(0, |profile| profile.count),
            missing: profile.as_ref().map_or(0, |profile| profile.missing),
        });
        profiles.push(profile);
    }
    let summary = ReferenceSummary {
        model: model.to_owned(),
        version: Some(stored_version).filter(|version| !version.is_empty()),
        source,
        imported_at: imported_at.0,
        rows: rows as u64,
        skipped_rows: skipped_rows as u64,
        bad_rows: Vec::new(),
        prediction,
        target,
        columns,
    };
    Ok(Some(ProfiledFile { summary, profiles }))
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    serde_json::from_str(json)
        .map_err(|err| VigilError::Internal(format!("a stored drift profile is unreadable: {err}")))
}

/// The test chosen for each column of `model`'s reference (`version`'s own, else the one for
/// every version), for the columns where a person chose one.
pub async fn choices(
    conn: &mut AnyConnection,
    model: &str,
    version: Option<&str>,
) -> Result<BTreeMap<String, ColumnChoice>> {
    let rows: Vec<(String, Option<String>, Option<f64>, Flag)> = sqlx::query_as(
        "SELECT c.name, c.method, c.threshold, c.learned FROM drift_columns c
         WHERE c.reference_id = (SELECT id FROM drift_references WHERE model = $1 AND version IN ($2, '')
                                 ORDER BY version = $2 DESC LIMIT 1)
           AND (c.method IS NOT NULL OR c.threshold IS NOT NULL OR c.learned)",
    )
    .bind(model)
    .bind(version.unwrap_or(""))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(name, method, threshold, learned)| {
            let method = method
                .map(|method| serde_json::from_value(serde_json::Value::String(method)))
                .transpose()
                .map_err(|err| VigilError::Internal(format!("a stored drift method is unknown: {err}")))?;
            Ok((name, ColumnChoice { method, threshold, learned: learned.0 }))
        })
        .collect()
}

/// Stores the test chosen for `column` of the reference of `model` stored under `version`
/// ("" for every version).
pub async fn store_choice(
    conn: &mut AnyConnection,
    (model, version): (&str, &str),
    column: &str,
    choice: &ColumnChoice,
) -> Result<()> {
    sqlx::query(
        "UPDATE drift_columns SET method = $1, threshold = $2, learned = $6
         WHERE name = $3 AND reference_id = (SELECT id FROM drift_references WHERE model = $4 AND version = $5)",
    )
    .bind(choice.method.map(|method| method.name()))
    .bind(choice.threshold)
    .bind(column)
    .bind(model)
    .bind(version)
    .bind(choice.learned)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_profiled_row_by_row_or_a_batch_at_a_time_gives_the_same_profiles() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("train.csv");
        // Past the rows the kinds are inferred from, two whole batches and part of a third.
        let rows = (0..schema::INFER_FROM_ROWS + 2 * BATCH_ROWS + 123).map(|i| {
            format!(
                "{i},{},{},{}\n",
                ["basic", "plus", "pro"][i % 3],
                (i * 37) % 1000,
                if i % 7 == 0 { "" } else { "x" }
            )
        });
        std::fs::write(&path, std::iter::once("id,plan,score,flag\n".to_owned()).chain(rows).collect::<String>())
            .expect("write");
        let request = ReferenceRequest { model: "m".into(), ..ReferenceRequest::default() };
        let read = |profiling| read(&path, &request, profiling, &|_| {}, &AtomicBool::new(false)).expect("read");
        let (in_line, parallel) = (read(Profiling::InLine), read(Profiling::Parallel));
        assert_eq!(in_line.profiles, parallel.profiles);
        assert_eq!(in_line.summary.columns, parallel.summary.columns);
        let counts: Vec<u64> = in_line.summary.columns.iter().map(|column| column.count).collect();
        assert_eq!(
            counts,
            [0, 18_315, 18_315, 15_698],
            "the id skipped, every other value counted: {:?}",
            in_line.summary.columns
        );
    }
}
