// How numbers, times and states are written in the window, the same way in every view.

import type { HealthState, Server, ServerKind } from "./bindings";
import { isolate, isolating } from "./bidi";

/** Splits text into what a reader sees as characters (an emoji family is one), where WebKit can. */
const graphemes = (text: string): string[] =>
  typeof Intl.Segmenter === "function"
    ? [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)].map((s) => s.segment)
    : Array.from(text);

/**
 * A name cut to at most `max` characters for a narrow place (a chart's axis), with "…" when cut:
 * never inside a character, and isolated as names are (see `bidi.ts`).
 */
export function shortened(text: string, max: number): string {
  const parts = graphemes(text);
  return parts.length <= max ? isolate(text) : `${isolate(parts.slice(0, Math.max(1, max - 1)).join(""))}…`;
}

/** How long since `iso`: "42 s", "5 min", "3 h", "2 d"; "—" without a time. */
export function elapsed(iso: string | null, now: number): string {
  if (!iso) return "—";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago"; "—" without a time. */
export function relativeTime(iso: string | null, now: number): string {
  if (!iso) return "—";
  if (now - Date.parse(iso) < 5000) return "just now";
  return `${elapsed(iso, now)} ago`;
}

/** The exact time in UTC, for hovers: "2026-11-28 17:40:03 UTC". */
export function exactUtc(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

export type Tone = "ok" | "warn" | "bad" | "muted";

/** What a server's status cell shows: a word (never colour alone), its tone, and why. */
export interface StatusView {
  word: string;
  tone: Tone;
  why: string;
}

const STATES: Record<HealthState, { word: string; tone: Tone }> = {
  up: { word: "Up", tone: "ok" },
  degraded: { word: "Degraded", tone: "warn" },
  down: { word: "Down", tone: "bad" },
  unknown: { word: "Checking", tone: "muted" },
};

/** How many poll intervals a down server may wait between checks: the poller backs off. */
const MAX_BACKOFF_INTERVALS = 16;

/**
 * The status of a server as of `now`. A server whose last check is older than three of its poll
 * intervals (its own, else Vigil's `pollIntervalSecs`), plus a grace, is Stale: what Vigil last
 * knew may no longer hold. A down server is checked less often while it stays down, so it is
 * stale only past the longest back-off.
 */
export function serverStatus(server: Server, now: number, pollIntervalSecs: number): StatusView {
  const checked = server.checked_at ? Date.parse(server.checked_at) : null;
  const intervalMs = server.poll_interval_ms ?? pollIntervalSecs * 1000;
  const intervals = server.health === "down" ? MAX_BACKOFF_INTERVALS + 1 : 3;
  const staleAfterMs = intervals * intervalMs + 5000;
  if (checked !== null && now - checked > staleAfterMs) {
    return {
      word: "Stale",
      tone: "warn",
      why: `Not checked since ${exactUtc(server.checked_at)}; is Vigil's poller running?`,
    };
  }
  const { word, tone } = STATES[server.health];
  const why = server.health_reason ?? "Not checked yet: the first check runs within a few seconds.";
  return { word, tone, why };
}

/** How many servers are in each state, in words: "3 servers · 1 down". */
export function fleetCounts(servers: Server[]): string {
  const n = servers.length;
  const down = servers.filter((s) => s.health === "down").length;
  const degraded = servers.filter((s) => s.health === "degraded").length;
  const parts = [`${n} ${n === 1 ? "server" : "servers"}`];
  if (down) parts.push(`${down} down`);
  if (degraded) parts.push(`${degraded} degraded`);
  return parts.join(" · ");
}

const AUDIT_ACTIONS: Record<string, string> = {
  "server.add": "Added server",
  "server.edit": "Edited server",
  "server.remove": "Removed server",
  "objective.set": "Set a model's objectives",
  "objective.defaults": "Set the fleet's default objectives",
  "rollout.start": "Started a rollout",
  "rollout.step": "Moved a rollout to its next step",
  "rollout.waiting": "A rollout waits for approval",
  "rollout.approve": "Approved a rollout step",
  "rollout.reject": "Rejected a rollout step",
  "rollout.promote": "Promoted a revision",
  "rollout.pause": "Paused a rollout",
  "rollout.resume": "Resumed a rollout",
  "rollout.abort": "Aborted a rollout",
  "rollout.rollback": "Rolled back",
  "rollout.gate_failed": "A rollout's gates failed",
  "rollout.approval_late": "An approval is late",
  "rollout.target_failed": "A deployment target failed",
  "rollout.resumed": "Resumed a rollout after a restart",
  "target.set": "Set a deployment target",
  "target.remove": "Removed a deployment target",
  "plan.set": "Set a rollout plan",
  "policy.set": "Set an approval policy",
  "profile.set": "Set a profile",
  "profile.remove": "Removed a profile",
  "cost.catalog.import": "Imported the price catalog",
  "cost.catalog.save": "Saved an instance type's prices",
  "cost.catalog.remove": "Removed an instance type from the price catalog",
  "cost.place": "Set a server's instance type",
  "store.restore": "Restored the store from a backup",
};

/** An audit action in words; an action this window does not know yet is shown as recorded. */
export function auditActionLabel(action: string): string {
  return AUDIT_ACTIONS[action] ?? action;
}

/** An audited value, the `names` in it (a model's, a version's) and the whole isolated (see `bidi.ts`). */
const auditValue = (value: unknown, names: readonly string[]) => {
  const words = (text: string) => isolate(isolating(text, names));
  if (value === null) return "—";
  if (typeof value === "string") return words(value);
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "string" ? words(inner) : inner));
};

const isChange = (value: unknown): value is { from: unknown; to: unknown } =>
  typeof value === "object" && value !== null && "from" in value && "to" in value;

/**
 * The specifics of an audit entry as "key: value" pairs (an edit's as "key: old → new"), from its
 * JSON detail; `names` (the fleet's) are isolated in the values.
 */
export function auditDetail(detail: string, names: readonly string[] = []): string {
  try {
    const parsed: unknown = JSON.parse(detail);
    if (typeof parsed !== "object" || parsed === null) return "";
    return Object.entries(parsed)
      .map(([key, value]) => {
        const shown = isChange(value)
          ? `${auditValue(value.from, names)} → ${auditValue(value.to, names)}`
          : auditValue(value, names);
        return `${key.replaceAll("_", " ")}: ${shown}`;
      })
      .join(" · ");
  } catch {
    return detail;
  }
}

/** Each server kind as people name it, in the order a form offers them. */
export const KIND_LABELS: Record<ServerKind, string> = {
  auto: "Detect automatically",
  "oip-v2": "Open Inference Protocol v2 (KServe…)",
  triton: "NVIDIA Triton",
  mlserver: "Seldon MLServer",
  torchserve: "TorchServe",
  tfserving: "TensorFlow Serving",
  bentoml: "BentoML",
  vllm: "vLLM",
  tgi: "Text Generation Inference",
  ray: "Ray Serve",
  prometheus: "Prometheus",
};

/** What the fleet table says a server is: its kind, whether detected, or that detection is under way. */
export function kindView(server: Server): { text: string; why: string } {
  if (server.kind !== "auto") return { text: KIND_LABELS[server.kind], why: "Kind given at registration" };
  if (server.detected_kind) return { text: KIND_LABELS[server.detected_kind], why: "Detected by Vigil" };
  return { text: "Not detected yet", why: "Vigil probes the server's endpoints to find its kind" };
}

/** A server's labels, "team=risk · environment=prod", wrapping only after a "·"; "" without labels. */
export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}=${isolate(value)}`)
    .join("\u00a0· ");
}

/** A measured value as a table cell writes it: with its unit, or "—" and why there is none. */
export interface Measure {
  text: string;
  why: string;
}

const UNITS = {
  rate: { scale: 1, unit: "req/s" },
  share: { scale: 100, unit: "%" },
  seconds: { scale: 1000, unit: "ms" },
} as const;

/** `value` in `unit`, one decimal, e.g. "12.3 req/s", "0.8 %", "9.8 ms"; "—" when not measured. */
export function measure(value: number | undefined, unit: keyof typeof UNITS, missing: string): Measure {
  if (value === undefined || !Number.isFinite(value)) return { text: "—", why: missing };
  const { scale, unit: name } = UNITS[unit];
  return { text: `${(value * scale).toFixed(1)} ${name}`, why: "" };
}


/** A value on a chart's axis or legend in its unit, short: "12/s", "1.5 %", "25 ms", "1.2 s", "3", "$40". */
export function axisValue(value: number, unit: "rate" | "share" | "seconds" | "count" | "dollars"): string {
  const short = (n: number) => (Math.abs(n) >= 100 || Number.isInteger(n) ? n.toFixed(0) : n.toPrecision(2));
  switch (unit) {
    case "rate":
      return `${short(value)}/s`;
    case "share":
      return `${short(value * 100)} %`;
    case "seconds":
      return Math.abs(value) >= 1 ? `${short(value)} s` : `${short(value * 1000)} ms`;
    case "count":
      return short(value);
    case "dollars":
      return `$${short(value)}`;
  }
}

/** US dollars as the engine computed them: "$17,625.60", and small sums to three significant
 *  digits, "$0.0421", so a cost per 1,000 predictions never rounds to nothing. */
export function money(value: number): string {
  if (value !== 0 && Math.abs(value) < 1) return `$${value.toPrecision(3)}`;
  return value.toLocaleString("en-US", { style: "currency", currency: "USD" });
}

/** A cost per 1,000 successful predictions; null (nothing predicted in the window) in words. */
export function perThousand(value: number | null): string {
  return value === null ? "no predictions" : money(value);
}

/** A share (0–1) as a percent, "42 %", "3.5 %"; "—" when there is none. */
export function percent(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return "—";
  const pct = share * 100;
  return `${Math.abs(pct) < 10 ? pct.toFixed(1) : pct.toFixed(0)} %`;
}

/** A change as a signed percent: "+18 %" dearer, "−5.0 %" cheaper; "—" when there is none. */
export function signedPercent(change: number | null): string {
  if (change === null || !Number.isFinite(change)) return "—";
  return `${change > 0 ? "+" : change < 0 ? "\u2212" : ""}${percent(Math.abs(change))}`;
}
