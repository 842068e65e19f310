// The fleet overview's models as the engine works them out (roles, traffic split, combined
// figures, status, plain-words sentence), shown as the person asks: with their servers' labels,
// a status badge that says when the server has gone quiet, filtered, searched and sorted.
// Pure functions, so the view logic is tested without a window.

import { finds } from "./find";
import type { Breach, ModelOverview, ModelState, Objectives, Server } from "./bindings";
import { isolate, isolating } from "./bidi";
import { serverStatus, type StatusView, type Tone } from "./format";

/** One model on one server, as the overview shows it. */
export interface ModelRow extends Omit<ModelOverview, "status"> {
  key: string;
  status: StatusView;
  labels: Record<string, string>;
  /** The names the engine's words about this model may hold: its server's, and the models and versions it serves. */
  names: string[];
}

const WORST: Record<Tone, number> = { bad: 3, warn: 2, muted: 1, ok: 0 };

const STATES: Record<ModelState, { word: string; tone: Tone }> = {
  up: { word: "Up", tone: "ok" },
  serving: { word: "Serving", tone: "ok" },
  degraded: { word: "Degraded", tone: "warn" },
  breaching: { word: "Breaching", tone: "warn" },
  down: { word: "Down", tone: "bad" },
};

/**
 * A version as people say it: "v12" (kept as given when it already starts with a v), "default"
 * for none; isolated when it carries directional controls (see `bidi.ts`).
 */
export const versionName = (version: string) =>
  !version ? "default" : isolate(/^v/i.test(version) ? version : `v${version}`);

/**
 * Every model of the fleet, one row per model and server, in the engine's order. A model whose
 * server has not been checked lately is Stale, as its server is: what the engine last worked
 * out may no longer hold.
 */
export function modelRows(models: ModelOverview[], servers: Server[], now: number, intervalSecs: number): ModelRow[] {
  const serverByName = new Map(servers.map((s) => [s.name, s]));
  // The engine's words name the model, its server and its versions as they were given.
  const namesByServer = new Map<string, string[]>();
  for (const m of models) {
    let names = namesByServer.get(m.server);
    if (!names) namesByServer.set(m.server, (names = [m.server]));
    names.push(m.model, ...m.revisions.map((r) => r.version));
  }
  return models.map((model) => {
    const server = serverByName.get(model.server);
    const stale = server ? serverStatus(server, now, intervalSecs) : null;
    const names = namesByServer.get(model.server)!;
    const why = isolating(model.status.reason, names);
    const status = stale?.word === "Stale" ? stale : { ...STATES[model.status.state], why };
    const sentence =
      stale?.word === "Stale"
        ? `${isolate(model.model)} on ${isolate(model.server)}: Vigil has not heard from its server lately.`
        : isolating(model.sentence, names);
    return { ...model, key: `${model.server}/${model.model}`, status, sentence, labels: server?.labels ?? {}, names };
  });
}

/** What the person narrowed the overview to. */
export interface ModelFilter {
  query: string;
  health: "all" | "attention" | "ok";
  /** label name → value; "" for any. */
  labels: Record<string, string>;
}

export const NO_FILTER: ModelFilter = { query: "", health: "all", labels: {} };

/** The rows that match: the query's words in model, server or version; the health; every label asked for. */
export function filterModels(rows: ModelRow[], filter: ModelFilter): ModelRow[] {
  return rows.filter((row) => {
    if (!finds(filter.query, [row.model, row.server, ...row.revisions.map((r) => r.version)])) return false;
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

/** Models whose servers share a label's value: a group of the models table. */
export interface ModelGroup {
  /** The label's value; null for servers without the label. */
  value: string | null;
  rows: ModelRow[];
  /** How many of them need attention (degraded, breaching, down or stale). */
  attention: number;
}

/**
 * `rows` grouped by their servers' `label`, each group in the rows' order, the groups by value
 * with the servers without the label last; one group of every row when `label` is "".
 */
export function groupModels(rows: ModelRow[], label: string): ModelGroup[] {
  const groups = new Map<string | null, ModelRow[]>();
  for (const row of rows) {
    const value = label ? (row.labels[label] ?? null) : null;
    const group = groups.get(value);
    if (group) group.push(row);
    else groups.set(value, [row]);
  }
  const order = (value: string | null) => (value === null ? "\uffff" : value);
  return [...groups.entries()]
    .sort(([a], [b]) => order(a).localeCompare(order(b)))
    .map(([value, rows]) => ({ value, rows, attention: rows.filter((r) => WORST[r.status.tone] >= WORST.warn).length }));
}

export type SortKey = "attention" | "model" | "rate" | "errors" | "p99" | "deployed";

/** Rows sorted by `key`: attention puts the worst first; numbers sort largest first, missing last. */
export function sortModels(rows: ModelRow[], key: SortKey, ascending = false): ModelRow[] {
  const number = (row: ModelRow): number | null =>
    key === "rate" ? row.rate : key === "errors" ? row.error_share : key === "p99" ? row.p99_s : null;
  const byName = (a: ModelRow, b: ModelRow) => a.model.localeCompare(b.model) || a.server.localeCompare(b.server);
  const compare = (a: ModelRow, b: ModelRow): number => {
    switch (key) {
      case "attention":
        return WORST[b.status.tone] - WORST[a.status.tone] || byName(a, b);
      case "model":
        return byName(a, b);
      case "deployed":
        return Date.parse(b.deployed_at) - Date.parse(a.deployed_at) || byName(a, b);
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

/** The objectives a revision breaks, in words: "errors above 1.0 %, p99 above 1000 ms"; "" when none. */
export function breachWords(breaches: Breach[], objectives: Objectives): string {
  const words: Record<Breach, string> = {
    error_share: `errors above ${(objectives.error_share.max * 100).toFixed(1)} %`,
    p99: `p99 above ${Math.round(objectives.p99_s.max * 1000)} ms`,
  };
  return breaches.map((breach) => words[breach]).join(", ");
}

/**
 * A bound as typed in the objectives form, in the field's unit (% or ms), as the engine takes
 * it (a share, seconds): null when empty (the fleet default), or what is wrong. Whether it is in
 * range is the engine's to say.
 */
export function parseBound(text: string, unitsPerValue: number): { value: number | null } | { problem: string } {
  const trimmed = text.replace(/%|ms/g, "").trim();
  if (trimmed === "") return { value: null };
  const number = Number(trimmed.replace(",", "."));
  if (!Number.isFinite(number)) return { problem: "Write a number, such as 1, or leave it empty for the fleet default." };
  return { value: number / unitsPerValue };
}
