//! One expected value against what the server answered: numbers within a tolerance (as numpy's
//! `isclose`: `|got − expected| ≤ absolute + relative × |expected|`, by default numpy's 1e-8 and
//! 1e-5), labels exactly (text, booleans, integers, and any output marked exact), a vector
//! output element by element. Each mismatch says why in words.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::drift::table::Cell;

/// numpy's `isclose` defaults.
pub const DEFAULT_ABSOLUTE: f64 = 1e-8;
pub const DEFAULT_RELATIVE: f64 = 1e-5;

/// How one output is compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OutputRule {
    pub output: String,
    pub absolute: f64,
    pub relative: f64,
    /// Compared exactly, as a label, whatever its type.
    pub exact: bool,
}

impl OutputRule {
    pub fn default_for(output: &str) -> OutputRule {
        OutputRule { output: output.to_owned(), absolute: DEFAULT_ABSOLUTE, relative: DEFAULT_RELATIVE, exact: false }
    }
}

/// Why one value did not match: the reason, and how far apart two numbers were.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    pub reason: String,
    pub difference: Option<f64>,
}

/// `got` (the server's values for one row of this output) against `expected`, with the
/// server's `datatype` (`BYTES`, `INT64`, `FP32`…, or "" when it names none).
pub fn check(expected: &Cell, got: &[Value], datatype: &str, rule: &OutputRule) -> Result<(), Miss> {
    let miss = |reason: String| Miss { reason, difference: None };
    let expected: Vec<Value> = match expected {
        Cell::Missing => return Err(miss("the golden set gives no expected value".into())),
        Cell::Number(number) => vec![serde_json::json!(number)],
        Cell::Text(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items,
            _ => vec![Value::String(text.clone())],
        },
    };
    if got.is_empty() {
        return Err(miss(format!("the server returned no value for {}", rule.output)));
    }
    if got.len() != expected.len() {
        return Err(miss(format!(
            "the server returned {} values for {} where the golden set has {}",
            got.len(),
            rule.output,
            expected.len()
        )));
    }
    let label = rule.exact || is_label_type(datatype);
    let mut largest: Option<Miss> = None;
    for (want, have) in expected.iter().zip(got) {
        if let Err(found) = one(want, have, label, rule) {
            let larger = match (&largest, found.difference) {
                (None, _) => true,
                (Some(known), Some(difference)) => known.difference.is_none_or(|known| difference > known),
                (Some(_), None) => false,
            };
            if larger {
                largest = Some(found);
            }
        }
    }
    largest.map_or(Ok(()), Err)
}

/// Whether outputs of `datatype` are labels, compared exactly.
pub fn is_label_type(datatype: &str) -> bool {
    datatype == "BYTES" || datatype == "BOOL" || datatype.starts_with("INT") || datatype.starts_with("UINT")
}

fn one(want: &Value, have: &Value, label: bool, rule: &OutputRule) -> Result<(), Miss> {
    let number = |value: &Value| value.as_f64().or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()));
    match (number(want), number(have)) {
        (Some(want), Some(have)) if label => match want == have {
            true => Ok(()),
            false => Err(Miss {
                reason: format!("label differs: expected {}, got {}", shown(want), shown(have)),
                difference: None,
            }),
        },
        (Some(want), Some(have)) => {
            if want.is_nan() && have.is_nan() {
                return Ok(());
            }
            let difference = (have - want).abs();
            let allowed = rule.absolute + rule.relative * want.abs();
            match difference <= allowed {
                true => Ok(()),
                false => Err(Miss {
                    reason: format!(
                        "expected {}, got {}: {} apart, more than the {} allowed",
                        shown(want),
                        shown(have),
                        shown(difference),
                        shown(allowed)
                    ),
                    difference: Some(difference),
                }),
            }
        }
        _ => {
            let text = |value: &Value| value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            match text(want) == text(have) {
                true => Ok(()),
                false => Err(Miss {
                    reason: format!("label differs: expected '{}', got '{}'", cut(&text(want)), cut(&text(have))),
                    difference: None,
                }),
            }
        }
    }
}

/// A number as people read it: integers without a decimal point, others to 6 significant digits.
fn shown(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.6e}").parse::<f64>().map_or_else(|_| value.to_string(), |rounded| rounded.to_string())
    }
}

/// A server's string, cut for a sentence.
fn cut(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule() -> OutputRule {
        OutputRule { output: "score".into(), absolute: 1e-6, relative: 1e-4, exact: false }
    }

    #[test]
    fn a_float_within_tolerance_passes_and_one_outside_fails() {
        assert_eq!(check(&Cell::Number(0.5), &[json!(0.50004)], "FP64", &rule()), Ok(()));
        let miss = check(&Cell::Number(0.5), &[json!(0.5002)], "FP64", &rule()).unwrap_err();
        assert!((miss.difference.unwrap() - 0.0002).abs() < 1e-12, "{miss:?}");
        assert!(miss.reason.contains("expected 0.5, got 0.5002"), "{}", miss.reason);
    }

    #[test]
    fn a_differing_label_fails_even_by_a_little() {
        assert_eq!(check(&Cell::Number(2.0), &[json!(2)], "INT64", &rule()), Ok(()));
        let miss = check(&Cell::Number(2.0), &[json!(1)], "INT64", &rule()).unwrap_err();
        assert_eq!(miss.reason, "label differs: expected 2, got 1");
        let miss = check(&Cell::Text("setosa".into()), &[json!("virginica")], "BYTES", &rule()).unwrap_err();
        assert_eq!(miss.reason, "label differs: expected 'setosa', got 'virginica'");
        let exact = OutputRule { exact: true, ..rule() };
        assert!(check(&Cell::Number(0.5), &[json!(0.5000001)], "FP64", &exact).is_err());
    }

    #[test]
    fn a_missing_output_or_value_fails_with_its_reason() {
        assert_eq!(
            check(&Cell::Number(1.0), &[], "", &rule()).unwrap_err().reason,
            "the server returned no value for score"
        );
        assert_eq!(
            check(&Cell::Missing, &[json!(1)], "", &rule()).unwrap_err().reason,
            "the golden set gives no expected value"
        );
        let vector = Cell::Text("[0.1, 0.9]".into());
        assert_eq!(check(&vector, &[json!(0.1), json!(0.9)], "FP32", &rule()), Ok(()));
        assert!(check(&vector, &[json!(0.9)], "FP32", &rule())
            .unwrap_err()
            .reason
            .contains("1 values for score where the golden set has 2"));
    }
}
