//! SQL text both stores understand, for statements the query modules build from parts: rows of
//! `$n` placeholders, and "insert or replace" as `ON CONFLICT … DO UPDATE` (SQLite's `INSERT OR
//! REPLACE` is its own; PostgreSQL has none); and [`uncached`] for those whose size follows the
//! traffic.

use std::fmt::Write;

/// A query of `text`, prepared for this call only and not kept in the connection's statement
/// cache: for a statement whose number of rows follows the traffic (the predictions or labels
/// gathered in a quarter second, a chunk of a copy). Each row count is a statement of its own,
/// and a large one, so every pooled connection kept a pile of them that was seldom used again
/// (15 MB of prepared statements in the window's process after 4 minutes on the demo fleet, by
/// heaptrack). A statement whose count stays put (a server's points at each poll) is cached.
pub fn uncached(text: &str) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(text).persistent(false)
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
}
