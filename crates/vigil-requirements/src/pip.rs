//! pip requirement files and `pip freeze` output, line by line as pip reads them: `#` at the start
//! or after a space begins a comment, a line ending in `\` continues on the next, option lines
//! (`-r`, `-c`, `--index-url`, …) and per-requirement options (`--hash=…`) are not packages, and
//! `-e URL#egg=name` is an editable install (named by its `egg`, else by the last part of its
//! path). Everything else is a PEP 508 specifier for `pep508_rs`.

use std::str::FromStr;

use pep508_rs::pep440_rs::Operator;
use pep508_rs::{Requirement, VerbatimUrl, VersionOrUrl};

use crate::{normalized_name, BadLine, Installer, Pin};

/// The pins of a requirements file or `pip freeze` output; the first malformed line refuses it.
pub fn pip(text: &str) -> Result<Vec<Pin>, BadLine> {
    pins(logical_lines(text).into_iter())
}

/// Reads `(line number, text)` requirement lines (comments and continuations already handled).
pub(crate) fn pins(lines: impl Iterator<Item = (usize, String)>) -> Result<Vec<Pin>, BadLine> {
    let mut pins = Vec::new();
    for (line, text) in lines {
        if let Some(pin) = read_line(line, &text)? {
            pins.push(pin);
        }
    }
    Ok(pins)
}

/// The file's lines with comments cut, continuations joined and blank lines left out, each with
/// the number of the line it begins on.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let content = without_comment(raw).trim_end();
        let (content, continues) = match content.strip_suffix('\\') {
            Some(head) => (head, true),
            None => (content, false),
        };
        let (start, mut joined) = pending.take().unwrap_or((index + 1, String::new()));
        joined.push_str(content);
        if continues {
            pending = Some((start, joined));
        } else if !joined.trim().is_empty() {
            lines.push((start, joined.trim().to_owned()));
        }
    }
    if let Some((start, joined)) = pending.filter(|(_, joined)| !joined.trim().is_empty()) {
        lines.push((start, joined.trim().to_owned()));
    }
    lines
}

/// `line` up to a `#` that begins it or follows white space.
fn without_comment(line: &str) -> &str {
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        if c == '#' && previous.is_whitespace() {
            return &line[..at];
        }
        previous = c;
    }
    line
}

fn read_line(line: usize, text: &str) -> Result<Option<Pin>, BadLine> {
    let bad = |message: String| BadLine { line, text: text.to_owned(), message };
    if let Some(location) = text.strip_prefix("-e").or_else(|| text.strip_prefix("--editable")) {
        let location = location.trim_start_matches([' ', '=']).trim();
        if location.is_empty() {
            return Err(bad("an editable install names no location: give `-e URL#egg=name` or `-e PATH`".into()));
        }
        return Ok(Some(editable(line, location)));
    }
    if text.starts_with('-') {
        // An option for pip itself (-r, -c, --index-url, --find-links, …), not a package.
        return Ok(None);
    }
    // Per-requirement options (`--hash=sha256:…`, `--config-settings …`) follow the specifier.
    let specifier = text.find(" --").map_or(text, |at| &text[..at]).trim();
    if let Some(name) = unfinished_name(specifier) {
        return Err(bad(format!("the name {name} must end with a letter or a digit")));
    }
    // pep508_rs 0.9 panics on some malformed lines where it would say what is wrong (it cuts a
    // marker, or the line it underlines in its error, inside a character of several bytes): such a
    // panic is that line's error. Its message is read without the underlined line.
    let parsed = std::panic::catch_unwind(|| {
        Requirement::<VerbatimUrl>::from_str(specifier).map_err(|error| error.message.to_string())
    });
    let requirement = parsed
        .map_err(|_| bad("it is not a requirement Vigil can read: the PEP 508 parser failed on it".into()))?
        .map_err(|message| bad(message.lines().next().unwrap_or("not a requirement").to_owned()))?;
    let (constraint, version, url) = match &requirement.version_or_url {
        None => (String::new(), None, None),
        Some(VersionOrUrl::Url(url)) => (String::new(), None, Some(url.to_string())),
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            let exact = match specifiers.iter().collect::<Vec<_>>().as_slice() {
                [only] if matches!(only.operator(), Operator::Equal | Operator::ExactEqual) => {
                    Some(only.version().to_string())
                }
                _ => None,
            };
            (specifiers.to_string(), exact, None)
        }
    };
    Ok(Some(Pin {
        name: requirement.name.to_string(),
        constraint,
        version,
        extras: requirement.extras.iter().map(ToString::to_string).collect(),
        marker: requirement.marker.contents().map(|marker| marker.to_string()),
        url,
        installer: Installer::Pip,
        line,
    }))
}

/// The first name of a specifier's package and extras (`pandas[performance]`) that ends in `.`,
/// `-` or `_` with more after it (`numpy. ==1.26`, `pandas[perf.]`): PEP 508 refuses such a
/// name, but `pep508_rs` 0.9 panics on it rather than saying so.
fn unfinished_name(specifier: &str) -> Option<&str> {
    fn leading(text: &str) -> &str {
        let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')));
        &text[..end.unwrap_or(text.len())]
    }
    if !specifier.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None; // not a named requirement: pep508_rs says why
    }
    let package = leading(specifier);
    let extras = specifier[package.len()..].trim_start().strip_prefix('[').map(|rest| rest.split(']').next());
    let extras =
        extras.flatten().into_iter().flat_map(|extras| extras.split(',')).map(|extra| leading(extra.trim_start()));
    std::iter::once(package).chain(extras).find(|name| name.ends_with(['.', '-', '_']))
}

/// An editable install, named by its `#egg=` fragment, else by the last part of its path.
fn editable(line: usize, location: &str) -> Pin {
    let egg = location.split_once("#egg=").map(|(_, egg)| egg.split('&').next().unwrap_or(egg));
    let path = location.split(['#', '@']).next().unwrap_or(location).trim_end_matches(['/', '\\']);
    let last = path.rsplit(['/', '\\']).next().unwrap_or(path).trim_end_matches(".git");
    Pin {
        name: normalized_name(egg.unwrap_or(last)),
        constraint: String::new(),
        version: None,
        extras: Vec::new(),
        marker: None,
        url: Some(location.to_owned()),
        installer: Installer::Pip,
        line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_continuations_and_options_are_read_as_pip_reads_them() {
        let text = "# the model's needs\nnumpy==1.26.4  # pinned\n\\\n  pandas \\\n  >=2.0\n-r base.txt\n\
                    --index-url https://pypi.example/simple\nrequests==2.31.0 --hash=sha256:abc\ntorch==2.1.0+cu118\n";
        let pins = pip(text).unwrap();
        let read: Vec<(&str, &str, usize)> =
            pins.iter().map(|p| (p.name.as_str(), p.constraint.as_str(), p.line)).collect();
        assert_eq!(
            read,
            [
                ("numpy", "==1.26.4", 2),
                ("pandas", ">=2.0", 3),
                ("requests", "==2.31.0", 8),
                ("torch", "==2.1.0+cu118", 9)
            ]
        );
    }

    #[test]
    fn a_name_ending_in_a_dot_dash_or_underscore_is_a_bad_line_not_a_crash() {
        // Found by fuzzing: pep508_rs panicked on it.
        let name = include_str!("../../../fuzz/regressions/requirements/name-ending-in-a-dot");
        let extra = include_str!("../../../fuzz/regressions/requirements/extra-ending-in-a-dot");
        for (text, line, name) in [
            (name, 1, "arti3.17."),
            (extra, 2, "performantyc."),
            ("numpy==1.26.4\nscikit_learn_ >=1.5\n", 2, "scikit_learn_"),
            ("pandas[ performance , parquet-] ==2.2\n", 1, "parquet-"),
        ] {
            let bad = pip(text).unwrap_err();
            assert_eq!(bad.line, line, "{bad}");
            assert_eq!(bad.message, format!("the name {name} must end with a letter or a digit"));
        }
        assert_eq!(pip("pandas[performance, parquet]==2.2\n").unwrap()[0].extras, ["performance", "parquet"]);
    }

    #[test]
    fn a_line_the_pep_508_parser_fails_on_is_a_bad_line_not_a_crash() {
        // Found by fuzzing: pep508_rs cut a marker inside a character of two bytes, and panicked.
        let text = include_str!("../../../fuzz/regressions/requirements/marker-with-a-two-byte-character");
        let bad = pip(text).unwrap_err();
        assert_eq!(
            (bad.line, bad.message.as_str()),
            (3, "it is not a requirement Vigil can read: the PEP 508 parser failed on it")
        );
        assert!(bad.text.starts_with("typing-exttensionc>=4.7 ; python_version <"), "{bad:?}");
        // Found by fuzzing: pep508_rs's error underlined its line cut inside a character of four bytes.
        let text = include_str!("../../../fuzz/regressions/requirements/error-underline-inside-a-character");
        let bad = pip(text).unwrap_err();
        assert_eq!(bad.line, 2);
        assert!(bad.message.starts_with("Expected either `,` (separating extras) or `]`"), "{bad:?}");
        assert_eq!(
            pip("typing-extensions>=4.7 ; python_version < \"3.11\"\n").unwrap()[0].marker.as_deref(),
            Some("python_full_version < '3.11'")
        );
        assert!(pip("numpy.\n").is_err(), "a name that is all there is was refused before, by pep508_rs");
        assert_eq!(pip("numpy.core==1 ; python_version > '3'\n").unwrap()[0].name, "numpy-core");
    }

    #[test]
    fn an_editable_install_is_named_by_its_egg_or_its_path() {
        let pins =
            pip("-e git+https://github.com/acme/feat.git@a1b2#egg=Feature_Store\n-e /home/ds/churn-model/\n").unwrap();
        assert_eq!((pins[0].name.as_str(), pins[1].name.as_str()), ("feature-store", "churn-model"));
        assert_eq!(pins[0].url.as_deref(), Some("git+https://github.com/acme/feat.git@a1b2#egg=Feature_Store"));
    }
}
