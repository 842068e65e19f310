//! The test a person chooses for one column, in place of Evidently's default, and the rules
//! it must keep.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::methods;
use super::stats::{ColumnKind, Method};
use crate::{Result, VigilError};

/// A column's chosen test, overriding Evidently's default.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, TS)]
pub struct ColumnChoice {
    pub method: Option<Method>,
    pub threshold: Option<f64>,
    /// The threshold is learned from the reference for each report (see `drift::learned`), not fixed.
    #[serde(default)]
    pub learned: bool,
}

impl ColumnChoice {
    /// Checks the choice fits `column`, of `kind`: a test of numbers for numbers only, a learned
    /// threshold with a distance and no fixed threshold, a threshold that is positive (and
    /// below 1 for a p-value). The error names the field at fault and what would do.
    pub fn check(&self, column: &str, kind: ColumnKind) -> Result<()> {
        if let Some(method) = self.method.filter(|method| !methods::applies(*method, kind)) {
            let usable: Vec<&str> = methods::for_kind(kind).iter().map(|rule| rule.method.name()).collect();
            return Err(VigilError::invalid(
                "method",
                format!("{} compares numbers; {column} holds labels. Use {}.", method.name(), usable.join(", ")),
            ));
        }
        if self.learned && (self.threshold.is_some() || self.method.is_none_or(|m| m.is_p_value())) {
            return Err(VigilError::invalid(
                "method",
                "A learned threshold needs a distance chosen with it (wasserstein, jensen_shannon, psi or hellinger) \
                 and no fixed threshold.",
            ));
        }
        if let Some(threshold) = self.threshold {
            let p_value = self.method.is_some_and(Method::is_p_value);
            if !threshold.is_finite() || threshold <= 0.0 || (p_value && threshold >= 1.0) {
                return Err(VigilError::invalid(
                    "threshold",
                    "The threshold must be a positive number (below 1 for a p-value test).",
                ));
            }
        }
        Ok(())
    }
}
