//! Where a model was built against where it serves: each package's version on both sides, with
//! a mark for each risk — the package is missing on one side, its major version differs, a
//! numeric library's version differs at all (its numbers may change with it), Python's minor
//! version differs, or its build differs only in the local part (`+cu118` against `+cpu`).
//! Versions are compared as PEP 440 versions (`pep440_rs`), so `1.26` and `1.26.0` are the same.

use std::collections::BTreeMap;
use std::str::FromStr;

use pep508_rs::pep440_rs::Version;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Pin;

/// Libraries whose version can change a model's numbers: numerical kernels and the model
/// libraries that call them.
pub const NUMERIC_LIBRARIES: [&str; 15] = [
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "torch",
    "tensorflow",
    "jax",
    "jaxlib",
    "xgboost",
    "lightgbm",
    "catboost",
    "onnxruntime",
    "numba",
    "mkl",
    "openblas",
];

/// One risk a package's difference carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    PythonMinorDiffers,
    MajorDiffers,
    /// A numeric library's version differs in any part, or it is missing where the model serves.
    NumericDiffers,
    /// Where the model serves, the package is not there.
    MissingWhereServed,
    /// The same release, built differently (the local part: `+cu118` against `+cpu`).
    LocalBuildDiffers,
    /// Some other part of the version differs.
    VersionDiffers,
    /// Where the model was built, the package was not there (a side that lists only what the
    /// model needs says nothing of the rest).
    MissingWhereBuilt,
}

/// One package on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PackageDiff {
    pub name: String,
    /// The version (or, unpinned, the constraint) where the model was built; None: absent.
    pub built: Option<String>,
    /// The same where it serves.
    pub served: Option<String>,
    /// Empty when both sides agree.
    pub risks: Vec<Risk>,
}

/// Every package of either side, the riskiest first, then by name.
pub fn diff(built: &[Pin], served: &[Pin]) -> Vec<PackageDiff> {
    let side = |pins: &[Pin]| -> BTreeMap<String, String> {
        pins.iter()
            .map(|pin| (pin.name.clone(), pin.version.clone().unwrap_or_else(|| pin.constraint.clone())))
            .collect()
    };
    let (built, served) = (side(built), side(served));
    let mut names: Vec<&String> = built.keys().chain(served.keys()).collect();
    names.sort();
    names.dedup();
    let mut rows: Vec<PackageDiff> = names
        .into_iter()
        .map(|name| {
            let (b, s) = (built.get(name).cloned(), served.get(name).cloned());
            let risks = risks(name, b.as_deref(), s.as_deref());
            PackageDiff { name: name.clone(), built: b, served: s, risks }
        })
        .collect();
    rows.sort_by(|a, b| {
        let worst = |row: &PackageDiff| row.risks.iter().min().copied();
        match (worst(a), worst(b)) {
            (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.name.cmp(&b.name)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.name.cmp(&b.name),
        }
    });
    rows
}

fn risks(name: &str, built: Option<&str>, served: Option<&str>) -> Vec<Risk> {
    let (built, served) = match (built, served) {
        // A side that does not state Python's version says nothing about it.
        (None, _) | (_, None) if name == "python" => return Vec::new(),
        (Some(_), None) if NUMERIC_LIBRARIES.contains(&name) => {
            return vec![Risk::NumericDiffers, Risk::MissingWhereServed]
        }
        (Some(_), None) => return vec![Risk::MissingWhereServed],
        (None, Some(_)) => return vec![Risk::MissingWhereBuilt],
        (Some(b), Some(s)) => (b, s),
        (None, None) => return Vec::new(),
    };
    let version = |text: &str| Version::from_str(text.trim_start_matches(['=', '~', '>', '<', '!'])).ok();
    let (Some(b), Some(s)) = (version(built), version(served)) else {
        // A constraint on one side at least: only text that differs can be said.
        return if built == served { Vec::new() } else { vec![Risk::VersionDiffers] };
    };
    if b == s {
        return Vec::new();
    }
    let mut risks = Vec::new();
    let part = |v: &Version, i: usize| v.release().get(i).copied().unwrap_or(0);
    if name == "python" && (part(&b, 0), part(&b, 1)) != (part(&s, 0), part(&s, 1)) {
        risks.push(Risk::PythonMinorDiffers);
    }
    if part(&b, 0) != part(&s, 0) {
        risks.push(Risk::MajorDiffers);
    }
    if NUMERIC_LIBRARIES.contains(&name) {
        risks.push(Risk::NumericDiffers);
    }
    if b.clone().without_local() == s.clone().without_local() {
        risks.push(Risk::LocalBuildDiffers);
    } else if risks.is_empty() {
        risks.push(Risk::VersionDiffers);
    }
    risks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pip;

    #[test]
    fn each_risk_is_marked_and_the_riskiest_come_first() {
        let built =
            pip("numpy==1.26.4\nscikit-learn==1.3.2\nrequests==2.31.0\npydantic==1.10.13\ntorch==2.1.0+cu118\n\
                         joblib==1.3.2\npython==3.11.7\nfeature-store==0.4\n")
            .unwrap();
        let served = pip("numpy==1.26.4\nscikit-learn==1.4.0\nrequests==2.32.0\npydantic==2.5.3\ntorch==2.1.0+cpu\n\
                          joblib==1.3.2.0\npython==3.10.13\nmlserver==1.7.1\n")
        .unwrap();
        let rows: Vec<(String, Vec<Risk>)> =
            diff(&built, &served).into_iter().map(|row| (row.name, row.risks)).collect();
        assert_eq!(
            rows,
            [
                ("python".to_owned(), vec![Risk::PythonMinorDiffers]),
                ("pydantic".to_owned(), vec![Risk::MajorDiffers]),
                ("scikit-learn".to_owned(), vec![Risk::NumericDiffers]),
                ("torch".to_owned(), vec![Risk::NumericDiffers, Risk::LocalBuildDiffers]),
                ("feature-store".to_owned(), vec![Risk::MissingWhereServed]),
                ("requests".to_owned(), vec![Risk::VersionDiffers]),
                ("mlserver".to_owned(), vec![Risk::MissingWhereBuilt]),
                ("joblib".to_owned(), vec![]),
                ("numpy".to_owned(), vec![]),
            ]
        );
    }

    #[test]
    fn a_numeric_library_missing_where_served_is_numeric_risk_and_unstated_python_is_none() {
        let built = pip("xgboost==2.0.3\npython==3.11.7\n").unwrap();
        let served = pip("numpy==1.26.4\n").unwrap();
        let rows = diff(&built, &served);
        let found: Vec<(&str, &[Risk])> = rows.iter().map(|row| (row.name.as_str(), row.risks.as_slice())).collect();
        assert_eq!(
            found,
            [
                ("xgboost", &[Risk::NumericDiffers, Risk::MissingWhereServed][..]),
                ("numpy", &[Risk::MissingWhereBuilt][..]),
                ("python", &[][..])
            ]
        );
    }

    #[test]
    fn a_constraint_is_compared_as_written() {
        let built = pip("pandas>=2.0\nscipy>=1.11\n").unwrap();
        let served = pip("pandas>=2.0\nscipy==1.11.4\n").unwrap();
        let rows = diff(&built, &served);
        assert_eq!(rows[0].name, "scipy");
        assert_eq!((rows[0].built.as_deref(), rows[0].served.as_deref()), (Some(">=1.11"), Some("1.11.4")));
        assert_eq!(rows[1].risks, vec![]);
    }
}
