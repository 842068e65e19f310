// A server's settings as the form holds them (text, as typed) and as the engine takes them
// (`NewServer`). Only numbers and labels are parsed here; the engine validates everything.

import { ApiError } from "./api";
import type { NewServer, Server, ServerKind } from "./bindings";

/** One label as typed: a name and a value. */
export interface LabelRow {
  name: string;
  value: string;
}

/** The form's fields. Keys match the fields the engine names in its errors. */
export interface ServerDraft {
  name: string;
  base_url: string;
  kind: ServerKind;
  metrics_url: string;
  management_url: string;
  poll_interval: string;
  timeout: string;
  labels: LabelRow[];
  source_kind: ServerKind | "";
  selector: string;
  token_ref: string;
  tls_ca: string;
  tls_client: string;
}

const seconds = (ms: number | null) => (ms === null ? "" : String(ms / 1000));

/** The draft for a new server, or one holding a registered server's current settings. */
export function draftOf(server: Server | null): ServerDraft {
  const labels = Object.entries(server?.labels ?? {}).map(([name, value]) => ({ name, value }));
  return {
    name: server?.name ?? "",
    base_url: server?.base_url ?? "",
    kind: server?.kind ?? "auto",
    metrics_url: server?.metrics_url ?? "",
    management_url: server?.management_url ?? "",
    poll_interval: seconds(server?.poll_interval_ms ?? null),
    timeout: seconds(server?.timeout_ms ?? null),
    labels: labels.length ? labels : [{ name: "", value: "" }],
    source_kind: server?.source_kind ?? "",
    selector: server?.selector ?? "",
    token_ref: server?.token_ref ?? "",
    tls_ca: server?.tls_ca ?? "",
    tls_client: server?.tls_client ?? "",
  };
}

const invalid = (field: string, message: string) =>
  new ApiError({ code: "invalid_input", message, field, detail: null });

/** Seconds as typed; empty means Vigil's default. */
function parseSeconds(text: string, field: string, label: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) throw invalid(field, `${label} must be a number of seconds, e.g. 30 or 0.5.`);
  return value;
}

function parseLabels(rows: LabelRow[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const row of rows) {
    const [name, value] = [row.name.trim(), row.value.trim()];
    if (name === "" && value === "") continue;
    if (name in labels) throw invalid("labels", `Label '${name}' is given twice: keep one.`);
    labels[name] = value;
  }
  return labels;
}

const orNull = (text: string) => (text.trim() === "" ? null : text);

/**
 * The settings to send to the engine. Throws an ApiError naming the field when a number or a
 * label cannot be read. Source kind and selector are sent only for kind `prometheus`, the only
 * kind that shows them.
 */
export function parseDraft(draft: ServerDraft): NewServer {
  const prometheus = draft.kind === "prometheus";
  return {
    name: draft.name,
    base_url: draft.base_url,
    kind: draft.kind,
    metrics_url: orNull(draft.metrics_url),
    management_url: orNull(draft.management_url),
    poll_interval_secs: parseSeconds(draft.poll_interval, "poll_interval", "Poll interval"),
    timeout_secs: parseSeconds(draft.timeout, "timeout", "Timeout"),
    labels: parseLabels(draft.labels),
    source_kind: prometheus && draft.source_kind !== "" ? draft.source_kind : null,
    selector: prometheus ? orNull(draft.selector) : null,
    token_ref: orNull(draft.token_ref),
    tls_ca: orNull(draft.tls_ca),
    tls_client: orNull(draft.tls_client),
  };
}
