//! What each column of a data file is, inferred from its first rows: numeric, categorical or
//! binary, or skipped (free text, identifiers, empty) with the reason. A person can override
//! any column's kind.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::stats::ColumnKind;
#[cfg(test)]
use super::table::Cell;
use super::table::{Field, Row};
use crate::{Result, VigilError};

/// How many rows the kinds are inferred from.
pub const INFER_FROM_ROWS: usize = 10_000;
/// A text column with more distinct values than this is not categorical.
const MAX_CATEGORICAL_VALUES: usize = 200;
/// Whole numbers with at most this many distinct values are categorical, as in Evidently.
const FEW_WHOLE_NUMBERS: usize = 10;
/// Text longer than this, on average, is free text.
const FREE_TEXT_CHARS: usize = 40;

/// What Vigil does with a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "use")]
pub enum ColumnUse {
    /// Tested for drift as a column of this kind.
    Test { kind: ColumnKind },
    /// Not tested, for this reason.
    Skip { reason: String },
}

/// A column's use as a person chose it on the command line or in the window: `numeric`,
/// `categorical`, `binary` or `skip`.
pub fn parse_choice(column: &str, choice: &str) -> Result<ColumnUse> {
    Ok(match choice.trim().to_ascii_lowercase().as_str() {
        "numeric" => ColumnUse::Test { kind: ColumnKind::Numeric },
        "categorical" => ColumnUse::Test { kind: ColumnKind::Categorical },
        "binary" => ColumnUse::Test { kind: ColumnKind::Binary },
        "skip" => ColumnUse::Skip { reason: "skipped by choice".into() },
        other => {
            return Err(VigilError::invalid(
                "columns",
                format!("column {column}: \"{other}\" is not a kind; use numeric, categorical, binary or skip."),
            ))
        }
    })
}

/// Infers each column's use from `rows` (the first [`INFER_FROM_ROWS`] of the file), then
/// applies `chosen` (column name → use), which must name columns of the file.
pub fn infer(columns: &[String], rows: &[Row<'_>], chosen: &BTreeMap<String, ColumnUse>) -> Result<Vec<ColumnUse>> {
    if let Some(unknown) = chosen.keys().find(|name| !columns.contains(name)) {
        return Err(VigilError::invalid(
            "columns",
            format!("the file has no column {unknown}; its columns are {}.", columns.join(", ")),
        ));
    }
    Ok(columns
        .iter()
        .enumerate()
        .map(|(index, name)| {
            chosen.get(name).cloned().unwrap_or_else(|| infer_one(name, rows.iter().map(|row| row.get(index))))
        })
        .collect())
}

/// The use of one column from its values.
fn infer_one<'a>(name: &str, cells: impl Iterator<Item = Field<'a>>) -> ColumnUse {
    let (mut present, mut numbers, mut integers, mut text_chars) = (0usize, 0usize, 0usize, 0usize);
    // Numbers by value (0.0 and -0.0 as one), texts by content: a text never reads as a number.
    let mut distinct_numbers: HashSet<u64> = HashSet::new();
    let mut distinct_texts: HashSet<&str> = HashSet::new();
    for cell in cells {
        match cell {
            Field::Missing => continue,
            Field::Number(number) => {
                numbers += 1;
                integers += usize::from(number.fract() == 0.0);
                distinct_numbers.insert((number + 0.0).to_bits());
            }
            Field::Text(text) => {
                text_chars += text.chars().count();
                distinct_texts.insert(text);
            }
        }
        present += 1;
    }
    let distinct = distinct_numbers.len() + distinct_texts.len();
    let skip = |reason: String| ColumnUse::Skip { reason };
    if present == 0 {
        return skip("every value is empty".into());
    }
    if distinct == 1 {
        // A constant column cannot drift in kind, but it can start to vary: test it.
        return ColumnUse::Test {
            kind: if numbers == present { ColumnKind::Numeric } else { ColumnKind::Categorical },
        };
    }
    if distinct == 2 {
        return ColumnUse::Test { kind: ColumnKind::Binary };
    }
    let all_distinct = distinct == present && present >= 20;
    if numbers == present {
        if integers == present && all_distinct && looks_like_an_id(name) {
            return skip(format!("an identifier: all {present} values are distinct whole numbers"));
        }
        // As Evidently types them: a few whole numbers (a count, a rating) are categories.
        if integers == present && distinct <= FEW_WHOLE_NUMBERS {
            return ColumnUse::Test { kind: ColumnKind::Categorical };
        }
        return ColumnUse::Test { kind: ColumnKind::Numeric };
    }
    if text_chars / present.max(1) > FREE_TEXT_CHARS {
        return skip(format!("free text: values average {} characters", text_chars / present));
    }
    if all_distinct {
        return skip(format!("an identifier: all {present} values are distinct"));
    }
    if distinct > MAX_CATEGORICAL_VALUES {
        return skip(format!("too many distinct values ({distinct} in the first {present}) to be a category"));
    }
    ColumnUse::Test { kind: ColumnKind::Categorical }
}

/// Whether a column's name reads like an identifier's (`id`, `user_id`, `RowId`, `uuid`, `index`).
fn looks_like_an_id(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "index" || lower.ends_with("id") || lower.ends_with("_key") || lower.contains("uuid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(values: impl Iterator<Item = f64>) -> Vec<Cell> {
        values.map(Cell::Number).collect()
    }

    fn texts(values: impl Iterator<Item = String>) -> Vec<Cell> {
        values.map(Cell::Text).collect()
    }

    fn kinds(columns: Vec<(&str, Vec<Cell>)>, chosen: &BTreeMap<String, ColumnUse>) -> Result<Vec<ColumnUse>> {
        let names: Vec<String> = columns.iter().map(|(name, _)| name.to_string()).collect();
        let rows: Vec<Vec<Cell>> =
            (0..columns[0].1.len()).map(|row| columns.iter().map(|(_, cells)| cells[row].clone()).collect()).collect();
        infer(&names, &rows.iter().map(|row| Row::Cells(row)).collect::<Vec<_>>(), chosen)
    }

    #[test]
    fn columns_are_numeric_categorical_binary_or_skipped_with_a_reason() {
        let n = 100;
        let found = kinds(
            vec![
                ("amount", numbers((0..n).map(|i| i as f64 * 1.5))),
                ("user_id", numbers((0..n).map(|i| i as f64))),
                ("age", numbers((0..n).map(|i| (20 + i % 40) as f64))),
                ("country", texts((0..n).map(|i| ["fr", "de", "it"][i % 3].to_string()))),
                ("is_fraud", numbers((0..n).map(|i| (i % 2) as f64))),
                ("comment", texts((0..n).map(|i| format!("the customer called about order {i} and was happy")))),
                ("session", texts((0..n).map(|i| format!("s-{i}")))),
                ("empty", vec![Cell::Missing; n]),
                ("rating", numbers((0..n).map(|i| (1 + i % 5) as f64))),
            ],
            &BTreeMap::new(),
        )
        .unwrap();
        let test = |kind| ColumnUse::Test { kind };
        assert_eq!(found[0], test(ColumnKind::Numeric), "distinct decimals are a numeric feature");
        assert!(matches!(&found[1], ColumnUse::Skip { reason } if reason.contains("identifier")), "{:?}", found[1]);
        assert_eq!(found[2], test(ColumnKind::Numeric));
        assert_eq!(found[3], test(ColumnKind::Categorical));
        assert_eq!(found[4], test(ColumnKind::Binary));
        assert!(matches!(&found[5], ColumnUse::Skip { reason } if reason.contains("free text")), "{:?}", found[5]);
        assert!(matches!(&found[6], ColumnUse::Skip { reason } if reason.contains("identifier")), "{:?}", found[6]);
        assert!(matches!(&found[7], ColumnUse::Skip { reason } if reason.contains("empty")), "{:?}", found[7]);
        assert_eq!(found[8], test(ColumnKind::Categorical), "five whole numbers are categories, as in Evidently");
    }

    #[test]
    fn a_chosen_kind_wins_and_a_choice_naming_no_column_is_refused() {
        let mut chosen = BTreeMap::new();
        chosen.insert("user_id".to_string(), parse_choice("user_id", "Categorical").unwrap());
        let found = kinds(vec![("user_id", numbers((0..50).map(f64::from)))], &chosen).unwrap();
        assert_eq!(found[0], ColumnUse::Test { kind: ColumnKind::Categorical });

        chosen.insert("nope".to_string(), ColumnUse::Skip { reason: "x".into() });
        let err = kinds(vec![("user_id", numbers((0..50).map(f64::from)))], &chosen).unwrap_err();
        assert!(err.to_string().contains("no column nope"), "{err}");
        assert!(parse_choice("a", "float").unwrap_err().to_string().contains("numeric, categorical, binary or skip"));
    }
}
