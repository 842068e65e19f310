//! Live data as it is kept: one profile per model, version, column and hour. Rows are gathered
//! in memory ([`LiveProfiles`]), then merged into the stored windows in one transaction, so a
//! window's size stays bounded however much traffic it saw. A report reads the windows of a
//! range merged into one profile per column.

use std::collections::{BTreeMap, HashMap};

use sqlx::AnyConnection;

use super::profile::{ColumnProfile, SplitMix64};
use super::stats::ColumnKind;
use super::table::Field;
use crate::store::sql;
use crate::{Result, VigilError};

/// The width of a live window.
pub const WINDOW_MS: i64 = 3_600_000;
/// The most values of a numeric column one window keeps (a uniform sample beyond).
pub const WINDOW_SAMPLE: usize = 10_000;
/// The most values of a numeric column a report's merged windows keep.
pub const REPORT_SAMPLE: usize = 100_000;

/// Live rows of one model, gathered by window before they are stored.
pub struct LiveProfiles {
    model: String,
    /// Each column's kind as its reference has it; other columns are typed by their values.
    kinds: HashMap<String, ColumnKind>,
    /// The columns seen; rows name them by position in this list ([`LiveProfiles::column`]).
    columns: Vec<String>,
    positions: HashMap<String, usize>,
    /// Version → window start (Unix ms) → each column's profile, by position (None until the
    /// column has a value in the window).
    windows: HashMap<String, HashMap<i64, Vec<Option<ColumnProfile>>>>,
    rng: SplitMix64,
}

impl LiveProfiles {
    pub fn new(model: &str, kinds: HashMap<String, ColumnKind>) -> Self {
        LiveProfiles {
            model: model.to_owned(),
            kinds,
            columns: Vec::new(),
            positions: HashMap::new(),
            windows: HashMap::new(),
            rng: SplitMix64::new(0x11FE),
        }
    }

    /// The position of the column `name`, by which rows name it.
    pub fn column(&mut self, name: &str) -> usize {
        if let Some(position) = self.positions.get(name) {
            return *position;
        }
        self.columns.push(name.to_owned());
        self.positions.insert(name.to_owned(), self.columns.len() - 1);
        self.columns.len() - 1
    }

    /// Adds a row's values, each with its column's position, seen at `at_ms` by `version`.
    pub fn add_row<'a>(&mut self, version: &str, at_ms: i64, row: impl IntoIterator<Item = (usize, Field<'a>)>) {
        let window = at_ms.div_euclid(WINDOW_MS).saturating_mul(WINDOW_MS);
        if !self.windows.contains_key(version) {
            self.windows.insert(version.to_owned(), HashMap::new());
        }
        let Some(by_window) = self.windows.get_mut(version) else { return };
        let profiles = by_window.entry(window).or_default();
        for (position, field) in row {
            if profiles.len() <= position {
                profiles.resize_with(position + 1, || None);
            }
            let profile = profiles[position].get_or_insert_with(|| {
                match (self.kinds.get(&self.columns[position]).copied(), field) {
                    (Some(ColumnKind::Numeric), _) | (None, Field::Number(_)) => ColumnProfile::numeric(WINDOW_SAMPLE),
                    _ => ColumnProfile::categorical(),
                }
            });
            profile.add_field(field, &mut self.rng);
        }
    }

    /// Whether nothing was gathered.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// Merges what was gathered into the stored windows, in the caller's transaction.
    pub async fn store(mut self, conn: &mut AnyConnection) -> Result<()> {
        // Each window is read, merged and written back: two writers must not interleave.
        crate::store::lock(&mut *conn, &format!("drift_windows/{}", self.model)).await?;
        let columns = std::mem::take(&mut self.columns);
        let windows = std::mem::take(&mut self.windows).into_iter().flat_map(|(version, by_window)| {
            by_window.into_iter().flat_map(move |(window, profiles)| {
                let version = version.clone();
                profiles
                    .into_iter()
                    .enumerate()
                    .filter_map(move |(position, profile)| Some((version.clone(), position, window, profile?)))
            })
        });
        for (version, position, window, mut profile) in windows {
            let column = &columns[position];
            let stored: Option<(String, Vec<u8>)> = sqlx::query_as(
                "SELECT profile, sample FROM drift_windows
                 WHERE model = $1 AND version = $2 AND column_name = $3 AND window_start_ms = $4",
            )
            .bind(&self.model)
            .bind(&version)
            .bind(column)
            .bind(window)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some((json, sample)) = stored {
                let mut before = read_profile(&json, &sample)?;
                before.merge(&profile, &mut self.rng);
                profile = before;
            }
            sqlx::query(&sql::replace_into(
                crate::store::backend_of_connection(conn),
                "drift_windows",
                &["model", "version", "column_name", "window_start_ms", "profile", "sample"],
                &["model", "version", "column_name", "window_start_ms"],
                1,
            ))
            .bind(&self.model)
            .bind(&version)
            .bind(column)
            .bind(window)
            .bind(serde_json::to_string(&profile).map_err(|err| VigilError::Internal(err.to_string()))?)
            .bind(profile.sample_bytes())
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// The live profiles of `model` (of `version`, or of every version when None) in the windows
/// that start from `from_ms` up to `to_ms`, merged into one per column.
pub async fn merged(
    conn: &mut AnyConnection,
    model: &str,
    version: Option<&str>,
    (from_ms, to_ms): (i64, i64),
) -> Result<BTreeMap<String, ColumnProfile>> {
    let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as(
        "SELECT column_name, profile, sample FROM drift_windows
         WHERE model = $1 AND ($2 IS NULL OR version = $2) AND window_start_ms >= $3 AND window_start_ms < $4
         ORDER BY window_start_ms",
    )
    .bind(model)
    .bind(version)
    .bind(from_ms.div_euclid(WINDOW_MS) * WINDOW_MS)
    .bind(to_ms)
    .fetch_all(&mut *conn)
    .await?;
    let mut rng = SplitMix64::new(0x4E9031);
    let mut merged: BTreeMap<String, ColumnProfile> = BTreeMap::new();
    for (column, json, sample) in rows {
        let window = read_profile(&json, &sample)?;
        match merged.get_mut(&column) {
            Some(profile) => profile.merge(&window, &mut rng),
            None => {
                let mut first = window;
                if let super::profile::Values::Numeric(numbers) = &mut first.values {
                    numbers.capacity = REPORT_SAMPLE;
                }
                merged.insert(column, first);
            }
        }
    }
    Ok(merged)
}

fn read_profile(json: &str, sample: &[u8]) -> Result<ColumnProfile> {
    let mut profile: ColumnProfile = serde_json::from_str(json)
        .map_err(|err| VigilError::Internal(format!("a stored drift window is unreadable: {err}")))?;
    profile.restore_sample(sample);
    Ok(profile)
}

/// The versions of `model` that have live windows or a reference of their own, the one with
/// the newest live window first (versions with only a reference last, by name); the empty
/// version (what holds for every version) is left out.
pub async fn versions(conn: &mut AnyConnection, model: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT version FROM (
             SELECT version, MAX(window_start_ms) AS newest FROM drift_windows
             WHERE model = $1 AND version <> '' GROUP BY version
             UNION ALL
             SELECT version, NULL FROM drift_references WHERE model = $1 AND version <> ''
         ) AS seen
         GROUP BY version
         ORDER BY MAX(newest) IS NULL, MAX(newest) DESC, version",
    )
    .bind(model)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(version,)| version).collect())
}

/// The (model, version) of each reference whose live windows gained data in or after the
/// window holding `since_ms`.
pub async fn refreshed_since(conn: &mut AnyConnection, since_ms: i64) -> Result<Vec<(String, String)>> {
    let since_window = since_ms.div_euclid(WINDOW_MS) * WINDOW_MS;
    Ok(sqlx::query_as(
        "SELECT r.model, r.version FROM drift_references r
         WHERE EXISTS (SELECT 1 FROM drift_windows w WHERE w.model = r.model
                           AND (r.version = '' OR w.version = r.version) AND w.window_start_ms >= $1)",
    )
    .bind(since_window)
    .fetch_all(conn)
    .await?)
}

/// Deletes the windows that began before `before_ms`.
pub async fn prune(conn: &mut AnyConnection, before_ms: i64) -> Result<()> {
    sqlx::query("DELETE FROM drift_windows WHERE window_start_ms < $1").bind(before_ms).execute(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::profile::Values;

    #[tokio::test]
    async fn rows_land_in_their_hour_and_windows_merge_across_stores_and_reads() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        let kinds = HashMap::from([("flag".to_string(), ColumnKind::Binary)]);
        let hour = 500 * WINDOW_MS;
        for batch in 0..2 {
            let mut live = LiveProfiles::new("fraud", kinds.clone());
            let (amount, flag) = (live.column("amount"), live.column("flag"));
            for i in 0..15_000 {
                let at = hour + (i % 2) * WINDOW_MS; // two windows
                let row = [(amount, Field::Number((batch * 15_000 + i) as f64)), (flag, Field::Number((i % 2) as f64))];
                live.add_row("v2", at, row);
            }
            let mut conn = pool.acquire().await.unwrap();
            live.store(&mut conn).await.unwrap();
        }
        let mut conn = pool.acquire().await.unwrap();
        let first_hour = merged(&mut conn, "fraud", Some("v2"), (hour, hour + WINDOW_MS)).await.unwrap();
        let amount = &first_hour["amount"];
        let Values::Numeric(numbers) = &amount.values else { panic!("numeric") };
        assert_eq!((amount.count, numbers.sample.len()), (15_000, WINDOW_SAMPLE), "a window keeps its sample size");
        let Values::Categorical(flags) = &first_hour["flag"].values else { panic!("the reference says binary") };
        assert_eq!(flags.get("0"), Some(&15_000));

        let both = merged(&mut conn, "fraud", None, (hour, hour + 2 * WINDOW_MS)).await.unwrap();
        let Values::Numeric(numbers) = &both["amount"].values else { panic!("numeric") };
        assert_eq!((both["amount"].count, numbers.sample.len()), (30_000, 2 * WINDOW_SAMPLE));
        assert!(merged(&mut conn, "fraud", Some("v1"), (hour, hour + WINDOW_MS)).await.unwrap().is_empty());
    }
}
