//! Building an [`Exposition`] from its lines: declaring families, adding samples with their
//! labels and family, and counting the lines that are skipped.

use std::borrow::Cow;
use std::collections::HashMap;

use super::line::{parse_line, Context, Line, SampleLine};
use super::{Exposition, Family, Format, LineError, LineErrorKind, MetricType, Sample, MAX_RECORDED_ERRORS, NO_FAMILY};

/// Calls `each(start, end, line_number)` for every line of `bytes`, without its `\n`.
pub(super) fn for_each_line(bytes: &[u8], mut each: impl FnMut(usize, usize, usize)) {
    let mut start = 0;
    let mut number = 1;
    for end in memchr::memchr_iter(b'\n', bytes) {
        each(start, end, number);
        start = end + 1;
        number += 1;
    }
    if start < bytes.len() {
        each(start, bytes.len(), number);
    }
}

/// Builds an [`Exposition`] line by line.
pub(super) struct Builder<'a> {
    exposition: Exposition<'a>,
    seconds_timestamps: bool,
    /// The family of the last descriptor or sample: the next sample most likely belongs to it.
    current_family: u32,
    seen_eof: bool,
    /// The name of the last sample, if it was written bare.
    previous_bare_name: &'a str,
    /// Whether some sample was left without a family, perhaps because its `# TYPE` came later.
    unresolved_samples: bool,
}

impl<'a> Builder<'a> {
    pub(super) fn new(format: Format, text_len: usize) -> Self {
        let exposition = Exposition {
            format,
            // Real pages have a sample per 40 to 300 bytes and a label per 20 to 40: reserve
            // enough for most pages at once, within reason for a huge body.
            samples: Vec::with_capacity((text_len / 64).min(1 << 18)),
            families: Vec::new(),
            skipped: 0,
            errors: Vec::new(),
            labels: Vec::with_capacity((text_len / 20).min(1 << 20)),
            family_index: HashMap::new(),
        };
        let seconds_timestamps = format == Format::OpenMetrics;
        Builder {
            exposition,
            seconds_timestamps,
            current_family: NO_FAMILY,
            seen_eof: false,
            previous_bare_name: "",
            unresolved_samples: false,
        }
    }

    pub(super) fn line(&mut self, text: &'a str, number: usize) {
        let first_label = self.exposition.labels.len();
        let context = Context { seconds_timestamps: self.seconds_timestamps, previous_name: self.previous_bare_name };
        match parse_line(text, &context, &mut self.exposition.labels) {
            Ok(Line::Blank) => {}
            Ok(_) if self.seen_eof => {
                self.exposition.labels.truncate(first_label);
                self.skip(number, LineErrorKind::AfterEof);
            }
            Ok(Line::Comment) => {}
            Ok(Line::Eof) => self.seen_eof = true,
            Ok(Line::Help { family, text }) => self.declare(family).help = Some(text),
            Ok(Line::Type { family, metric_type }) => self.declare(family).metric_type = metric_type,
            Ok(Line::Unit { family, unit }) => self.declare(family).unit = Some(unit),
            Ok(Line::Sample(sample)) => self.add_sample(sample, first_label),
            Err(kind) => {
                self.exposition.labels.truncate(first_label);
                self.skip(number, if self.seen_eof { LineErrorKind::AfterEof } else { kind });
            }
        }
    }

    pub(super) fn skip(&mut self, number: usize, kind: LineErrorKind) {
        self.exposition.skipped += 1;
        if self.exposition.errors.len() < MAX_RECORDED_ERRORS {
            self.exposition.errors.push(LineError { line: number, kind });
        }
    }

    /// The family called `name`, created if this is its first descriptor; it becomes current.
    fn declare(&mut self, name: Cow<'a, str>) -> &mut Family<'a> {
        let families = &mut self.exposition.families;
        let is_current = families.get(self.current_family as usize).is_some_and(|family| family.name == name);
        if !is_current {
            self.current_family = match self.exposition.family_index.get(&name) {
                Some(&index) => index,
                None => {
                    let index = families.len() as u32;
                    self.exposition.family_index.insert(name.clone(), index);
                    families.push(Family { name, metric_type: MetricType::Unknown, help: None, unit: None });
                    index
                }
            };
        }
        &mut families[self.current_family as usize]
    }

    fn add_sample(&mut self, sample: SampleLine<'a>, first_label: usize) {
        if let (true, Cow::Borrowed(name)) = (sample.bare_name, &sample.name) {
            self.previous_bare_name = name;
        }
        let family = self.family_of(&sample.name);
        self.unresolved_samples |= family == NO_FAMILY;
        self.exposition.samples.push(Sample {
            name: sample.name,
            value: sample.value,
            timestamp_ms: sample.timestamp_ms,
            first_label: first_label as u32,
            end_label: self.exposition.labels.len() as u32,
            family,
        });
    }

    /// The family a sample called `name` belongs to: the current family if it fits (the usual
    /// case, as a family's lines come together), else whichever declared family fits.
    fn family_of(&mut self, name: &str) -> u32 {
        let exposition = &self.exposition;
        if exposition.families.get(self.current_family as usize).is_some_and(|family| family.has_sample_named(name)) {
            return self.current_family;
        }
        if exposition.families.is_empty() {
            return NO_FAMILY;
        }
        // Many samples in a row with no family (an exposition without `# TYPE` lines for some
        // metrics) would each be looked up again: remember the last miss.
        if exposition.samples.last().is_some_and(|last| last.family == NO_FAMILY && last.name == name) {
            return NO_FAMILY;
        }
        let found = find_family(exposition, name);
        if found != NO_FAMILY {
            self.current_family = found;
        }
        found
    }

    pub(super) fn finish(mut self) -> Exposition<'a> {
        if self.unresolved_samples && !self.exposition.families.is_empty() {
            let exposition = &mut self.exposition;
            for index in 0..exposition.samples.len() {
                if exposition.samples[index].family == NO_FAMILY {
                    let family = find_family(exposition, &exposition.samples[index].name);
                    exposition.samples[index].family = family;
                }
            }
        }
        self.exposition
    }
}

/// Looks up the family of a sample called `name` by its name, or its name less a suffix.
fn find_family(exposition: &Exposition<'_>, name: &str) -> u32 {
    let index = &exposition.family_index;
    if let Some(&family) = index.get(name) {
        return family;
    }
    const SUFFIXES: [&str; 8] = ["_bucket", "_sum", "_count", "_total", "_created", "_gsum", "_gcount", "_info"];
    SUFFIXES
        .iter()
        .filter_map(|suffix| name.strip_suffix(suffix))
        .filter_map(|base| index.get(base).copied())
        .find(|&family| exposition.families[family as usize].has_sample_named(name))
        .unwrap_or(NO_FAMILY)
}
