//! A golden set: inputs with the outputs the model gave in the data scientist's notebook, from a
//! CSV, JSON Lines or Parquet file (read by `drift::table`). The expected outputs are the columns
//! named as the model's outputs — those the request names, else those its metadata lists, else
//! a column called `predict`, `prediction`, `predictions` or `expected` — and every other column
//! is an input, in file order. Rows are numbered from 0, as a pandas DataFrame's default index.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use crate::drift::table::{BadRows, Cell, Table};
use crate::{Result, VigilError};

/// The most rows a golden set may hold.
pub const MAX_ROWS: usize = 200_000;
/// Column names taken for the expected output when neither the request nor the metadata names one.
const USUAL_OUTPUTS: [&str; 4] = ["predict", "prediction", "predictions", "expected"];

/// A golden set, read.
#[derive(Debug, Clone)]
pub struct Golden {
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// Each row's input values, in `inputs` order.
    pub input_rows: Vec<Vec<Cell>>,
    /// Each row's expected values, in `outputs` order.
    pub expected_rows: Vec<Vec<Cell>>,
}

/// Reads `path`, the expected outputs being `named` (else the metadata's `metadata_outputs`,
/// else a usual name).
pub fn read(path: &Path, named: &[String], metadata_outputs: &[String], cancel: &AtomicBool) -> Result<Golden> {
    let mut table = Table::open(path)?;
    let columns = table.columns().to_vec();
    let shown = path.display();
    let outputs: Vec<String> = if !named.is_empty() {
        for name in named {
            if !columns.contains(name) {
                return Err(VigilError::invalid(
                    "output",
                    format!("{shown} has no column '{name}' to compare with; its columns: {}.", columns.join(", ")),
                ));
            }
        }
        named.to_vec()
    } else {
        let listed: Vec<String> = metadata_outputs.iter().filter(|name| columns.contains(name)).cloned().collect();
        match listed.is_empty() {
            false => listed,
            true => USUAL_OUTPUTS.iter().find(|name| columns.iter().any(|c| c == *name)).map(|name| vec![(*name).to_owned()]).ok_or_else(|| {
                VigilError::invalid(
                    "output",
                    format!(
                        "{shown} has no column named as the model's output ({}): name the expected output columns (--output NAME).",
                        if metadata_outputs.is_empty() { USUAL_OUTPUTS.join(", ") } else { metadata_outputs.join(", ") }
                    ),
                )
            })?,
        }
    };
    let output_at: Vec<usize> = outputs.iter().filter_map(|name| columns.iter().position(|c| c == name)).collect();
    let input_at: Vec<usize> = (0..columns.len()).filter(|index| !output_at.contains(index)).collect();
    if input_at.is_empty() {
        return Err(VigilError::invalid("file", format!("{shown} has no input columns beside its expected outputs.")));
    }
    let mut golden = Golden {
        inputs: input_at.iter().map(|&index| columns[index].clone()).collect(),
        outputs,
        input_rows: Vec::new(),
        expected_rows: Vec::new(),
    };
    table.read_all(path, BadRows::Stop, &|_| {}, cancel, |row| {
        if golden.input_rows.len() >= MAX_ROWS {
            return Ok(Some(format!("a golden set holds at most {MAX_ROWS} rows")));
        }
        golden.input_rows.push(input_at.iter().map(|&index| row.get(index).to_cell()).collect());
        golden.expected_rows.push(output_at.iter().map(|&index| row.get(index).to_cell()).collect());
        Ok(None)
    })?;
    if golden.input_rows.is_empty() {
        return Err(VigilError::invalid("file", format!("{shown} has no rows.")));
    }
    Ok(golden)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> AtomicBool {
        AtomicBool::new(false)
    }

    #[test]
    fn json_lines_keep_a_vector_output_and_the_metadata_names_the_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("golden.jsonl");
        std::fs::write(&path, "{\"a\": 1, \"b\": 2.5, \"probabilities\": [0.1, 0.9]}\n{\"a\": 3, \"b\": 4, \"probabilities\": [0.7, 0.3]}\n").unwrap();
        let golden = read(&path, &[], &["probabilities".into(), "absent".into()], &never()).unwrap();
        assert_eq!(
            (golden.inputs.as_slice(), golden.outputs.as_slice()),
            (&["a".to_owned(), "b".to_owned()][..], &["probabilities".to_owned()][..])
        );
        assert_eq!(golden.input_rows[1], [Cell::Number(3.0), Cell::Number(4.0)]);
        assert_eq!(golden.expected_rows[0], [Cell::Text("[0.1,0.9]".into())], "an array is kept as its JSON");
    }

    #[test]
    fn a_usual_output_name_is_taken_and_a_missing_one_is_named_with_the_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("golden.csv");
        std::fs::write(&path, "x,y,prediction\n1,2,0\n").unwrap();
        let golden = read(&path, &[], &[], &never()).unwrap();
        assert_eq!(golden.outputs, ["prediction"]);
        let missing = read(&path, &["label".into()], &[], &never()).unwrap_err().to_string();
        assert!(missing.contains("has no column 'label'") && missing.contains("x, y, prediction"), "{missing}");
        std::fs::write(&path, "x,y\n1,2\n").unwrap();
        let none = read(&path, &[], &[], &never()).unwrap_err().to_string();
        assert!(none.contains("--output NAME"), "{none}");
    }

    #[test]
    fn a_parquet_golden_set_is_read_like_a_csv_one() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/drift/reference.parquet");
        let golden = read(&path, &["score".into()], &[], &never()).unwrap();
        assert_eq!(golden.inputs, ["order_id", "amount", "items", "country", "returning"]);
        assert_eq!((golden.input_rows.len(), golden.expected_rows[1].as_slice()), (1_000, &[Cell::Number(0.1)][..]));
    }
}
