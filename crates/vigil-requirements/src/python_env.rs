//! MLflow's `python_env.yaml`, logged beside a model: the Python version (`python: 3.11.7`) and
//! the pip requirements of its build and of the model (`build_dependencies`, `dependencies`, the
//! latter usually `-r requirements.txt`, which names a file and no package).

use yaml_rust2::Yaml;

use crate::conda::yaml_document;
use crate::pip::pins;
use crate::{BadLine, Installer, Pin};

/// Python as a pin named `python`, then the listed pip requirements; a malformed file or line
/// refuses it.
pub fn python_env(text: &str) -> Result<Vec<Pin>, BadLine> {
    let document = yaml_document(text)?;
    let line_of = |needle: &str| text.lines().position(|line| line.contains(needle)).map_or(1, |at| at + 1);
    let mut found = Vec::new();
    let python = match &document["python"] {
        Yaml::String(version) => Some(version.clone()),
        Yaml::Real(version) => Some(version.clone()),
        Yaml::Integer(version) => Some(version.to_string()),
        _ => None,
    };
    if let Some(version) = python {
        found.push(Pin {
            name: "python".into(),
            constraint: format!("=={version}"),
            version: Some(version),
            extras: Vec::new(),
            marker: None,
            url: None,
            installer: Installer::Pip,
            line: line_of("python:"),
        });
    }
    for key in ["build_dependencies", "dependencies"] {
        if let Yaml::Array(items) = &document[key] {
            let lines = items.iter().filter_map(|item| match item {
                Yaml::String(requirement) => Some((line_of(requirement), requirement.clone())),
                _ => None,
            });
            found.extend(pins(lines)?);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_and_the_build_requirements_are_read_and_a_file_reference_is_not_a_package() {
        let text = "python: 3.11.7\nbuild_dependencies:\n- pip==23.3.1\n- setuptools==69.0.2\n- wheel\ndependencies:\n- -r requirements.txt\n";
        let pins = python_env(text).unwrap();
        let read: Vec<(&str, Option<&str>, usize)> =
            pins.iter().map(|p| (p.name.as_str(), p.version.as_deref(), p.line)).collect();
        assert_eq!(
            read,
            [
                ("python", Some("3.11.7"), 1),
                ("pip", Some("23.3.1"), 3),
                ("setuptools", Some("69.0.2"), 4),
                ("wheel", None, 5)
            ]
        );
        assert_eq!(
            python_env("python: 3.10\n").unwrap()[0].version.as_deref(),
            Some("3.10"),
            "a YAML number, as written"
        );
    }
}
