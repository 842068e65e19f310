// What the cost view shows, and in which order for each role: the windows offered, the panels
// each role sees first, and lookups into the engine's cost report. Pure functions, tested
// without a window; none of them computes a cost (the engine did).

import type { InstanceType, Price } from "./bindings";
import { CATALOG_COLUMNS, type CostReport, type ModelCost } from "./bindings";
import type { Role } from "./preferences.svelte";
import { isolating } from "./bidi";

export type CostWindowId = "24h" | "7d" | "30d";

export const COST_WINDOWS: { id: CostWindowId; label: string; hours: number }[] = [
  { id: "24h", label: "24 h", hours: 24 },
  { id: "7d", label: "7 d", hours: 24 * 7 },
  { id: "30d", label: "30 d", hours: 24 * 30 },
];

export type CostPanelId = "spend" | "chart" | "revisions" | "servers" | "loadtests" | "planner";

/** The panels of the cost view after the engine's sentences, in the order each role reads them:
 *  a product manager the spend by model and team, an engineer the servers and load tests, a
 *  data scientist the cost per 1,000 predictions of each revision. */
export const COST_LAYOUT: Record<Role, CostPanelId[]> = {
  product_manager: ["spend", "chart", "revisions", "servers", "planner", "loadtests"],
  engineer: ["servers", "loadtests", "planner", "spend", "chart", "revisions"],
  data_scientist: ["revisions", "chart", "spend", "servers", "loadtests", "planner"],
};

/** The report's line for `model` on `server`, if its server has a placement. */
/** The engine's words about cost, with the servers', models', versions' and teams' names in them isolated. */
export function costWords(text: string, report: CostReport): string {
  const names = [
    ...report.servers.flatMap((s) => [s.server, s.team]),
    ...report.models.flatMap((m) => [m.model, m.server, m.team]),
    ...report.revisions.flatMap((r) => [r.model, r.server, r.version]),
    ...report.teams.map((t) => t.team),
  ];
  return isolating(text, names);
}

export function modelCostOf(report: CostReport | null, server: string, model: string): ModelCost | null {
  return report?.models.find((m) => m.server === server && m.model === model) ?? null;
}

/** An instance type as the catalog form holds it: every cell as typed. */
export type InstanceDraft = Record<(typeof DRAFT_FIELDS)[number], string>;

/** The form's cells, named as the engine names them in its errors (the catalog's CSV columns). */
export const DRAFT_FIELDS = CATALOG_COLUMNS;

export const PRICE_KINDS = ["on_demand", "spot", "reserved"] as const;

/** The form's cells for `t`, or empty ones for a new row. */
export function draftOf(t: InstanceType | null): InstanceDraft {
  const draft = Object.fromEntries(DRAFT_FIELDS.map((f) => [f, ""])) as InstanceDraft;
  if (!t) return { ...draft, gpu_count: "0" };
  Object.assign(draft, {
    provider: t.provider,
    region: t.region,
    name: t.name,
    vcpu: String(t.vcpu),
    memory_gib: String(t.memory_gib),
    gpu_type: t.gpu_type ?? "",
    gpu_count: String(t.gpu_count),
  });
  for (const kind of PRICE_KINDS) {
    const price = t[kind];
    if (price) Object.assign(draft, { [`${kind}_hourly`]: String(price.hourly), [`${kind}_date`]: price.date, [`${kind}_source`]: price.source });
  }
  return draft;
}

/** A cell of the form the window cannot even send: its field and what to give. */
export interface DraftProblem {
  field: string;
  message: string;
}

/** The form's cells read as an instance type for the engine to check, or the first cell that is
 *  not a number or a date at all (the engine checks everything else, as it does an imported row). */
export function instanceTypeOf(draft: InstanceDraft): InstanceType | DraftProblem {
  const number = (field: keyof InstanceDraft): number | DraftProblem => {
    const value = Number(draft[field].trim());
    return draft[field].trim() === "" || Number.isNaN(value) ? { field, message: `${field} '${draft[field]}' is not a number: give one, such as 4.` } : value;
  };
  const prices: Record<string, Price | null> = {};
  for (const kind of PRICE_KINDS) {
    const [hourly, date, source] = [`${kind}_hourly`, `${kind}_date`, `${kind}_source`] as const;
    if (kind !== "on_demand" && [hourly, date, source].every((f) => draft[f].trim() === "")) {
      prices[kind] = null;
      continue;
    }
    const value = number(hourly);
    if (typeof value !== "number") return { field: hourly, message: `${hourly} '${draft[hourly]}' is not a price in dollars an hour, such as 24.48.` };
    if (!/^\d{4}-\d{2}-\d{2}$/.test(draft[date].trim())) {
      return { field: date, message: `${date} is not a date: give the day the price was published or read.` };
    }
    prices[kind] = { hourly: value, date: draft[date].trim(), source: draft[source] };
  }
  const counts = (["vcpu", "memory_gib", "gpu_count"] as const).map(number);
  const problem = counts.find((c) => typeof c !== "number");
  if (problem) return problem as DraftProblem;
  const [vcpu, memory_gib, gpu_count] = counts as number[];
  return {
    provider: draft.provider,
    region: draft.region,
    name: draft.name,
    vcpu,
    memory_gib,
    gpu_type: draft.gpu_type.trim() || null,
    gpu_count,
    on_demand: prices.on_demand!,
    spot: prices.spot,
    reserved: prices.reserved,
  };
}
