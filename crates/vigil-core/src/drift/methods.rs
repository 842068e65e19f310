//! Which drift tests a column of each kind may be given, and the threshold each uses unless a
//! person chooses one. The engine checks a person's choice against these rules, and the window
//! offers exactly these: they are generated into `ui/src/lib/bindings.ts` as `DRIFT_METHODS`.

use serde::Serialize;
use ts_rs::TS;

use crate::drift::stats::{ColumnKind, Method};

/// Every column kind, in the order the window lists them.
pub const KINDS: [ColumnKind; 3] = [ColumnKind::Numeric, ColumnKind::Categorical, ColumnKind::Binary];

/// A test a column may be given.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct MethodRule {
    pub method: Method,
    /// The threshold it uses when none is chosen (Evidently's).
    pub default_threshold: f64,
    /// Whether its score is a p-value (drift below the threshold) rather than a distance (drift
    /// at or above it).
    pub p_value: bool,
}

/// Whether a column of `kind` may be tested with `method`: KS and Wasserstein compare numbers,
/// every other test takes any kind.
pub fn applies(method: Method, kind: ColumnKind) -> bool {
    kind == ColumnKind::Numeric || !matches!(method, Method::Ks | Method::Wasserstein)
}

/// The tests a column of `kind` may be given.
pub fn for_kind(kind: ColumnKind) -> Vec<MethodRule> {
    Method::ALL
        .into_iter()
        .filter(|method| applies(*method, kind))
        .map(|method| MethodRule {
            method,
            default_threshold: method.default_threshold(),
            p_value: method.is_p_value(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(kind: ColumnKind) -> Vec<&'static str> {
        for_kind(kind).iter().map(|rule| rule.method.name()).collect()
    }

    #[test]
    fn a_numeric_column_takes_every_test_and_labels_every_test_but_ks_and_wasserstein() {
        assert_eq!(
            names(ColumnKind::Numeric),
            ["ks", "chi_square", "z_test", "psi", "jensen_shannon", "wasserstein", "hellinger"]
        );
        assert_eq!(names(ColumnKind::Categorical), ["chi_square", "z_test", "psi", "jensen_shannon", "hellinger"]);
        assert_eq!(names(ColumnKind::Binary), names(ColumnKind::Categorical));
    }

    #[test]
    fn p_values_default_to_0_05_and_distances_to_0_1() {
        let ks = for_kind(ColumnKind::Numeric)[0];
        assert_eq!((ks.method, ks.default_threshold, ks.p_value), (Method::Ks, 0.05, true));
        let psi = for_kind(ColumnKind::Binary).into_iter().find(|rule| rule.method == Method::Psi).unwrap();
        assert_eq!((psi.default_threshold, psi.p_value), (0.1, false));
    }
}
