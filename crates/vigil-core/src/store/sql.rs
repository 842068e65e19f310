//! SQL text both stores understand, for statements the query modules build from parts: rows of
//! parameters, and "insert or replace" as `ON CONFLICT … DO UPDATE` (SQLite's `INSERT OR
//! REPLACE` is its own; PostgreSQL has none); and [`runs`] of rows for those whose size follows
//! the traffic.

use std::fmt::Write;

use super::Backend;

/// `items` in runs for multi-row statements whose row count follows the traffic (the
/// predictions or labels gathered in a quarter second): runs of `most`, then what is left in
/// runs of powers of two, largest first (300 rows: 256, 32, 8, 4). Each run's length is a
/// statement of its own in every pooled connection's statement cache; one for each count the
/// traffic made piled up (15 MB of prepared statements in the window's process after 4 minutes on
/// the demo fleet, by heaptrack), and preparing each afresh instead cost the ingest endpoint 40 %
/// of its events a second. These few lengths stay cached.
pub fn runs<T>(items: &[T], most: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        let take = if rest.len() >= most { most } else { 1 << rest.len().checked_ilog2()? };
        let (run, after) = rest.split_at(take);
        rest = after;
        Some(run)
    })
}

/// `count` parameters, the first numbered `first`: `$3, $4` on PostgreSQL; on SQLite `?, ?`,
/// which take their values in order. A statement's parameters are all of one form: SQLite
/// numbers a `?` after the largest number before it, while sqlx counts only the `?`s.
///
/// Why not `$n` on SQLite too: sqlx finds each numbered parameter's place by its name, and
/// SQLite finds the name by walking the statement's list of names, so binding costs the square
/// of the count. For the ingest endpoint's 512-row inserts of 8 columns that was half its core
/// (perf: 81 % of the SQLite worker's samples in `sqlite3_bind_parameter_name`).
pub fn parameters(backend: Backend, first: usize, count: usize) -> String {
    let mut text = String::with_capacity(count * 6);
    for n in first..first + count {
        let sep = if n == first { "" } else { ", " };
        let _ = match backend {
            Backend::Postgres => write!(text, "{sep}${n}"),
            Backend::Sqlite => write!(text, "{sep}?"),
        };
    }
    text
}

/// `rows` groups of `columns` [`parameters`], the first numbered 1: `($1, $2), ($3, $4)`.
pub fn placeholders(backend: Backend, columns: usize, rows: usize) -> String {
    let groups: Vec<String> =
        (0..rows).map(|row| format!("({})", parameters(backend, row * columns + 1, columns))).collect();
    groups.join(", ")
}

/// Inserts `rows` rows of `columns` into `table`; a row whose `key` is already there has its
/// other columns replaced. A statement must not name one key twice (PostgreSQL refuses it).
pub fn replace_into(backend: Backend, table: &str, columns: &[&str], key: &[&str], rows: usize) -> String {
    let updates: Vec<String> =
        columns.iter().filter(|c| !key.contains(c)).map(|c| format!("{c} = excluded.{c}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
        columns.join(", "),
        placeholders(backend, columns.len(), rows),
        key.join(", "),
        updates.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_numbered_on_for_postgresql_and_in_order_for_sqlite_and_a_replace_updates_all_but_the_key() {
        assert_eq!(placeholders(Backend::Postgres, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(parameters(Backend::Postgres, 2, 3), "$2, $3, $4");
        assert_eq!(
            replace_into(Backend::Postgres, "t", &["k", "a", "b"], &["k"], 1),
            "INSERT INTO t (k, a, b) VALUES ($1, $2, $3) ON CONFLICT (k) DO UPDATE SET a = excluded.a, b = excluded.b"
        );
    }

    #[tokio::test]
    async fn each_store_takes_the_values_of_a_many_row_insert_in_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        let backend = crate::store::backend_of(&pool);
        sqlx::query("CREATE TABLE pairs (k BIGINT PRIMARY KEY, v TEXT)").execute(&pool).await.unwrap();
        let rows: Vec<(i64, String)> = (0..300).map(|k| (k, format!("value {k}"))).collect();
        let text = format!("{} RETURNING k, v", replace_into(backend, "pairs", &["k", "v"], &["k"], rows.len()));
        let mut insert = sqlx::query_as::<_, (i64, String)>(&text);
        for (k, v) in &rows {
            insert = insert.bind(k).bind(v);
        }
        let mut stored = insert.fetch_all(&pool).await.unwrap();
        stored.sort();
        assert_eq!(stored, rows);
        let only = format!("SELECT v FROM pairs WHERE k IN ({})", parameters(backend, 1, 2));
        let picked: Vec<String> = sqlx::query_scalar(&only).bind(7_i64).bind(299_i64).fetch_all(&pool).await.unwrap();
        assert_eq!(picked, ["value 7", "value 299"]);
    }

    #[test]
    fn rows_go_in_full_runs_then_powers_of_two_so_that_few_statement_lengths_are_ever_made() {
        let rows: Vec<u32> = (0..1_300).collect();
        let lengths: Vec<usize> = runs(&rows, 512).map(<[u32]>::len).collect();
        assert_eq!(lengths, [512, 512, 256, 16, 4]);
        assert_eq!(runs(&rows, 512).flatten().copied().collect::<Vec<_>>(), rows, "every row once, in order");
        assert_eq!(runs(&rows[..1], 512).count(), 1);
        assert_eq!(runs(&rows[..0], 512).count(), 0);
        let every_length: std::collections::BTreeSet<usize> =
            (0..2_000).flat_map(|count| runs(&rows[..count.min(1_300)], 512).map(<[u32]>::len)).collect();
        assert_eq!(every_length.len(), 10, "512 and the nine powers of two below it: {every_length:?}");
    }
}
