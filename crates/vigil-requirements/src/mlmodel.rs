//! MLflow's `MLmodel` file, logged beside a model: the Python it was saved with
//! (`flavors.python_function.python_version`), the MLflow that saved it (`mlflow_version`), and
//! each flavor's library version (`flavors.sklearn.sklearn_version: 1.5.2`), as pins.

use yaml_rust2::Yaml;

use crate::conda::yaml_document;
use crate::{normalized_name, BadLine, Installer, Pin};

/// The package a flavor's `<key>_version` names, where it is not the key itself.
const FLAVOR_PACKAGES: [(&str, &str); 6] = [
    ("sklearn", "scikit-learn"),
    ("pytorch", "torch"),
    ("xgb", "xgboost"),
    ("lgb", "lightgbm"),
    ("onnx", "onnx"),
    ("cloudpickle", "cloudpickle"),
];

/// The pins an `MLmodel` states: `python`, `mlflow`, and each flavor's library.
pub fn mlmodel(text: &str) -> Result<Vec<Pin>, BadLine> {
    let document = yaml_document(text)?;
    let line_of = |needle: &str| text.lines().position(|line| line.contains(needle)).map_or(1, |at| at + 1);
    let pin = |name: &str, version: &str, key: &str| Pin {
        name: normalized_name(name),
        constraint: format!("=={version}"),
        version: Some(version.to_owned()),
        extras: Vec::new(),
        marker: None,
        url: None,
        installer: Installer::Pip,
        line: line_of(key),
    };
    let mut pins = Vec::new();
    if let Some(version) = text_of(&document["flavors"]["python_function"]["python_version"]) {
        pins.push(pin("python", &version, "python_version:"));
    }
    if let Some(version) = text_of(&document["mlflow_version"]) {
        pins.push(pin("mlflow", &version, "mlflow_version:"));
    }
    if let Yaml::Hash(flavors) = &document["flavors"] {
        for (_, flavor) in flavors {
            let Yaml::Hash(fields) = flavor else { continue };
            for (key, value) in fields {
                let (Some(key), Some(version)) = (key.as_str(), text_of(value)) else { continue };
                let Some(library) = key.strip_suffix("_version").filter(|library| *library != "python") else {
                    continue;
                };
                let package = FLAVOR_PACKAGES.iter().find(|(flavor, _)| *flavor == library).map_or(library, |(_, p)| p);
                if !pins.iter().any(|known: &Pin| known.name == normalized_name(package)) {
                    pins.push(pin(package, &version, &format!("{key}:")));
                }
            }
        }
    }
    Ok(pins)
}

/// A scalar as text (YAML reads `3.10` as a number).
fn text_of(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(text) | Yaml::Real(text) => Some(text.clone()),
        Yaml::Integer(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_mlflow_and_flavor_libraries_are_read_as_pins() {
        let text = "artifact_path: model\nflavors:\n  python_function:\n    cloudpickle_version: 3.1.3\n    python_version: 3.11.7\n  sklearn:\n    sklearn_version: 1.5.2\n    serialization_format: cloudpickle\nmlflow_version: 3.17.2\n";
        let pins = mlmodel(text).unwrap();
        let found: Vec<(&str, Option<&str>, usize)> =
            pins.iter().map(|pin| (pin.name.as_str(), pin.version.as_deref(), pin.line)).collect();
        assert_eq!(
            found,
            [
                ("python", Some("3.11.7"), 5),
                ("mlflow", Some("3.17.2"), 9),
                ("cloudpickle", Some("3.1.3"), 4),
                ("scikit-learn", Some("1.5.2"), 7)
            ]
        );
    }
}
