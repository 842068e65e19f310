// The Alerts view's forms as typed (text) and as the engine takes them: a silence or maintenance
// window (`SilenceDraft`) and a receiver (`ReceiverDraft`); the rule's is in `ruleForm.ts`. Only
// numbers, labels and times are read here; the engine checks everything else and names the field
// it refuses.

import { ApiError } from "./api";
import type { AlertView, Receiver, ReceiverDraft, ReceiverKind, SilenceDraft } from "./bindings";
import { labelsLine } from "./alerts";

const invalid = (field: string, message: string) => new ApiError({ code: "invalid_input", message, field, detail: null });
const orNull = (text: string) => (text.trim() === "" ? null : text.trim());

/** A number as typed, or an error naming `field`. */
export function readNumber(text: string, field: string, what: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value)) throw invalid(field, `${what} must be a number, e.g. ${field.endsWith("secs") ? "300" : "0.05"}.`);
  return value;
}

/** Labels typed as "team=payments, env=prod", or an error naming `field`. */
export function readLabels(text: string, field: string): Record<string, string> {
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
