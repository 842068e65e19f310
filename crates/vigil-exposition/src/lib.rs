//! A tolerant parser for metrics pages: the Prometheus text format 0.0.4 and OpenMetrics 1.0
//! text, as model servers really emit them.
//!
//! Vigil reads each server's `/metrics` with [`parse`] (or [`parse_bytes`] for a raw HTTP body)
//! and gets an [`Exposition`]: every sample with its labels, value and timestamp, and the metric
//! families that `# HELP`, `# TYPE` and `# UNIT` declared. The crate depends on nothing but
//! `memchr` and the standard library; `vigil-core` reads every scrape with it (as
//! `vigil_core::scrape::exposition`).
//!
//! What it takes, beyond the plain grammar: names with `:`; Prometheus 3 quoted UTF-8 names
//! (`{"a.b",x="y"} 1` and `"a.b"{x="y"} 1`) and quoted label names; label values with the
//! escapes `\\`, `\"` and `\n` and any of `, = } "` inside; a comma before `}`; labels in any
//! order; tabs and runs of spaces; CRLF line endings; no final newline; `NaN`, `+Inf`, `-Inf`
//! (any letter case, as Go's `ParseFloat` takes them); timestamps; exemplars after the value
//! (skipped); `# EOF`; other `#` lines as comments; every metric type of both formats.
//!
//! **A malformed line never fails the scrape.** It is skipped and counted in
//! [`Exposition::skipped`]; the first [`MAX_RECORDED_ERRORS`] are kept with their line number
//! and reason in [`Exposition::errors`]. No input makes the parser panic, invalid UTF-8 included.
//!
//! **Timestamps** come out in one unit, milliseconds since the epoch. The format decides how
//! they are read: integer milliseconds in Prometheus 0.0.4, float seconds in OpenMetrics. With
//! [`Format::Auto`] the text is OpenMetrics when its last non-blank line is `# EOF` (OpenMetrics
//! requires that line, and it must be last) and Prometheus 0.0.4 otherwise; a caller that knows
//! the HTTP `Content-Type` can say so with [`Format::from_content_type`].
//!
//! **Families.** Samples keep their own names (`x_bucket`, `x_sum`, `x_count`, `x_created`,
//! `x_total`, …); [`Exposition::family`] finds the family a sample belongs to: the one whose
//! name equals the sample's, or the one whose name plus a suffix its type allows (`_bucket`
//! for a histogram, `_total` for a counter, …) gives the sample's name.
//!
//! **Speed.** Names, label names and label values are borrowed from the input unless they
//! contain an escape; the labels of all samples live in one vector, and each sample holds a
//! range into it, so parsing allocates nothing per sample.

mod builder;
mod cursor;
mod line;

#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use builder::{for_each_line, Builder};

/// How many malformed lines are kept with their line number and reason; all are counted.
pub const MAX_RECORDED_ERRORS: usize = 10;

/// Which text format an exposition is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Decide from the text: OpenMetrics if its last non-blank line is `# EOF`, else Prometheus.
    Auto,
    /// Prometheus text format 0.0.4: timestamps in integer milliseconds.
    Prometheus,
    /// OpenMetrics 1.0 text: timestamps in float seconds.
    OpenMetrics,
}

impl Format {
    /// The format an HTTP `Content-Type` names: `application/openmetrics-text` is OpenMetrics,
    /// `text/plain` Prometheus 0.0.4, anything else (or nothing) is left to [`Format::Auto`].
    pub fn from_content_type(content_type: &str) -> Format {
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        if media_type.eq_ignore_ascii_case("application/openmetrics-text") {
            Format::OpenMetrics
        } else if media_type.eq_ignore_ascii_case("text/plain") {
            Format::Prometheus
        } else {
            Format::Auto
        }
    }

    /// Replaces [`Format::Auto`] by the format `text` is in.
    fn resolve(self, text: &[u8]) -> Format {
        match self {
            Format::Auto if ends_with_eof_line(text) => Format::OpenMetrics,
            Format::Auto => Format::Prometheus,
            known => known,
        }
    }
}

/// Whether the last non-blank line of `text` is exactly `# EOF`.
fn ends_with_eof_line(text: &[u8]) -> bool {
    let end = text.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |last| last + 1);
    let text = &text[..end];
    text.ends_with(b"# EOF") && (text.len() == 5 || text[text.len() - 6] == b'\n')
}

/// The kind of a metric family, from `# TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    /// OpenMetrics' histogram of a gauge: `_bucket`, `_gsum`, `_gcount`.
    GaugeHistogram,
    Summary,
    /// OpenMetrics' `_info` samples of value 1.
    Info,
    /// OpenMetrics' set of boolean states, one label per state.
    StateSet,
    /// `untyped` in Prometheus 0.0.4, `unknown` in OpenMetrics, and any sample with no `# TYPE`.
    Unknown,
}

impl MetricType {
    /// The type a `# TYPE` line names, in any letter case (as Prometheus' Go parser takes it).
    pub fn from_keyword(keyword: &str) -> Option<MetricType> {
        const KEYWORDS: [(&str, MetricType); 9] = [
            ("counter", MetricType::Counter),
            ("gauge", MetricType::Gauge),
            ("histogram", MetricType::Histogram),
            ("gaugehistogram", MetricType::GaugeHistogram),
            ("summary", MetricType::Summary),
            ("info", MetricType::Info),
            ("stateset", MetricType::StateSet),
            ("untyped", MetricType::Unknown),
            ("unknown", MetricType::Unknown),
        ];
        KEYWORDS.iter().find(|(word, _)| word.eq_ignore_ascii_case(keyword)).map(|&(_, kind)| kind)
    }

    /// The suffixes a sample name may add to its family's name for this type.
    pub fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Counter => &["_total", "_created"],
            MetricType::Histogram => &["_bucket", "_sum", "_count", "_created"],
            MetricType::GaugeHistogram => &["_bucket", "_gsum", "_gcount"],
            MetricType::Summary => &["_sum", "_count", "_created"],
            MetricType::Info => &["_info"],
            MetricType::Gauge | MetricType::StateSet | MetricType::Unknown => &[],
        }
    }
}

/// One `name="value"` pair of a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label<'a> {
    pub name: Cow<'a, str>,
    /// With its escapes decoded.
    pub value: Cow<'a, str>,
}

/// One sample line. Its labels are read through [`Exposition::labels`] and
/// [`Exposition::label`], its family through [`Exposition::family`].
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// The name as written, suffix included (`…_bucket`, `…_total`).
    pub name: Cow<'a, str>,
    pub value: f64,
    /// Milliseconds since the epoch, whichever format the exposition is in.
    pub timestamp_ms: Option<i64>,
    first_label: u32,
    end_label: u32,
    family: u32,
}

/// `Sample::family` of a sample that belongs to no declared family.
const NO_FAMILY: u32 = u32::MAX;

/// A metric family declared by `# HELP`, `# TYPE` or `# UNIT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Family<'a> {
    pub name: Cow<'a, str>,
    /// [`MetricType::Unknown`] until a `# TYPE` line says otherwise.
    pub metric_type: MetricType,
    /// With its escapes decoded.
    pub help: Option<Cow<'a, str>>,
    pub unit: Option<Cow<'a, str>>,
}

impl Family<'_> {
    /// Whether a sample called `sample_name` belongs to this family.
    pub fn has_sample_named(&self, sample_name: &str) -> bool {
        match sample_name.strip_prefix(&*self.name) {
            Some("") => true,
            Some(suffix) => self.metric_type.sample_suffixes().contains(&suffix),
            None => false,
        }
    }
}

/// A malformed line, skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineError {
    /// Counted from 1.
    pub line: usize,
    pub kind: LineErrorKind,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

/// Why a line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineErrorKind {
    InvalidUtf8,
    InvalidMetricName,
    MissingMetricName,
    DuplicateMetricName,
    InvalidLabelName,
    ExpectedEquals,
    ExpectedQuote,
    UnterminatedString,
    ExpectedCommaOrBrace,
    UnterminatedLabelSet,
    MissingValue,
    InvalidValue,
    InvalidTimestamp,
    TrailingText,
    MissingType,
    UnknownType,
    AfterEof,
}

impl fmt::Display for LineErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LineErrorKind::InvalidUtf8 => "the line is not valid UTF-8",
            LineErrorKind::InvalidMetricName => "invalid metric name",
            LineErrorKind::MissingMetricName => "no metric name",
            LineErrorKind::DuplicateMetricName => "the metric name is given twice",
            LineErrorKind::InvalidLabelName => "invalid label name",
            LineErrorKind::ExpectedEquals => "expected `=` after the label name",
            LineErrorKind::ExpectedQuote => "expected a double-quoted string",
            LineErrorKind::UnterminatedString => "a quoted string has no closing quote",
            LineErrorKind::ExpectedCommaOrBrace => "expected `,` or `}` after a label",
            LineErrorKind::UnterminatedLabelSet => "the label set has no closing `}`",
            LineErrorKind::MissingValue => "no value",
            LineErrorKind::InvalidValue => "the value is not a number",
            LineErrorKind::InvalidTimestamp => "invalid timestamp",
            LineErrorKind::TrailingText => "unexpected text at the end of the line",
            LineErrorKind::MissingType => "`# TYPE` names no type",
            LineErrorKind::UnknownType => "`# TYPE` names an unknown type",
            LineErrorKind::AfterEof => "text after `# EOF`",
        })
    }
}

/// Everything one metrics page said.
#[derive(Debug, Clone)]
pub struct Exposition<'a> {
    /// The format the text was read as: never [`Format::Auto`].
    pub format: Format,
    /// In the order of the text.
    pub samples: Vec<Sample<'a>>,
    /// In the order they were first declared.
    pub families: Vec<Family<'a>>,
    /// How many lines were malformed and skipped.
    pub skipped: usize,
    /// The first [`MAX_RECORDED_ERRORS`] of the skipped lines.
    pub errors: Vec<LineError>,
    labels: Vec<Label<'a>>,
    family_index: HashMap<Cow<'a, str>, u32>,
}

impl<'a> Exposition<'a> {
    /// The labels of `sample`, in the order written.
    pub fn labels(&self, sample: &Sample<'a>) -> &[Label<'a>] {
        self.labels.get(sample.first_label as usize..sample.end_label as usize).unwrap_or_default()
    }

    /// The value of the label `name` of `sample`.
    pub fn label(&self, sample: &Sample<'a>, name: &str) -> Option<&str> {
        self.labels(sample).iter().find(|label| label.name == name).map(|label| &*label.value)
    }

    /// The declared family `sample` belongs to.
    pub fn family(&self, sample: &Sample<'a>) -> Option<&Family<'a>> {
        self.families.get(sample.family as usize)
    }

    /// The name of the family of `sample`: the declared one, or the sample's own name.
    pub fn family_name<'s>(&'s self, sample: &'s Sample<'a>) -> &'s str {
        self.family(sample).map_or(&*sample.name, |family| &*family.name)
    }

    /// The type of `sample`'s family; [`MetricType::Unknown`] when none was declared.
    pub fn metric_type(&self, sample: &Sample<'a>) -> MetricType {
        self.family(sample).map_or(MetricType::Unknown, |family| family.metric_type)
    }

    /// The family declared with this name.
    pub fn family_named(&self, name: &str) -> Option<&Family<'a>> {
        self.family_index.get(name).and_then(|&index| self.families.get(index as usize))
    }

    /// The samples called exactly `name`.
    pub fn samples_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Sample<'a>> + 's {
        self.samples.iter().filter(move |sample| sample.name == name)
    }

    /// The first sample called `name` that has all of `labels` (and perhaps others).
    pub fn find(&self, name: &str, labels: &[(&str, &str)]) -> Option<&Sample<'a>> {
        self.samples
            .iter()
            .filter(|sample| sample.name == name)
            .find(|sample| labels.iter().all(|&(label, value)| self.label(sample, label) == Some(value)))
    }
}

/// Parses a metrics page. Never fails: malformed lines are skipped and counted.
///
/// ```
/// use vigil_exposition::{parse, Format, MetricType};
///
/// let page = parse("# TYPE requests counter\nrequests_total{model=\"iris\"} 7\nbad line\n", Format::Auto);
/// let sample = page.find("requests_total", &[("model", "iris")]).expect("a sample");
/// assert_eq!(sample.value, 7.0);
/// assert_eq!(page.family_name(sample), "requests");
/// assert_eq!(page.metric_type(sample), MetricType::Counter);
/// assert_eq!((page.skipped, page.errors[0].line), (1, 3));
/// ```
pub fn parse(text: &str, format: Format) -> Exposition<'_> {
    let mut builder = Builder::new(format.resolve(text.as_bytes()), text.len());
    for_each_line(text.as_bytes(), |start, end, number| builder.line(&text[start..end], number));
    builder.finish()
}

/// Parses a metrics page from the bytes of an HTTP body. A line that is not valid UTF-8 is
/// skipped and counted like any other malformed line.
pub fn parse_bytes(bytes: &[u8], format: Format) -> Exposition<'_> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return parse(text, format);
    }
    let mut builder = Builder::new(format.resolve(bytes), bytes.len());
    for_each_line(bytes, |start, end, number| match std::str::from_utf8(&bytes[start..end]) {
        Ok(line) => builder.line(line, number),
        Err(_) => builder.skip(number, LineErrorKind::InvalidUtf8),
    });
    builder.finish()
}
