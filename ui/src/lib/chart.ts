// The model detail's charts: the time ranges offered, which panels each role sees first, and a
// model chart from the engine turned into what uPlot draws (one time axis, one line per
// revision) with its annotations. Pure functions, tested without a window.

import type { ChartEvent, ModelChart, RevisionRole, SignalName } from "./bindings";
import type { Role } from "./preferences.svelte";
import { versionName } from "./models";
import { isolate, isolating } from "./bidi";

export type RangeId = "15m" | "1h" | "24h" | "7d" | "30d";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const RANGES: { id: RangeId; label: string; ms: number }[] = [
  { id: "15m", label: "15 m", ms: 15 * MINUTE },
  { id: "1h", label: "1 h", ms: HOUR },
  { id: "24h", label: "24 h", ms: DAY },
  { id: "7d", label: "7 d", ms: 7 * DAY },
  { id: "30d", label: "30 d", ms: 30 * DAY },
];

/** A time range: a preset follows now (live); a custom one, chosen or zoomed into, stays put. */
export interface TimeRange {
  from: number;
  to: number;
  preset: RangeId | null;
}

export function presetRange(id: RangeId, now: number): TimeRange {
  const { ms } = RANGES.find((r) => r.id === id)!;
  return { from: now - ms, to: now, preset: id };
}

/** A range moved by half its width, back (-1) or forward (+1), never past now. */
export function panned(range: TimeRange, direction: -1 | 1, now: number): TimeRange {
  const width = range.to - range.from;
  const shift = Math.min((direction * width) / 2, now - range.to);
  return { from: range.from + shift, to: range.to + shift, preset: null };
}

/** A custom range from two `datetime-local` values (local time), or why it cannot be used. */
export function customRange(from: string, to: string): TimeRange | string {
  const [start, end] = [Date.parse(from), Date.parse(to)];
  if (Number.isNaN(start) || Number.isNaN(end)) return "Give both a start and an end.";
  if (start >= end) return "The start must be before the end.";
  return { from: start, to: end, preset: null };
}

export type Unit = "rate" | "share" | "seconds" | "count" | "dollars";

/** One chart of the model detail. */
export interface Panel {
  id: PanelId;
  title: string;
  /** The signals drawn, one line per revision and signal. */
  signals: { name: SignalName; label: string }[];
  unit: Unit;
}

export type PanelId = "latency" | "errors" | "traffic" | "saturation";

export const PANELS: Record<PanelId, Panel> = {
  latency: {
    id: "latency",
    title: "Latency",
    signals: [
      { name: "latency_p99_s", label: "p99" },
      { name: "latency_p50_s", label: "p50" },
      { name: "latency_mean_s", label: "mean" },
    ],
    unit: "seconds",
  },
  errors: { id: "errors", title: "Errors", signals: [{ name: "error_rate", label: "failed" }], unit: "share" },
  traffic: { id: "traffic", title: "Traffic", signals: [{ name: "request_rate", label: "requests" }], unit: "rate" },
  saturation: {
    id: "saturation",
    title: "Saturation",
    signals: [
      { name: "in_flight", label: "in flight" },
      { name: "waiting", label: "waiting" },
      { name: "queue_mean_s", label: "queue (s)" },
      { name: "batch_mean", label: "batch" },
      { name: "kv_cache_usage", label: "KV cache" },
    ],
    unit: "count",
  },
};

/** What each role sees, first things first. */
export const ROLE_LAYOUT: Record<Role, { first: "charts" | "revisions" | "summary"; panels: PanelId[] }> = {
  engineer: { first: "charts", panels: ["latency", "errors", "traffic", "saturation"] },
  data_scientist: { first: "revisions", panels: ["errors", "traffic", "latency"] },
  product_manager: { first: "summary", panels: ["traffic", "errors"] },
};

/** One drawn line: a signal of a revision (or, on other charts, one named series: its colour
 *  follows `version`, its dash `signal`). */
export interface Line {
  label: string;
  version: string;
  role: RevisionRole | null;
  signal: SignalName | string;
}

/** What uPlot draws for a panel: one time axis (Unix ms), one value array per line, null where a line has no point. */
export interface PanelData {
  xs: number[];
  ys: (number | null)[][];
  lines: Line[];
  /** Points with a value, over all lines. */
  points: number;
}

/** The lines of `panel` for every revision of `chart`, on one time axis. */
export function panelData(chart: ModelChart, panel: Panel): PanelData {
  const series: { line: Line; points: [number, number][] }[] = [];
  for (const revision of chart.revisions) {
    for (const signal of panel.signals) {
      const points = revision.series[signal.name];
      if (!points?.length) continue;
      const role = revision.role;
      const many = panel.signals.length > 1;
      const label = `${versionName(revision.version)}${role === "idle" ? "" : ` (${role})`}${many ? ` ${signal.label}` : ""}`;
      series.push({ line: { label, version: revision.version, role, signal: signal.name }, points });
    }
  }
  const xs = [...new Set(series.flatMap((s) => s.points.map(([at]) => at)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map(({ points }) => {
    const values: (number | null)[] = new Array(xs.length).fill(null);
    for (const [at, value] of points) values[index.get(at)!] = value;
    return values;
  });
  const points = series.reduce((sum, s) => sum + s.points.length, 0);
  return { xs, ys, lines: series.map((s) => s.line), points };
}

/**
 * Named series on one time axis (the engine's, e.g. dollars each hour per model), one line each,
 * labelled by `label` (by default the name, isolated as names are).
 */
export function namedSeriesData(
  xs: number[],
  series: { name: string; values: (number | null)[] }[],
  label: (name: string) => string = isolate,
): PanelData {
  const lines = series.map(({ name }) => ({ label: label(name), version: name, role: null, signal: "" }));
  const ys = series.map(({ values }) => values);
  const points = ys.reduce((sum, values) => sum + values.filter((v) => v !== null).length, 0);
  return { xs, ys, lines, points };
}

/** An annotation on the time axis: where, its tone and its words. */
export interface Annotation {
  at: number;
  tone: "accent" | "ok" | "warn" | "bad";
  text: string;
}

/** The chart's events as annotations; `names` (the model's server's, see `ModelRow.names`) are isolated in their words. */
export function annotations(events: ChartEvent[], names: readonly string[] = []): Annotation[] {
  return events.map((event) => {
    const who = event.version === null ? "server" : versionName(event.version);
    if (event.kind === "deployed") return { at: event.at_ms, tone: "accent", text: `${who} deployed` };
    if (event.kind === "drift") {
      return { at: event.at_ms, tone: event.text === "drift cleared" ? "ok" : "warn", text: event.text };
    }
    const tone = event.to === "up" ? "ok" : event.to === "degraded" ? "warn" : "bad";
    return { at: event.at_ms, tone, text: `${who} ${event.from} → ${event.to}: ${isolating(event.text, names)}` };
  });
}

/** A chart's resolution in words, for the reader: "every poll", "1-minute means", "1-hour means". */
export function resolutionWords(seconds: number): string {
  if (seconds === 0) return "every poll";
  return seconds % 3600 === 0 ? `${seconds / 3600}-hour means` : `${seconds / 60}-minute means`;
}
