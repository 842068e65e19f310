//! SQL text both stores understand, for statements the query modules build from parts: rows of
//! `$n` placeholders, and "insert or replace" as `ON CONFLICT … DO UPDATE` (SQLite's `INSERT OR
//! REPLACE` is its own; PostgreSQL has none); and [`runs`] of rows for those whose size follows
//! the traffic.

use std::fmt::Write;

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

/// `rows` groups of `columns` placeholders, numbered from `$1`: `($1, $2), ($3, $4)`.
pub fn placeholders(columns: usize, rows: usize) -> String {
    let mut text = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        text.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            let sep = if column == 0 { "" } else { ", " };
            let _ = write!(text, "{sep}${}", row * columns + column + 1);
        }
        text.push(')');
    }
    text
}

/// Inserts `rows` rows of `columns` into `table`; a row whose `key` is already there has its
/// other columns replaced. A statement must not name one key twice (PostgreSQL refuses it).
pub fn replace_into(table: &str, columns: &[&str], key: &[&str], rows: usize) -> String {
    let updates: Vec<String> =
        columns.iter().filter(|c| !key.contains(c)).map(|c| format!("{c} = excluded.{c}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
        columns.join(", "),
        placeholders(columns.len(), rows),
        key.join(", "),
        updates.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_numbered_on_and_a_replace_updates_all_but_the_key() {
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(
            replace_into("t", &["k", "a", "b"], &["k"], 1),
            "INSERT INTO t (k, a, b) VALUES ($1, $2, $3) ON CONFLICT (k) DO UPDATE SET a = excluded.a, b = excluded.b"
        );
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
