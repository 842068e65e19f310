// The Alerts view's words: how severities, states and history changes are written, what a
// silence quiets, and the evidence a history entry kept, as the engine wrote it.

import type { AlertState, HistoryEntry, Matcher, Severity } from "./bindings";
import { elapsed, type Tone } from "./format";

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
  return [...named, labelsLine(matcher.labels)].filter(Boolean).join(", ");
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
