//! Lock files, which pin every package an installer resolved: `uv.lock` and `poetry.lock`
//! (`[[package]]` tables) and PEP 751's `pylock.toml` (`[[packages]]`), each entry's `name` and
//! `version`. An entry without a version (uv's editable project itself) is left out.

use crate::{normalized_name, BadLine, Installer, Pin};

/// The pinned packages of a TOML lock file; a file that is not TOML, or an entry without a
/// name, refuses it.
pub fn lock(text: &str) -> Result<Vec<Pin>, BadLine> {
    let document: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        // Counted in bytes: the span toml gives may start inside a character.
        let before = |start: usize| &text.as_bytes()[..start.min(text.len())];
        let line = error.span().map_or(1, |span| 1 + before(span.start).iter().filter(|&&byte| byte == b'\n').count());
        BadLine {
            line,
            text: text.lines().nth(line - 1).unwrap_or("").to_owned(),
            message: format!("not a TOML lock file: {}", error.message()),
        }
    })?;
    let entries = document.get("package").or_else(|| document.get("packages")).and_then(toml::Value::as_array);
    let Some(entries) = entries else {
        return Err(BadLine {
            line: 1,
            text: text.lines().next().unwrap_or("").to_owned(),
            message: "a lock file lists its packages as [[package]] (uv, poetry) or [[packages]] (pylock.toml)".into(),
        });
    };
    let mut after = 0;
    let mut pins = Vec::with_capacity(entries.len());
    for entry in entries {
        let line = entry_line(text, after);
        after = line;
        let Some(name) = entry.get("name").and_then(toml::Value::as_str) else {
            return Err(BadLine {
                line,
                text: text.lines().nth(line.saturating_sub(1)).unwrap_or("").to_owned(),
                message: "a locked package has no name".into(),
            });
        };
        let Some(version) = entry.get("version").and_then(toml::Value::as_str) else { continue };
        pins.push(Pin {
            name: normalized_name(name),
            constraint: format!("=={version}"),
            version: Some(version.to_owned()),
            extras: Vec::new(),
            marker: None,
            url: None,
            installer: Installer::Pip,
            line,
        });
    }
    Ok(pins)
}

/// The line (from 1) of the next `[[package]]`/`[[packages]]` header after line `after`.
fn entry_line(text: &str, after: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(after)
        .find(|(_, line)| matches!(line.trim(), "[[package]]" | "[[packages]]"))
        .map_or(after + 1, |(index, _)| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uv_lock_pins_each_package_by_its_header_line() {
        let text = "version = 1\n\n[[package]]\nname = \"NumPy\"\nversion = \"1.26.4\"\n\n[[package]]\nname = \"app\"\nsource = { editable = \".\" }\n\n[[package]]\nname = \"torch\"\nversion = \"2.1.0+cu118\"\n";
        let pins = lock(text).unwrap();
        let found: Vec<(&str, Option<&str>, usize)> =
            pins.iter().map(|pin| (pin.name.as_str(), pin.version.as_deref(), pin.line)).collect();
        assert_eq!(found, [("numpy", Some("1.26.4"), 3), ("torch", Some("2.1.0+cu118"), 11)]);
    }

    #[test]
    fn a_pylock_lists_packages_and_broken_toml_names_its_line() {
        let pins = lock("lock-version = \"1.0\"\n[[packages]]\nname = \"pandas\"\nversion = \"2.2.3\"\n").unwrap();
        assert_eq!(pins[0].version.as_deref(), Some("2.2.3"));
        let bad = lock("[[package]]\nname = \"numpy\"\nversion = 1.26.4.0\n").unwrap_err();
        assert_eq!(bad.line, 3, "{bad}");
        assert!(lock("[tool.poetry]\nname = \"x\"\n").unwrap_err().message.contains("[[package]]"));
    }

    #[test]
    fn toml_that_fails_inside_a_character_names_its_line_not_a_crash() {
        // Found by fuzzing: toml's error span started inside a character of three bytes.
        let bad =
            lock(include_str!("../../../fuzz/regressions/requirements/toml-error-inside-a-character")).unwrap_err();
        assert_eq!(bad.line, 1);
        assert!(bad.message.starts_with("not a TOML lock file: "), "{bad:?}");
    }
}
