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
//!
//! A malformed line refuses the whole file, naming its line number and what is wrong. [`diff`]
//! sets two sides' pins against each other, each package with its risks.

mod conda;
pub mod diff;
mod pip;
mod python_env;

pub use conda::conda;
pub use diff::{diff, PackageDiff, Risk};
pub use pip::pip;
pub use python_env::python_env;

/// Where a pin was stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installer {
    Pip,
    Conda,
}

/// One package as a file states it.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub line: usize,
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
