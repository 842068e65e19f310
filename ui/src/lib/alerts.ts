// The Alerts view's words: how severities, states and history changes are written, what a
// silence quiets, and the evidence a history entry kept, as the engine wrote it.

import type { AlertState, AlertView, HistoryEntry, Matcher, Severity } from "./bindings";
import { isolate, isolating } from "./bidi";
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
    .map(([name, value]) => `${name}=${isolate(value)}`)
    .join(", ");
}

/** What a silence quiets, in words: "rule dataset drift, model fraud, team=payments". */
export function matcherWords(matcher: Matcher): string {
  const named = (["rule", "model", "server"] as const).flatMap((what) =>
    matcher[what] ? [`${what} ${isolate(matcher[what])}`] : [],
  );
  return [...named, labelsLine(matcher.labels)].filter(Boolean).join(", ");
}

/**
 * A runbook as a link's target: only a web address (http or https). Anything else (a
 * `javascript:` URL, which a link would run inside the window) is shown as text, not linked.
 */
export function runbookHref(runbook: string | null): string | null {
  return runbook && /^https?:\/\//i.test(runbook.trim()) ? runbook.trim() : null;
}

/** The names an alert's words hold: its model's, its server's and its labels' (see `bidi.ts`). */
function alertNames(alert: { model: string | null; server: string | null }, labels: unknown): string[] {
  const values = labels && typeof labels === "object" ? Object.values(labels).filter((v) => typeof v === "string") : [];
  return [alert.model ?? "", alert.server ?? "", ...values];
}

/** What an alert says, in the engine's words, with the names in them isolated. */
export function alertSentence(alert: AlertView): string {
  return isolating(alert.sentence, alertNames(alert, alert.labels));
}

/** An alert's subject ("fraud on a"), its names isolated. */
export function subjectWords(alert: { subject: string; model: string | null; server: string | null }): string {
  return isolating(alert.subject, alertNames(alert, {}));
}

/** The sentence a history entry kept as evidence, with the names in it isolated. */
export function evidenceSentence(entry: HistoryEntry): string {
  const sentence = entry.evidence.sentence;
  return typeof sentence === "string" ? isolating(sentence, alertNames(entry, entry.evidence.labels)) : "";
}

/** The value and bound a history entry kept, as the engine wrote them: "7.2 % vs 5.0 %". */
export function evidenceFigures(entry: HistoryEntry): string {
  const { value, bound } = entry.evidence;
  if (typeof value !== "string") return "";
  return typeof bound === "string" ? `${value} vs ${bound}` : value;
}
