//! Vigil's drift tests against scipy 1.17.1 and Evidently 0.7.23, on the fixtures written by
//! `tools/drift-fixtures/generate.py` (tests/fixtures/drift/*.json).
//!
//! Tolerances, stated per assertion: statistics and distances to 1e-9 relative; p-values to 1e-9
//! relative, or 1e-12 absolute when below 1e-3 (very small p-values are compared absolutely: the
//! verdict cannot turn on them). Verdicts and default methods must match exactly.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use vigil_drift_stats::{self as stats, ColumnKind, Method, Sample};

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/drift").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A number as the fixtures write it: null is NaN, "inf"/"-inf"/"nan" as named.
fn number(v: &Value) -> f64 {
    match v {
        Value::Null => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        Value::String(s) if s == "nan" => f64::NAN,
        v => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}

/// The generator of generate.py's `irwin_hall`, bit for bit.
fn irwin_hall(spec: &Value) -> Vec<f64> {
    const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
    let seed = spec["seed"].as_u64().unwrap();
    let n = spec["n"].as_u64().unwrap() as usize;
    let scale = spec.get("scale").map_or(1.0, number);
    let shift = spec.get("shift").map_or(0.0, number);
    let round_to = spec.get("round_to").filter(|v| !v.is_null()).map(number);
    let nan_every = spec.get("nan_every").and_then(Value::as_u64).map(|k| k as usize);
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..n)
        .map(|i| {
            let sum: u64 = (0..12)
                .map(|j| {
                    let counter = (seed << 32).wrapping_add((12 * i + j) as u64 + 1);
                    mix(counter.wrapping_mul(GOLDEN)) >> 40
                })
                .sum();
            let mut v = sum as f64 / (1u64 << 24) as f64 - 6.0;
            v = v * scale + shift;
            if let Some(r) = round_to {
                v = (v / r).floor() * r;
            }
            if nan_every.is_some_and(|k| i % k == k - 1) {
                v = f64::NAN;
            }
            v
        })
        .collect()
}

fn numbers(sample: &Value) -> Vec<f64> {
    match sample.get("gen") {
        Some(spec) => irwin_hall(spec),
        None => sample["values"].as_array().unwrap().iter().map(number).collect(),
    }
}

fn counts(sample: &Value) -> BTreeMap<String, u64> {
    sample["counts"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect()
}

fn method(name: &str) -> Method {
    serde_json::from_value(Value::String(name.into())).unwrap()
}

fn assert_rel(what: &str, got: f64, want: f64, rel: f64) {
    let ok = if want.is_infinite() || want == 0.0 { got == want } else { (got - want).abs() <= rel * want.abs() };
    assert!(ok, "{what}: got {got:e}, want {want:e} (relative tolerance {rel:e})");
}

/// p-values: 1e-9 relative, or 1e-12 absolute below 1e-3.
fn assert_p(what: &str, got: f64, want: f64) {
    if want < 1e-3 {
        assert!((got - want).abs() <= 1e-12, "{what}: got {got:e}, want {want:e} (absolute tolerance 1e-12)");
    } else {
        assert_rel(what, got, want, 1e-9);
    }
}

fn check_cases(file: &str) {
    let doc = fixture(file);
    let cases = doc["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let numeric = case["kind"] == "numeric";
        let (rv, cv, rc, cc);
        let (reference, current, kind) = if numeric {
            rv = numbers(&case["reference"]);
            cv = numbers(&case["current"]);
            (Sample::Values(&rv), Sample::Values(&cv), ColumnKind::Numeric)
        } else {
            rc = counts(&case["reference"]);
            cc = counts(&case["current"]);
            (Sample::Counts(&rc), Sample::Counts(&cc), ColumnKind::Categorical)
        };
        if let Some(error) = case.get("error") {
            // Evidently raises "An empty column ... was provided"; Vigil names the same sample.
            let side = error.as_str().unwrap().trim_start_matches("empty ");
            for m in Method::ALL.into_iter().filter(|m| numeric || !matches!(m, Method::Ks | Method::Wasserstein)) {
                let err = stats::run(m, kind, reference, current, None).unwrap_err();
                assert!(err.to_string().contains(&format!("the {side} sample is empty")), "{name} {m:?}: {err}");
            }
            continue;
        }
        let unique = stats::unique_values(reference, current).unwrap();
        assert_eq!(unique as u64, case["unique_values"].as_u64().unwrap(), "{name}: distinct values");
        let rows = case["reference_rows"].as_u64().unwrap() as usize;
        assert_eq!(
            stats::default_method(kind, rows, unique),
            method(case["default_method"].as_str().unwrap()),
            "{name}: default method"
        );
        for (mname, want) in case["results"].as_object().unwrap() {
            let m = method(mname);
            let got = stats::run(m, kind, reference, current, None).unwrap();
            let what = format!("{name} {mname}");
            assert_eq!(got.threshold, number(&want["threshold"]), "{what}: threshold");
            let want_stat = number(&want["statistic"]);
            // Statistics and distances: 1e-9 relative.
            assert_rel(&format!("{what} statistic"), got.statistic.abs(), want_stat.abs(), 1e-9);
            assert_rel(&format!("{what} statistic sign"), got.statistic.signum(), want_stat.signum(), 0.0);
            match (&want["p_value"], got.p_value) {
                (Value::Null, None) => {}
                (Value::String(s), Some(p)) if s == "nan" => {
                    // scipy's chi-square has no degrees of freedom with one category: NaN there,
                    // 1 here, both "not drifted".
                    assert_eq!(p, 1.0, "{what}: p for a single category");
                }
                (p, Some(got_p)) => assert_p(&format!("{what} p"), got_p, number(p)),
                (p, got_p) => panic!("{what}: p-value {got_p:?}, want {p}"),
            }
            assert_eq!(got.drifted, want["drifted"].as_bool().unwrap(), "{what}: verdict");
        }
    }
}

#[test]
fn numeric_columns_match_scipy_and_evidently() {
    check_cases("numeric.json");
}

#[test]
fn categorical_columns_match_scipy_and_evidently() {
    check_cases("categorical.json");
}

#[test]
fn ks_p_values_match_scipy_across_branches() {
    let doc = fixture("ks_pvalues.json");
    for case in doc["cases"].as_array().unwrap() {
        let n1 = case["n1"].as_u64().unwrap() as usize;
        let n2 = case["n2"].as_u64().unwrap() as usize;
        let d = number(&case["d"]);
        let (_, p) = stats::ks::p_value(n1, n2, d);
        assert_p(&format!("ks n1={n1} n2={n2} d={d}"), p, number(&case["p_value"]));
    }
}

#[test]
fn generator_matches_python() {
    // generate.py writes a few values of its generator next to the cases: the same bits here.
    let doc = fixture("numeric.json");
    let check = &doc["generator_check"];
    let want: Vec<f64> = check["values"].as_array().unwrap().iter().map(number).collect();
    assert_eq!(irwin_hall(&check["spec"]), want);
}
