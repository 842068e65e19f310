//! Reading a data file row by row: CSV (with a header line), JSON Lines (one object a line) or
//! Parquet (its top-level columns), streamed, with each row's line (for Parquet, its row number)
//! so a malformed row can be named, and how far it got so an import can show its progress.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Result, VigilError};

/// The most columns a file may have.
pub const MAX_COLUMNS: usize = 1_000;
/// How many malformed rows an import lists.
const BAD_ROWS_LISTED: usize = 5;
/// Rows between two progress reports and cancellation checks.
const ROWS_PER_STEP: u64 = 8_192;
/// How many JSON Lines rows are read ahead to learn the columns (the keys of their objects).
const COLUMNS_FROM_ROWS: usize = 1_000;

/// One value of a row, owned (a payload's, or a row kept to infer the columns' kinds from).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Missing,
    Number(f64),
    Text(String),
}

/// One value of a row, borrowed from the row as read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    Missing,
    Number(f64),
    Text(&'a str),
}

impl<'a> Field<'a> {
    /// A CSV field: empty or a null spelling is missing, a number is a number, else text.
    pub fn parse(field: &'a str) -> Field<'a> {
        // ASCII that starts and ends with a visible character has nothing to trim.
        let visible = |byte: Option<u8>| byte.is_some_and(|byte| byte > b' ' && byte < 0x80);
        let field = if visible(field.bytes().next()) && visible(field.bytes().last()) { field } else { field.trim() };
        if let Some(number) = plain_decimal(field) {
            return Field::Number(number);
        }
        if field.is_empty() || matches!(field, "NA" | "N/A" | "NaN" | "nan" | "null" | "NULL" | "None") {
            return Field::Missing;
        }
        match parse_number(field) {
            Some(number) => Field::Number(number),
            None => Field::Text(field),
        }
    }

    pub fn to_cell(self) -> Cell {
        match self {
            Field::Missing => Cell::Missing,
            Field::Number(number) => Cell::Number(number),
            Field::Text(text) => Cell::Text(text.to_owned()),
        }
    }
}

impl Cell {
    pub fn as_field(&self) -> Field<'_> {
        match self {
            Cell::Missing => Field::Missing,
            Cell::Number(number) => Field::Number(*number),
            Cell::Text(text) => Field::Text(text),
        }
    }

    /// A JSON value: null is missing, booleans are the text "true"/"false", nested values are
    /// their JSON text.
    fn from_json(value: serde_json::Value) -> Cell {
        match value {
            serde_json::Value::Null => Cell::Missing,
            serde_json::Value::Number(number) => number.as_f64().map_or(Cell::Missing, Cell::Number),
            serde_json::Value::String(text) => Field::parse(&text).to_cell(),
            serde_json::Value::Bool(flag) => Cell::Text(flag.to_string()),
            nested => Cell::Text(nested.to_string()),
        }
    }
}

/// `text` as a number when it is a plain decimal of at most 15 digits (`-12.5`, `3`, `.25`), as
/// nearly every number in a data file is; None for anything else, which the standard parser reads.
/// The result is exactly `str::parse::<f64>`'s: the digits make an integer below 2^53 and
/// 10^(decimals) is exact too, so one IEEE division rounds correctly (Clinger's fast path).
/// `text` as the standard parser reads a number, skipping it for text that cannot be one: a
/// number starts (after its sign) with a digit, a point, or the `i` of inf or the `n` of NaN.
/// Most labels (`US`, `mobile`) are told apart by their first byte.
pub fn parse_number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let first = unsigned.as_bytes().first()?;
    let could_be = first.is_ascii_digit() || matches!(first.to_ascii_lowercase(), b'.' | b'i' | b'n');
    could_be.then(|| text.parse().ok()).flatten()
}

fn plain_decimal(text: &str) -> Option<f64> {
    const POWERS_OF_TEN: [f64; 16] =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let (mut mantissa, mut count, mut decimals) = (0u64, 0usize, None::<usize>);
    for &byte in digits {
        match byte {
            b'0'..=b'9' if count < 15 => {
                mantissa = mantissa * 10 + u64::from(byte - b'0');
                count += 1;
                decimals = decimals.map(|decimals| decimals + 1);
            }
            b'.' if decimals.is_none() => decimals = Some(0),
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    let value = mantissa as f64 / POWERS_OF_TEN[decimals.unwrap_or(0)];
    Some(if negative { -value } else { value })
}

/// The row just read: a CSV record's fields, parsed as they are asked for, or owned cells
/// (JSON Lines, Parquet).
#[derive(Clone, Copy)]
pub enum Row<'a> {
    Csv(&'a csv::StringRecord),
    Cells(&'a [Cell]),
}

impl<'a> Row<'a> {
    /// The value of column `index` (missing past the row's end).
    pub fn get(&self, index: usize) -> Field<'a> {
        match self {
            Row::Csv(record) => record.get(index).map_or(Field::Missing, Field::parse),
            Row::Cells(cells) => cells.get(index).map_or(Field::Missing, Cell::as_field),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Row::Csv(record) => record.len(),
            Row::Cells(cells) => cells.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every value, owned.
    pub fn to_cells(&self) -> Vec<Cell> {
        (0..self.len()).map(|index| self.get(index).to_cell()).collect()
    }

    /// The row, kept after reading moves on.
    pub fn keep(&self) -> KeptRow {
        match self {
            Row::Csv(record) => KeptRow::Csv((*record).clone()),
            Row::Cells(cells) => KeptRow::Cells(cells.to_vec()),
        }
    }
}

/// A row kept after reading moved on (see [`Row::keep`]).
pub enum KeptRow {
    Csv(csv::StringRecord),
    Cells(Vec<Cell>),
}

impl KeptRow {
    pub fn row(&self) -> Row<'_> {
        match self {
            KeptRow::Csv(record) => Row::Csv(record),
            KeptRow::Cells(cells) => Row::Cells(cells),
        }
    }
}

impl Cell {
    /// A Parquet value: numbers as numbers, booleans as "true"/"false", nulls missing, anything
    /// else (dates, decimals, nested values) as its text.
    fn from_parquet(field: parquet::record::Field) -> Cell {
        use parquet::record::Field as Value;
        match field {
            Value::Null => Cell::Missing,
            Value::Bool(flag) => Cell::Text(flag.to_string()),
            Value::Byte(n) => Cell::Number(n.into()),
            Value::Short(n) => Cell::Number(n.into()),
            Value::Int(n) => Cell::Number(n.into()),
            Value::Long(n) => Cell::Number(n as f64),
            Value::UByte(n) => Cell::Number(n.into()),
            Value::UShort(n) => Cell::Number(n.into()),
            Value::UInt(n) => Cell::Number(n.into()),
            Value::ULong(n) => Cell::Number(n as f64),
            Value::Float(x) => Cell::Number(x.into()),
            Value::Double(x) => Cell::Number(x),
            Value::Str(text) => Field::parse(&text).to_cell(),
            other => Cell::Text(other.to_string()),
        }
    }
}

/// A Parquet file's top-level columns and rows.
fn parquet_rows(path: &Path, file: File) -> Result<(Vec<String>, Rows)> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let opened = parquet_call(|| {
        let reader = SerializedFileReader::new(file).map_err(|err| err.to_string())?;
        let metadata = reader.metadata().file_metadata();
        let columns: Vec<String> =
            metadata.schema_descr().root_schema().get_fields().iter().map(|field| field.name().to_owned()).collect();
        let total = metadata.num_rows().max(0) as u64;
        Ok((columns, total, parquet::record::reader::RowIter::from_file_into(Box::new(reader))))
    });
    let (columns, total, rows) = opened.map_err(|err| {
        VigilError::invalid("file", format!("{} is not a Parquet file Vigil can read: {err}", path.display()))
    })?;
    Ok((columns, Rows::Parquet { rows, read: 0, total, damaged: false }))
}

/// Runs `call` into the Parquet library, which on some damaged files panics (an assertion on a
/// negative offset, say) where it would return an error: such a panic is that error.
fn parquet_call<T>(call: impl FnOnce() -> std::result::Result<T, String>) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned());
        Err(message.unwrap_or_else(|| "the Parquet reader failed".to_owned()))
    })
}

/// A row that could not be read: its line and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRow {
    pub line: u64,
    pub message: String,
}

/// What to do with a row that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BadRows {
    /// Stop and import nothing.
    #[default]
    Stop,
    /// Leave the row out and count it.
    Skip,
}

/// How far an import has got.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct ImportProgress {
    #[ts(type = "number")]
    pub bytes_read: u64,
    #[ts(type = "number")]
    pub bytes_total: u64,
    #[ts(type = "number")]
    pub rows: u64,
    #[ts(type = "number")]
    pub skipped_rows: u64,
}

/// A row left out of an import.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SkippedRow {
    #[ts(type = "number")]
    pub line: u64,
    pub message: String,
}

/// A data file being read.
pub struct Table {
    columns: Vec<String>,
    rows: Rows,
    read: Arc<AtomicU64>,
    size: u64,
    /// The line the last row read started on.
    line: u64,
    /// The last row read: a CSV record, or the cells of any other format.
    record: csv::StringRecord,
    cells: Vec<Cell>,
}

enum Rows {
    Csv(csv::Reader<Counted<File>>),
    /// Rows read so far of how many, as progress is counted in rows; `damaged` once a row could
    /// not be decoded (Parquet's reader then gives that row's error again and again: nothing
    /// after it can be read).
    Parquet {
        rows: parquet::record::reader::RowIter<'static>,
        read: u64,
        total: u64,
        damaged: bool,
    },
    JsonLines {
        lines: std::io::Lines<BufReader<Counted<File>>>,
        line: u64,
        ahead: VecDeque<(u64, String)>,
    },
}

impl Table {
    /// Opens `path`, a `.csv` or `.jsonl`/`.ndjson` file, and reads its columns.
    pub fn open(path: &Path) -> Result<Table> {
        let file = File::open(path).map_err(|err| {
            VigilError::invalid("file", format!("Vigil could not open {}: {err}. Check the path.", path.display()))
        })?;
        let size = file.metadata().map(|meta| meta.len()).unwrap_or(0);
        let read = Arc::new(AtomicU64::new(0));
        let counted = Counted { inner: file, read: read.clone() };
        let extension = path.extension().and_then(|ext| ext.to_str()).unwrap_or("").to_ascii_lowercase();
        let (columns, rows) = match extension.as_str() {
            "csv" => {
                let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(counted);
                let header = reader.headers().map_err(|err| {
                    VigilError::invalid("file", format!("{} has no readable header line: {err}", path.display()))
                })?;
                (header.iter().map(|name| name.trim().to_owned()).collect(), Rows::Csv(reader))
            }
            "parquet" | "pq" => parquet_rows(path, counted.inner)?,
            "jsonl" | "ndjson" => {
                let mut lines = BufReader::new(counted).lines();
                let (mut ahead, mut line) = (VecDeque::new(), 0);
                let mut columns: Vec<String> = Vec::new();
                while ahead.len() < COLUMNS_FROM_ROWS {
                    let Some(text) = lines.next() else { break };
                    line += 1;
                    let text = text.map_err(|err| unreadable(path, err))?;
                    if let Ok(serde_json::Value::Object(object)) = serde_json::from_str(&text) {
                        for key in object.keys() {
                            if !columns.contains(key) {
                                columns.push(key.clone());
                            }
                        }
                    }
                    ahead.push_back((line, text));
                }
                (columns, Rows::JsonLines { lines, line, ahead })
            }
            _ => {
                return Err(VigilError::invalid(
                    "file",
                    format!(
                        "{} is not a file Vigil reads: use CSV with a header line (.csv), JSON Lines (.jsonl) \
                         or Parquet (.parquet).",
                        path.display()
                    ),
                ))
            }
        };
        if columns.is_empty() {
            return Err(VigilError::invalid("file", format!("{} has no columns.", path.display())));
        }
        if columns.len() > MAX_COLUMNS {
            return Err(VigilError::invalid(
                "file",
                format!("{} has {} columns; Vigil reads at most {MAX_COLUMNS}.", path.display(), columns.len()),
            ));
        }
        Ok(Table { columns, rows, read, size, line: 0, record: csv::StringRecord::new(), cells: Vec::new() })
    }

    /// The column names, in file order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// (bytes read so far, size of the file); for Parquet, the share of rows read, in bytes.
    pub fn progress(&self) -> (u64, u64) {
        match &self.rows {
            Rows::Parquet { read, total, .. } => {
                ((*read as f64 / (*total).max(1) as f64 * self.size as f64) as u64, self.size)
            }
            _ => (self.read.load(Ordering::Relaxed), self.size),
        }
    }

    /// Reads the next row, which [`Table::row`] then gives; None at the end of the file. A row
    /// that cannot be read is an `Err` naming its line; reading may go on after it.
    fn advance(&mut self) -> Option<Result<(), BadRow>> {
        match &mut self.rows {
            Rows::Csv(reader) => match reader.read_record(&mut self.record) {
                Ok(false) => None,
                Ok(true) => {
                    self.line = self.record.position().map_or(0, |position| position.line());
                    Some(Ok(()))
                }
                Err(err) => {
                    let line = err.position().map_or(0, |position| position.line());
                    let message = match err.kind() {
                        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                            format!("expected {expected_len} fields as in the header, found {len}")
                        }
                        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8 text".to_owned(),
                        _ => err.to_string(),
                    };
                    Some(Err(BadRow { line, message }))
                }
            },
            Rows::Parquet { rows, read, damaged, .. } => {
                if *damaged {
                    return None;
                }
                let row = parquet_call(|| {
                    let row = rows.next().transpose().map_err(|err| err.to_string())?;
                    Ok(row.map(|row| {
                        row.into_columns().into_iter().map(|(_, field)| Cell::from_parquet(field)).collect()
                    }))
                });
                let row = row.transpose()?;
                *read += 1;
                self.line = *read;
                Some(match row {
                    Ok(cells) => {
                        self.cells = cells;
                        Ok(())
                    }
                    Err(err) => {
                        *damaged = true;
                        let message = format!(
                            "row {read} cannot be read ({err}), nor any row after it: the file is damaged there"
                        );
                        Err(BadRow { line: *read, message })
                    }
                })
            }
            Rows::JsonLines { lines, line, ahead } => loop {
                let (number, text) = match ahead.pop_front() {
                    Some(next) => next,
                    None => {
                        *line += 1;
                        match lines.next()? {
                            Ok(text) => (*line, text),
                            Err(err) => return Some(Err(BadRow { line: *line, message: err.to_string() })),
                        }
                    }
                };
                if text.trim().is_empty() {
                    continue;
                }
                self.line = number;
                return Some(match serde_json::from_str(&text) {
                    Ok(serde_json::Value::Object(mut object)) => {
                        self.cells = self
                            .columns
                            .iter()
                            .map(|column| object.remove(column).map_or(Cell::Missing, Cell::from_json))
                            .collect();
                        Ok(())
                    }
                    Ok(_) => Err(BadRow { line: number, message: "the line is not a JSON object".to_owned() }),
                    Err(err) => Err(BadRow { line: number, message: format!("the line is not valid JSON: {err}") }),
                });
            },
        }
    }

    /// The row [`Table::advance`] read.
    fn row(&self) -> Row<'_> {
        match self.rows {
            Rows::Csv(_) => Row::Csv(&self.record),
            _ => Row::Cells(&self.cells),
        }
    }
}

impl Table {
    /// Hands every row to `each`, as `bad_rows` says for malformed ones, telling `progress` how
    /// far it got every few thousand rows and stopping when `cancel` is set. `each` may find a
    /// row malformed too (`Ok(Some(why))`). Returns the counts and the first rows left out.
    pub fn read_all(
        &mut self,
        path: &Path,
        bad_rows: BadRows,
        progress: &(dyn Fn(ImportProgress) + Sync),
        cancel: &AtomicBool,
        mut each: impl FnMut(Row<'_>) -> Result<Option<String>>,
    ) -> Result<(ImportProgress, Vec<SkippedRow>)> {
        let mut counts = ImportProgress { bytes_read: 0, bytes_total: self.size, rows: 0, skipped_rows: 0 };
        let mut skipped = Vec::new();
        loop {
            if (counts.rows + counts.skipped_rows) % ROWS_PER_STEP == 0 {
                if cancel.load(Ordering::Relaxed) {
                    return Err(VigilError::Cancelled("The import was cancelled; nothing was stored.".into()));
                }
                counts.bytes_read = self.progress().0;
                progress(counts);
            }
            let row = match self.advance() {
                None => break,
                Some(Ok(())) => match each(self.row())? {
                    None => Ok(()),
                    Some(message) => Err(BadRow { line: self.line, message }),
                },
                Some(Err(bad)) => Err(bad),
            };
            match row {
                Ok(()) => counts.rows += 1,
                Err(BadRow { line, message }) if bad_rows == BadRows::Skip => {
                    counts.skipped_rows += 1;
                    if skipped.len() < BAD_ROWS_LISTED {
                        skipped.push(SkippedRow { line, message });
                    }
                }
                Err(BadRow { line, message }) => {
                    return Err(VigilError::invalid(
                        "file",
                        format!(
                            "line {line} of {}: {message}. Nothing was imported: fix the line, or import again \
                             leaving malformed rows out (--skip-bad-rows).",
                            path.display()
                        ),
                    ))
                }
            }
        }
        counts.bytes_read = self.progress().0;
        progress(counts);
        Ok((counts, skipped))
    }
}

fn unreadable(path: &Path, err: std::io::Error) -> VigilError {
    VigilError::invalid("file", format!("Vigil could not read {}: {err}", path.display()))
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn numbers_are_told_from_text_exactly_as_the_standard_parser_tells_them(
            text in "[-+]{0,2}([0-9a-zA-Z.+-]{0,10}|inf|Infinity|nan|NaN|\\PC{0,6})"
        ) {
            prop_assert_eq!(parse_number(&text).map(f64::to_bits), text.parse::<f64>().ok().map(f64::to_bits), "{}", text);
        }

        #[test]
        fn plain_decimals_read_exactly_as_the_standard_parser_reads_them(
            text in "[-+]?[0-9]{0,17}(\\.[0-9]{0,17})?"
        ) {
            let standard = text.parse::<f64>().ok();
            let (fast, read) = (plain_decimal(&text), Field::parse(&text));
            if let Some(fast) = fast {
                prop_assert_eq!(Some(fast.to_bits()), standard.map(f64::to_bits), "{}", text);
            }
            let expected = match standard {
                Some(number) => Field::Number(number),
                None if text.is_empty() => Field::Missing,
                None => Field::Text(&text),
            };
            prop_assert_eq!(format!("{read:?}"), format!("{expected:?}"));
        }
    }

    #[test]
    fn fields_are_trimmed_and_null_spellings_are_missing() {
        assert_eq!(Field::parse(" 7 "), Field::Number(7.0));
        assert_eq!(Field::parse("\u{a0}7"), Field::Number(7.0), "Unicode spaces are trimmed too");
        assert_eq!(Field::parse("-0").to_cell(), Cell::Number(-0.0));
        assert!(matches!(Field::parse("-0"), Field::Number(zero) if zero.is_sign_negative()));
        assert_eq!(Field::parse("1e3"), Field::Number(1000.0));
        let long = "0.1234567890123456789";
        assert_eq!(Field::parse(long), Field::Number(long.parse().unwrap()), "past 15 digits, the standard parser");
        for missing in ["", "  ", "NA", "nan", "null", "None"] {
            assert_eq!(Field::parse(missing), Field::Missing, "{missing:?}");
        }
        assert_eq!(Field::parse(" mobile"), Field::Text("mobile"));
    }

    fn rows(table: &mut Table) -> Vec<Result<Vec<Cell>, BadRow>> {
        std::iter::from_fn(|| Some(table.advance()?.map(|()| table.row().to_cells()))).collect()
    }

    #[test]
    fn csv_rows_read_as_numbers_text_and_missing_and_a_short_row_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.csv");
        std::fs::write(&path, "age, city ,score\n34,Paris,0.5\n,NA,1e3\n7,Oslo\n8,\"Rome, IT\",2\n").unwrap();
        let mut table = Table::open(&path).unwrap();
        assert_eq!(table.columns(), ["age", "city", "score"]);
        let read = rows(&mut table);
        assert_eq!(read[0], Ok(vec![Cell::Number(34.0), Cell::Text("Paris".into()), Cell::Number(0.5)]));
        assert_eq!(read[1], Ok(vec![Cell::Missing, Cell::Missing, Cell::Number(1000.0)]));
        let bad = read[2].clone().unwrap_err();
        assert_eq!(bad.line, 4);
        assert!(bad.message.contains("expected 3 fields"), "{}", bad.message);
        assert_eq!(read[3], Ok(vec![Cell::Number(8.0), Cell::Text("Rome, IT".into()), Cell::Number(2.0)]));
        let size = std::fs::metadata(&path).unwrap().len();
        assert_eq!(table.progress(), (size, size), "the whole file read");
    }

    #[test]
    fn json_lines_take_their_columns_from_the_keys_and_a_broken_line_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.jsonl");
        std::fs::write(&path, "{\"a\": 1, \"b\": \"x\"}\n\n{\"a\": null, \"c\": true}\n{\"a\": 2,\n[1]\n").unwrap();
        let mut table = Table::open(&path).unwrap();
        assert_eq!(table.columns(), ["a", "b", "c"]);
        let read = rows(&mut table);
        assert_eq!(read[0], Ok(vec![Cell::Number(1.0), Cell::Text("x".into()), Cell::Missing]));
        assert_eq!(read[1], Ok(vec![Cell::Missing, Cell::Missing, Cell::Text("true".into())]));
        assert_eq!(read[2].clone().unwrap_err().line, 4);
        assert_eq!(read[3].clone().unwrap_err(), BadRow { line: 5, message: "the line is not a JSON object".into() });
    }

    #[test]
    fn parquet_as_pandas_writes_it_reads_by_column_with_nulls_missing() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/drift/reference.parquet");
        let mut table = Table::open(&path).unwrap();
        assert_eq!(table.columns(), ["order_id", "amount", "items", "country", "returning", "score"]);
        let read = rows(&mut table);
        assert_eq!(read.len(), 1_000);
        assert_eq!(
            read[1],
            Ok(vec![
                Cell::Number(1.0),
                Cell::Number(13.7),
                Cell::Number(2.0),
                Cell::Text("de".into()),
                Cell::Text("false".into()),
                Cell::Number(0.1)
            ])
        );
        assert_eq!(read[0].as_ref().unwrap()[3], Cell::Missing, "a null is missing");
        let size = std::fs::metadata(&path).unwrap().len();
        assert_eq!(table.progress(), (size, size), "all rows read");
    }

    #[test]
    fn a_damaged_parquet_file_is_read_up_to_the_damaged_row_and_no_further() {
        // Found by fuzzing: Parquet's reader gave the damaged row's error again and again, so an
        // import leaving bad rows out never ended.
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/import_parquet/damaged-snappy-page.parquet");
        let mut table = Table::open(&path).unwrap();
        let (counts, skipped) =
            table.read_all(&path, BadRows::Skip, &|_| {}, &AtomicBool::new(false), |_| Ok(None)).unwrap();
        assert_eq!((counts.rows, counts.skipped_rows), (0, 1), "the file claims 1,000 rows");
        assert_eq!(skipped[0].line, 1);
        assert!(
            skipped[0].message.contains("nor any row after it: the file is damaged there"),
            "{}",
            skipped[0].message
        );
        let mut table = Table::open(&path).unwrap();
        let stopped =
            table.read_all(&path, BadRows::Stop, &|_| {}, &AtomicBool::new(false), |_| Ok(None)).err().unwrap();
        assert!(stopped.to_string().contains("line 1 of") && stopped.to_string().contains("snappy"), "{stopped}");
    }

    #[test]
    fn a_parquet_file_the_library_panics_on_is_refused_with_its_words() {
        // Found by fuzzing: a column chunk at a negative offset fails an assertion in the library.
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/import_parquet/negative-column-offset.parquet");
        let mut table = Table::open(&path).unwrap();
        let stopped = table.read_all(&path, BadRows::Stop, &|_| {}, &AtomicBool::new(false), |_| Ok(None)).err();
        let stopped = stopped.expect("refused").to_string();
        assert!(
            stopped.contains("line 1 of") && stopped.contains("column start and length should not be negative"),
            "{stopped}"
        );
    }

    #[test]
    fn a_file_that_is_not_parquet_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.parquet");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let err = Table::open(&path).err().unwrap();
        assert!(err.to_string().contains("not a Parquet file"), "{err}");
    }

    #[test]
    fn an_unknown_format_says_which_ones_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.xlsx");
        std::fs::write(&path, "x").unwrap();
        let err = Table::open(&path).err().unwrap();
        assert!(err.to_string().contains("CSV with a header line"), "{err}");
    }
}
