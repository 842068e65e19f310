// The fleet overview's models: each model on its server with its revisions, traffic split,
// combined signals and last hour of traffic; filtered, searched and sorted as the person asks.
// Pure functions, so the view logic is tested without a window.

import type { HealthState, RevisionSignals, Server } from "./bindings";
import { serverStatus, type StatusView } from "./format";

/** What a revision does for its model: the oldest one taking traffic is stable; a newer one beside it is a canary. */
export type RevisionRole = "stable" | "canary" | "idle";

export interface RevisionShare {
  version: string;
  /** Share of the model's requests, 0–1; null when nothing was measured. */
  share: number | null;
  role: RevisionRole;
  health: HealthState;
}

/** One model on one server, as the overview shows it. */
export interface ModelRow {
  key: string;
  server: string;
  model: string;
  status: StatusView;
  /** Newest first. */
  revisions: RevisionShare[];
  /** Requests per second over all revisions; null when none measured. */
  rate: number | null;
  /** Failed share of all requests, weighted by each revision's rate; null when not measured. */
  errorRate: number | null;
  /** The worst p99 latency of any revision, seconds; null when none reports it. */
  p99: number | null;
  /** Requests per second over the last hour, all revisions added up: (Unix ms, rate). */
  sparkline: [number, number][];
  labels: Record<string, string>;
  /** When the newest revision was first seen (ISO). */
  deployedAt: string;
}

const WORST: Record<string, number> = { bad: 3, warn: 2, muted: 1, ok: 0 };

/** A version as people say it: "v12" (kept as given when it already starts with a v), "default" for none. */
export const versionName = (version: string) => (!version ? "default" : /^v/i.test(version) ? version : `v${version}`);

/** The stable and canary revisions among a model's, from the traffic each takes now. */
export function revisionRoles(revisions: { version: string; first_seen_at: string; latest: Record<string, number> }[]): Map<string, RevisionRole> {
  const serving = revisions
    .filter((r) => (r.latest.request_rate ?? 0) > 0)
    .sort((a, b) => Date.parse(a.first_seen_at) - Date.parse(b.first_seen_at));
  const roles = new Map<string, RevisionRole>(revisions.map((r) => [r.version, "idle"]));
  serving.forEach((r, index) => roles.set(r.version, index === 0 ? "stable" : "canary"));
  return roles;
}

/** Every model of the fleet, one row per model and server, in the order of `revisions`. */
export function modelRows(revisions: RevisionSignals[], servers: Server[], now: number, intervalSecs: number): ModelRow[] {
  const groups = new Map<string, RevisionSignals[]>();
  for (const revision of revisions) {
    const key = `${revision.server}/${revision.model}`;
    groups.set(key, [...(groups.get(key) ?? []), revision]);
  }
  return [...groups.entries()].map(([key, group]) => {
    const server = servers.find((s) => s.name === group[0].server);
    const roles = revisionRoles(group);
    const rates = group.map((r) => r.latest.request_rate);
    const measured = rates.filter((r): r is number => r !== undefined);
    const rate = measured.length ? measured.reduce((a, b) => a + b, 0) : null;
    const newestFirst = [...group].sort((a, b) => Date.parse(b.first_seen_at) - Date.parse(a.first_seen_at));
    return {
      key,
      server: group[0].server,
      model: group[0].model,
      status: modelStatus(group, server, now, intervalSecs),
      revisions: newestFirst.map((r) => ({
        version: r.version,
        share: rate ? (r.latest.request_rate ?? 0) / rate : null,
        role: roles.get(r.version) ?? "idle",
        health: r.health,
      })),
      rate,
      errorRate: weightedErrorRate(group),
      p99: maxOf(group.map((r) => r.latest.latency_p99_s)),
      sparkline: addedUp(group.map((r) => r.sparkline)),
      labels: server?.labels ?? {},
      deployedAt: newestFirst[0].first_seen_at,
    };
  });
}

/** A model's status: its server's when the server is down or stale, else its worst serving revision's. */
function modelStatus(group: RevisionSignals[], server: Server | undefined, now: number, intervalSecs: number): StatusView {
  if (server) {
    const status = serverStatus(server, now, intervalSecs);
    if (status.word === "Stale" || server.health === "down") {
      return status.word === "Stale" ? status : { ...status, why: `Server ${server.name} is down: ${status.why}` };
    }
  }
  const roles = revisionRoles(group);
  const watched = group.filter((r) => roles.get(r.version) !== "idle" || r.health !== "down");
  const views: StatusView[] = (watched.length ? watched : group).map((r) => {
    const name = `${r.model} ${versionName(r.version)}`;
    switch (r.health) {
      case "up":
        return { word: "Up", tone: "ok", why: `${name} is ready` };
      case "degraded":
        return { word: "Degraded", tone: "warn", why: `${name}: ${r.health_reason ?? "not fully ready"}` };
      case "down":
        return { word: "Down", tone: "bad", why: `${name}: ${r.health_reason ?? "not ready"}` };
      case "unknown":
        return { word: "Serving", tone: "ok", why: "The server does not report each model's readiness" };
    }
  });
  const worst = views.reduce((a, b) => (WORST[b.tone] > WORST[a.tone] ? b : a));
  if (worst.word === "Up" && watched.length > 1) {
    return { ...worst, why: `${watched.map((r) => versionName(r.version)).join(" and ")} are ready` };
  }
  return worst;
}

function weightedErrorRate(group: RevisionSignals[]): number | null {
  let requests = 0;
  let failed = 0;
  for (const r of group) {
    const { request_rate: rate, error_rate: errors } = r.latest;
    if (rate === undefined || errors === undefined) continue;
    requests += rate;
    failed += rate * errors;
  }
  return requests > 0 ? failed / requests : null;
}

function maxOf(values: (number | undefined)[]): number | null {
  const measured = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return measured.length ? Math.max(...measured) : null;
}

/** Several sparklines added up bucket by bucket. */
function addedUp(lines: [number, number][][]): [number, number][] {
  const sums = new Map<number, number>();
  for (const line of lines) for (const [at, value] of line) sums.set(at, (sums.get(at) ?? 0) + value);
  return [...sums.entries()].sort((a, b) => a[0] - b[0]);
}

/** What the person narrowed the overview to. */
export interface ModelFilter {
  query: string;
  health: "all" | "attention" | "ok";
  /** label name → value; "" for any. */
  labels: Record<string, string>;
}

export const NO_FILTER: ModelFilter = { query: "", health: "all", labels: {} };

/** The rows that match: the query in model, server or version; the health; every label asked for. */
export function filterModels(rows: ModelRow[], filter: ModelFilter): ModelRow[] {
  const query = filter.query.trim().toLowerCase();
  return rows.filter((row) => {
    const text = [row.model, row.server, ...row.revisions.map((r) => r.version)].join(" ").toLowerCase();
    if (query && !text.includes(query)) return false;
    const attention = row.status.tone === "bad" || row.status.tone === "warn";
    if (filter.health === "attention" && !attention) return false;
    if (filter.health === "ok" && attention) return false;
    return Object.entries(filter.labels).every(([name, value]) => !value || row.labels[name] === value);
  });
}

/** Each label name the fleet uses (team, environment…) with its values, for the filter menus. */
export function labelChoices(servers: Server[]): Map<string, string[]> {
  const choices = new Map<string, Set<string>>();
  for (const server of servers) {
    for (const [name, value] of Object.entries(server.labels)) {
      choices.set(name, (choices.get(name) ?? new Set()).add(value));
    }
  }
  return new Map([...choices.entries()].sort().map(([name, values]) => [name, [...values].sort()]));
}

export type SortKey = "attention" | "model" | "rate" | "errors" | "p99" | "deployed";

/** Rows sorted by `key`: attention puts the worst first; numbers sort largest first, missing last. */
export function sortModels(rows: ModelRow[], key: SortKey, ascending = false): ModelRow[] {
  const number = (row: ModelRow): number | null =>
    key === "rate" ? row.rate : key === "errors" ? row.errorRate : key === "p99" ? row.p99 : null;
  const byName = (a: ModelRow, b: ModelRow) => a.model.localeCompare(b.model) || a.server.localeCompare(b.server);
  const compare = (a: ModelRow, b: ModelRow): number => {
    switch (key) {
      case "attention":
        return WORST[b.status.tone] - WORST[a.status.tone] || byName(a, b);
      case "model":
        return byName(a, b);
      case "deployed":
        return Date.parse(b.deployedAt) - Date.parse(a.deployedAt) || byName(a, b);
      default: {
        const [x, y] = [number(a), number(b)];
        if (x === null || y === null) return (x === null ? 1 : 0) - (y === null ? 1 : 0) || byName(a, b);
        return y - x || byName(a, b);
      }
    }
  };
  const sorted = [...rows].sort(compare);
  return ascending ? sorted.reverse() : sorted;
}

/** One sentence per model in plain words, for the product manager. */
export function modelSentence(row: ModelRow): string {
  const name = `${row.model} on ${row.server}`;
  const canary = row.revisions.find((r) => r.role === "canary");
  const stable = row.revisions.find((r) => r.role === "stable");
  if (row.status.tone === "bad") return `${name} is down: ${row.status.why}.`;
  if (row.status.word === "Stale") return `${name}: Vigil has not heard from its server lately.`;
  const traffic =
    row.rate === null
      ? "no traffic measured yet"
      : `${row.rate.toFixed(1)} requests a second${row.errorRate !== null ? `, ${(row.errorRate * 100).toFixed(1)} % failing` : ""}`;
  const rollout =
    canary && stable
      ? `; ${versionName(canary.version)} is being tried on ${Math.round((canary.share ?? 0) * 100)} % of traffic beside ${versionName(stable.version)}`
      : "";
  const state = row.status.tone === "warn" ? "is serving with a problem" : "is healthy";
  return `${name} ${state} (${traffic})${rollout}.`;
}
