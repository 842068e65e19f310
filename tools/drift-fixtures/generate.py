#!/usr/bin/env python3
"""Writes the drift-test fixtures in tests/fixtures/drift/ from scipy and Evidently.

Vigil's drift tests (crates/vigil-drift-stats) must give the numbers Evidently's data
drift preset gives: the same default method per column, the same statistic, p-value and verdict.
This script runs Evidently's own stattest functions (evidently.legacy.calculations.stattests, the
ones its DataDriftPreset calls through get_one_column_drift) and scipy on a set of columns, and
writes inputs and outputs as JSON; tests/tests/drift_stats.rs reads them back.

Columns are cleaned as Evidently cleans them before testing (±inf to NaN, then NaN and missing
values dropped; an empty column is an error). Large numeric samples are not stored: they are
described by a generator that Rust reproduces bit for bit (see `irwin_hall` below), so the
fixtures stay small.

Usage: python -m venv /tmp/driftenv && /tmp/driftenv/bin/pip install -r requirements.txt
       /tmp/driftenv/bin/python tools/drift-fixtures/generate.py
"""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import scipy.stats
import evidently
from evidently.legacy.calculations.stattests import (
    chi_stat_test,
    hellinger_stat_test,
    jensenshannon_stat_test,
    ks_stat_test,
    psi_stat_test,
    wasserstein_stat_test,
    z_stat_test,
)
from evidently.legacy.calculations.stattests.registry import get_stattest
from evidently.legacy.calculations.stattests.z_stattest import proportions_diff_z_stat_ind
from evidently.legacy.core import ColumnType

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "drift"

# Vigil's method names (snake_case) for Evidently's stattests.
METHODS = {
    "ks": ks_stat_test,
    "chi_square": chi_stat_test,
    "z_test": z_stat_test,
    "psi": psi_stat_test,
    "jensen_shannon": jensenshannon_stat_test,
    "wasserstein": wasserstein_stat_test,
    "hellinger": hellinger_stat_test,
}
VIGIL_NAME = {st.name: name for name, st in METHODS.items()}
NUMERIC_METHODS = list(METHODS)
CATEGORICAL_METHODS = ["chi_square", "z_test", "psi", "jensen_shannon", "hellinger"]

# ---------------------------------------------------------------------------------------------
# The generator Rust reproduces: a counter-based splitmix64 stream, 24 bits per uniform, twelve
# uniforms summed (Irwin-Hall, close to a standard normal). Every step is exact or a single IEEE
# operation, so numpy and Rust produce the same doubles.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MASK = (1 << 64) - 1


def splitmix(z):
    z = z.copy()
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def irwin_hall(seed, n, scale=1.0, shift=0.0, round_to=None, nan_every=None):
    """value_i = (sum_j u24(seed, 12 i + j)) / 2^24 - 6, then * scale + shift, optionally
    floor(v / round_to) * round_to, and NaN at every i with i % nan_every == nan_every - 1,
    where u24(seed, c) = splitmix64(((seed << 32) + c + 1) * GOLDEN) >> 40 (wrapping u64)."""
    counters = np.arange(12 * n, dtype=np.uint64) + np.uint64(1) + np.uint64((seed << 32) & MASK)
    with np.errstate(over="ignore"):
        u = splitmix(counters * GOLDEN) >> np.uint64(40)
    sums = u.reshape(n, 12).sum(axis=1)  # < 2^28: exact
    v = sums.astype(np.float64) / float(1 << 24) - 6.0
    v = v * scale + shift
    if round_to is not None:
        v = np.floor(v / round_to) * round_to
    if nan_every is not None:
        v[nan_every - 1 :: nan_every] = np.nan
    return v


def binary(seed, n, cut):
    """0.0/1.0 values, stored inline: 1.0 where a draw is above `cut`."""
    return [1.0 if v > cut else 0.0 for v in irwin_hall(seed, n)]


def gen(**spec):
    return {"gen": dict(spec)}


def values(xs):
    return {"values": list(xs)}


def materialize(sample):
    if "gen" in sample:
        return irwin_hall(**sample["gen"])
    return np.array([np.nan if x is None else float(x) for x in sample["values"]], dtype=np.float64)


def encode_sample(sample):
    """JSON has no NaN or infinity: null stands for NaN, "inf"/"-inf" for the infinities."""
    if "values" not in sample:
        return sample
    out = []
    for x in sample["values"]:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            out.append(None)
        elif isinstance(x, float) and math.isinf(x):
            out.append("inf" if x > 0 else "-inf")
        else:
            out.append(x)
    return {"values": out}


def categorical_series(counts, missing=0):
    labels = [label for label, c in counts.items() for _ in range(c)] + [None] * missing
    return pd.Series(labels, dtype=object)


def clean(series):
    """What get_one_column_drift does before a stattest runs."""
    return series.replace([-np.inf, np.inf], np.nan).dropna()


def statistic(method, ref, cur, ftype):
    """The test statistic behind a p-value, computed the way Evidently computes the p-value."""
    if method == "ks":
        return float(scipy.stats.ks_2samp(ref, cur).statistic)
    if method == "chi_square":
        keys = list(set(ref.unique()) | set(cur.unique()))
        rc, cc = ref.value_counts(), cur.value_counts()
        k_norm = cur.shape[0] / ref.shape[0]
        f_exp = [rc.get(k, 0) * k_norm for k in keys]
        f_obs = [cc.get(k, 0) for k in keys]
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(scipy.stats.chisquare(f_obs, f_exp)[0])
    if method == "z_test":
        if ref.nunique() == 1 and cur.nunique() == 1 and ref.unique()[0] == cur.unique()[0]:
            return 0.0
        keys = sorted(set(ref.unique()) | set(cur.unique()))
        return float(
            proportions_diff_z_stat_ind(
                ref.apply(lambda x: 0 if x == keys[0] else 1), cur.apply(lambda x: 0 if x == keys[0] else 1)
            )
        )
    return None


def number(x):
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def run_case(case):
    kind = case["kind"]
    if kind == "numeric":
        ref_raw = pd.Series(materialize(case["reference"]))
        cur_raw = pd.Series(materialize(case["current"]))
        ftype = ColumnType.Numerical
        methods = NUMERIC_METHODS
    else:
        ref_raw = categorical_series(case["reference"]["counts"], case["reference"].get("missing", 0))
        cur_raw = categorical_series(case["current"]["counts"], case["current"].get("missing", 0))
        ftype = ColumnType.Categorical
        methods = CATEGORICAL_METHODS
    ref, cur = clean(ref_raw), clean(cur_raw)
    out = {
        "name": case["name"],
        "about": case["about"],
        "kind": kind,
        "reference": encode_sample(case["reference"]),
        "current": encode_sample(case["current"]),
        "reference_rows": int(ref.shape[0]),
        "current_rows": int(cur.shape[0]),
    }
    if ref.empty or cur.empty:
        # Evidently raises "An empty column ... was provided for drift calculation".
        out["error"] = "empty reference" if ref.empty else "empty current"
        return out
    out["unique_values"] = int(pd.concat([ref, cur]).nunique())
    out["default_method"] = VIGIL_NAME[get_stattest(ref, cur, ftype, None).name]
    results = {}
    for method in case.get("methods", methods):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                r = METHODS[method](ref.copy(), cur.copy(), ftype, None)
                stat = statistic(method, ref, cur, ftype)
        is_p = method in ("ks", "chi_square", "z_test")
        results[method] = {
            "statistic": number(stat if is_p else r.drift_score),
            "p_value": number(r.drift_score) if is_p else None,
            "threshold": float(r.actual_threshold),
            "drifted": bool(r.drifted),
        }
    out["results"] = results
    return out


def numeric_cases():
    g = gen
    return [
        dict(name="tiny_one_each", about="n=1 against n=1", reference=values([1.0]), current=values([2.0])),
        dict(name="tiny_two_three", about="n=2 against n=3", reference=values([0.5, 1.5]),
             current=values([1.0, 2.0, 3.0])),
        dict(name="tiny_ties", about="n=5 against n=6, tied values", reference=values([1, 1, 2, 2, 3]),
             current=values([1, 2, 2, 3, 3, 3])),
        dict(name="tiny_ten", about="n=10 each, shifted", reference=g(seed=1, n=10),
             current=g(seed=2, n=10, shift=0.75)),
        dict(name="constant_same", about="the same constant in both", reference=values([3.0] * 8),
             current=values([3.0] * 5)),
        dict(name="constant_different", about="a different constant in each", reference=values([3.0] * 8),
             current=values([4.0] * 6)),
        dict(name="constant_reference", about="constant reference (std 0: Wasserstein norm 0.001)",
             reference=values([2.0] * 30), current=g(seed=3, n=40, scale=0.01, shift=2.0)),
        dict(name="nan_and_inf", about="NaN, missing and infinite values are dropped",
             reference=values([1.5, None, 2.5, float("inf"), 0.5, 3.0, None, 2.0, float("-inf"), 1.0]),
             current=values([None, 2.0, 3.5, 4.0, float("nan"), 2.5, 3.0])),
        dict(name="empty_current", about="current all NaN: an error", reference=values([1.0, 2.0]),
             current=values([None, None])),
        dict(name="empty_reference", about="reference with no values: an error", reference=values([]),
             current=values([1.0])),
        dict(name="small_unequal", about="50 against 80, shifted by 0.4", reference=g(seed=4, n=50),
             current=g(seed=5, n=80, shift=0.4)),
        dict(name="small_nan_every_7", about="300 against 200 with every 7th value NaN",
             reference=g(seed=6, n=300, nan_every=7), current=g(seed=7, n=200, scale=1.25, nan_every=7)),
        dict(name="ties_half_steps", about="rounded to 0.5: ties, few values (binned as categories)",
             reference=g(seed=8, n=200, round_to=0.5), current=g(seed=9, n=300, shift=0.3, round_to=0.5)),
        dict(name="binary_numeric", about="0/1 values, 300 against 200",
             reference=values(binary(10, 300, 0.2)), current=values(binary(11, 200, 0.5))),
        dict(name="four_values", about="four values 1..4: chi-square by default",
             reference=g(seed=12, n=400, scale=0.8, shift=2.5, round_to=1.0),
             current=g(seed=13, n=350, scale=0.8, shift=2.8, round_to=1.0)),
        dict(name="square_1000", about="1000 against 1000, shifted by 0.1 (exact KS, equal sizes)",
             reference=g(seed=14, n=1000), current=g(seed=15, n=1000, shift=0.1)),
        dict(name="inside_1000_999", about="1000 against 999 (exact KS, unequal sizes)",
             reference=g(seed=16, n=1000), current=g(seed=17, n=999, scale=1.1)),
        dict(name="psi_sturges_1200", about="1200 against 700: Wasserstein by default, Sturges bins",
             reference=g(seed=18, n=1200), current=g(seed=19, n=700, scale=1.5, shift=-0.2)),
        dict(name="exact_10000_9999", about="10000 against 9999, no shift (exact KS at its limit)",
             reference=g(seed=20, n=10000), current=g(seed=21, n=9999)),
        dict(name="exact_10000_square", about="10000 against 10000, shifted by 0.05",
             reference=g(seed=22, n=10000), current=g(seed=23, n=10000, shift=0.05)),
        dict(name="asymp_100k_same", about="100000 against 100000, same distribution (asymptotic KS)",
             reference=g(seed=24, n=100000), current=g(seed=25, n=100000)),
        dict(name="asymp_100k_shift_small", about="100000 against 100000, shifted by 0.02",
             reference=g(seed=26, n=100000), current=g(seed=27, n=100000, shift=0.02)),
        dict(name="asymp_100k_shift_large", about="100000 against 100000, shifted by 0.5 (p underflows)",
             reference=g(seed=28, n=100000), current=g(seed=29, n=100000, shift=0.5)),
        dict(name="asymp_20000_60", about="20000 against 60 (asymptotic KS with n=60)",
             reference=g(seed=30, n=20000), current=g(seed=31, n=60, shift=0.3)),
        dict(name="asymp_15000_15000_tiny_d", about="15000 against 15000 nearly equal (asymptotic, small D)",
             reference=g(seed=32, n=15000), current=g(seed=32, n=15000, shift=0.0001)),
        dict(name="asymp_30000_1000_ties", about="30000 against 1000, rounded to 0.01",
             reference=g(seed=33, n=30000, round_to=0.01), current=g(seed=34, n=1000, scale=0.9, round_to=0.01)),
    ]


def categorical_cases():
    c = lambda counts, missing=0: {"counts": counts, "missing": missing} if missing else {"counts": counts}
    return [
        dict(name="cat_binary", about="two labels, 1000 against 1000",
             reference=c({"yes": 600, "no": 400}), current=c({"yes": 450, "no": 550})),
        dict(name="cat_binary_close", about="two labels, little change",
             reference=c({"yes": 610, "no": 390}), current=c({"yes": 300, "no": 200})),
        dict(name="cat_five", about="five labels, 800 against 500",
             reference=c({"a": 300, "b": 200, "c": 150, "d": 100, "e": 50}),
             current=c({"a": 170, "b": 130, "c": 100, "d": 60, "e": 40})),
        dict(name="cat_new_label", about="a label only in current",
             reference=c({"a": 50, "b": 30, "c": 20}), current=c({"a": 40, "b": 30, "c": 20, "d": 10})),
        dict(name="cat_label_gone", about="a label only in reference",
             reference=c({"a": 50, "b": 30, "c": 20}), current=c({"a": 60, "b": 40})),
        dict(name="cat_constant_same", about="one label in both",
             reference=c({"a": 100}), current=c({"a": 40})),
        dict(name="cat_constant_different", about="a different single label in each",
             reference=c({"a": 100}), current=c({"b": 40})),
        dict(name="cat_missing", about="missing values are dropped",
             reference=c({"x": 70, "y": 20, "z": 10}, missing=15), current=c({"x": 50, "y": 30, "z": 5}, missing=40)),
        dict(name="cat_tiny_one_each", about="n=1 against n=1, different labels",
             reference=c({"a": 1}), current=c({"b": 1})),
        dict(name="cat_tiny_two", about="n=2 against n=2",
             reference=c({"a": 1, "b": 1}), current=c({"a": 2})),
        dict(name="cat_rare_labels", about="a rare label: the zero fill is min/1e6",
             reference=c({"a": 100000, "b": 5}), current=c({"a": 50, "c": 1})),
        dict(name="cat_large", about="eight labels, 100000 against 100000",
             reference=c({f"l{i}": 5000 + 2500 * i for i in range(8)}),
             current=c({f"l{i}": 5200 + 2480 * i + (37 * i * i) % 300 for i in range(8)})),
        dict(name="cat_large_many", about="40 labels, 120000 against 90000",
             reference=c({f"k{i:02}": 1000 + 137 * i for i in range(40)}),
             current=c({f"k{i:02}": 800 + 101 * i + (53 * i) % 211 for i in range(40)})),
        dict(name="cat_unicode", about="labels outside ASCII",
             reference=c({"é": 10, "日本": 25, "a": 5}), current=c({"é": 12, "日本": 10, "a": 9})),
        dict(name="cat_empty_reference", about="no reference values: an error",
             reference=c({}, missing=3), current=c({"a": 2})),
        dict(name="cat_empty_current", about="only missing values in current: an error",
             reference=c({"a": 2}), current=c({}, missing=5)),
    ]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    numeric = numeric_cases()
    for case in numeric:
        case["kind"] = "numeric"
    categorical = categorical_cases()
    for case in categorical:
        case["kind"] = "categorical"
    meta = {
        "generated_by": "tools/drift-fixtures/generate.py",
        "versions": {"scipy": scipy.__version__, "numpy": np.__version__, "pandas": pd.__version__,
                     "evidently": evidently.__version__},
    }
    check = {"seed": 1, "n": 4, "scale": 1.5, "shift": 0.25, "round_to": None}
    generator_check = {"spec": check, "values": irwin_hall(**check).tolist()}
    for name, cases in (("numeric", numeric), ("categorical", categorical)):
        doc = dict(meta, cases=[run_case(c) for c in cases])
        if name == "numeric":
            doc["generator_check"] = generator_check
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path} ({len(doc['cases'])} cases)")
    write_ks_fixture(meta)


def write_ks_fixture(meta):
    """scipy.stats.ks_2samp's p-value as a function of (n1, n2, D) alone, across its branches:
    exact (equal and unequal sizes) up to max(n1, n2) = 10000, asymptotic kstwo beyond."""
    cases = []
    rng = np.random.default_rng(7)
    sizes = [(1, 1), (1, 5), (2, 3), (3, 3), (5, 7), (10, 10), (10, 3), (25, 40), (100, 100), (137, 250),
             (1000, 1000), (1000, 999), (640, 1000), (5000, 3000), (10000, 10000), (10000, 9999),
             (10001, 10001), (20000, 60), (12000, 30), (100000, 100000), (100000, 5000), (15000, 141),
             (250000, 1000)]
    for n1, n2 in sizes:
        g = math.gcd(n1, n2)
        lcm = n1 // g * n2
        ds = set()
        # Exact unequal sizes cost n1 * n2 * D steps (in scipy too): keep D small for big ones.
        top = 1.0 if n1 == n2 or n1 * n2 <= 1_000_000 or max(n1, n2) > 10000 else 0.05
        for q in (0.0, 0.002, 0.01, 0.03, 0.08, 0.2, 0.5, 0.9, 1.0):
            if q <= top:
                ds.add(max(0, min(lcm, round(q * lcm))))
        ds |= {int(h) for h in rng.integers(0, int(top * lcm) + 1, size=3)}
        for h in sorted(ds):
            # Two samples whose D is exactly h / lcm: build the ECDF difference directly.
            d = h / lcm
            p = ks_pvalue_from_d(n1, n2, d)
            cases.append({"n1": n1, "n2": n2, "d": d, "p_value": number(p)})
    doc = dict(meta, about="scipy.stats.ks_2samp(method='auto') p-value for given sizes and statistic "
                           "(scipy internals called with the D that ks_2samp would compute)", cases=cases)
    path = OUT / "ks_pvalues.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {path} ({len(cases)} cases)")


def ks_pvalue_from_d(n1, n2, d):
    """The tail of scipy.stats.ks_2samp after it computed d, for alternative='two-sided',
    method='auto' (calls scipy's own private helpers)."""
    from scipy.stats._stats_py import _attempt_exact_2kssamp
    from scipy.stats import distributions

    g = math.gcd(n1, n2)
    mode = "exact" if max(n1, n2) <= 10000 else "asymp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode == "exact":
            success, d, prob = _attempt_exact_2kssamp(n1, n2, g, d, "two-sided")
            if not success:
                mode = "asymp"
        if mode == "asymp":
            m, n = sorted([float(n1), float(n2)], reverse=True)
            en = m * n / (m + n)
            prob = distributions.kstwo.sf(d, np.round(en))
    return float(np.clip(prob, 0, 1))


if __name__ == "__main__":
    main()
