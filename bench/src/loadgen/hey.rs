//! `hey`, the fixed-rate HTTP load tool Vigil's generator is measured beside below saturation:
//! how it is run and how its summary is read.
//!
//! Why hey: `hey -c C -q Q` runs C workers, each throttled by its own ticker to Q requests/s, a
//! fixed total of C×Q requests/s as long as each answer comes back before its worker's next
//! tick, which holds well below saturation. It is a Debian package (`make bench` installs it);
//! oha, an open-loop tool, is not. hey times each request from when it is sent (each worker
//! starts its clock just before the request), while Vigil times it from when it was due; below
//! saturation a request is sent when it is due, so the two measure the same latency.
//!
//! What to know when reading its figures: hey prints seconds with four decimals, so its
//! quantiles are in steps of 100 µs; its workers' tickers start together, so it sends C requests
//! at once every 1/Q s rather than one every 1/(C×Q) s; and its Go timers on Linux wake at most
//! about once a millisecond, so a worker holds at most about 1,000 requests/s (Q above that is
//! not kept).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// What hey reported.
#[derive(Debug, Clone, PartialEq)]
pub struct HeyRun {
    pub requests_per_s: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Answers with a 2xx status.
    pub ok: u64,
    /// Answers with another status, and requests that failed.
    pub failed: u64,
}

/// How hey is asked to load one URL.
pub struct HeyPlan<'a> {
    pub url: &'a str,
    /// A file holding the JSON body of every request.
    pub body: &'a Path,
    pub workers: usize,
    /// The total rate, shared evenly by the workers.
    pub rate: f64,
    pub length: Duration,
    pub timeout: Duration,
}

/// Runs `command` (hey, perhaps behind taskset) with `plan` and reads its summary.
pub fn run(mut command: Command, plan: &HeyPlan) -> Result<HeyRun, String> {
    command
        .args(["-z", &format!("{}ms", plan.length.as_millis())])
        .args(["-c", &plan.workers.to_string()])
        .args(["-q", &(plan.rate / plan.workers as f64).to_string()])
        .args(["-t", &plan.timeout.as_secs().max(1).to_string()])
        .args(["-m", "POST", "-T", "application/json", "-D"])
        .arg(plan.body)
        .arg(plan.url);
    let output = command
        .output()
        .map_err(|e| format!("cannot run hey: {e} (install the Debian package hey: make bench does)"))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!("hey failed: {text}{}", String::from_utf8_lossy(&output.stderr)));
    }
    parse(&text)
}

/// Reads hey's summary: `Requests/sec:`, the `50% in S secs` and `99% in S secs` lines of its
/// latency distribution, its status codes (`[200] N responses`) and its error distribution.
pub fn parse(text: &str) -> Result<HeyRun, String> {
    let (mut rate, mut p50, mut p99) = (None, None, None);
    let (mut ok, mut failed, mut in_errors) = (0, 0, false);
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Error", "distribution:"] => in_errors = true,
            [count, ..] if in_errors && count.starts_with('[') => failed += bracketed(count, line)?,
            ["Requests/sec:", value] => rate = Some(number::<f64>(value, line)?),
            ["50%", "in", value, "secs"] => p50 = Some(seconds(value, line)?),
            ["99%", "in", value, "secs"] => p99 = Some(seconds(value, line)?),
            [status, count, "responses"] => match bracketed(status, line)? {
                200..=299 => ok += number::<u64>(count, line)?,
                _ => failed += number::<u64>(count, line)?,
            },
            _ => {}
        }
    }
    let missing = |what: &str| format!("hey's output has no {what} line:\n{text}");
    Ok(HeyRun {
        requests_per_s: rate.ok_or_else(|| missing("`Requests/sec:`"))?,
        p50: p50.ok_or_else(|| missing("`50% in S secs`"))?,
        p99: p99.ok_or_else(|| missing("`99% in S secs`"))?,
        ok,
        failed,
    })
}

fn number<T: std::str::FromStr>(word: &str, line: &str) -> Result<T, String> {
    word.parse().map_err(|_| format!("hey's line `{line}`: {word} is not a number"))
}

/// hey's `0.0058` (seconds, four decimals) to the nearest microsecond.
fn seconds(word: &str, line: &str) -> Result<Duration, String> {
    Ok(Duration::from_micros((number::<f64>(word, line)? * 1e6).round() as u64))
}

/// `[200]` → 200.
fn bracketed(word: &str, line: &str) -> Result<u64, String> {
    number(word.trim_start_matches('[').trim_end_matches(']'), line)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The end of a real summary of hey 0.1.4 (Debian 12), with a failed request added.
    const SUMMARY: &str = "
Summary:
  Total:\t3.0011 secs
  Requests/sec:\t1992.5917

Latency distribution:
  10% in 0.0002 secs
  50% in 0.0005 secs
  90% in 0.0030 secs
  99% in 0.0058 secs

Status code distribution:
  [200]\t5980 responses
  [503]\t2 responses

Error distribution:
  [1]\tPost \"http://127.0.0.1:9/infer\": dial tcp 127.0.0.1:9: connect: connection refused
";

    #[test]
    fn reads_the_rate_the_quantiles_and_the_failures() {
        let run = parse(SUMMARY).expect("a summary");
        assert_eq!(run.requests_per_s, 1992.5917);
        assert_eq!(run.p50, Duration::from_micros(500));
        assert_eq!(run.p99, Duration::from_micros(5_800));
        assert_eq!((run.ok, run.failed), (5980, 3));
    }

    #[test]
    fn a_missing_line_is_named() {
        let error = parse(&SUMMARY.replace("  99% in 0.0058 secs\n", "")).expect_err("no p99");
        assert!(error.starts_with("hey's output has no `99% in S secs` line"), "{error}");
        let error = parse(&SUMMARY.replace("1992.5917", "fast")).expect_err("no rate");
        assert!(error.contains("fast is not a number"), "{error}");
    }
}
