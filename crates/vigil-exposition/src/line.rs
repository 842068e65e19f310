//! The grammar of one line: a sample, a `#` line (HELP, TYPE, UNIT, EOF or a comment), or blank.

use std::borrow::Cow;

use super::cursor::{decode_escapes, parse_timestamp, parse_value, Cursor};
use super::{Label, LineErrorKind, MetricType};

/// What one line says.
#[derive(Debug, PartialEq)]
pub(super) enum Line<'a> {
    /// Empty or only blanks.
    Blank,
    /// A `#` line that is not a descriptor.
    Comment,
    /// `# EOF`: the end of an OpenMetrics exposition.
    Eof,
    Help {
        family: Cow<'a, str>,
        text: Cow<'a, str>,
    },
    Type {
        family: Cow<'a, str>,
        metric_type: MetricType,
    },
    Unit {
        family: Cow<'a, str>,
        unit: Cow<'a, str>,
    },
    /// A sample; its labels were appended to the arena the caller gave.
    Sample(SampleLine<'a>),
}

/// The parts of a sample line other than its labels.
#[derive(Debug, PartialEq)]
pub(super) struct SampleLine<'a> {
    pub name: Cow<'a, str>,
    /// Whether the name was written bare (not quoted), so the next line can be compared with it.
    pub bare_name: bool,
    pub value: f64,
    pub timestamp_ms: Option<i64>,
}

/// How to read a line, and what the lines before it said.
pub(super) struct Context<'h> {
    /// OpenMetrics timestamps are float seconds; Prometheus 0.0.4 ones integer milliseconds.
    pub seconds_timestamps: bool,
    /// The bare name of the last sample, likely the name of this one too.
    pub previous_name: &'h str,
}

/// Parses one line (without its `\n`; a `\r` before it is dropped). A sample's labels are
/// pushed onto `labels`; when the line is malformed, whatever it pushed is left there for the
/// caller to truncate.
pub(super) fn parse_line<'a>(
    text: &'a str,
    context: &Context<'_>,
    labels: &mut Vec<Label<'a>>,
) -> Result<Line<'a>, LineErrorKind> {
    let text = text.strip_suffix('\r').unwrap_or(text);
    let mut cursor = Cursor::new(text);
    cursor.skip_blanks();
    match cursor.peek() {
        None => Ok(Line::Blank),
        Some(b'#') => {
            cursor.eat(b'#');
            parse_hash_line(cursor)
        }
        Some(_) => parse_sample(cursor, context, labels).map(Line::Sample),
    }
}

/// The rest of a line that started with `#`.
fn parse_hash_line(mut cursor: Cursor<'_>) -> Result<Line<'_>, LineErrorKind> {
    cursor.skip_blanks();
    let keyword = cursor.token();
    match keyword {
        "HELP" => {
            let family = descriptor_name(&mut cursor)?;
            cursor.skip_blanks();
            Ok(Line::Help { family, text: decode_escapes(cursor.rest()) })
        }
        "TYPE" => {
            let family = descriptor_name(&mut cursor)?;
            cursor.skip_blanks();
            let word = cursor.token();
            let metric_type = MetricType::from_keyword(word).ok_or(if word.is_empty() {
                LineErrorKind::MissingType
            } else {
                LineErrorKind::UnknownType
            })?;
            expect_line_end(&mut cursor)?;
            Ok(Line::Type { family, metric_type })
        }
        "UNIT" => {
            let family = descriptor_name(&mut cursor)?;
            cursor.skip_blanks();
            let unit = Cow::Borrowed(cursor.token());
            expect_line_end(&mut cursor)?;
            Ok(Line::Unit { family, unit })
        }
        "EOF" if cursor.rest_is_blank() => Ok(Line::Eof),
        _ => Ok(Line::Comment),
    }
}

/// The metric family name after `# HELP`, `# TYPE` or `# UNIT`.
fn descriptor_name<'a>(cursor: &mut Cursor<'a>) -> Result<Cow<'a, str>, LineErrorKind> {
    cursor.skip_blanks();
    if cursor.at_end() {
        return Err(LineErrorKind::MissingMetricName);
    }
    let name = cursor.metric_name_or_quoted()?;
    if !cursor.at_separator() {
        return Err(LineErrorKind::InvalidMetricName);
    }
    Ok(name)
}

fn expect_line_end(cursor: &mut Cursor<'_>) -> Result<(), LineErrorKind> {
    cursor.skip_blanks();
    if cursor.at_end() {
        Ok(())
    } else {
        Err(LineErrorKind::TrailingText)
    }
}

/// `name{labels} value [timestamp] [# exemplar]`, where the name may instead be quoted, before
/// the braces or as the first item inside them.
fn parse_sample<'a>(
    mut cursor: Cursor<'a>,
    context: &Context<'_>,
    labels: &mut Vec<Label<'a>>,
) -> Result<SampleLine<'a>, LineErrorKind> {
    let bare_name = !matches!(cursor.peek(), Some(b'{' | b'"'));
    let mut name = match cursor.peek() {
        Some(b'{') => None,
        Some(b'"') => Some(cursor.quoted()?),
        _ => Some(Cow::Borrowed(match cursor.known_name(context.previous_name) {
            Some(name) => name,
            None => cursor.metric_name()?,
        })),
    };
    if !matches!(cursor.peek(), Some(b'{') | None) && !cursor.skip_blanks() {
        return Err(LineErrorKind::InvalidMetricName);
    }
    if cursor.eat(b'{') {
        parse_label_set(&mut cursor, &mut name, labels)?;
        cursor.skip_blanks();
    }
    let name = name.ok_or(LineErrorKind::MissingMetricName)?;

    let value = cursor.token();
    if value.is_empty() {
        return Err(LineErrorKind::MissingValue);
    }
    let value = parse_value(value).ok_or(LineErrorKind::InvalidValue)?;

    cursor.skip_blanks();
    let timestamp_ms = match cursor.peek() {
        None | Some(b'#') => None,
        Some(_) => {
            Some(parse_timestamp(cursor.token(), context.seconds_timestamps).ok_or(LineErrorKind::InvalidTimestamp)?)
        }
    };

    // What may follow is an exemplar (`# {trace_id="…"} 1.0`), which Vigil does not use.
    cursor.skip_blanks();
    match cursor.peek() {
        None | Some(b'#') => Ok(SampleLine { name, bare_name, value, timestamp_ms }),
        Some(_) => Err(LineErrorKind::TrailingText),
    }
}

/// The label set after `{`, up to and including `}`. A quoted string not followed by `=` is
/// the metric name (`{"a.b", x="y"}`). A comma before `}` is allowed.
fn parse_label_set<'a>(
    cursor: &mut Cursor<'a>,
    metric_name: &mut Option<Cow<'a, str>>,
    labels: &mut Vec<Label<'a>>,
) -> Result<(), LineErrorKind> {
    loop {
        cursor.skip_blanks();
        match cursor.peek() {
            Some(b'}') => {
                cursor.eat(b'}');
                return Ok(());
            }
            Some(b'"') => {
                let quoted = cursor.quoted()?;
                cursor.skip_blanks();
                if cursor.peek() == Some(b'=') {
                    labels.push(Label { name: quoted, value: label_value(cursor)? });
                } else if metric_name.is_none() {
                    *metric_name = Some(quoted);
                } else {
                    return Err(LineErrorKind::DuplicateMetricName);
                }
            }
            Some(_) => {
                let name = Cow::Borrowed(cursor.label_name()?);
                cursor.skip_blanks();
                labels.push(Label { name, value: label_value(cursor)? });
            }
            None => return Err(LineErrorKind::UnterminatedLabelSet),
        }
        cursor.skip_blanks();
        match cursor.peek() {
            Some(b',') => {
                cursor.eat(b',');
            }
            Some(b'}') => {
                cursor.eat(b'}');
                return Ok(());
            }
            None => return Err(LineErrorKind::UnterminatedLabelSet),
            Some(_) => return Err(LineErrorKind::ExpectedCommaOrBrace),
        }
    }
}

/// `= "value"` after a label name.
fn label_value<'a>(cursor: &mut Cursor<'a>) -> Result<Cow<'a, str>, LineErrorKind> {
    if !cursor.eat(b'=') {
        return Err(LineErrorKind::ExpectedEquals);
    }
    cursor.skip_blanks();
    cursor.quoted()
}
