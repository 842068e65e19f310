// The Alerts view's words and forms: how severities and states are written, the silence a
// "Silence…" action asks for, and the rule and receiver forms as typed (text) and as the engine
// takes them (`RuleDraft`, `ReceiverDraft`). Only numbers and labels are read here; the engine
// checks everything else and names the field it refuses.

import { ApiError } from "./api";
import type {
  AlertRule,
  AlertState,
  AlertView,
  Condition,
  HistoryEntry,
  Matcher,
  Receiver,
  ReceiverDraft,
  ReceiverKind,
  RuleDraft,
  Scope,
  Severity,
  Signal,
  SilenceDraft,
} from "./bindings";
import { elapsed, type Tone } from "./format";

const invalid = (field: string, message: string) => new ApiError({ code: "invalid_input", message, field, detail: null });
const orNull = (text: string) => (text.trim() === "" ? null : text.trim());

/** A number as typed, or an error naming `field`. */
function readNumber(text: string, field: string, what: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value)) throw invalid(field, `${what} must be a number, e.g. ${field.endsWith("secs") ? "300" : "0.05"}.`);
  return value;
}

/** Labels typed as "team=payments, env=prod", or an error naming `field`. */
function readLabels(text: string, field: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf("=");
    const [name, value] = [part.slice(0, Math.max(at, 0)).trim(), part.slice(at + 1).trim()];
    if (at < 0 || !name) throw invalid(field, `'${part}' is not a label: write name=value, e.g. team=payments.`);
    if (name in labels) throw invalid(field, `Label '${name}' is given twice: keep one.`);
    labels[name] = value;
  }
  return labels;
}

export const SEVERITY_VIEW: Record<Severity, { word: string; tone: Tone }> = {
  critical: { word: "Critical", tone: "bad" },
  warning: { word: "Warning", tone: "warn" },
  info: { word: "Info", tone: "muted" },
};

export const STATE_VIEW: Record<AlertState, { word: string; tone: Tone }> = {
  firing: { word: "Firing", tone: "bad" },
  pending: { word: "Pending", tone: "warn" },
  no_data: { word: "No data", tone: "warn" },
  resolved: { word: "Resolved", tone: "ok" },
  normal: { word: "Normal", tone: "ok" },
};

/** A history entry's change in words. */
export const CHANGE_WORDS: Record<string, string> = { fired: "Fired", resolved: "Resolved", lost_data: "Lost its data" };

/** How long a silence lasts: [seconds, words]. */
export const SILENCE_DURATIONS: [string, string][] = [
  ["1800", "30 minutes"],
  ["3600", "1 hour"],
  ["7200", "2 hours"],
  ["14400", "4 hours"],
  ["86400", "1 day"],
  ["604800", "1 week"],
];

/** A silence as its form holds it: what it quiets, from when (empty: now), how long, and why. */
export interface SilenceForm {
  rule: string;
  model: string;
  server: string;
  /** "team=payments, env=prod". */
  labels: string;
  /** A local date and time as a datetime-local input gives it; empty: now. */
  starts: string;
  seconds: string;
  reason: string;
}

/** The form silencing one alert's rule on its model and server from now, or an empty maintenance window. */
export function silenceFormOf(alert: AlertView | null): SilenceForm {
  return {
    rule: alert?.rule ?? "",
    model: alert?.model ?? "",
    server: alert?.server ?? "",
    labels: "",
    starts: "",
    seconds: "3600",
    reason: "",
  };
}

/** The silence to send to the engine; throws an ApiError naming the field that cannot be read. */
export function silenceDraftOf(form: SilenceForm, now: number): SilenceDraft {
  const starts = form.starts.trim() === "" ? null : new Date(form.starts);
  if (starts && Number.isNaN(starts.getTime())) throw invalid("starts_at", "Give the date and time the window starts.");
  return {
    matcher: { rule: orNull(form.rule), model: orNull(form.model), server: orNull(form.server), labels: readLabels(form.labels, "matcher") },
    starts_at: starts?.toISOString() ?? null,
    ends_at: new Date((starts?.getTime() ?? now) + Number(form.seconds) * 1000).toISOString(),
    reason: form.reason,
  };
}

/** How long until `iso` from `now`: "5 min", "2 h". */
export function timeUntil(iso: string, now: number): string {
  return elapsed(new Date(now).toISOString(), Date.parse(iso));
}

/** Labels as one line: "team=payments, env=prod". */
export function labelsLine(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}=${value}`)
    .join(", ");
}

/** What a silence quiets, in words: "rule dataset drift, model fraud, team=payments". */
export function matcherWords(matcher: Matcher): string {
  const named = (["rule", "model", "server"] as const).flatMap((what) => (matcher[what] ? [`${what} ${matcher[what]}`] : []));
  return [...named, ...Object.entries(matcher.labels).map(([k, v]) => `${k}=${v}`)].join(", ");
}

/** The sentence a history entry kept as evidence. */
export function evidenceSentence(entry: HistoryEntry): string {
  const sentence = entry.evidence.sentence;
  return typeof sentence === "string" ? sentence : "";
}

/** The value and bound a history entry kept, as the engine wrote them: "7.2 % vs 5.0 %". */
export function evidenceFigures(entry: HistoryEntry): string {
  const { value, bound } = entry.evidence;
  if (typeof value !== "string") return "";
  return typeof bound === "string" ? `${value} vs ${bound}` : value;
}

export const SIGNALS: [Signal["name"], string][] = [
  ["server_down", "Server down (yes/no)"],
  ["request_rate", "Traffic, req/s"],
  ["error_share", "Error share, 0–1"],
  ["p99_seconds", "p99 latency, seconds"],
  ["drift_share", "Drifted share of features, 0–1"],
  ["dataset_drift", "Dataset drift (yes/no)"],
  ["column_drift", "One column's drift statistic"],
  ["cost_per_thousand", "Cost per 1,000 predictions, $"],
];

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

/** The rule to send to the engine; throws an ApiError naming the field a number or label cannot be read in. */
export function ruleDraftOf(form: RuleForm): RuleDraft {
  const signal: Signal = form.signal === "column_drift" ? { name: "column_drift", column: form.column } : { name: form.signal };
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

export const RECEIVER_KINDS: [ReceiverKind, string][] = [
  ["desktop", "Desktop notification"],
  ["webhook", "Webhook (JSON)"],
  ["slack", "Slack-compatible webhook"],
];

/** A receiver as its form holds it; keys are the fields the engine names in its errors. */
export interface ReceiverForm {
  name: string;
  kind: ReceiverKind;
  url: string;
  auth_ref: string;
  labels: string;
  group_wait_secs: string;
  group_interval_secs: string;
  repeat_interval_secs: string;
}

/** The form for a new receiver (Alertmanager's timings: 30 s, 5 min, 4 h), or one holding a stored one. */
export function receiverFormOf(receiver: Receiver | null): ReceiverForm {
  return {
    name: receiver?.name ?? "",
    kind: receiver?.kind ?? "webhook",
    url: receiver?.url ?? "",
    auth_ref: receiver?.auth_ref ?? "",
    labels: labelsLine(receiver?.labels ?? {}),
    group_wait_secs: String(receiver?.group_wait_secs ?? 30),
    group_interval_secs: String(receiver?.group_interval_secs ?? 300),
    repeat_interval_secs: String(receiver?.repeat_interval_secs ?? 14_400),
  };
}

/** The receiver to send to the engine; throws an ApiError naming the field that cannot be read. */
export function receiverDraftOf(form: ReceiverForm): ReceiverDraft {
  const desktop = form.kind === "desktop";
  return {
    name: form.name,
    kind: form.kind,
    url: desktop ? null : orNull(form.url),
    auth_ref: desktop ? null : orNull(form.auth_ref),
    labels: readLabels(form.labels, "labels"),
    group_wait_secs: readNumber(form.group_wait_secs, "group_wait_secs", "Group wait"),
    group_interval_secs: readNumber(form.group_interval_secs, "group_interval_secs", "Group interval"),
    repeat_interval_secs: readNumber(form.repeat_interval_secs, "repeat_interval_secs", "Repeat interval"),
  };
}
