#!/usr/bin/env python3
"""Evidently's side of `vigil-bench drift`: its data drift preset on a reference CSV and a
current CSV, timed, with its verdict on every column.

Usage: evidently_bench.py REFERENCE.csv CURRENT.csv OUT.json

Both files are read with pandas (`read_csv`, default options); columns found only in the current
file (the inference log's time column) are dropped, so both frames have the same columns. Then
`Report([DataDriftPreset()])` runs with Evidently 0.7's API and every default: each column's type
and drift method inferred by Evidently. OUT.json gets, per column, the method Evidently chose,
its score, threshold and drifted verdict; the seconds spent reading and reporting; and the peak
resident memory of this process (`ru_maxrss`).

Needs the packages of requirements.txt (Evidently 0.7.23 and pandas < 3):
    python3 -m venv /tmp/driftenv && /tmp/driftenv/bin/pip install -r tools/drift-fixtures/requirements.txt
"""

import json
import resource
import sys
import time
import warnings


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    reference_path, current_path, out_path = argv[1:]
    started = time.perf_counter()
    try:
        import pandas as pd
        import evidently
        from evidently import Report
        from evidently.presets import DataDriftPreset
        from evidently.legacy.calculations.stattests.registry import _registered_stat_tests
    except ImportError as error:
        print(
            f"evidently_bench.py: {error}. Install the packages with: python3 -m venv /tmp/driftenv && "
            "/tmp/driftenv/bin/pip install -r tools/drift-fixtures/requirements.txt",
            file=sys.stderr,
        )
        return 3
    imported = time.perf_counter()

    reference = pd.read_csv(reference_path)
    current = pd.read_csv(current_path)
    dropped = [column for column in current.columns if column not in reference.columns]
    current = current[list(reference.columns)]
    read = time.perf_counter()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # include_tests: each column's verdict as Evidently's own test states it (FAIL = drifted).
        snapshot = Report([DataDriftPreset()], include_tests=True).run(current_data=current, reference_data=reference)
        results = snapshot.dict()
    reported = time.perf_counter()

    # Evidently names the method it chose by its display name; its stattest id is shorter.
    stattest_ids = {
        test.display_name: test.name for by_type in _registered_stat_tests.values() for test in by_type.values()
    }
    columns = {}
    drifted_count = None
    for metric in results["metrics"]:
        config = metric.get("config", {})
        kind = config.get("type", "")
        if kind.endswith("ValueDrift"):
            columns[config["column"]] = {
                "method": stattest_ids.get(config.get("method"), config.get("method")),
                "method_name": config.get("method"),
                "threshold": config.get("threshold"),
                "score": metric.get("value"),
            }
        elif kind.endswith("DriftedColumnsCount"):
            drifted_count = metric.get("value")
    for test in results["tests"]:
        column = ((test.get("metric_config") or {}).get("params") or {}).get("column")
        if column in columns:
            columns[column]["drifted"] = str(test.get("status")).upper().endswith("FAIL")
    missing = [name for name, column in columns.items() if "drifted" not in column]
    if missing:
        print(f"evidently_bench.py: no drift test result for {missing}", file=sys.stderr)
        return 4

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {
        "evidently": evidently.__version__,
        "pandas": pd.__version__,
        "reference_rows": len(reference),
        "current_rows": len(current),
        "dropped_current_columns": dropped,
        "import_seconds": imported - started,
        "read_seconds": read - imported,
        "report_seconds": reported - read,
        "peak_memory_bytes": peak_kib * 1024,
        "drifted_columns": drifted_count,
        "columns": columns,
    }
    with open(out_path, "w") as file:
        json.dump(out, file, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
