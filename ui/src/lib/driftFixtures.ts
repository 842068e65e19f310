// Drift test data: a report, its columns, a timeline and a reference summary as the engine sends
// them, for the drift logic and view tests.

import type { ColumnDrift, DriftReport, DriftTimeline, ReferenceSummary } from "./bindings";

export function column(overrides: Partial<ColumnDrift> = {}): ColumnDrift {
  return {
    column: "amount",
    kind: "numeric",
    role: "feature",
    test: { method: "ks", statistic: 0.21, p_value: 0.0012, threshold: 0.05, drifted: true },
    problem: null,
    severity: 1.6,
    reference_count: 10_000,
    current_count: 2_000,
    current_missing: 0,
    sampled: false,
    chosen: { method: null, threshold: null, learned: false },
    distributions: {
      labels: [],
      edges: [0, 50, 100, 150],
      reference: [0.5, 0.3, 0.2],
      current: [0.2, 0.3, 0.5],
    },
    ...overrides,
  };
}

/** fraud: 2 of 3 inputs drifted over the 4 days from Tuesday 14:00 UTC; the prediction has not. */
export function report(overrides: Partial<DriftReport> = {}): DriftReport {
  return {
    model: "fraud",
    version: null,
    computed_at: "2026-11-28T11:58:00Z",
    from: "2026-11-24T14:00:00Z",
    to: "2026-11-28T11:58:00Z",
    reference_source: "fraud_train.csv",
    reference_rows: 10_000,
    current_rows: 2_000,
    columns: [
      column({
        column: "age",
        severity: 0.4,
        test: { method: "ks", statistic: 0.03, p_value: 0.41, threshold: 0.05, drifted: false },
      }),
      column(),
      column({
        column: "country",
        kind: "categorical",
        severity: 3.1,
        test: { method: "jensen_shannon", statistic: 0.31, p_value: null, threshold: 0.1, drifted: true },
        distributions: { labels: ["FR", "DE", "US"], edges: [], reference: [0.6, 0.3, 0.1], current: [0.2, 0.3, 0.5] },
      }),
      column({
        column: "is_fraud",
        kind: "binary",
        role: "prediction",
        severity: 0.2,
        test: { method: "z_test", statistic: 0.4, p_value: 0.69, threshold: 0.05, drifted: false },
        distributions: { labels: ["0", "1"], edges: [], reference: [0.97, 0.03], current: [0.96, 0.04] },
      }),
    ],
    features: 3,
    drifted_features: 2,
    drifted_share: 2 / 3,
    share_threshold: 0.5,
    dataset_drift: true,
    prediction_drift: false,
    skipped: [{ column: "customer_id", reason: "an identifier: every value is different" }],
    summary: "2 of 3 inputs have shifted over the last 24 hours; predictions have not.",
    ...overrides,
  };
}

export function timeline(overrides: Partial<DriftTimeline> = {}): DriftTimeline {
  return {
    model: "fraud",
    columns: ["age", "amount", "country"],
    windows: ["2026-11-28T09:00:00Z", "2026-11-28T10:00:00Z", "2026-11-28T11:00:00Z"],
    window_secs: 3600,
    cells: [
      [{ values: 900, problem: null, drifted: false, severity: 0.2 }, { values: 900, problem: null, drifted: false, severity: 0.3 }, null],
      [{ values: 900, problem: null, drifted: false, severity: 0.5 }, { values: 900, problem: null, drifted: true, severity: 1.4 }, { values: 900, problem: null, drifted: true, severity: 1.8 }],
      [{ values: 900, problem: null, drifted: false, severity: 0.9 }, { values: 900, problem: null, drifted: true, severity: 2.5 }, { values: 900, problem: null, drifted: true, severity: 3.1 }],
    ],
    ...overrides,
  };
}

export function referenceSummary(overrides: Partial<ReferenceSummary> = {}): ReferenceSummary {
  return {
    model: "churn",
    version: null,
    source: "/data/churn.csv",
    imported_at: "2026-11-28T11:59:00Z",
    rows: 9_998,
    skipped_rows: 2,
    bad_rows: [
      { line: 17, message: "expected 5 fields, found 4" },
      { line: 5021, message: "tenure: \"abc\" is not a number" },
    ],
    prediction: "churned",
    target: null,
    columns: [
      { name: "tenure", count: 9_998, missing: 0, use: "test", kind: "numeric" },
      { name: "plan", count: 9_990, missing: 8, use: "test", kind: "categorical" },
      { name: "customer_id", count: 9_998, missing: 0, use: "skip", reason: "an identifier: every value is different" },
    ],
    ...overrides,
  };
}
