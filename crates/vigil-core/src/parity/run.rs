//! Sending a golden set to a revision and comparing its answers row by row: the rows go in
//! batches, a few requests under way at once (4 unless asked), over the shared client; each batch's answers are
//! checked output by output (`compare.rs`), and progress is told after each batch. A batch the
//! server refuses counts its rows as mismatched, with the server's own words. Cancelling stops
//! sending; what was checked is kept.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::compare::{check, OutputRule};
use super::golden::Golden;
use super::protocol::{answers, request, Answers, Protocol};
use super::{Mismatch, OutputSummary};
use crate::drift::table::Cell;
use crate::oip::Tensor;
use crate::scrape::http::{read_capped, ServerHttp};

/// The most of one answer read.
const MAX_ANSWER: usize = 16 << 20;
/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The mismatches a report lists (all are counted).
pub const LISTED: usize = 100;

/// Where and how the golden set is sent.
pub struct Target {
    pub http: ServerHttp,
    pub url: String,
    pub protocol: Protocol,
    /// The inputs the model's metadata lists, if any.
    pub listed_inputs: Option<Vec<Tensor>>,
    pub rules: Vec<OutputRule>,
    pub batch_rows: usize,
    /// Requests under way at once.
    pub in_flight: usize,
}

/// What sending the golden set found.
#[derive(Debug, Default)]
pub struct Checked {
    pub checked: u64,
    pub matched: u64,
    pub outputs: Vec<OutputSummary>,
    /// The first [`LISTED`] mismatches, by row.
    pub mismatches: Vec<Mismatch>,
    pub cancelled: bool,
}

/// One batch's rows, checked.
struct BatchResult {
    first_row: usize,
    /// Per row: whether every output matched.
    matched: Vec<bool>,
    per_output: Vec<Tally>,
    mismatches: Vec<Mismatch>,
}

/// One output's mismatches in one batch.
#[derive(Clone, Default)]
struct Tally {
    mismatched: u64,
    /// The largest difference between two numbers, and its row.
    largest: Option<(f64, u64)>,
    datatype: String,
}

/// Sends `golden` to `target`, `progress(checked, matched)` after each batch, until done or
/// `cancel` is set.
pub async fn run(
    golden: Arc<Golden>,
    target: Arc<Target>,
    progress: Arc<dyn Fn(u64, u64) + Send + Sync>,
    cancel: Arc<AtomicBool>,
) -> Checked {
    let batches = golden.input_rows.len().div_ceil(target.batch_rows);
    let next = Arc::new(AtomicUsize::new(0));
    let (checked, matched) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let results = Arc::new(Mutex::new(Vec::with_capacity(batches)));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..target.in_flight.min(batches) {
        let (golden, target, next, results) = (golden.clone(), target.clone(), next.clone(), results.clone());
        let (checked, matched, progress, cancel) = (checked.clone(), matched.clone(), progress.clone(), cancel.clone());
        workers.spawn(async move {
            loop {
                let batch = next.fetch_add(1, Ordering::Relaxed);
                if batch >= batches || cancel.load(Ordering::Relaxed) {
                    break;
                }
                let first = batch * target.batch_rows;
                let last = (first + target.batch_rows).min(golden.input_rows.len());
                let result = one_batch(&golden, &target, first..last).await;
                let good = result.matched.iter().filter(|ok| **ok).count() as u64;
                let done = checked.fetch_add((last - first) as u64, Ordering::Relaxed) + (last - first) as u64;
                let good = matched.fetch_add(good, Ordering::Relaxed) + good;
                results.lock().expect("parity results").push(result);
                progress(done, good);
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let mut results = std::mem::take(&mut *results.lock().expect("parity results"));
    results.sort_by_key(|result| result.first_row);
    let mut checked_all = Checked {
        checked: checked.load(Ordering::Relaxed),
        matched: matched.load(Ordering::Relaxed),
        cancelled: cancel.load(Ordering::Relaxed) && results.len() < batches,
        outputs: target
            .rules
            .iter()
            .map(|rule| OutputSummary {
                rule: rule.clone(),
                datatype: String::new(),
                mismatched: 0,
                largest_difference: None,
                largest_row: None,
            })
            .collect(),
        mismatches: Vec::new(),
    };
    for result in results {
        for (summary, tally) in checked_all.outputs.iter_mut().zip(result.per_output) {
            summary.mismatched += tally.mismatched;
            if summary.datatype.is_empty() {
                summary.datatype = tally.datatype;
                // As compared: a label type is compared exactly whatever the rule's tolerance.
                summary.rule.exact |= super::compare::is_label_type(&summary.datatype);
            }
            if let Some((difference, row)) = tally.largest {
                if summary.largest_difference.is_none_or(|known| difference > known) {
                    summary.largest_difference = Some(difference);
                    summary.largest_row = Some(row);
                }
            }
        }
        let room = LISTED.saturating_sub(checked_all.mismatches.len());
        checked_all.mismatches.extend(result.mismatches.into_iter().take(room));
    }
    checked_all
}

async fn one_batch(golden: &Golden, target: &Target, rows: std::ops::Range<usize>) -> BatchResult {
    let count = rows.len();
    let outputs: Vec<String> = target.rules.iter().map(|rule| rule.output.clone()).collect();
    let mut result = BatchResult {
        first_row: rows.start,
        matched: vec![true; count],
        per_output: vec![Tally::default(); outputs.len()],
        mismatches: Vec::new(),
    };
    let answered = match request(
        target.protocol,
        &golden.inputs,
        target.listed_inputs.as_deref(),
        &golden.input_rows[rows.clone()],
    ) {
        Ok(body) => send(target, &body).await,
        Err(reason) => Err(reason),
    };
    let per_output: Vec<Answers> = match answered {
        Ok(answer) => answers(target.protocol, &answer, &outputs, count),
        Err(reason) => vec![Err(reason); outputs.len()],
    };
    for (index, (rule, answer)) in target.rules.iter().zip(per_output).enumerate() {
        for (offset, row) in rows.clone().enumerate() {
            let expected = &golden.expected_rows[row][index];
            let (datatype, got) = match &answer {
                Ok((datatype, values)) => (datatype.as_str(), values[offset].as_slice()),
                Err(_) => ("", &[][..]),
            };
            result.per_output[index].datatype = datatype.to_owned();
            let miss = match &answer {
                Ok(_) => check(expected, got, datatype, rule).err(),
                Err(reason) => Some(super::compare::Miss { reason: reason.clone(), difference: None }),
            };
            let Some(miss) = miss else { continue };
            result.matched[offset] = false;
            let tally = &mut result.per_output[index];
            tally.mismatched += 1;
            if let Some(difference) = miss.difference {
                if tally.largest.is_none_or(|(known, _)| difference > known) {
                    tally.largest = Some((difference, row as u64));
                }
            }
            if result.mismatches.len() < LISTED {
                result.mismatches.push(Mismatch {
                    row: row as u64,
                    output: rule.output.clone(),
                    expected: shown_cell(expected),
                    got: got.iter().map(|value| value.to_string()).collect::<Vec<_>>().join(", "),
                    reason: miss.reason,
                    difference: miss.difference,
                });
            }
        }
    }
    result.mismatches.sort_by_key(|mismatch| mismatch.row);
    result
}

/// POSTs `body`; the JSON answer, or the server's own words when it refuses.
async fn send(target: &Target, body: &Value) -> Result<Value, String> {
    let answer = read_capped(target.http.post(&target.url).json(body), &target.url, TIMEOUT, MAX_ANSWER).await?;
    let text = String::from_utf8_lossy(&answer.body);
    if !(200..300).contains(&answer.status) {
        let words: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
        return Err(format!("the server answered HTTP {}: {}", answer.status, words.trim()));
    }
    if answer.truncated {
        return Err(format!("the server answered with more than {} MB", MAX_ANSWER >> 20));
    }
    serde_json::from_str(&text).map_err(|_| "the server answered with something that is not JSON".to_owned())
}

fn shown_cell(cell: &Cell) -> String {
    match cell {
        Cell::Missing => "(none)".into(),
        Cell::Number(number) => number.to_string(),
        Cell::Text(text) => text.chars().take(200).collect(),
    }
}
