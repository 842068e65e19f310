// Performance test data: a model's performance report as the engine sends it, for the
// Performance panel's tests.

import type { ClassifierMetrics, Estimate, PerformanceReport, RegressorMetrics, WindowPerformance } from "./bindings";

/** Binary averaging: the generated type says bigint, but the engine's JSON carries a number. */
const BINARY = { kind: "binary", positive: 1 as unknown as bigint } as const;

export function classifierMetrics(overrides: Partial<ClassifierMetrics> = {}): ClassifierMetrics {
  return {
    count: 412,
    averaging: BINARY,
    accuracy: 0.9126,
    precision: 0.8011,
    recall: 0.7342,
    f1: 0.7662,
    roc_auc: 0.9305,
    log_loss: 0.2481,
    undefined: [],
    ...overrides,
  };
}

export function regressorMetrics(overrides: Partial<RegressorMetrics> = {}): RegressorMetrics {
  return { count: 96, mae: 12.46, rmse: 17.93, mape: 0.0812, r2: 0.874, undefined: [], ...overrides };
}

export function estimate(overrides: Partial<Estimate> = {}): Estimate {
  return {
    metric: "roc_auc",
    value: 0.8412,
    lower: 0.8109,
    upper: 0.8715,
    sampling_error: 0.0101,
    count: 1204,
    thresholds: { lower: 0.8, upper: 0.95 },
    alert: false,
    ...overrides,
  };
}

export function windowPerformance(overrides: Partial<WindowPerformance> = {}): WindowPerformance {
  return {
    start: "2026-11-28T11:00:00Z",
    predictions: 1204,
    labelled: 412,
    classifier: classifierMetrics(),
    regressor: null,
    estimated: [estimate(), estimate({ metric: "accuracy", value: 0.7731, lower: 0.7402, upper: 0.806, alert: true, thresholds: { lower: 0.85, upper: 0.97 } })],
    notes: [],
    ...overrides,
  };
}

/**
 * The fraud model by hour: revision 13 (newest) with two windows, labelled and estimated, and
 * revision 12 whose one window's labels hold one class only, so recall and ROC AUC are undefined
 * and why.
 */
export function performanceReport(overrides: Partial<PerformanceReport> = {}): PerformanceReport {
  return {
    model: "fraud",
    window: "hour",
    since: "2026-11-26T12:00:00Z",
    positive_class: "1",
    retention_days: 30,
    revisions: [
      {
        version: "13",
        windows: [
          windowPerformance({ start: "2026-11-28T10:00:00Z", predictions: 980, labelled: 640, classifier: classifierMetrics({ count: 640, accuracy: 0.9402 }), estimated: [estimate({ value: 0.9011, lower: 0.8803, upper: 0.9219, count: 980 })] }),
          windowPerformance(),
        ],
        not_estimated: null,
      },
      {
        version: "12",
        windows: [
          windowPerformance({
            start: "2026-11-28T09:00:00Z",
            predictions: 52,
            labelled: 7,
            classifier: classifierMetrics({
              count: 7,
              accuracy: 0.7143,
              precision: 0,
              recall: null,
              f1: 0,
              roc_auc: null,
              log_loss: 0.4127,
              undefined: [
                "Recall is undefined: none of the 7 labels is the positive class 1",
                "ROC AUC is undefined: every one of the 7 labels is 0, and it compares positives with negatives",
              ],
            }),
            estimated: [],
            notes: [],
          }),
        ],
        not_estimated: "no labelled reference: CBPE is calibrated on reference data holding the model's label and probability outputs and a target column",
      },
    ],
    not_logged: [{ reason: "the payload names no inference id", count: 31, last_at: "2026-11-28T11:58:00Z" }],
    labels_waiting: 412,
    feedback: null,
    ...overrides,
  };
}
