// Generated from the Rust types in crates/vigil-core by `make bindings`. Do not edit.

export type AppInfo = { version: string, db_path: string, poll_interval_secs: number, request_timeout_secs: number, };

export type ErrorCode = "invalid_input" | "conflict" | "not_found" | "database" | "cancelled" | "internal";

export type ErrorPayload = { code: ErrorCode, message: string, 
/**
 * The input field at fault, for forms.
 */
field: string | null, 
/**
 * Raw technical detail, shown only when asked for.
 */
detail: string | null, };

export type HealthState = "unknown" | "up" | "degraded" | "down";

export type ServerKind = "auto" | "oip-v2" | "triton" | "mlserver" | "torchserve" | "tfserving" | "bentoml" | "vllm" | "tgi" | "ray" | "prometheus";

export type Server = { id: number, name: string, base_url: string, 
/**
 * The kind as registered (`auto` to let Vigil find out).
 */
kind: ServerKind, 
/**
 * What probing found, for a server registered as `auto`.
 */
detected_kind: ServerKind | null, 
/**
 * The metrics page, when it is not the base URL plus the kind's metrics path.
 */
metrics_url: string | null, 
/**
 * The management API, when it is not on the base URL (TorchServe's port 8081).
 */
management_url: string | null, 
/**
 * Why the metrics page could not be read at the last poll; None when it was.
 */
metrics_error: string | null, 
/**
 * Milliseconds between polls of this server; None: Vigil's default.
 */
poll_interval_ms: number | null, 
/**
 * Milliseconds one request to this server may take; None: Vigil's default.
 */
timeout_ms: number | null, 
/**
 * Labels a team filters by, e.g. team and environment.
 */
labels: Record<string, string>, 
/**
 * For kind `prometheus`: the kind of the servers it scrapes, and the matchers selecting them.
 */
source_kind: ServerKind | null, selector: string | null, 
/**
 * Where the bearer token is (`env:NAME` or `keyring:NAME`); the token itself is never stored.
 */
token_ref: string | null, health: HealthState, 
/**
 * Why the server is in its current state, in words.
 */
health_reason: string | null, 
/**
 * When the current state began.
 */
health_since: string | null, 
/**
 * When health was last checked.
 */
checked_at: string | null, created_at: string, };

export type NewServer = { name: string, base_url: string, 
/**
 * `auto` unless the person says which kind it is.
 */
kind: ServerKind, 
/**
 * Where the metrics page is, when it is not on the base URL (e.g. MLServer's port 8082).
 */
metrics_url: string | null, 
/**
 * Where the management API is, when it is not on the base URL (TorchServe's port 8081).
 */
management_url: string | null, 
/**
 * Seconds between polls of this server, when not Vigil's default.
 */
poll_interval_secs: number | null, 
/**
 * Seconds one request may take, when not Vigil's default.
 */
timeout_secs: number | null, 
/**
 * Labels such as `team` and `environment`.
 */
labels: { [key in string]: string }, 
/**
 * For kind `prometheus`: the kind of the servers it scrapes (required), and PromQL label
 * matchers selecting them, e.g. `job="mlserver"` (optional).
 */
source_kind: ServerKind | null, selector: string | null, 
/**
 * Where the bearer token is: `env:NAME`, an environment variable of the collector, or
 * `keyring:NAME`, an entry in the OS keyring.
 */
token_ref: string | null, };

export type FleetSnapshot = { servers: Array<Server>, polled_at: string | null, };

export type RevisionSignals = { server: string, model: string, 
/**
 * Empty for the model's default version.
 */
version: string, 
/**
 * When Vigil first saw it: when it was deployed, as far as Vigil knows.
 */
first_seen_at: string, 
/**
 * Whether the server reports it ready (`unknown` for kinds that do not say).
 */
health: HealthState, 
/**
 * Why, in words, when the server said.
 */
health_reason: string | null, 
/**
 * Signal name → latest value; absent when never measured.
 */
latest: Record<string, number>, 
/**
 * When the latest request rate was measured (Unix ms), None when never.
 */
latest_at_ms: number | null, 
/**
 * Requests per second over the last hour, one mean per minute: (Unix ms, rate).
 */
sparkline: Array<[number, number]>, 
/**
 * What the server said of the revision when it was first seen (platform, inputs, outputs).
 */
metadata: unknown, 
/**
 * Every request seen since Vigil began polling.
 */
requests_seen: number, 
/**
 * Every failed request seen since Vigil began polling.
 */
errors_seen: number, };

export type ModelChart = { server: string, model: string, from_ms: number, to_ms: number, 
/**
 * Seconds each point stands for: 0 for points at poll resolution, else the rollup width.
 */
resolution_secs: number, 
/**
 * Oldest first.
 */
revisions: Array<ChartRevision>, 
/**
 * Deployments and health changes within the range, oldest first: the chart's annotations.
 */
events: Array<ChartEvent>, 
/**
 * The model's and its server's latest health changes, whenever they were, newest first.
 */
log: Array<ChartEvent>, };

export type ChartRevision = { 
/**
 * Empty for the model's default version.
 */
version: string, first_seen_at: string, health: HealthState, health_reason: string | null, metadata: unknown, 
/**
 * Signal name → (Unix ms, value) points; signals with no point in the range are absent.
 */
series: Record<string, Array<[number, number]>>, };

export type ChartEvent = { at_ms: number, kind: ChartEventKind, 
/**
 * The revision it concerns: None for the whole server; "" for the default version.
 */
version: string | null, 
/**
 * For a health change, the states before and after.
 */
from: HealthState | null, to: HealthState | null, 
/**
 * In words: the reason for a health change, or what was deployed.
 */
text: string, };

export type ChartEventKind = "deployed" | "health";

export type AuditEntry = { id: number, at: string, 
/**
 * Who acted (the OS user for now).
 */
actor: string, 
/**
 * What was done, as a stable dotted name: `server.add`, `server.remove`.
 */
action: string, 
/**
 * What it was done to, by name.
 */
subject: string, 
/**
 * JSON with the specifics (e.g. the server's base URL).
 */
detail: string, };

export type EngineEvent = { "kind": "server_added", server: Server, } | { "kind": "server_removed", name: string, } | { "kind": "health_changed", server: Server, from: HealthState, to: HealthState, } | { "kind": "server_updated", server: Server, } | { "kind": "audited", entry: AuditEntry, } | { "kind": "drift_reported", model: string, version: string | null, dataset_drift: boolean, drifted_features: number, features: number, } | { "kind": "polled", at: string, servers: Array<string>, };
