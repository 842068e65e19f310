// Test data for environments and parity checks, as the engine sends them: fraud v13 on
// fraud-prod, gathered from MLServer and MLflow; a check of it that failed on 2 of 150 rows.

import type { EnvironmentDiff, Fingerprint, ParityReport } from "./bindings";

export function fingerprint(overrides: Partial<Fingerprint> = {}): Fingerprint {
  return {
    server: "fraud-prod",
    model: "fraud",
    version: "13",
    gathered_at: "2026-11-28T11:55:00Z",
    software: "mlserver 1.7.1",
    platform: "sklearn",
    python: "3.11.7",
    pins: [],
    sources: ["fraud-prod's server metadata", "MLflow's requirements.txt of fraud version 13"],
    problems: [],
    summary: "mlserver 1.7.1 · sklearn · Python 3.11.7 · 4 packages",
    ...overrides,
  };
}

export function parityReport(overrides: Partial<ParityReport> = {}): ParityReport {
  return {
    id: 3,
    server: "fraud-prod",
    model: "fraud",
    version: "13",
    golden_file: "/data/fraud-golden.csv",
    protocol: "oip-v2",
    started_at: "2026-11-28T11:50:00Z",
    seconds: 1.4,
    person: "ana",
    rows: 150,
    checked: 150,
    matched: 148,
    matched_share: 148 / 150,
    required_share: 1,
    passed: false,
    cancelled: false,
    outputs: [
      {
        rule: { output: "is_fraud", absolute: 1e-8, relative: 1e-5, exact: true },
        datatype: "INT64",
        mismatched: 2,
        largest_difference: null,
        largest_row: null,
      },
    ],
    mismatches: [
      { row: 17, output: "is_fraud", expected: "1", got: "0", reason: "a label differs", difference: null },
      { row: 92, output: "is_fraud", expected: "0", got: "1", reason: "a label differs", difference: null },
    ],
    sentence: "fraud v13 matched 148 of 150 golden rows from /data/fraud-golden.csv (98.6 %): it fails (at least 99.9 % must match); mismatching rows include 17, 92.",
    ...overrides,
  };
}

export function environmentDiff(overrides: Partial<EnvironmentDiff> = {}): EnvironmentDiff {
  return {
    server: "fraud-prod",
    model: "fraud",
    version: "13",
    built: {
      model: "fraud",
      file_name: "requirements.txt",
      format: "pip",
      pins: [],
      imported_at: "2026-11-28T10:00:00Z",
      person: "ana",
    },
    served: fingerprint(),
    packages: [
      { name: "scikit-learn", built: "1.5.2", served: "1.3.2", risks: ["numeric_differs", "version_differs"] },
      { name: "numpy", built: "2.1.0", served: "1.26.4", risks: ["major_differs", "numeric_differs"] },
      { name: "pandas", built: "2.2.3", served: "2.2.3", risks: [] },
    ],
    risky: 2,
    sentence: "2 of 3 packages differ between requirements.txt and where fraud v13 serves: scikit-learn (built 1.5.2, serves 1.3.2: a numeric library differs, version differs); numpy (built 2.1.0, serves 1.26.4: major version differs, a numeric library differs).",
    ...overrides,
  };
}
