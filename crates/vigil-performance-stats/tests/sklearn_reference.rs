//! The realized metrics against scikit-learn, on the fixtures `reference/make_fixtures.py` wrote:
//! every figure within 1e-9 relative, and `None` with a reason exactly where scikit-learn warns,
//! refuses or forces a number.

use std::path::Path;

use serde::Deserialize;
use vigil_performance_stats::{classifier, regressor, Averaging};

const RELATIVE_TOLERANCE: f64 = 1e-9;

#[derive(Deserialize)]
struct Fixture<Case> {
    cases: Vec<Case>,
}

fn load<Case: for<'de> Deserialize<'de>>(name: &str) -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let fixture: Fixture<Case> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {name}: {e}"));
    fixture.cases
}

/// Each figure agrees with scikit-learn, and each undefined one is explained by a sentence naming it.
fn assert_figures(case: &str, figures: &[(&str, Option<f64>, Option<f64>)], undefined: &[String]) {
    for &(figure, ours, reference) in figures {
        match (ours, reference) {
            (Some(ours), Some(reference)) => {
                let error = (ours - reference).abs() / reference.abs().max(f64::MIN_POSITIVE);
                assert!(error <= RELATIVE_TOLERANCE, "{case}: {figure} is {ours}, scikit-learn says {reference}");
            }
            (None, None) => assert!(
                undefined.iter().any(|s| s.starts_with(&format!("{figure} is undefined: "))
                    || s.starts_with(&format!("Macro {} is undefined: ", figure.to_lowercase()))),
                "{case}: {figure} is undefined without a reason in {undefined:?}"
            ),
            _ => panic!("{case}: {figure} is {ours:?}, scikit-learn says {reference:?}"),
        }
    }
    let missing = figures.iter().filter(|(_, ours, _)| ours.is_none()).count();
    assert_eq!(undefined.len(), missing, "{case}: one sentence per undefined figure: {undefined:?}");
}

#[derive(Deserialize)]
struct ClassifierCase {
    name: String,
    truth: Vec<i64>,
    predicted: Vec<i64>,
    probability: Option<Vec<f64>>,
    positive: i64,
    averaging: String,
    expected: ClassifierExpected,
}

#[derive(Deserialize)]
struct ClassifierExpected {
    accuracy: Option<f64>,
    precision: Option<f64>,
    recall: Option<f64>,
    f1: Option<f64>,
    roc_auc: Option<f64>,
    log_loss: Option<f64>,
}

#[test]
fn classifier_metrics_match_scikit_learn() {
    let cases: Vec<ClassifierCase> = load("classifier.json");
    assert!(cases.len() >= 9, "the fixture lost cases");
    for case in cases {
        let metrics = classifier(&case.truth, &case.predicted, case.probability.as_deref(), case.positive);
        let e = &case.expected;
        let name = case.name.as_str();
        assert_eq!(metrics.count, case.truth.len(), "{name}");
        match (&metrics.averaging, case.averaging.as_str()) {
            (Averaging::Binary { positive }, "binary") => assert_eq!(*positive, case.positive, "{name}"),
            (Averaging::Macro { .. }, "macro") => {}
            (ours, reference) => panic!("{name}: averaging {ours:?}, scikit-learn used {reference}"),
        }
        let figures = [
            ("Accuracy", metrics.accuracy, e.accuracy),
            ("Precision", metrics.precision, e.precision),
            ("Recall", metrics.recall, e.recall),
            ("F1", metrics.f1, e.f1),
            ("ROC AUC", metrics.roc_auc, e.roc_auc),
            ("Log loss", metrics.log_loss, e.log_loss),
        ];
        assert_figures(name, &figures, &metrics.undefined);
    }
}

#[test]
fn a_window_with_one_class_says_roc_auc_and_recall_are_undefined() {
    let cases: Vec<ClassifierCase> = load("classifier.json");
    let case = cases.iter().find(|c| c.name == "one_class_window").expect("the one-class case is in the fixture");
    let metrics = classifier(&case.truth, &case.predicted, case.probability.as_deref(), 1);
    assert_eq!(metrics.roc_auc, None);
    assert!(
        metrics.undefined.contains(
            &"ROC AUC is undefined: every one of the 120 labels is 0, and it compares positives with negatives"
                .to_string()
        ),
        "{:?}",
        metrics.undefined
    );
    assert!(metrics.undefined.contains(&"Recall is undefined: none of the 120 labels is the positive class 1".into()));
}

#[test]
fn a_class_never_predicted_is_named_in_the_macro_precision_reason() {
    let cases: Vec<ClassifierCase> = load("classifier.json");
    let case = cases.iter().find(|c| c.name == "multiclass_class_never_predicted").expect("the case is in the fixture");
    let metrics = classifier(&case.truth, &case.predicted, None, 1);
    assert_eq!(metrics.averaging, Averaging::Macro { classes: 3 });
    assert!(metrics.undefined.contains(&"Macro precision is undefined: class 2 is never predicted".to_string()));
}

#[derive(Deserialize)]
struct RegressorCase {
    name: String,
    truth: Vec<f64>,
    predicted: Vec<f64>,
    expected: RegressorExpected,
}

#[derive(Deserialize)]
struct RegressorExpected {
    mae: Option<f64>,
    rmse: Option<f64>,
    mape: Option<f64>,
    r2: Option<f64>,
}

#[test]
fn regressor_metrics_match_scikit_learn() {
    let cases: Vec<RegressorCase> = load("regressor.json");
    assert!(cases.len() >= 5, "the fixture lost cases");
    for case in cases {
        let metrics = regressor(&case.truth, &case.predicted);
        let e = &case.expected;
        assert_eq!(metrics.count, case.truth.len(), "{}", case.name);
        let figures = [
            ("MAE", metrics.mae, e.mae),
            ("RMSE", metrics.rmse, e.rmse),
            ("MAPE", metrics.mape, e.mape),
            ("R²", metrics.r2, e.r2),
        ];
        assert_figures(&case.name, &figures, &metrics.undefined);
    }
}

#[test]
fn a_constant_truth_says_why_r_squared_is_undefined() {
    let metrics = regressor(&[7.5; 4], &[7.0, 8.0, 7.5, 7.5]);
    assert_eq!(metrics.r2, None);
    assert_eq!(
        metrics.undefined,
        vec!["R² is undefined: every one of the 4 true values is 7.5, so there is no variance to explain".to_string()]
    );
}
