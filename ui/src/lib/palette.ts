// The command palette's entries (every view, model, server and window action) and its search:
// each word typed must appear in an entry's name or details, and entries whose name starts with
// what was typed come first. Pure, so the ranking is tested without a window.

import { finds } from "./find";
import type { ModelOverview, Server } from "./bindings";
import { isolate } from "./bidi";
import { ROLES, type Role, type Theme } from "./preferences.svelte";
import { SECTIONS, type SectionId } from "../views/sections";

/** Where choosing an entry takes the window. */
export type PaletteTarget =
  | { kind: "section"; section: SectionId }
  | { kind: "model"; key: string; model: string }
  | { kind: "server"; server: string }
  | { kind: "role"; role: Role }
  | { kind: "theme"; theme: Theme };

export interface PaletteEntry {
  /** Unique among the entries, stable across refreshes. */
  id: string;
  group: "Views" | "Models" | "Servers" | "Actions";
  /** The name as shown, isolated when it carries directional controls. */
  title: string;
  /** What tells two entries of the same name apart: the server, versions, kind. */
  detail: string;
  target: PaletteTarget;
}

const THEMES: { theme: Theme; words: string }[] = [
  { theme: "light", words: "Use the light theme" },
  { theme: "dark", words: "Use the dark theme" },
  { theme: "system", words: "Follow the system's theme" },
];

/** Every place and action the palette offers: views and actions first, then models and servers. */
export function paletteEntries(models: ModelOverview[], servers: Server[]): PaletteEntry[] {
  const views: PaletteEntry[] = SECTIONS.map((s) => ({
    id: `view:${s.id}`,
    group: "Views",
    title: s.label,
    detail: "View",
    target: { kind: "section", section: s.id },
  }));
  const modelEntries: PaletteEntry[] = models.map((m) => ({
    id: `model:${m.server}/${m.model}`,
    group: "Models",
    title: isolate(m.model),
    detail: [`on ${isolate(m.server)}`, ...m.revisions.map((r) => isolate(r.version)).filter(Boolean)].join(" · "),
    target: { kind: "model", key: `${m.server}/${m.model}`, model: m.model },
  }));
  const serverEntries: PaletteEntry[] = servers.map((s) => ({
    id: `server:${s.name}`,
    group: "Servers",
    title: isolate(s.name),
    detail: [s.base_url, ...Object.entries(s.labels).map(([k, v]) => isolate(`${k}=${v}`))].join(" · "),
    target: { kind: "server", server: s.name },
  }));
  const actions: PaletteEntry[] = [
    ...ROLES.map(
      (r): PaletteEntry => ({
        id: `role:${r.id}`,
        group: "Actions",
        title: `View as ${r.label.toLowerCase()}`,
        detail: "Role",
        target: { kind: "role", role: r.id },
      }),
    ),
    ...THEMES.map(
      (t): PaletteEntry => ({ id: `theme:${t.theme}`, group: "Actions", title: t.words, detail: "Theme", target: { kind: "theme", theme: t.theme } }),
    ),
  ];
  return [...views, ...actions, ...modelEntries, ...serverEntries];
}

/**
 * The entries matching `query`, best first, at most `limit`: every word of the query must appear
 * in the entry's title or detail (any case). A title that starts with the query ranks first, then
 * a title with a word starting with it, then a title holding it, then a match in the details only;
 * ties keep the entries' order. An empty query gives the entries in their order.
 */
export function searchPalette(entries: PaletteEntry[], query: string, limit = 50): PaletteEntry[] {
  const wanted = query.trim().toLowerCase();
  if (!wanted) return entries.slice(0, limit);
  const ranked: { entry: PaletteEntry; rank: number; index: number }[] = [];
  entries.forEach((entry, index) => {
    if (!finds(wanted, [entry.title, entry.detail, entry.group])) return;
    const title = entry.title.toLowerCase();
    const rank = title.startsWith(wanted)
      ? 0
      : new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(wanted)}`, "u").test(title)
        ? 1
        : title.includes(wanted)
          ? 2
          : 3;
    ranked.push({ entry, rank, index });
  });
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return ranked.slice(0, limit).map((r) => r.entry);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
