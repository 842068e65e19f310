"""Writes the reference numbers that vigil-performance-stats is tested against.

Pinned versions (what the committed fixtures were written with, on Python 3.11):
    numpy==2.4.6  scikit-learn==1.9.1  pandas==3.1.1  scipy==1.17.1  nannyml==0.13.1
    statsmodels==0.15.0 (nannyml 0.13.1 imports it without declaring it)

Run from the repository root:
    python -m venv /tmp/perfref && /tmp/perfref/bin/pip install numpy==2.4.6 scikit-learn==1.9.1 \
        pandas==3.1.1 scipy==1.17.1 nannyml==0.13.1 statsmodels==0.15.0
    /tmp/perfref/bin/python crates/vigil-performance-stats/reference/make_fixtures.py

Every input is drawn from a seeded generator, so the fixtures are the same on every run. Where
scikit-learn warns that a figure is ill-defined (and returns a stand-in 0, 1 or nan) or refuses to
compute it, the fixture holds null: Vigil reports such a figure as undefined, with a reason.
"""

import json
import math
import os
import warnings
from pathlib import Path

os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"  # NannyML would otherwise report its use over the network.

import nannyml  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn import metrics  # noqa: E402
from sklearn.model_selection import StratifiedShuffleSplit  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def defined(compute):
    """The figure, or None where scikit-learn warns, raises, or gives a non-finite number."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            value = float(compute())
        except (ValueError, Warning):
            return None
    return value if math.isfinite(value) else None


def classifier_case(name, truth, predicted, probability, positive):
    truth = np.asarray(truth, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    classes = np.union1d(truth, predicted)
    binary = len(classes) <= 2
    average = "binary" if binary else "macro"
    scores = dict(average=average, pos_label=positive) if binary else dict(average=average)
    expected = {
        "accuracy": defined(lambda: metrics.accuracy_score(truth, predicted)),
        "precision": defined(lambda: metrics.precision_score(truth, predicted, **scores)),
        "recall": defined(lambda: metrics.recall_score(truth, predicted, **scores)),
        "f1": defined(lambda: metrics.f1_score(truth, predicted, **scores)),
        "roc_auc": None,
        "log_loss": None,
    }
    if binary and probability is not None:
        is_positive = truth == positive
        expected["roc_auc"] = defined(lambda: metrics.roc_auc_score(is_positive, probability))
        expected["log_loss"] = defined(lambda: metrics.log_loss(is_positive, probability, labels=[False, True]))
    return {
        "name": name,
        "truth": truth.tolist(),
        "predicted": predicted.tolist(),
        "probability": None if probability is None else [float(p) for p in probability],
        "positive": positive,
        "averaging": "binary" if binary else "macro",
        "expected": expected,
    }


def classifier_cases(rng):
    cases = []
    # Scores on a 0.1 grid: many ties between positives and negatives.
    truth = rng.binomial(1, 0.4, 300)
    score = np.clip(np.round(0.3 * truth + rng.uniform(0, 0.7, 300), 1), 0, 1)
    cases.append(classifier_case("binary_tied_scores", truth, (score >= 0.5).astype(int), score, 1))
    # Continuous scores, some exactly 0 and 1 (log loss clips them).
    truth = rng.binomial(1, 0.3, 500)
    score = 1 / (1 + np.exp(-(2.0 * truth - 1 + rng.normal(0, 1.2, 500))))
    score[:3] = [0.0, 1.0, 1.0]
    truth[:3] = [0, 1, 0]
    cases.append(classifier_case("binary_continuous_with_certain_scores", truth, (score >= 0.5).astype(int), score, 1))
    # A window where every label is 0: ROC AUC and recall are undefined.
    truth = np.zeros(120, dtype=int)
    score = rng.uniform(0, 0.8, 120)
    cases.append(classifier_case("one_class_window", truth, (score >= 0.5).astype(int), score, 1))
    # A model that never predicts the positive class: precision is undefined, F1 is 0.
    truth = rng.binomial(1, 0.5, 80)
    score = rng.uniform(0, 0.45, 80)
    cases.append(classifier_case("never_predicts_positive", truth, np.zeros(80, dtype=int), score, 1))
    # Labels 4 and 9, the declared positive class 4.
    truth = np.where(rng.binomial(1, 0.35, 250) == 1, 4, 9)
    score = np.clip(0.35 * (truth == 4) + rng.uniform(0, 0.65, 250), 0, 1)
    cases.append(classifier_case("positive_class_four_of_four_and_nine", truth, np.where(score >= 0.5, 4, 9), score, 4))
    # Labels 0 and 1, the declared positive class 0.
    truth = rng.binomial(1, 0.6, 200)
    score = np.clip(0.4 * (truth == 0) + rng.uniform(0, 0.6, 200), 0, 1)
    cases.append(classifier_case("positive_class_zero", truth, np.where(score >= 0.5, 0, 1), score, 0))
    # Four classes: macro averaging; ROC AUC and log loss are not computed.
    truth = rng.integers(0, 4, 400)
    predicted = np.where(rng.uniform(0, 1, 400) < 0.7, truth, rng.integers(0, 4, 400))
    cases.append(classifier_case("multiclass_macro", truth, predicted, None, 1))
    # Three classes, one of them never predicted: macro precision is undefined.
    truth = rng.integers(0, 3, 150)
    predicted = np.where(truth == 2, rng.integers(0, 2, 150), truth)
    cases.append(classifier_case("multiclass_class_never_predicted", truth, predicted, None, 1))
    cases.append(classifier_case("empty_window", [], [], [], 1))
    return cases


def regressor_case(name, truth, predicted):
    truth = np.asarray(truth, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    return {
        "name": name,
        "truth": truth.tolist(),
        "predicted": predicted.tolist(),
        "expected": {
            "mae": defined(lambda: metrics.mean_absolute_error(truth, predicted)),
            "rmse": defined(lambda: metrics.root_mean_squared_error(truth, predicted)),
            "mape": defined(lambda: metrics.mean_absolute_percentage_error(truth, predicted)),
            # force_finite=False: a constant truth gives nan or -inf instead of a forced 1 or 0.
            "r2": defined(lambda: metrics.r2_score(truth, predicted, force_finite=False)),
        },
    }


def regressor_cases(rng):
    truth = rng.normal(50, 15, 300)
    cases = [regressor_case("regression", truth, truth + rng.normal(0, 5, 300))]
    truth = rng.gamma(2.0, 10.0, 200)
    truth[[5, 50, 120]] = 0.0
    cases.append(regressor_case("regression_with_zero_truth", truth, truth + rng.normal(0, 3, 200)))
    cases.append(regressor_case("constant_truth", np.full(40, 7.5), 7.5 + rng.normal(0, 1, 40)))
    cases.append(regressor_case("single_prediction", [3.0], [2.5]))
    cases.append(regressor_case("empty_window", [], []))
    return cases


CBPE_METRICS = ["roc_auc", "accuracy", "precision", "recall", "f1"]
CBPE_COLUMNS = {
    "value": "value",
    "sampling_error": "sampling_error",
    "lower": "lower_confidence_boundary",
    "upper": "upper_confidence_boundary",
    "lower_threshold": "lower_threshold",
    "upper_threshold": "upper_threshold",
    "alert": "alert",
}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cbpe_scenario(name, seed, reference_size, chunk_size, logit, model_score):
    """NannyML's CBPE on a labelled reference and six unlabelled windows, the last two shifted."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, reference_size)
    truth = rng.binomial(1, sigmoid(logit(x)))
    score = model_score(logit(x))
    reference = pd.DataFrame({"p": score, "y_pred": (score >= 0.5).astype(int), "y": truth})
    x = np.r_[rng.normal(0, 1, 4 * chunk_size), rng.normal(1, 1, 2 * chunk_size)]
    score = model_score(logit(x))
    analysis = pd.DataFrame({"p": score, "y_pred": (score >= 0.5).astype(int)})
    estimator = nannyml.CBPE(
        y_pred_proba="p",
        y_pred="y_pred",
        y_true="y",
        problem_type="classification_binary",
        metrics=CBPE_METRICS,
        chunk_size=chunk_size,
    )
    estimator.fit(reference)
    results = estimator.estimate(analysis).filter(period="analysis").data
    windows = []
    for index in range(len(results)):
        row = results.iloc[index]
        start, end = int(row[("chunk", "start_index")]), int(row[("chunk", "end_index")]) + 1
        estimates = {
            metric: {key: row[(metric, column)].item() for key, column in CBPE_COLUMNS.items()} for metric in CBPE_METRICS
        }
        windows.append({
            "probability": analysis["p"].iloc[start:end].tolist(),
            "predicted": analysis["y_pred"].iloc[start:end].tolist(),
            "estimates": estimates,
        })
    # The held-out indices of scikit-learn's splits, against which Vigil's draws are checked.
    splits = StratifiedShuffleSplit(n_splits=10, test_size=0.1, random_state=42).split(reference["p"], truth)
    return {
        "name": name,
        "chunk_size": chunk_size,
        "reference": {
            "probability": reference["p"].tolist(),
            "predicted": reference["y_pred"].tolist(),
            "truth": reference["y"].tolist(),
        },
        "needs_calibration": bool(estimator.needs_calibration),
        "held_out_indices": [sorted(test.tolist()) for _, test in splits],
        "windows": windows,
    }


def cbpe_fixture():
    permutations = np.random.RandomState(42)
    return {
        "numpy_permutations": {"seed": 42, "sizes": [10, 1000, 3], "draws": [permutations.permutation(n).tolist() for n in [10, 1000, 3]]},
        "scenarios": [
            # The scores are the true probabilities; with this seed NannyML keeps them uncalibrated.
            cbpe_scenario("calibrated_scores", 0, 4000, 400, lambda x: 1.5 * x - 0.5, sigmoid),
            # The scores are overconfident: calibration is needed. The reference ends on a short chunk.
            cbpe_scenario("overconfident_scores", 1, 4150, 400, lambda x: 1.5 * x - 0.5, lambda z: sigmoid(3 * z)),
            # Most labels positive (the ROC AUC sampling error swaps the classes), scores too timid.
            cbpe_scenario("mostly_positive_timid_scores", 2, 4000, 400, lambda x: 1.2 * x + 0.9, lambda z: sigmoid(0.5 * z)),
        ],
    }


def write(name, content):
    versions = {"numpy": np.__version__, "scikit_learn": sklearn.__version__, "nannyml": nannyml.__version__}
    path = FIXTURES / name
    path.write_text(json.dumps({"versions": versions, **content}) + "\n")
    print(f"wrote {path}")


def main():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")  # NannyML's logging of overridden threshold limits and usage.
    write("classifier.json", {"cases": classifier_cases(np.random.default_rng(16))})
    write("regressor.json", {"cases": regressor_cases(np.random.default_rng(17))})
    write("cbpe.json", cbpe_fixture())


if __name__ == "__main__":
    main()
