//! Conda environment files (`conda.yaml`, as MLflow logs one beside a model), read with a YAML
//! parser: the `dependencies` list holds conda match specs — `name`, `name=1.26` (conda's fuzzy
//! match, any 1.26.*), `name=1.26.4=py311h64a7726_0` or `name==1.26.4` (one version),
//! `name>=1.20,<2`, `name 1.26.4 py311_0`, each perhaps after a `channel::` — and a `pip:` list
//! read by pip's rules. YAML keeps no line numbers, so each entry's line is found by its text.

use yaml_rust2::{Yaml, YamlLoader};

use crate::pip::pins;
use crate::{normalized_name, BadLine, Installer, Pin};

/// The pins of a conda environment file; a malformed file or spec refuses it.
pub fn conda(text: &str) -> Result<Vec<Pin>, BadLine> {
    let document = yaml_document(text)?;
    let dependencies = match &document["dependencies"] {
        Yaml::Array(items) => items.clone(),
        Yaml::BadValue | Yaml::Null => Vec::new(),
        _ => {
            return Err(BadLine {
                line: line_of(text, "dependencies", 0).unwrap_or(1),
                text: "dependencies:".into(),
                message: "`dependencies` is not a list: give one `- spec` a line".into(),
            })
        }
    };
    let mut found = Vec::new();
    let mut after = 0;
    for item in &dependencies {
        match item {
            Yaml::String(spec) => {
                let line = line_of(text, spec, after).unwrap_or(after + 1);
                after = line;
                found.push(match_spec(line, spec)?);
            }
            Yaml::Hash(hash) => {
                let Some(Yaml::Array(requirements)) = hash.get(&Yaml::String("pip".into())) else {
                    return Err(BadLine {
                        line: after + 1,
                        text: String::new(),
                        message: "a dependency that is a mapping must be `pip:` with a list of requirements".into(),
                    });
                };
                let mut lines = Vec::new();
                for requirement in requirements {
                    let Yaml::String(requirement) = requirement else { continue };
                    let line = line_of(text, requirement, after).unwrap_or(after + 1);
                    after = line;
                    lines.push((line, requirement.clone()));
                }
                found.extend(pins(lines.into_iter())?);
            }
            other => {
                return Err(BadLine {
                    line: after + 1,
                    text: format!("{other:?}"),
                    message: "a dependency is a conda spec such as numpy=1.26.4, or a `pip:` list".into(),
                })
            }
        }
    }
    Ok(found)
}

/// The first YAML document of `text` (Null when there is none); YAML that does not parse is
/// refused by its line.
pub(crate) fn yaml_document(text: &str) -> Result<Yaml, BadLine> {
    let documents = YamlLoader::load_from_str(text).map_err(|error| BadLine {
        line: error.marker().line(),
        text: text.lines().nth(error.marker().line().saturating_sub(1)).unwrap_or("").to_owned(),
        message: format!("not YAML: {}", error.info()),
    })?;
    Ok(documents.into_iter().next().unwrap_or(Yaml::Null))
}

/// The number (from 1) of the first line after line `after` that holds `needle`.
fn line_of(text: &str, needle: &str, after: usize) -> Option<usize> {
    text.lines().enumerate().skip(after).find(|(_, line)| line.contains(needle)).map(|(index, _)| index + 1)
}

/// One conda match spec.
fn match_spec(line: usize, spec: &str) -> Result<Pin, BadLine> {
    let bad = |message: &str| BadLine { line, text: spec.to_owned(), message: message.to_owned() };
    let without_channel = spec.rsplit_once("::").map_or(spec, |(_, rest)| rest).trim();
    let name_end = without_channel
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .unwrap_or(without_channel.len());
    let (name, rest) = without_channel.split_at(name_end);
    if name.is_empty() {
        return Err(bad("a conda spec begins with the package name, such as numpy=1.26.4"));
    }
    let rest = rest.trim();
    let (constraint, version) = if rest.is_empty() {
        (String::new(), None)
    } else if let Some(exact) = rest.strip_prefix("==") {
        (rest.to_owned(), Some(exact.trim().to_owned()))
    } else if rest.starts_with(['>', '<', '!', '~']) {
        (rest.to_owned(), None)
    } else if let Some(fuzzy) = rest.strip_prefix('=') {
        // `=1.26` is any 1.26.*; `=1.26.4=build` names one build of one version.
        match fuzzy.split_once('=') {
            Some((version, _build)) => (format!("=={version}"), Some(version.to_owned())),
            None => (rest.to_owned(), None),
        }
    } else {
        // The space-separated form: `numpy 1.26.4 py311_0`.
        let mut parts = rest.split_whitespace();
        let version = parts.next().unwrap_or_default();
        match parts.next() {
            Some(_build) => (format!("=={version}"), Some(version.to_owned())),
            None => (format!("={version}"), None),
        }
    };
    let version_text = constraint.trim_start_matches(['=', '>', '<', '!', '~']);
    let allowed = |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '*' | '+' | '_' | '!' | ',' | '|' | '<' | '>' | '=' | '-')
    };
    if !version_text.chars().all(allowed) || (constraint.starts_with('=') && version_text.is_empty()) {
        return Err(bad("the version is not one conda reads: write name=1.26, name=1.26.4=build or name>=1.20"));
    }
    Ok(Pin {
        name: normalized_name(name),
        constraint,
        version,
        extras: Vec::new(),
        marker: None,
        url: None,
        installer: Installer::Conda,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_of_match_spec_is_read() {
        let read = |spec: &str| {
            let pin = match_spec(1, spec).unwrap();
            (pin.name, pin.constraint, pin.version)
        };
        assert_eq!(read("numpy=1.26.4=py311h64a7726_0"), ("numpy".into(), "==1.26.4".into(), Some("1.26.4".into())));
        assert_eq!(read("python=3.11"), ("python".into(), "=3.11".into(), None));
        assert_eq!(read("conda-forge::scipy>=1.11,<2"), ("scipy".into(), ">=1.11,<2".into(), None));
        assert_eq!(read("libgcc-ng 13.2.0 h77fa898_7"), ("libgcc-ng".into(), "==13.2.0".into(), Some("13.2.0".into())));
        assert_eq!(read("pip"), ("pip".into(), String::new(), None));
        assert!(match_spec(1, "=1.2").unwrap_err().message.contains("package name"));
        assert!(match_spec(1, "numpy=").unwrap_err().message.contains("not one conda reads"));
    }
}
