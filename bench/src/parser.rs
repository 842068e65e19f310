//! The parser benchmark: the exposition parser's throughput, side by side in one run with the
//! `openmetrics-parser` and `prometheus-parse` crates and with a naive tokenizer (the practical
//! floor for any parser), on a large realistic page. Prints a table and writes the figures as
//! JSON.
//!
//! Usage: `vigil-bench parser [--quick] [--out FILE] [--seconds S]`. The parsers take turns, 7
//! rounds in all, and each runs for about S seconds in total (default 3, 1 with `--quick`), at
//! least once a round; the median of its runs counts.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use vigil_exposition::{self as exposition, Format};

use crate::goal::{self, Goal};
use crate::payload;

/// How many turns each parser gets.
const ROUNDS: u32 = 7;

/// What one parser did with the page.
struct Measurement {
    name: &'static str,
    note: &'static str,
    runs: usize,
    median: Duration,
    /// Sample values it returned (a histogram bucket, `_sum` and `_count` are one each).
    samples: usize,
    error: Option<String>,
}

impl Measurement {
    fn megabytes_per_second(&self, bytes: usize) -> f64 {
        bytes as f64 / 1e6 / self.median.as_secs_f64()
    }

    fn samples_per_second(&self) -> f64 {
        self.samples as f64 / self.median.as_secs_f64()
    }
}

/// A parser under test: how to run it on the page, and the times of its runs so far.
struct Contender<'t> {
    name: &'static str,
    note: &'static str,
    parse: Box<dyn FnMut() -> Result<usize, String> + 't>,
    times: Vec<Duration>,
}

impl<'t> Contender<'t> {
    fn new(name: &'static str, note: &'static str, parse: impl FnMut() -> Result<usize, String> + 't) -> Self {
        Contender { name, note, parse: Box::new(parse), times: Vec::new() }
    }

    /// Runs the parser back to back for about `slice`, at least once.
    fn run_for(&mut self, slice: Duration) {
        let started = Instant::now();
        loop {
            let run = Instant::now();
            black_box((self.parse)().ok());
            self.times.push(run.elapsed());
            if started.elapsed() >= slice {
                break;
            }
        }
    }
}

/// Measures every contender in turns: `rounds` rounds, each giving each contender a slice of
/// `budget / rounds`. Taking turns gives each the same share of whatever else the machine is
/// doing; the median of a contender's runs is its time.
fn measure(mut contenders: Vec<Contender<'_>>, budget: Duration, rounds: u32) -> Vec<Measurement> {
    let samples: Vec<Result<usize, String>> = contenders.iter_mut().map(|contender| (contender.parse)()).collect();
    for _ in 0..rounds {
        for contender in &mut contenders {
            contender.run_for(budget / rounds);
        }
    }
    contenders
        .into_iter()
        .zip(samples)
        .map(|(mut contender, samples)| {
            contender.times.sort_unstable();
            let (samples, error) = match samples {
                Ok(samples) => (samples, None),
                Err(error) => (0, Some(error)),
            };
            Measurement {
                name: contender.name,
                note: contender.note,
                runs: contender.times.len(),
                median: contender.times[contender.times.len() / 2],
                samples,
                error,
            }
        })
        .collect()
}

/// Splits each line on its separators, ignoring escapes and quotes, and reads the last token
/// as the value: what any parser must at least do. It scans bytes, as a fast parser would.
fn naive_tokenizer(text: &str) -> usize {
    let mut tokens: Vec<&str> = Vec::with_capacity(32);
    let mut samples = 0;
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        tokens.clear();
        let mut start = 0;
        for (at, byte) in line.bytes().enumerate() {
            if matches!(byte, b' ' | b'\t' | b'{' | b'}' | b',' | b'=') {
                if at > start {
                    tokens.push(&line[start..at]);
                }
                start = at + 1;
            }
        }
        if start < line.len() {
            tokens.push(&line[start..]);
        }
        if let Some(value) = tokens.last().and_then(|token| token.parse::<f64>().ok()) {
            black_box((&tokens, value));
            samples += 1;
        }
    }
    samples
}

fn vigil(text: &str) -> usize {
    let page = exposition::parse(text, Format::Prometheus);
    black_box(&page);
    page.samples.len()
}

fn openmetrics_parser(text: &str) -> Result<usize, String> {
    use openmetrics_parser::PrometheusValue;
    let page = openmetrics_parser::prometheus::parse_prometheus(text).map_err(|error| format!("{error:?}"))?;
    let values = page
        .families
        .values()
        .flat_map(|family| family.iter_samples())
        .map(|sample| match &sample.value {
            PrometheusValue::Histogram(h) => h.buckets.len() + h.sum.is_some() as usize + h.count.is_some() as usize,
            PrometheusValue::Summary(s) => s.quantiles.len() + s.sum.is_some() as usize + s.count.is_some() as usize,
            _ => 1,
        })
        .sum();
    Ok(values)
}

fn prometheus_parse(text: &str) -> Result<usize, String> {
    use prometheus_parse::{Scrape, Value};
    // Its API takes owned lines.
    let page = Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).map_err(|error| error.to_string())?;
    let values = page
        .samples
        .iter()
        .map(|sample| match &sample.value {
            Value::Histogram(buckets) => buckets.len(),
            Value::Summary(quantiles) => quantiles.len(),
            _ => 1,
        })
        .sum();
    Ok(values)
}

struct Options {
    out: Option<PathBuf>,
    budget: Duration,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let mut options = Options { out: None, budget: Duration::from_secs(if quick { 1 } else { 3 }) };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => options.out = Some(args.next().ok_or("--out needs a file")?.into()),
            "--seconds" => {
                let seconds: f64 = args.next().and_then(|s| s.parse().ok()).ok_or("--seconds needs a number")?;
                options.budget = Duration::from_secs_f64(seconds);
            }
            other => {
                return Err(format!(
                    "unknown argument {other}; usage: vigil-bench parser [--quick] [--out FILE] [--seconds S]"
                ))
            }
        }
    }
    Ok(options)
}

/// Runs the parser benchmark with the command-line arguments that follow `parser`.
pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let payload = payload::generate();
    let text = payload.text.as_str();
    let bytes = text.len();
    println!(
        "Parser benchmark: {:.2} MB page, {} sample lines; each parser about {:.0} s in {ROUNDS} turns, median run\n",
        bytes as f64 / 1e6,
        payload.sample_lines,
        options.budget.as_secs_f64()
    );

    let contenders = vec![
        Contender::new("vigil", "this crate: every rule of issue 3", || Ok(vigil(text))),
        Contender::new("naive tokenizer", "splits on separators, ignores escapes", || Ok(naive_tokenizer(text))),
        Contender::new("openmetrics-parser 0.5", "pest grammar, LGPL-3.0", || openmetrics_parser(text)),
        Contender::new("prometheus-parse 0.2", "regex per line", || prometheus_parse(text)),
    ];
    let measurements = measure(contenders, options.budget, ROUNDS);

    print_table(&measurements, bytes, payload.sample_lines);
    let ratio =
        |other: usize| measurements[0].megabytes_per_second(bytes) / measurements[other].megabytes_per_second(bytes);
    let (over_naive, over_openmetrics, over_prometheus_parse) = (ratio(1), ratio(2), ratio(3));
    println!("\nvigil / naive tokenizer:    {over_naive:.2}x   (goal: at least 0.5x)");
    println!("vigil / openmetrics-parser: {over_openmetrics:.0}x   (goal: at least 50x)");
    println!("vigil / prometheus-parse:   {over_prometheus_parse:.1}x\n");
    goal::print(&[
        Goal::new("vigil at least 0.5x the naive tokenizer's MB/s", over_naive >= 0.5, format!("{over_naive:.2}x")),
        Goal::new(
            "vigil at least 50x openmetrics-parser's MB/s",
            over_openmetrics >= 50.0,
            format!("{over_openmetrics:.0}x"),
        ),
        Goal::none("vigil / prometheus-parse MB/s", format!("{over_prometheus_parse:.1}x")),
    ]);

    let results = json!({
        "benchmark": "exposition parser throughput",
        "payload": { "bytes": bytes, "sample_lines": payload.sample_lines },
        "megabyte": "10^6 bytes",
        "method": { "rounds": ROUNDS, "seconds_per_parser": options.budget.as_secs_f64(), "statistic": "median run" },
        "machine": crate::machine(),
        "parsers": measurements.iter().map(|m| json!({
            "name": m.name,
            "note": m.note,
            "runs": m.runs,
            "median_ms": m.median.as_secs_f64() * 1e3,
            "mb_per_s": m.megabytes_per_second(bytes),
            "samples_per_s": m.samples_per_second(),
            "samples_returned": m.samples,
            "samples_missing": payload.sample_lines.saturating_sub(m.samples),
            "error": m.error,
        })).collect::<Vec<_>>(),
        "ratios": {
            "vigil_over_naive": over_naive,
            "vigil_over_openmetrics_parser": over_openmetrics,
            "vigil_over_prometheus_parse": over_prometheus_parse,
        },
        "goals": { "vigil_over_naive_at_least": 0.5, "vigil_over_openmetrics_parser_at_least": 50.0 },
    });
    match options.out {
        Some(out) => crate::write_results(&out, &results),
        None => Ok(()),
    }
}

fn print_table(measurements: &[Measurement], bytes: usize, sample_lines: usize) {
    println!(
        "{:<24} {:>10} {:>10} {:>14} {:>10} {:>6}  notes",
        "parser", "median ms", "MB/s", "samples/s", "samples", "runs"
    );
    for m in measurements {
        let mut notes = m.note.to_string();
        if let Some(error) = &m.error {
            notes = format!("FAILED: {error}");
        } else if m.samples < sample_lines {
            notes += &format!("; drops {} of {sample_lines} samples", sample_lines - m.samples);
        }
        println!(
            "{:<24} {:>10.2} {:>10.1} {:>14.0} {:>10} {:>6}  {notes}",
            m.name,
            m.median.as_secs_f64() * 1e3,
            m.megabytes_per_second(bytes),
            m.samples_per_second(),
            m.samples,
            m.runs
        );
    }
}
