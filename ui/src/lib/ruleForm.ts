// An alert rule as its form holds it (text, as typed) and as the engine takes it (`RuleDraft`):
// the signal, the condition and its number, the durations, severity, scope and runbook. Only
// numbers and labels are read here; the engine checks the rule and names the field it refuses.

import type { AlertRule, CbpeMetric, Condition, PerformanceMetric, RuleDraft, Scope, Severity, Signal } from "./bindings";
import { labelsLine } from "./alerts";
import { readLabels, readNumber } from "./alertForms";

export const SIGNALS: [Signal["name"], string][] = [
  ["server_down", "Server down (yes/no)"],
  ["request_rate", "Traffic, req/s"],
  ["error_share", "Error share, 0–1"],
  ["p99_seconds", "p99 latency, seconds"],
  ["drift_share", "Drifted share of features, 0–1"],
  ["dataset_drift", "Dataset drift (yes/no)"],
  ["column_drift", "One column's drift statistic"],
  ["cost_per_thousand", "Cost per 1,000 predictions, $"],
  ["realized_performance", "Realized performance (from labels)"],
  ["estimated_performance", "Estimated performance (CBPE, before labels)"],
  ["feedback_loop", "Feedback loop (yes/no)"],
];

/** The figures a realized-performance rule can watch. */
export const REALIZED_METRICS: [PerformanceMetric, string][] = [
  ["accuracy", "Accuracy"],
  ["precision", "Precision"],
  ["recall", "Recall"],
  ["f1", "F1"],
  ["roc_auc", "ROC AUC"],
  ["log_loss", "Log loss"],
  ["mae", "MAE (regressors)"],
  ["rmse", "RMSE (regressors)"],
  ["mape", "MAPE (regressors)"],
  ["r2", "R² (regressors)"],
];

/** The figures CBPE estimates. */
export const ESTIMATED_METRICS: [CbpeMetric, string][] = [
  ["roc_auc", "ROC AUC"],
  ["accuracy", "Accuracy"],
  ["precision", "Precision"],
  ["recall", "Recall"],
  ["f1", "F1"],
];

/** The figures the form offers for a signal, when it watches a performance figure. */
export function metricsFor(signal: Signal["name"]): [string, string][] | null {
  if (signal === "realized_performance") return REALIZED_METRICS;
  if (signal === "estimated_performance") return ESTIMATED_METRICS;
  return null;
}

export const CONDITIONS: [Condition["op"], string][] = [
  ["holds", "Holds (yes/no signals)"],
  ["above", "Above a bound"],
  ["below", "Below a bound"],
  ["above_objective", "Above the model's objective"],
  ["rises", "Rises to a multiple of its usual level"],
  ["anomaly", "Unusual for the hour (seasonal baseline)"],
];

/** The number each condition takes, with its words. */
export const CONDITION_NUMBER: Partial<Record<Condition["op"], string>> = {
  above: "Bound, in the signal's unit",
  below: "Bound, in the signal's unit",
  rises: "Factor (above 1, e.g. 1.5)",
  anomaly: "Spreads from the median (k, 1–20)",
};

export const SEVERITIES: [Severity, string][] = [
  ["critical", "Critical"],
  ["warning", "Warning"],
  ["info", "Info"],
];

export const SCOPES: [Scope["kind"], string][] = [
  ["fleet", "The whole fleet"],
  ["model", "One model"],
  ["server", "One server"],
  ["labels", "Servers with labels"],
];

/** A rule as its form holds it. Keys match the fields the engine names in its errors where they can. */
export interface RuleForm {
  name: string;
  signal: Signal["name"];
  column: string;
  /** The performance figure, for a realized or estimated performance signal. */
  metric: string;
  condition: Condition["op"];
  number: string;
  for_secs: string;
  keep_firing_secs: string;
  severity: Severity;
  scope: Scope["kind"];
  /** The model or server named, or the labels as "team=payments". */
  scopeValue: string;
  runbook: string;
  enabled: boolean;
}

function conditionNumber(condition: Condition): string {
  if (condition.op === "above" || condition.op === "below") return String(condition.bound);
  if (condition.op === "rises") return String(condition.factor);
  if (condition.op === "anomaly") return String(condition.k);
  return "";
}

function scopeValue(scope: Scope): string {
  if (scope.kind === "model") return scope.model;
  if (scope.kind === "server") return scope.server;
  if (scope.kind === "labels") return labelsLine(scope.labels);
  return "";
}

/** The form for a new rule, or one holding a stored rule. */
export function ruleFormOf(rule: AlertRule | null): RuleForm {
  return {
    name: rule?.name ?? "",
    signal: rule?.signal.name ?? "error_share",
    column: rule?.signal.name === "column_drift" ? rule.signal.column : "",
    metric: rule?.signal.name === "realized_performance" || rule?.signal.name === "estimated_performance" ? rule.signal.metric : "accuracy",
    condition: rule?.condition.op ?? "above",
    number: rule ? conditionNumber(rule.condition) : "",
    for_secs: String(rule?.for_secs ?? 300),
    keep_firing_secs: String(rule?.keep_firing_secs ?? 300),
    severity: rule?.severity ?? "warning",
    scope: rule?.scope.kind ?? "fleet",
    scopeValue: rule ? scopeValue(rule.scope) : "",
    runbook: rule?.runbook ?? "",
    enabled: rule?.enabled ?? true,
  };
}

function conditionOf(form: RuleForm): Condition {
  const number = () => readNumber(form.number, "condition", CONDITION_NUMBER[form.condition] ?? "The number");
  switch (form.condition) {
    case "above":
    case "below":
      return { op: form.condition, bound: number() };
    case "rises":
      return { op: "rises", factor: number() };
    case "anomaly":
      return { op: "anomaly", k: number() };
    default:
      return { op: form.condition };
  }
}

function scopeOf(form: RuleForm): Scope {
  switch (form.scope) {
    case "model":
      return { kind: "model", model: form.scopeValue };
    case "server":
      return { kind: "server", server: form.scopeValue };
    case "labels":
      return { kind: "labels", labels: readLabels(form.scopeValue, "scope") };
    default:
      return { kind: "fleet" };
  }
}

function signalOf(form: RuleForm): Signal {
  switch (form.signal) {
    case "column_drift":
      return { name: "column_drift", column: form.column };
    case "realized_performance":
      return { name: "realized_performance", metric: form.metric as PerformanceMetric };
    case "estimated_performance":
      return { name: "estimated_performance", metric: form.metric as CbpeMetric };
    default:
      return { name: form.signal };
  }
}

/** The rule to send to the engine; throws an ApiError naming the field a number or label cannot be read in. */
export function ruleDraftOf(form: RuleForm): RuleDraft {
  const signal = signalOf(form);
  return {
    name: form.name,
    signal,
    condition: conditionOf(form),
    for_secs: readNumber(form.for_secs, "for_secs", "For"),
    keep_firing_secs: readNumber(form.keep_firing_secs, "keep_firing_secs", "Keep firing for"),
    severity: form.severity,
    scope: scopeOf(form),
    runbook: form.runbook.trim() === "" ? null : form.runbook,
    enabled: form.enabled,
  };
}
