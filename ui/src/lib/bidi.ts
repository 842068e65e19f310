// Names from outside (servers' models and versions, servers' names and labels, data files'
// columns and categories) may carry Unicode's explicit directional controls: a right-to-left
// override (U+202E) in a model's name would draw everything after it in the same line reversed,
// Vigil's own words included ("fraud is degraded" as "dedarged si duarf"). Each such name is shown
// inside an isolate (FSI … PDI, what HTML's <bdi> does), so that it may reorder itself but nothing
// around it. A name without such controls is left exactly as it is.

/** The explicit directional formatting characters: embeddings, overrides, their end, isolates. */
const CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;
const EMBEDDINGS = new Set(["\u202A", "\u202B", "\u202D", "\u202E"]);
const ISOLATE_STARTS = new Set(["\u2066", "\u2067", "\u2068"]);
const PDF = "\u202C";
const FSI = "\u2068";
const PDI = "\u2069";

/** Whether `text` holds a directional control that could reach past it. */
export function hasDirectionalControls(text: string): boolean {
  return CONTROLS.test(text);
}

/**
 * `text` inside an isolate when it holds directional controls, else `text` as it is. Whatever
 * `text` leaves open (embeddings, overrides, isolates) is closed at its end, each by its own
 * terminator (so that text drawn without isolates, as SVG's may be, is contained too); a stray PDI
 * in it (one with no isolate to end) ends an isolate of its own, not the one around it.
 */
export function isolate(text: string): string {
  if (!CONTROLS.test(text) || isOneIsolate(text)) return text;
  /** What closes each thing still open, innermost last. */
  const open: string[] = [];
  let stray = 0;
  for (const c of text) {
    if (EMBEDDINGS.has(c)) open.push(PDF);
    else if (ISOLATE_STARTS.has(c)) open.push(PDI);
    else if (c === PDF) {
      if (open.at(-1) === PDF) open.pop();
    } else if (c === PDI) {
      const at = open.lastIndexOf(PDI);
      if (at >= 0) open.length = at;
      else {
        stray += 1;
        open.length = 0;
      }
    }
  }
  return FSI.repeat(stray + 1) + text + open.reverse().join("") + PDI;
}

/**
 * Whether `text` is one isolate whole — it starts one, and only its last character ends it — as
 * [`isolate`] makes: nothing inside reaches past it (an isolate's end closes whatever was opened
 * within), so isolating it again would change nothing but its length.
 */
function isOneIsolate(text: string): boolean {
  if (!ISOLATE_STARTS.has(text[0]) || !text.endsWith(PDI)) return false;
  let depth = 0;
  let at = 0;
  for (const c of text) {
    at += c.length;
    if (ISOLATE_STARTS.has(c)) depth += 1;
    else if (c === PDI && --depth === 0) return at === text.length;
  }
  return false;
}

/**
 * `text` (a sentence the engine wrote, say) with every occurrence of each of `names` in it
 * isolated. Only names with directional controls change anything; the longest is matched first.
 */
export function isolating(text: string, names: readonly (string | null | undefined)[]): string {
  const risky = [...new Set(names)]
    .filter((name): name is string => !!name && CONTROLS.test(name) && text.includes(name))
    .sort((a, b) => b.length - a.length);
  if (risky.length === 0) return text;
  const escaped = risky.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return text.replace(new RegExp(escaped.join("|"), "g"), (name) => isolate(name));
}
