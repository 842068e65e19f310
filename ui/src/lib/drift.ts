// The drift view's logic: which columns come first, how a test's score is written, the plain-words
// summary for product managers, the ranges offered, and the latest verdict of each model as the
// engine's drift_reported events update it. Pure functions, tested without a window.

import { DRIFT_METHODS } from "./bindings";
import type { ColumnChoice, ColumnDrift, ColumnKind, DriftReport, Distributions, EngineEvent, Method, MethodRule, TestResult } from "./bindings";
import type { StatusView } from "./format";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The engine's announcement of a new report. */
export type DriftReported = Extract<EngineEvent, { kind: "drift_reported" }>;

// ---- Methods and scores ------------------------------------------------------------------------

/** Each test as people name it. */
export const METHOD_NAMES: Record<Method, string> = {
  ks: "Kolmogorov–Smirnov",
  chi_square: "Chi-square",
  z_test: "Z-test",
  psi: "PSI",
  jensen_shannon: "Jensen–Shannon",
  wasserstein: "Wasserstein (normed)",
  hellinger: "Hellinger",
};

/** Each test's rule as the engine defines it; a numeric column may be given every test. */
const RULES = new Map<Method, MethodRule>(DRIFT_METHODS.numeric.map((rule) => [rule.method, rule]));

/** Tests whose score is a p-value (drifted below the threshold); the others give a distance (drifted at or above). */
export const isPValue = (method: Method) => RULES.get(method)?.p_value ?? false;

/** A number with `digits` significant digits, without trailing noise: 0.0123, 1.5, 120. */
function significant(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return value > 0 ? "∞" : value < 0 ? "−∞" : "—";
  if (value === 0) return "0";
  return String(Number(value.toPrecision(digits)));
}

/** A p-value as written: "p = 0.0312", "p < 0.0001". */
export function pValueText(p: number): string {
  if (p < 0.0001) return "p < 0.0001";
  return `p = ${significant(p)}`;
}

/** The score a test is judged by: its p-value, or its distance; "—" when it did not run. */
export function scoreText(test: TestResult | null): string {
  if (!test) return "—";
  if (isPValue(test.method) && test.p_value !== null) return pValueText(test.p_value);
  return significant(test.statistic);
}

/** The line a test must cross, as written: "p < 0.05", "≥ 0.1". */
export function thresholdText(test: TestResult | null): string {
  if (!test) return "—";
  return isPValue(test.method) ? `p < ${significant(test.threshold)}` : `≥ ${significant(test.threshold)}`;
}

/** What a test found, in one line for hovers and titles. */
export function testWords(test: TestResult | null, problem: string | null = null): string {
  if (!test) return problem ?? "Not tested";
  const name = METHOD_NAMES[test.method];
  const statistic = isPValue(test.method) ? ` (statistic ${significant(test.statistic)})` : "";
  const rule = isPValue(test.method) ? "drifts when p is below" : "drifts at or above";
  return `${name}: ${scoreText(test)}${statistic}; ${rule} ${significant(test.threshold)}`;
}

/** The tests a column of `kind` may be given, as the engine accepts them. */
export const methodsFor = (kind: ColumnKind): Method[] => DRIFT_METHODS[kind].map((rule) => rule.method);

/** The threshold Evidently uses for `method` when none is chosen. */
export const defaultThreshold = (method: Method) => RULES.get(method)?.default_threshold ?? Number.NaN;

/** Whether a person chose the column's method or threshold (otherwise Evidently's default holds). */
export const isChosen = (choice: ColumnChoice) => choice.method !== null || choice.threshold !== null || choice.learned;

/** What was chosen for a column, in words for a hover: "Chosen: PSI, threshold 0.2". */
export function choiceWords(choice: ColumnChoice): string {
  if (!isChosen(choice)) return "Evidently's default test and threshold for this column";
  const method = choice.method ? METHOD_NAMES[choice.method] : "the default test";
  const threshold = choice.learned
    ? "threshold learned from the reference"
    : choice.threshold !== null
      ? `threshold ${significant(choice.threshold)}`
      : "its default threshold";
  return `Chosen: ${method}, ${threshold}`;
}

/** A threshold as typed: null when empty (the default), a number, or the words of what is wrong. */
export function parseThreshold(text: string): { threshold: number | null } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { threshold: null };
  const value = Number(trimmed.replace(",", "."));
  if (!Number.isFinite(value)) return { problem: "Write a number, such as 0.05, or leave it empty for the default." };
  return { threshold: value };
}

/** A share of inputs typed as a percentage ("30", "30 %", "12,5") as 0–1; above 0 and at most 100. */
export function parseSharePercent(text: string): { share: number } | { problem: string } {
  const value = Number(text.replace("%", "").trim().replace(",", "."));
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0 || value > 100) {
    return { problem: "Write a percentage above 0 and at most 100, such as 30." };
  }
  return { share: value / 100 };
}

/** Severity as a multiple of the threshold: "1.8×"; "—" when untested. */
export function severityText(column: ColumnDrift): string {
  if (!column.test) return "—";
  return `${significant(column.severity, 2)}×`;
}

/** A severity bar's filled share, 0–1: the threshold sits at the middle, twice it fills the bar. */
export const severityFill = (severity: number) => (Number.isFinite(severity) ? Math.max(0, Math.min(1, severity / 2)) : 1);

// ---- Sorting -----------------------------------------------------------------------------------

export type ColumnSortKey = "severity" | "column" | "role" | "kind" | "method" | "score" | "threshold" | "drifted";

const byName = (a: ColumnDrift, b: ColumnDrift) => a.column.localeCompare(b.column);
const drifted = (c: ColumnDrift) => c.test?.drifted ?? false;
/** Severity with untested columns below every tested one. */
const severityOf = (c: ColumnDrift) => (c.test ? (Number.isNaN(c.severity) ? 0 : c.severity) : -1);

/** Columns by severity: drifted first, then the most severe, untested last, ties by name. */
export function bySeverity(columns: ColumnDrift[]): ColumnDrift[] {
  return [...columns].sort(
    (a, b) => Number(drifted(b)) - Number(drifted(a)) || severityOf(b) - severityOf(a) || byName(a, b),
  );
}

/**
 * Columns sorted by `key`. The default direction puts what needs attention first: severity,
 * drifted and score worst first (a p-value's worst is its smallest, a distance's its largest);
 * names, roles, kinds and methods A to Z. `reversed` flips it.
 */
export function sortColumns(columns: ColumnDrift[], key: ColumnSortKey, reversed = false): ColumnDrift[] {
  let sorted: ColumnDrift[];
  const text = (get: (c: ColumnDrift) => string) =>
    [...columns].sort((a, b) => get(a).localeCompare(get(b)) || byName(a, b));
  switch (key) {
    case "severity":
      sorted = bySeverity(columns);
      break;
    case "drifted":
      sorted = [...columns].sort((a, b) => Number(drifted(b)) - Number(drifted(a)) || severityOf(b) - severityOf(a) || byName(a, b));
      break;
    case "column":
      sorted = text((c) => c.column);
      break;
    case "role":
      sorted = text((c) => c.role);
      break;
    case "kind":
      sorted = text((c) => c.kind);
      break;
    case "method":
      sorted = text((c) => (c.test ? METHOD_NAMES[c.test.method] : "\uffff"));
      break;
    case "score":
      // Worst first: closeness to drifting is what severity measures, whatever the method.
      sorted = [...columns].sort((a, b) => severityOf(b) - severityOf(a) || byName(a, b));
      break;
    case "threshold":
      sorted = [...columns].sort((a, b) => (a.test?.threshold ?? Infinity) - (b.test?.threshold ?? Infinity) || byName(a, b));
      break;
  }
  return reversed ? sorted.reverse() : sorted;
}

// ---- Words -------------------------------------------------------------------------------------

/** A moment as people say it: "Tuesday 14:00" within the last week, "28 Nov 14:00" before. */
export function sinceWords(iso: string, now: number, timeZone?: string): string {
  const at = Date.parse(iso);
  const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }).format(at);
  if (now - at < 6 * DAY && now >= at) {
    const day = new Intl.DateTimeFormat("en-GB", { weekday: "long", timeZone }).format(at);
    const today = new Intl.DateTimeFormat("en-GB", { weekday: "long", timeZone }).format(now);
    return `${day === today && now - at < DAY ? "today" : day} ${time}`;
  }
  const date = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone }).format(at);
  return `${date} ${time}`;
}

// ---- Ranges ------------------------------------------------------------------------------------

export type DriftRangeId = "1h" | "24h" | "7d" | "30d";

export const DRIFT_RANGES: { id: DriftRangeId; label: string; ms: number }[] = [
  { id: "1h", label: "1 h", ms: HOUR },
  { id: "24h", label: "24 h", ms: DAY },
  { id: "7d", label: "7 d", ms: 7 * DAY },
  { id: "30d", label: "30 d", ms: 30 * DAY },
];

/** The range a preset means now, in whole Unix ms as the engine takes them. */
export function driftRange(id: DriftRangeId, now: number): { fromMs: number; toMs: number } {
  const { ms } = DRIFT_RANGES.find((r) => r.id === id)!;
  const toMs = Math.round(now);
  return { fromMs: toMs - ms, toMs };
}

/** The preset a report's span matches (within a minute), or null. */
export function rangeOfReport(report: Pick<DriftReport, "from" | "to">): DriftRangeId | null {
  const span = Date.parse(report.to) - Date.parse(report.from);
  return DRIFT_RANGES.find((r) => Math.abs(r.ms - span) <= MINUTE)?.id ?? null;
}

// ---- Latest verdicts ---------------------------------------------------------------------------

/** A model's newest report as the list and the fleet's badge show it. */
export interface LatestDrift {
  model: string;
  version: string | null;
  dataset_drift: boolean;
  drifted_features: number;
  features: number;
  /** The full report last read; null when none was read yet. */
  report: DriftReport | null;
  /** An event announced a newer report than `report`, not read yet. */
  stale: boolean;
}

const byModel = (a: LatestDrift, b: LatestDrift) => a.model.localeCompare(b.model);

export function latestOf(report: DriftReport): LatestDrift {
  const { model, version, dataset_drift, drifted_features, features } = report;
  return { model, version, dataset_drift, drifted_features, features, report, stale: false };
}

/** The latest list from drift_latest's answer (the newest report of each model's versions), by model name. */
export function latestFrom(reports: DriftReport[]): LatestDrift[] {
  const newest = new Map<string, DriftReport>();
  for (const report of reports) {
    const kept = newest.get(report.model);
    if (!kept || Date.parse(report.computed_at) > Date.parse(kept.computed_at)) newest.set(report.model, report);
  }
  return [...newest.values()].map(latestOf).sort(byModel);
}

/**
 * The list after a drift_reported event: the model's verdict becomes the event's. The report
 * last read stays on show, marked stale until the newer one is read.
 */
export function mergeReported(list: LatestDrift[], event: DriftReported): LatestDrift[] {
  const { model, version, dataset_drift, drifted_features, features } = event;
  const report = list.find((l) => l.model === model)?.report ?? null;
  const entry: LatestDrift = { model, version, dataset_drift, drifted_features, features, report, stale: true };
  return [...list.filter((l) => l.model !== model), entry].sort(byModel);
}

/** The list with a report just computed or read: it replaces the model's entry. */
export function mergeReport(list: LatestDrift[], report: DriftReport): LatestDrift[] {
  return [...list.filter((l) => l.model !== report.model), latestOf(report)].sort(byModel);
}

export const hasDrift = (l: Pick<LatestDrift, "dataset_drift" | "drifted_features">) => l.dataset_drift || l.drifted_features > 0;

/** "2 of 3 inputs drifted", "no input drifted of 3", for the badge's hover. */
export function driftedWords(l: Pick<LatestDrift, "drifted_features" | "features" | "dataset_drift">): string {
  if (l.features === 0) return "No live data to test";
  return `${l.drifted_features} of ${l.features} ${l.features === 1 ? "input" : "inputs"} drifted`;
}

/** A model's verdict as a badge: a word (never colour alone), a tone and why. */
export function verdictOf(l: Pick<LatestDrift, "drifted_features" | "features" | "dataset_drift">): StatusView {
  if (hasDrift(l)) {
    return { word: "Drift", tone: "bad", why: `${driftedWords(l)}${l.dataset_drift ? "; the data set as a whole has drifted" : ""}` };
  }
  if (l.features === 0) return { word: "No live data", tone: "muted", why: "No live inference data in the report's range" };
  return { word: "OK", tone: "ok", why: driftedWords(l) };
}

/** Models with drift first, then the others, each by name. */
export function byAttention(list: LatestDrift[]): LatestDrift[] {
  return [...list].sort((a, b) => Number(hasDrift(b)) - Number(hasDrift(a)) || byModel(a, b));
}

// ---- Distributions -----------------------------------------------------------------------------

export interface Bar {
  label: string;
  reference: number;
  current: number;
}

/** Short number for an axis: 3 significant digits, thousands as k. */
export function axisNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${significant(value / 1e6)}M`;
  if (abs >= 1e4) return `${significant(value / 1e3)}k`;
  return significant(value);
}

/** The bars of an overlay: numeric bins labelled by their edges ("[0, 1.5)"), or categories. */
export function bars(d: Distributions): Bar[] {
  const numeric = d.edges.length > 1;
  return d.reference.map((reference, i) => ({
    label: numeric
      ? `[${axisNumber(d.edges[i])}, ${axisNumber(d.edges[i + 1])}${i === d.reference.length - 1 ? "]" : ")"}`
      : (d.labels[i] ?? `#${i + 1}`),
    reference,
    current: d.current[i] ?? 0,
  }));
}

/** A share as a percentage with one decimal: "12.5 %". */
export const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

// ---- Heatmap -----------------------------------------------------------------------------------

/** A heatmap cell's colour step: 0 far below the threshold … 4 well past it; "none" without data. */
export function heatLevel(
  cell: { severity: number; drifted: boolean; problem?: string | null } | null,
): "none" | "unjudged" | 0 | 1 | 2 | 3 | 4 {
  if (!cell) return "none";
  if (cell.problem) return "unjudged";
  const s = cell.severity;
  if (cell.drifted || s >= 1) return s >= 2 ? 4 : 3;
  if (s >= 0.75) return 2;
  if (s >= 0.4) return 1;
  return 0;
}

/** A window's start on the axis: "14:00" for hourly windows, "28 Nov" for daily ones. */
export function windowLabel(iso: string, windowSecs: number, timeZone?: string): string {
  const at = Date.parse(iso);
  if (windowSecs < 86_400) {
    return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }).format(at);
  }
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone }).format(at);
}

/** Bytes as people read them: "512 B", "12.3 MB". */
export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
