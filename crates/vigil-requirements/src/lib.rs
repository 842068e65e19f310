//! Python package pins, read the way pip and conda read them, for comparing the environment a
//! model was built in with the one it serves in:
//!
//! - [`pip`]: a pip requirements file (`requirements.txt`) or `pip freeze` output. Each
//!   requirement is a PEP 508 dependency specifier with PEP 440 versions, parsed by `pep508_rs`
//!   (the parser of the `uv` installer), so extras, markers, local versions (`2.1.0+cu118`) and
//!   direct references (`name @ URL`) are read as pip reads them; comments, line continuations,
//!   options (`-r`, `--index-url`, `--hash`) and editable installs (`-e URL#egg=name`) too.
//! - [`conda`]: a conda environment file (`conda.yaml`, as MLflow logs it beside a model): its
//!   `dependencies` are conda match specs (`numpy=1.26.4=py311h…`, `python=3.11`,
//!   `conda-forge::scipy>=1.11`) and a nested `pip:` list read by [`pip`]'s rules.
//! - [`python_env`]: MLflow's `python_env.yaml`: Python's version and its pip requirements.
//! - [`lock`]: lock files (`uv.lock`, `poetry.lock`, PEP 751's `pylock.toml`), each package's
//!   locked version.
//! - [`mlmodel`]: MLflow's `MLmodel`: the Python, MLflow and flavor libraries a model was saved with.
//! - [`read`]: any of these but `MLmodel`, told apart by the file's name and content.
//!
//! A malformed line refuses the whole file, naming its line number and what is wrong. [`diff`]
//! sets two sides' pins against each other, each package with its risks.

mod conda;
pub mod diff;
mod lock;
mod mlmodel;
mod pip;
mod python_env;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use conda::conda;
pub use diff::{diff, PackageDiff, Risk};
pub use lock::lock;
pub use mlmodel::mlmodel;
pub use pip::pip;
pub use python_env::python_env;

/// Where a pin was stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Installer {
    Pip,
    Conda,
}

/// One package as a file states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Pin {
    /// The name normalized as PEP 503 does (`Scikit_Learn` is `scikit-learn`).
    pub name: String,
    /// The version constraint as written, normalized (`>=1.3,<2`, `==2.1.0+cu118`); empty when
    /// none is given.
    pub constraint: String,
    /// The one version the line allows, when it pins one (`==1.26.4`, conda's `=1.26.4=build`).
    pub version: Option<String>,
    /// Extras asked for, normalized.
    pub extras: Vec<String>,
    /// The environment marker, such as `python_full_version < '3.12'`.
    pub marker: Option<String>,
    /// A direct reference or an editable install's location.
    pub url: Option<String>,
    pub installer: Installer,
    /// The line it is on, from 1.
    #[ts(type = "number")]
    pub line: usize,
}

/// The kinds of file [`read`] tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A pip requirements file or `pip freeze` output.
    Pip,
    /// A conda environment file.
    Conda,
    /// MLflow's `python_env.yaml`.
    PythonEnv,
    /// `uv.lock`, `poetry.lock` or `pylock.toml`.
    Lock,
}

impl Format {
    /// The format of a file named `file_name` holding `text`: `.lock` files and `pylock*.toml` are
    /// lock files; YAML with a top-level `python:` is a `python_env.yaml`, other YAML a conda
    /// environment; anything else is read as pip requirements.
    pub fn of(file_name: &str, text: &str) -> Format {
        let name = file_name.to_ascii_lowercase();
        if name.ends_with(".lock") || (name.starts_with("pylock") && name.ends_with(".toml")) {
            Format::Lock
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            match text.lines().any(|line| line.starts_with("python:")) {
                true => Format::PythonEnv,
                false => Format::Conda,
            }
        } else {
            Format::Pip
        }
    }
}

/// The pins of a file named `file_name` holding `text`, read by its [`Format`].
pub fn read(file_name: &str, text: &str) -> Result<(Format, Vec<Pin>), BadLine> {
    let format = Format::of(file_name, text);
    let pins = match format {
        Format::Pip => pip(text)?,
        Format::Conda => conda(text)?,
        Format::PythonEnv => python_env(text)?,
        Format::Lock => lock(text)?,
    };
    Ok((format, pins))
}

/// Why a file was refused: the first line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// From 1.
    pub line: usize,
    pub text: String,
    pub message: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {} ({:?})", self.line, self.message, self.text)
    }
}

impl std::error::Error for BadLine {}

/// A package name as PEP 503 normalizes it: lower case, runs of `-`, `_` and `.` as one `-`.
pub fn normalized_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_as_pep_503_says() {
        assert_eq!(normalized_name("Scikit_Learn"), "scikit-learn");
        assert_eq!(normalized_name("zope.interface"), "zope-interface");
        assert_eq!(normalized_name("a-_.b"), "a-b");
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn files_are_told_apart_by_name_and_content() {
        assert_eq!(Format::of("requirements.txt", "numpy==1.26.4"), Format::Pip);
        assert_eq!(Format::of("freeze.txt", "numpy==1.26.4"), Format::Pip);
        assert_eq!(Format::of("conda.yaml", "dependencies:\n- numpy=1.26"), Format::Conda);
        assert_eq!(Format::of("python_env.yaml", "python: 3.11.7\ndependencies: []"), Format::PythonEnv);
        assert_eq!(Format::of("uv.lock", ""), Format::Lock);
        assert_eq!(Format::of("pylock.toml", ""), Format::Lock);
        let (format, pins) = read("environment.yml", "dependencies:\n  - numpy=1.26.4=py311\n").unwrap();
        assert_eq!((format, pins[0].version.as_deref()), (Format::Conda, Some("1.26.4")));
    }
}
