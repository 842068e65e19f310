// How the window writes what is known before a revision goes live: each environment risk in the
// engine's own words, a parity check as a badge and a "matched N of M rows" line, a running
// check's progress, and which fingerprint or report belongs to a revision. Formatting only:
// every figure and sentence is the engine's.

import type { Fingerprint, ParityProgress, ParityReport, Risk } from "./bindings";
import type { StatusView, Tone } from "./format";

/** Each risk in a few words, as the engine writes them (vigil-core's `risk_words`). */
export const RISK_WORDS: Record<Risk, string> = {
  missing_where_served: "missing where it serves",
  missing_where_built: "missing where it was built",
  python_minor_differs: "Python's minor version differs",
  major_differs: "major version differs",
  numeric_differs: "a numeric library differs",
  local_build_differs: "another build of the same release",
  version_differs: "version differs",
};

/** How loud a risk's tag is: what breaks models (a package gone, a major or numeric change) is bad. */
export const RISK_TONE: Record<Risk, Tone> = {
  missing_where_served: "bad",
  major_differs: "bad",
  python_minor_differs: "bad",
  numeric_differs: "bad",
  version_differs: "warn",
  local_build_differs: "warn",
  missing_where_built: "muted",
};

/** One side of a package's difference: its version, or "absent" as the engine's sentence says. */
export const sideWords = (version: string | null) => version ?? "absent";

/** A share as the engine's parity sentence writes it (vigil-core's `share_words`): one decimal
 * rounded down, so a share below a bound never reads as the bound; "100 %" and "0 %" whole. */
export function shareWords(share: number): string {
  const tenths = Math.floor(share * 1000 + 1e-9) / 10;
  return tenths >= 100 || (tenths <= 0 && share <= 0) ? `${tenths.toFixed(0)} %` : `${tenths.toFixed(1)} %`;
}

/** A parity check's verdict as a dot and a word, with the engine's sentence on hover. */
export function parityBadge(report: ParityReport | null): StatusView {
  if (!report) return { word: "Not checked", tone: "muted", why: "No parity check has been run for this revision." };
  if (report.cancelled) return { word: "Cancelled", tone: "warn", why: report.sentence };
  return report.passed ? { word: "Passed", tone: "ok", why: report.sentence } : { word: "Failed", tone: "bad", why: report.sentence };
}

/** What a parity check matched: "matched 148 of 150 rows (98.6 %)", plus what a cancelled one left unchecked. */
export function parityLine(report: ParityReport | null): string {
  if (!report) return "No parity check yet";
  if (report.matched_share === null) return `no row checked of ${report.rows.toLocaleString("en-US")}`;
  const line = `matched ${report.matched.toLocaleString("en-US")} of ${report.checked.toLocaleString("en-US")} rows (${shareWords(report.matched_share)})`;
  const unchecked = report.rows - report.checked;
  return report.cancelled && unchecked > 0 ? `${line}; cancelled, ${unchecked.toLocaleString("en-US")} not checked` : line;
}

/** A running check in words: "Checked 40 of 150 rows · 39 matched". */
export function progressWords(progress: ParityProgress): string {
  const of = progress.rows > 0 ? ` of ${progress.rows.toLocaleString("en-US")}` : "";
  return `Checked ${progress.checked.toLocaleString("en-US")}${of} rows · ${progress.matched.toLocaleString("en-US")} matched`;
}

/** The share of a running check done, 0–1 (0 before the golden set's size is known). */
export const progressShare = (progress: ParityProgress) => (progress.rows > 0 ? Math.min(1, progress.checked / progress.rows) : 0);

/** The fingerprint of a revision on a server, if it was gathered. */
export const fingerprintOf = (fingerprints: Fingerprint[], server: string, version: string) =>
  fingerprints.find((f) => f.server === server && f.version === version) ?? null;

/** The newest parity check of a revision on a server, if one was run. */
export const parityOf = (reports: ParityReport[], server: string, version: string) =>
  reports.find((r) => r.server === server && r.version === version) ?? null;

/** The newest fingerprint or check of a revision on any server (a rollout names no server). */
export function newestOf<T extends { version: string }>(items: T[], version: string, at: (item: T) => string): T | null {
  return items.filter((i) => i.version === version).sort((a, b) => Date.parse(at(b)) - Date.parse(at(a)))[0] ?? null;
}

/** The command a person runs for the same check: `vigil parity run fraud --server s --revision 13 --golden FILE`. */
export function parityCommand(model: string, server: string, version: string, golden: string): string {
  const quoted = (text: string) => (/^[\w./:@=+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
  const revision = version ? ` --revision ${quoted(version)}` : "";
  return `vigil parity run ${quoted(model)} --server ${quoted(server)}${revision} --golden ${quoted(golden.trim() || "FILE")}`;
}
