//! The lowest layer of the parser: a cursor over one line, and the tokens it can take
//! (names, quoted strings, bare tokens, numbers).
//!
//! Every position the cursor stops at is an ASCII delimiter or the end of the line, so slicing
//! the line there always falls on a character boundary: names, quoted strings and tokens are
//! borrowed from the input, and only a quoted string that contains an escape is copied.

use std::borrow::Cow;

use super::LineErrorKind;

/// Which bytes may appear in a metric name (`[a-zA-Z0-9_:]`) and in a label name (`[a-zA-Z0-9_]`).
/// Neither may start with a digit.
const METRIC_NAME_BYTE: u8 = 1;
const LABEL_NAME_BYTE: u8 = 2;

static NAME_BYTES: [u8; 256] = name_byte_table();

const fn name_byte_table() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        if b.is_ascii_alphanumeric() || b == b'_' {
            table[byte] = METRIC_NAME_BYTE | LABEL_NAME_BYTE;
        } else if b == b':' {
            table[byte] = METRIC_NAME_BYTE;
        }
        byte += 1;
    }
    table
}

/// Separators between tokens: spaces and tabs, and a stray carriage return.
pub(super) fn is_blank(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r')
}

/// A position in one line of the exposition.
pub(super) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// Steps over `byte` if it is next, and says whether it was.
    pub(super) fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Skips spaces and tabs; returns whether there were any.
    pub(super) fn skip_blanks(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Whether the rest of the line is empty or blank.
    pub(super) fn rest_is_blank(&self) -> bool {
        self.bytes()[self.pos.min(self.text.len())..].iter().all(|&b| is_blank(b))
    }

    /// Everything from here to the end of the line.
    pub(super) fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// Whether the next byte ends a token: a blank, or the end of the line.
    pub(super) fn at_separator(&self) -> bool {
        self.peek().is_none_or(is_blank)
    }

    /// Takes a bare metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
    pub(super) fn metric_name(&mut self) -> Result<&'a str, LineErrorKind> {
        self.name(METRIC_NAME_BYTE).ok_or(LineErrorKind::InvalidMetricName)
    }

    /// Takes a bare label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
    pub(super) fn label_name(&mut self) -> Result<&'a str, LineErrorKind> {
        self.name(LABEL_NAME_BYTE).ok_or(LineErrorKind::InvalidLabelName)
    }

    fn name(&mut self, class: u8) -> Option<&'a str> {
        let start = self.pos;
        let rest = self.bytes().get(start..).unwrap_or_default();
        let len = rest.iter().position(|&b| NAME_BYTES[b as usize] & class == 0).unwrap_or(rest.len());
        self.pos += len;
        let name = &self.text[start..self.pos];
        let starts_well = name.bytes().next().is_some_and(|b| !b.is_ascii_digit());
        starts_well.then_some(name)
    }

    /// Takes `name` if the line goes on with exactly that bare name (followed by `{`, a blank or
    /// the end): consecutive lines mostly repeat a name, and comparing is faster than scanning.
    pub(super) fn known_name(&mut self, name: &str) -> Option<&'a str> {
        let rest = self.rest();
        let after = rest.as_bytes().get(name.len()).copied();
        let whole = !name.is_empty() && rest.starts_with(name) && after.is_none_or(|b| b == b'{' || is_blank(b));
        whole.then(|| {
            self.pos += name.len();
            &rest[..name.len()]
        })
    }

    /// Takes a name that may be bare or, as Prometheus 3 allows for UTF-8 names, quoted.
    pub(super) fn metric_name_or_quoted(&mut self) -> Result<Cow<'a, str>, LineErrorKind> {
        if self.peek() == Some(b'"') {
            self.quoted()
        } else {
            self.metric_name().map(Cow::Borrowed)
        }
    }

    /// Takes a double-quoted string starting at the cursor, decoding `\\`, `\"` and `\n`.
    /// It is borrowed from the line unless it contains an escape.
    pub(super) fn quoted(&mut self) -> Result<Cow<'a, str>, LineErrorKind> {
        if !self.eat(b'"') {
            return Err(LineErrorKind::ExpectedQuote);
        }
        let bytes = self.bytes();
        let start = self.pos;
        let mut end = start;
        let mut escaped = false;
        loop {
            end = find_quote_or_backslash(bytes, end).ok_or(LineErrorKind::UnterminatedString)?;
            if bytes[end] == b'"' {
                break;
            }
            // Whatever follows a backslash is part of the string, even a quote.
            escaped = true;
            end += 2;
        }
        let raw = &self.text[start..end];
        self.pos = end + 1;
        Ok(if escaped { decode_escapes(raw) } else { Cow::Borrowed(raw) })
    }

    /// Takes the bytes up to the next blank or the end of the line.
    pub(super) fn token(&mut self) -> &'a str {
        let start = self.pos;
        while !self.at_separator() {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }
}

/// The position of the first `"` or `\\` in `bytes` from `from` on. Label values are short, so
/// this tests eight bytes at a time in a register rather than calling a vectorised search.
fn find_quote_or_backslash(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH_BITS: u64 = ONES << 7;
    let has_zero_byte = |word: u64| word.wrapping_sub(ONES) & !word & HIGH_BITS;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let found = has_zero_byte(word ^ (ONES * u64::from(b'"'))) | has_zero_byte(word ^ (ONES * u64::from(b'\\')));
        if found != 0 {
            // The lowest flagged byte is always a true match.
            return Some(at + found.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = bytes.get(at..)?;
    tail.iter().position(|&b| b == b'"' || b == b'\\').map(|offset| at + offset)
}

/// Decodes the escapes of the text format: `\\`, `\"` and `\n`. Like Prometheus, any other
/// backslash is kept as it is, with the character after it.
pub(super) fn decode_escapes(raw: &str) -> Cow<'_, str> {
    let Some(first) = memchr::memchr(b'\\', raw.as_bytes()) else {
        return Cow::Borrowed(raw);
    };
    let bytes = raw.as_bytes();
    let mut decoded = String::with_capacity(raw.len());
    let mut copied_up_to = 0;
    let mut backslash = Some(first);
    while let Some(at) = backslash {
        decoded.push_str(&raw[copied_up_to..at]);
        let (replacement, consumed) = match bytes.get(at + 1) {
            Some(b'\\') => ('\\', 2),
            Some(b'"') => ('"', 2),
            Some(b'n') => ('\n', 2),
            _ => ('\\', 1),
        };
        decoded.push(replacement);
        copied_up_to = at + consumed;
        backslash = memchr::memchr(b'\\', &bytes[copied_up_to..]).map(|offset| copied_up_to + offset);
    }
    decoded.push_str(&raw[copied_up_to..]);
    Cow::Owned(decoded)
}

/// Parses a sample value as Go's `strconv.ParseFloat` does for the text format: decimal
/// notation, `NaN`, and `Inf`/`Infinity` with an optional sign, in any letter case.
/// (Go's hexadecimal floats and digit separators are not taken; no exporter writes them.)
pub(super) fn parse_value(token: &str) -> Option<f64> {
    parse_plain_decimal(token.as_bytes()).or_else(|| token.parse::<f64>().ok())
}

/// The common case, `[-]digits[.digits]` with at most 2^53 as its digits and at most 22 after
/// the point, computed exactly: both parts are exact in an `f64`, and one division rounds
/// correctly (Clinger's fast path). Anything else is left to the standard library.
fn parse_plain_decimal(token: &[u8]) -> Option<f64> {
    const POWERS_OF_TEN: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];
    let (negative, digits) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, token),
    };
    let mut mantissa = 0u64;
    let mut digit_count = 0;
    let mut after_point: Option<usize> = None;
    for &byte in digits {
        match byte {
            b'0'..=b'9' => {
                mantissa = mantissa.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
                digit_count += 1;
                after_point = after_point.map(|count| count + 1);
            }
            b'.' if after_point.is_none() => after_point = Some(0),
            _ => return None,
        }
    }
    let power = *POWERS_OF_TEN.get(after_point.unwrap_or(0))?;
    if digit_count == 0 || mantissa > 1 << 53 {
        return None;
    }
    let value = mantissa as f64 / power;
    Some(if negative { -value } else { value })
}

/// Parses a timestamp to milliseconds since the epoch: integer milliseconds in Prometheus
/// 0.0.4, float seconds in OpenMetrics.
pub(super) fn parse_timestamp(token: &str, seconds: bool) -> Option<i64> {
    if !seconds {
        return token.parse::<i64>().ok();
    }
    let seconds = token.parse::<f64>().ok().filter(|s| s.is_finite())?;
    let millis = (seconds * 1000.0).round();
    // Outside i64's range the timestamp is not a time at all.
    (millis.abs() < 9.2e18).then_some(millis as i64)
}
