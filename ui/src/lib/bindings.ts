// Generated from the Rust types in crates/vigil-core by `make bindings`. Do not edit.

export type AppInfo = { version: string, db_path: string, poll_interval_secs: number, request_timeout_secs: number, };

export type Place = { "kind": "model", name: string, } | { "kind": "drift", name: string, } | { "kind": "view", view: string, };

export type StoreChoice = { 
/**
 * `postgres://USER@HOST:PORT/DATABASE`, without a password.
 */
db: string, 
/**
 * Where the password is read from: `env:NAME` or `keyring:NAME`; None when it needs none.
 */
db_password: string | null, };

export type StoreSettings = { 
/**
 * The store this instance opened: a file's path, or the team's URL.
 */
current: string, 
/**
 * Whether it is a team's PostgreSQL.
 */
team: boolean, 
/**
 * The team store chosen in Settings, if any.
 */
saved: StoreChoice | null, 
/**
 * What chose the store instead (`--db`, `VIGIL_DB`): a choice made in Settings applies only
 * when Vigil starts without it.
 */
chosen_elsewhere: string | null, };

export type BackupReport = { file: string, bytes: number, 
/**
 * Rows in all tables.
 */
rows: number, 
/**
 * Entries of the audit trail, verified in the backup.
 */
audit_entries: number, };

export type CopyReport = { 
/**
 * Each table and its rows, as counted on both sides after the copy.
 */
tables: Array<[string, number]>, 
/**
 * The audit chain as verified where it landed.
 */
audit: ChainCheck, };

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
 * Where the bearer token is (`env:NAME`, `keyring:NAME` or `file:/PATH`); the token itself is
 * never stored.
 */
token_ref: string | null, 
/**
 * For TLS: where the PEM certificates of the authorities to trust are, besides the usual
 * ones (a reference, as the token's).
 */
tls_ca: string | null, 
/**
 * For TLS: where the PEM client certificate and its private key are (a reference).
 */
tls_client: string | null, health: HealthState, 
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
 * Where the bearer token is: `env:NAME`, an environment variable of the collector,
 * `keyring:NAME`, an entry in the OS keyring, or `file:/PATH`, a file.
 */
token_ref: string | null, 
/**
 * For a server behind TLS with a certificate authority of its own: where its PEM
 * certificate is (`file:/PATH`, or `env:` / `keyring:`).
 */
tls_ca: string | null, 
/**
 * For a server that asks for a client certificate: where the PEM certificate and its
 * private key are (`file:/PATH`, `env:NAME` or `keyring:NAME`).
 */
tls_client: string | null, };

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
latest: Partial<Record<SignalName, number>>, 
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

export type RevisionRole = "stable" | "canary" | "idle";

export type RevisionOverview = { 
/**
 * Empty for the model's default version.
 */
version: string, role: RevisionRole, 
/**
 * Its share of the model's requests, 0–1; None when the model's rate is not measured.
 */
share: number | null, health: HealthState, health_reason: string | null, 
/**
 * Requests a second, failed share of them and p99 latency in seconds, as last measured.
 */
rate: number | null, error_share: number | null, p99_s: number | null, 
/**
 * The model's objectives it breaks; an idle revision breaks none.
 */
breaches: Array<Breach>, };

export type ModelState = "down" | "degraded" | "breaching" | "up" | "serving";

export type ModelStatus = { state: ModelState, reason: string, };

export type ModelOverview = { server: string, model: string, status: ModelStatus, 
/**
 * Newest first.
 */
revisions: Array<RevisionOverview>, 
/**
 * Requests a second over every revision; None when none is measured.
 */
rate: number | null, 
/**
 * The failed share of all requests, each revision weighted by its rate; None when not measured.
 */
error_share: number | null, 
/**
 * The worst p99 latency of any revision, in seconds; None when none reports it.
 */
p99_s: number | null, 
/**
 * Requests a second over the last hour, every revision added up: (Unix ms, rate).
 */
sparkline: Array<[number, number]>, 
/**
 * When the newest revision was first seen.
 */
deployed_at: string, objectives: Objectives, 
/**
 * Its state, traffic, rollout and breaches in one sentence, for the product manager.
 */
sentence: string, };

export type Bound = { max: number, 
/**
 * Whether it is the fleet default rather than the model's own.
 */
is_default: boolean, };

export type Objectives = { error_share: Bound, p99_s: Bound, };

export type Breach = "error_share" | "p99";

export type ModelObjectives = { max_error_share: number | null, max_p99_s: number | null, };

export type ObjectiveDefaults = { 
/**
 * The largest share of requests that may fail, 0–1.
 */
max_error_share: number, 
/**
 * The slowest p99 latency, in seconds.
 */
max_p99_s: number, };

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
version: string, first_seen_at: string, health: HealthState, health_reason: string | null, 
/**
 * Stable, canary or idle, from the traffic it took at the end of the range.
 */
role: RevisionRole, metadata: unknown, 
/**
 * Signal name → (Unix ms, value) points; signals with no point in the range are absent.
 */
series: Partial<Record<SignalName, Array<[number, number]>>>, };

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

export type ChartEventKind = "deployed" | "health" | "drift";

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
detail: string, 
/**
 * On a team's PostgreSQL, the database role the person connected as; None on SQLite.
 */
database_role?: string, };

export type EngineEvent = { "kind": "server_added", server: Server, } | { "kind": "server_removed", name: string, } | { "kind": "health_changed", server: Server, from: HealthState, to: HealthState, } | { "kind": "server_updated", server: Server, } | { "kind": "audited", entry: AuditEntry, } | { "kind": "drift_reported", model: string, version: string | null, dataset_drift: boolean, drifted_features: number, features: number, } | { "kind": "polled", at: string, servers: Array<string>, } | { "kind": "objectives_changed", model: string | null, } | { "kind": "rollout_changed", model: string, rollout: number | null, } | { "kind": "alerts_changed" } | { "kind": "preflight_changed", model: string, } | { "kind": "alert_notified", title: string, body: string, critical: boolean, model: string | null, } | { "kind": "approval_needed", model: string, rollout: number, roles: Array<Role>, late: boolean, sentence: string, };

export type ColumnKind = "numeric" | "categorical" | "binary";

export type Method = "ks" | "chi_square" | "z_test" | "psi" | "jensen_shannon" | "wasserstein" | "hellinger";

export type MethodRule = { method: Method, 
/**
 * The threshold it uses when none is chosen (Evidently's).
 */
default_threshold: number, 
/**
 * Whether its score is a p-value (drift below the threshold) rather than a distance (drift
 * at or above it).
 */
p_value: boolean, };

export type TestResult = { method: Method, 
/**
 * KS: D; chi-square: the chi-square statistic (infinite when current has a label the
 * reference lacks); Z-test: z (0 when both samples hold the same single value); distances: the
 * distance itself.
 */
statistic: number, 
/**
 * The p-value, for KS, chi-square and the Z-test.
 */
p_value: number | null, threshold: number, drifted: boolean, };

export type ColumnRole = "feature" | "prediction" | "target";

export type Distributions = { labels: Array<string>, edges: Array<number>, 
/**
 * Each bar's share of the reference's values (0–1).
 */
reference: Array<number>, 
/**
 * Each bar's share of the current values (0–1).
 */
current: Array<number>, };

export type ColumnChoice = { method: Method | null, threshold: number | null, 
/**
 * The threshold is learned from the reference for each report (see `drift::learned`), not fixed.
 */
learned: boolean, };

export type ColumnDrift = { column: string, kind: ColumnKind, role: ColumnRole, 
/**
 * The test's outcome; None when it could not run (`problem` says why).
 */
test: TestResult | null, problem: string | null, 
/**
 * How far past its threshold the column is: 1 at the threshold, above 1 drifted.
 */
severity: number, reference_count: number, current_count: number, current_missing: number, 
/**
 * The test ran on a uniform sample of the current values (there were more than are kept).
 */
sampled: boolean, 
/**
 * The method or threshold a person chose for this column; all None for Evidently's default.
 */
chosen: ColumnChoice, distributions: Distributions | null, };

export type SkippedColumn = { column: string, reason: string, };

export type DriftReport = { model: string, version: string | null, computed_at: string, from: string, to: string, reference_source: string, reference_rows: number, 
/**
 * The rows of live data in the range (the most values any column saw).
 */
current_rows: number, 
/**
 * Features, then the prediction and target, in the reference's column order.
 */
columns: Array<ColumnDrift>, features: number, drifted_features: number, drifted_share: number, share_threshold: number, dataset_drift: boolean, 
/**
 * Whether the prediction drifted; None without a prediction column or its live values.
 */
prediction_drift: boolean | null, 
/**
 * Columns not tested, with why (free text, identifiers, chosen to skip).
 */
skipped: Array<SkippedColumn>, 
/**
 * The report in one plain sentence (`drift::report::summary`), with its period, and what the newest
 * hour shows when it disagrees with the whole range. Empty in reports stored before it was.
 */
summary: string, };

export type TimelineCell = { 
/**
 * Live values of the column in the window.
 */
values: number, 
/**
 * Why the window was not judged (too few values); None when it was.
 */
problem: string | null, drifted: boolean, severity: number, };

export type DriftTimeline = { model: string, 
/**
 * The tested columns, in the reference's order.
 */
columns: Array<string>, 
/**
 * Each window's start; every window is `window_secs` long.
 */
windows: Array<string>, window_secs: number, 
/**
 * `cells[column][window]`: None where the window had no live values of the column.
 */
cells: Array<Array<TimelineCell | null>>, };

export type ColumnUse = { "use": "test", kind: ColumnKind, } | { "use": "skip", reason: string, };

export type BadRows = "stop" | "skip";

export type ImportProgress = { bytes_read: number, bytes_total: number, rows: number, skipped_rows: number, };

export type SkippedRow = { line: number, message: string, };

export type ReferenceColumn = { name: string, 
/**
 * Values present / missing.
 */
count: number, missing: number, } & ({ "use": "test", kind: ColumnKind, } | { "use": "skip", reason: string, });

export type ReferenceSummary = { model: string, version: string | null, source: string, imported_at: string, rows: number, skipped_rows: number, 
/**
 * The first rows left out, with why.
 */
bad_rows: Array<SkippedRow>, prediction: string | null, target: string | null, columns: Array<ReferenceColumn>, };

export type ReferenceRequest = { model: string, 
/**
 * The version it is the reference of; None for every version.
 */
version: string | null, 
/**
 * The column holding the model's prediction.
 */
prediction: string | null, 
/**
 * The column holding the true outcome, if the file has one.
 */
target: string | null, 
/**
 * Columns whose use was chosen rather than inferred.
 */
columns: { [key in string]: ColumnUse }, bad_rows: BadRows, };

export type PerformanceWindow = "hour" | "day";

export type Averaging = { "kind": "binary", positive: bigint, } | { "kind": "macro", classes: number, };

export type ClassifierMetrics = { 
/**
 * The labelled predictions the figures rest on.
 */
count: number, averaging: Averaging, accuracy: number | null, precision: number | null, recall: number | null, f1: number | null, roc_auc: number | null, log_loss: number | null, 
/**
 * One plain sentence for each figure that is `None`, saying why.
 */
undefined: Array<string>, };

export type CbpeMetric = "roc_auc" | "accuracy" | "precision" | "recall" | "f1";

export type Thresholds = { lower: number | null, upper: number | null, };

export type Estimate = { metric: CbpeMetric, 
/**
 * The estimated value.
 */
value: number, 
/**
 * The confidence band: `value ∓ 3 × sampling_error`, clipped to [0, 1].
 */
lower: number, upper: number, sampling_error: number, 
/**
 * The predictions in the window.
 */
count: number, 
/**
 * The alert thresholds learned from the reference's chunks.
 */
thresholds: Thresholds, 
/**
 * Whether the estimate lies outside the thresholds.
 */
alert: boolean, };

export type RegressorMetrics = { 
/**
 * The labelled predictions the figures rest on.
 */
count: number, mae: number | null, rmse: number | null, mape: number | null, r2: number | null, 
/**
 * One plain sentence for each figure that is `None`, saying why.
 */
undefined: Array<string>, };

export type WindowPerformance = { start: string, 
/**
 * Predictions logged in the window.
 */
predictions: number, 
/**
 * Of them, those with a label: what the figures rest on.
 */
labelled: number, 
/**
 * A classifier's figures (None for a regressor, or without labelled predictions).
 */
classifier: ClassifierMetrics | null, 
/**
 * A regressor's figures (None for a classifier, or without labelled predictions).
 */
regressor: RegressorMetrics | null, 
/**
 * CBPE's estimates from every prediction of the window, labelled or not, each with its band
 * (a binary classifier with probabilities and a labelled reference only).
 */
estimated: Array<Estimate>, 
/**
 * Labelled predictions left out of the figures, estimates not made, and why.
 */
notes: Array<string>, };

export type RevisionPerformance = { 
/**
 * The version ("" when the payloads named none).
 */
version: string, windows: Array<WindowPerformance>, 
/**
 * Why performance is not estimated before labels come, when it is not.
 */
not_estimated: string | null, };

export type NotLogged = { reason: string, count: number, last_at: string, };

export type FeedbackVerdict = { warn: boolean, 
/**
 * The revisions judged, in deployment order.
 */
revisions: Array<string>, 
/**
 * The entropy of each revision's predictions, in bits.
 */
entropies: Array<number>, 
/**
 * For each revision, the Jensen–Shannon distance between its labels and the previous
 * revision's predictions; `None` for the first revision and a window without labels.
 */
distances: Array<number | null>, 
/**
 * What the verdict means, for a product manager.
 */
sentence: string, };

export type PerformanceMetric = "accuracy" | "precision" | "recall" | "f1" | "roc_auc" | "log_loss" | "mae" | "rmse" | "mape" | "r2";

export type PerformanceReport = { model: string, window: PerformanceWindow, since: string, 
/**
 * The class precision, recall and F1 are those of, for two classes.
 */
positive_class: string, retention_days: number, 
/**
 * The revision with the newest prediction first.
 */
revisions: Array<RevisionPerformance>, 
/**
 * Why predictions since `since` were not logged, if any were not.
 */
not_logged: Array<NotLogged>, 
/**
 * Labels whose prediction is not (yet) logged; they join it when it comes.
 */
labels_waiting: number, 
/**
 * Whether the model's revisions feed on their own predictions, over its whole log (a
 * classifier's; None for a regressor or before any class is logged).
 */
feedback: FeedbackVerdict | null, };

export type LabelImport = { model: string, source: string, labels: number, 
/**
 * Of them, how many join a prediction already logged.
 */
joined: number, skipped_rows: number, bad_rows: Array<SkippedRow>, };

export type PredictionSettings = { model: string, retention_days: number, positive_class: string, keep_inputs: boolean, };

export type DeletedLog = { model: string, predictions: number, labels: number, };

export type ChainCheck = { 
/**
 * How many entries were checked.
 */
entries: number, 
/**
 * The first entry that breaks the chain, and how; None when the whole trail holds.
 */
first_broken: BrokenEntry | null, };

export type BrokenEntry = { id: number, reason: string, };

export type ExportFormat = "csv" | "json";

export type Role = "engineer" | "data_scientist" | "product_manager";

export type Person = { name: string, role: Role, os_user: string, };

export type Profile = { name: string, role: Role, };

export type Policy = { 
/**
 * The roles that must each approve a promotion (and any step that asks for approval).
 */
approvers: Array<Role>, 
/**
 * Whether a product manager must also sign off before the candidate takes 100 %.
 */
product_manager_before_full: boolean, 
/**
 * Whether a rollback must give a reason.
 */
rollback_needs_reason: boolean, 
/**
 * How long an approval may wait, in seconds, before the roles are asked again; None: no limit.
 */
approval_timeout_s: number | null, 
/**
 * Whether a rollout whose approval waited past the limit is aborted.
 */
abort_on_timeout: boolean, 
/**
 * Where to post each request for sign-off (`rollouts/notify.rs`), http or https; None: nowhere.
 */
notify_url: string | null, };

export type Step = { 
/**
 * The candidate's share, in whole percent; 100 promotes it.
 */
weight: number, 
/**
 * The least time the step lasts, in seconds, before the rollout may go on.
 */
min_duration_s: number, 
/**
 * Whether people must approve before the rollout goes on from this step.
 */
approval: boolean, 
/**
 * Whether the candidate receives a copy of live traffic without serving its answers
 * (its weight is then 0 and the target must mirror).
 */
shadow: boolean, };

export type Metric = "error_share" | "p99_s" | "p50_s" | "drift_share" | "cost_per_thousand" | "parity_share";

export type Gate = { metric: Metric, max?: number | null, max_vs_stable?: number | null, min?: number, };

export type OnFailure = "rollback" | "pause";

export type Plan = { steps: Array<Step>, gates: Array<Gate>, 
/**
 * The fewest candidate requests in a step below which a measurement is inconclusive rather
 * than passed or failed (as Argo Rollouts' inconclusive results).
 */
min_requests: number, 
/**
 * How many failed measurements the rollout tolerates; the next one fails it.
 */
failure_limit: number, on_failure: OnFailure, };

export type Verdict = "pass" | "fail" | "inconclusive";

export type Window = { requests: number, errors: number, 
/**
 * Request-weighted means of the per-poll quantiles, in seconds.
 */
p99_s: number | null, p50_s: number | null, 
/**
 * Dollars per 1,000 successful predictions, where a gate asks for it and it is known.
 */
cost_per_thousand?: number | null, };

export type GateResult = { gate: Gate, 
/**
 * The candidate's value (the model's, for drift).
 */
measured: number | null, 
/**
 * The stable revision's value over the same polls, where the gate compares with it.
 */
stable: number | null, 
/**
 * The bound in force: `max`, or `max_vs_stable` × the stable's value, whichever is lower.
 */
threshold: number | null, verdict: Verdict, 
/**
 * Why it could not be judged, where that is something a person must do.
 */
reason?: string, };

export type Evidence = { at: string, 
/**
 * The newest stored poll it read, in Unix ms.
 */
poll_ms: number, candidate: Window, stable: Window, gates: Array<GateResult>, verdict: Verdict, 
/**
 * The parity check a parity gate judged.
 */
parity?: ParityEvidence, };

export type ParityEvidence = { 
/**
 * The stored report (`vigil parity list MODEL`).
 */
report: number, golden_file: string, matched: number, checked: number, rows: number, 
/**
 * Whether it checked every row, uncancelled.
 */
complete: boolean, sentence: string, };

export type RolloutState = "running" | "waiting" | "paused" | "promoted" | "rolled_back" | "aborted" | "failed";

export type Rollout = { id: number, model: string, stable: string, candidate: string, plan: Plan, state: RolloutState, 
/**
 * The index of the step in force (-1: none yet).
 */
step: number, 
/**
 * The candidate's share confirmed at the target, in percent.
 */
weight: number, step_started_at: string, waiting_since: string | null, reminded: boolean, failures: number, 
/**
 * The stored poll in which the failure limit was reached (Unix ms).
 */
failed_at_ms: number | null, evidence: Evidence | null, error: string | null, reason: string | null, started_by: string, started_at: string, ended_at: string | null, updated_at: string, };

export type Approval = { 
/**
 * The index of the step it lets the rollout enter.
 */
step: number, actor: string, role: Role, os_user: string, approved: boolean, reason: string | null, at: string, };

export type RolloutView = { rollout: Rollout, approvals: Array<Approval>, 
/**
 * The roles whose sign-off the next step still needs (empty when it needs none, or has all).
 */
waiting_for: Array<Role>, 
/**
 * The candidate's share in the next step, if there is one.
 */
next_weight: number | null, 
/**
 * Each gate's latest result in words: "error share 40.0 % > 5.0 %".
 */
gate_lines: Array<string>, 
/**
 * One plain sentence about where it stands.
 */
sentence: string, };

export type RolloutAction = "approve" | "reject" | "promote" | "promote_full" | "pause" | "resume" | "abort";

export type Capabilities = { 
/**
 * Share traffic between versions by weight (a canary at 10 %).
 */
weights: boolean, 
/**
 * Serve one version instead of another, all at once.
 */
switch: boolean, 
/**
 * Send a copy of live traffic to a version without serving its answers.
 */
mirror: boolean, };

export type Traffic = { weights: { [key in string]: number }, mirror: string | null, };

export type WebhookSpec = { 
/**
 * Where changes are POSTed.
 */
url: string, 
/**
 * The model's name as the receiver knows it, for `{{model}}`.
 */
model: string, 
/**
 * The JSON body template.
 */
body: string, 
/**
 * The token's reference, `env:NAME` or `keyring:NAME`.
 */
auth: string | null, 
/**
 * The header the token goes in, bare; `Authorization: Bearer <token>` when not given.
 */
auth_header: string | null, 
/**
 * Where what is served is read back, in the router's shape.
 */
read_back_url: string | null, };

export type TorchServeSpec = { 
/**
 * The management API, e.g. `http://torchserve:8081`.
 */
url: string, 
/**
 * The model's name on the server.
 */
model: string, 
/**
 * Each version's model archive (a `.mar` URL or a file in the model store), for versions
 * that must be registered before they can become the default.
 */
archives: { [key in string]: string }, };

export type KserveSpec = { 
/**
 * The Kubernetes API server; when not given, the kubeconfig's.
 */
api_url: string | null, namespace: string, name: string, 
/**
 * The bearer token's reference, `env:NAME` or `keyring:NAME`.
 */
token: string | null, 
/**
 * A kubeconfig (JSON form) whose current context gives the server and the token.
 */
kubeconfig: string | null, 
/**
 * Each version's storage URI, e.g. `"13": "gs://models/fraud/13"`.
 */
storage_uris: { [key in string]: string }, };

export type TargetSpec = { "kind": "router", url: string, } | { "kind": "oip_repository", url: string, versions: { [key in string]: string }, } | { "kind": "mlflow", url: string, model: string, alias: string, token_ref?: string | null, } | { "kind": "webhook" } & WebhookSpec | { "kind": "torchserve" } & TorchServeSpec | { "kind": "kserve" } & KserveSpec;

export type StoredTarget = { model: string, spec: TargetSpec, timeout_ms: number, updated_at: string, };

export type RevisionSeen = { version: string, server: string, first_seen_at: string, 
/**
 * What the server said of it (platform, inputs, outputs, artifact), as JSON.
 */
metadata: unknown, };

export type TrafficChange = { at: string, traffic: Traffic, 
/**
 * `step`, `promote`, `rollback`, `abort`, `read`
 */
cause: string, rollout: number | null, };

export type TimelineEntry = { at: string, text: string, 
/**
 * What kind of event: `seen`, `traffic`, `started`, or the state a rollout ended in.
 */
kind: string, };

export type DeploymentHistory = { model: string, revisions: Array<RevisionSeen>, traffic: Array<TrafficChange>, 
/**
 * Every rollout, oldest first, with its outcome and (for a rollback) its reason.
 */
rollouts: Array<Rollout>, 
/**
 * All of it as one timeline in words, newest first, for the window and the CLI.
 */
timeline: Array<TimelineEntry>, };

export type RolloutFigures = { started: number, ended: number, promoted: number, rolled_back: number, aborted: number, 
/**
 * Rollouts that ended in rollback or abort ÷ rollouts that ended.
 */
change_failure_rate: number | null, 
/**
 * From the stored poll that reached the failure limit to the confirmed rollback, in
 * seconds: the mean and the longest.
 */
time_to_roll_back_mean_s: number | null, time_to_roll_back_max_s: number | null, 
/**
 * From start to full promotion, in seconds (mean).
 */
time_to_promote_mean_s: number | null, };

export type RolloutReport = { overall: RolloutFigures, models: { [key in string]: RolloutFigures }, };

export type Format = "pip" | "conda" | "python_env" | "lock";

export type Installer = "pip" | "conda";

export type Pin = { 
/**
 * The name normalized as PEP 503 does (`Scikit_Learn` is `scikit-learn`).
 */
name: string, 
/**
 * The version constraint as written, normalized (`>=1.3,<2`, `==2.1.0+cu118`); empty when
 * none is given.
 */
constraint: string, 
/**
 * The one version the line allows, when it pins one (`==1.26.4`, conda's `=1.26.4=build`).
 */
version: string | null, 
/**
 * Extras asked for, normalized.
 */
extras: Array<string>, 
/**
 * The environment marker, such as `python_full_version < '3.12'`.
 */
marker: string | null, 
/**
 * A direct reference or an editable install's location.
 */
url: string | null, installer: Installer, 
/**
 * The line it is on, from 1.
 */
line: number, };

export type Risk = "python_minor_differs" | "major_differs" | "numeric_differs" | "missing_where_served" | "local_build_differs" | "version_differs" | "missing_where_built";

export type PackageDiff = { name: string, 
/**
 * The version (or, unpinned, the constraint) where the model was built; None: absent.
 */
built: string | null, 
/**
 * The same where it serves.
 */
served: string | null, 
/**
 * Empty when both sides agree.
 */
risks: Array<Risk>, };

export type BuiltEnvironment = { model: string, file_name: string, format: Format, pins: Array<Pin>, imported_at: string, person: string, };

export type MlflowSource = { url: string, registered_model: string, 
/**
 * Where the registry's bearer token is (`env:NAME` or `keyring:NAME`), if it needs one.
 */
token_ref: string | null, };

export type Fingerprint = { server: string, model: string, 
/**
 * "" for the model's default version.
 */
version: string, gathered_at: string, 
/**
 * The serving software and its version, as the server names them ("mlserver 1.7.1").
 */
software: string | null, 
/**
 * The platform or runtime the model's metadata names ("sklearn", "onnxruntime_onnx").
 */
platform: string | null, 
/**
 * Python's version, when a source states it.
 */
python: string | null, 
/**
 * The packages the sources state (Python among them as `python`).
 */
pins: Array<Pin>, 
/**
 * What was read, in words.
 */
sources: Array<string>, 
/**
 * What could not be read, and why.
 */
problems: Array<string>, 
/**
 * One line for the revision's card.
 */
summary: string, };

export type EnvironmentDiff = { server: string, model: string, version: string, built: BuiltEnvironment | null, served: Fingerprint, 
/**
 * Every package on either side, riskiest first.
 */
packages: Array<PackageDiff>, 
/**
 * How many packages carry a risk.
 */
risky: number, 
/**
 * The difference in plain words.
 */
sentence: string, };

export type Protocol = "oip-v2" | "kserve-v1";

export type OutputRule = { output: string, absolute: number, relative: number, 
/**
 * Compared exactly, as a label, whatever its type.
 */
exact: boolean, };

export type OutputSummary = { rule: OutputRule, 
/**
 * The datatype the server gave it ("" when it named none).
 */
datatype: string, mismatched: number, 
/**
 * The largest difference between two numbers, and its row.
 */
largest_difference: number | null, largest_row: number | null, };

export type Mismatch = { 
/**
 * The row, from 0, as a pandas DataFrame's default index.
 */
row: number, output: string, expected: string, got: string, reason: string, difference: number | null, };

export type ParityProgress = { model: string, version: string, checked: number, matched: number, rows: number, };

export type ParityReport = { id: number, server: string, model: string, version: string, golden_file: string, protocol: Protocol, started_at: string, seconds: number, person: string, rows: number, checked: number, matched: number, 
/**
 * matched / checked; None when no row was checked.
 */
matched_share: number | null, required_share: number, 
/**
 * Every row checked, and at least the required share matched.
 */
passed: boolean, cancelled: boolean, outputs: Array<OutputSummary>, 
/**
 * The first mismatches, by row (all are counted in `outputs`).
 */
mismatches: Array<Mismatch>, sentence: string, };

export type ParityRequest = { 
/**
 * "" for the only server serving the model.
 */
server: string, model: string, 
/**
 * None: the model's only revision, else its stable one.
 */
version: string | null, 
/**
 * A CSV, JSON Lines or Parquet file of inputs and expected outputs.
 */
golden_file: string, 
/**
 * The expected output columns; empty: those the model's metadata lists, else a usual name.
 */
outputs: Array<string>, 
/**
 * How outputs are compared, where not by numpy's `isclose` defaults.
 */
rules: Array<OutputRule>, 
/**
 * None: the Open Inference Protocol v2.
 */
protocol: Protocol | null, batch_rows: number | null, 
/**
 * Requests under way at once (1 to 64; None: 4).
 */
in_flight: number | null, };

export type LoadTestRequest = { 
/**
 * The server; may be left empty when one server serves the model.
 */
server: string, model: string, 
/**
 * The revision; may be left out when the model has one.
 */
version: string | null, 
/**
 * Requests per second of each step, rising ([`DEFAULT_RATES`]).
 */
rates: Array<number> | null, step_seconds: number | null, 
/**
 * A step whose p99 is above this misses (the model's p99 objective, else [`DEFAULT_P99_MS`]).
 */
p99_objective_ms: number | null, 
/**
 * A step whose error share is above this misses (the model's objective, else 1 %).
 */
max_error_share: number | null, 
/**
 * Request bodies from this file instead of ones built from the reference data.
 */
payload_file: string | null, };

export type LoadTestProgress = { model: string, version: string, 
/**
 * The step under way, from 1.
 */
step: number, steps: number, rate: number, elapsed_s: number, step_seconds: number, 
/**
 * How far the whole test is, 0–1, if every step runs.
 */
fraction: number, sent: number, ok: number, errors: number, p50_ms: number, p99_ms: number, };

export type LoadTestStep = { rate: number, 
/**
 * Successful answers a second.
 */
achieved_rate: number, sent: number, ok: number, 
/**
 * Failed, timed out, unanswered, or due and never sent (the rate was not kept).
 */
errors: number, p50_ms: number, p90_ms: number, p99_ms: number, max_ms: number, error_share: number, 
/**
 * Whether it stayed within the p99 objective and the error bound.
 */
within: boolean, 
/**
 * What the first failed request met, in the server's words.
 */
first_error: string | null, };

export type LoadTestResult = { id: number, server: string, model: string, version: string, 
/**
 * The instance type the server was placed on, `provider/region/type`; None when unplaced.
 */
instance: string | null, replicas: number, started_at: string, person: string, p99_objective_ms: number, max_error_share: number, steps: Array<LoadTestStep>, 
/**
 * The highest rate held within both bounds; None when the first step missed.
 */
sustainable_rate: number | null, 
/**
 * `sustainable_rate` ÷ replicas.
 */
per_replica_rate: number | null, cancelled: boolean, sentence: string, };

export type CapacityRequest = { model: string, 
/**
 * Requests per second at peak.
 */
peak_rate: number, 
/**
 * Only load tests run with this p99 objective or a stricter one count; None: any.
 */
p99_objective_ms: number | null, 
/**
 * Spare capacity above the planned rate: 1.3 = 30 % more.
 */
headroom: number, 
/**
 * The instance type wanted, `provider/region/type`.
 */
preferred: string | null, 
/**
 * How many of the preferred type can be had.
 */
preferred_cap: number | null, 
/**
 * Traffic growth to plan for: 0.5 = 50 % more than today's peak.
 */
growth: number, 
/**
 * The share of a replica's measured limit to run it at, 0–1.
 */
target_utilization: number, 
/**
 * Hours a day the model is scaled to zero and costs nothing.
 */
hours_off_per_day: number, };

export type CapacityOption = { instance: string, 
/**
 * `8 × V100`, when it has GPUs.
 */
gpu: string | null, 
/**
 * Requests per second one replica held in its latest load test.
 */
per_replica_rate: number, replicas: number, monthly_on_demand: number, monthly_spot: number | null, monthly_reserved: number | null, tested_at: string, };

export type MixedPart = { instance: string, replicas: number, 
/**
 * On demand.
 */
monthly: number, };

export type CapacityPlan = { 
/**
 * peak × (1 + growth) × headroom.
 */
needed_rate: number, 
/**
 * Every instance type with a load test of the model, cheapest on demand first.
 */
options: Array<CapacityOption>, cheapest: CapacityOption | null, 
/**
 * The preferred type up to its cap, the cheapest other type for the rest; None when no
 * cap binds or no other type was tested.
 */
mixed: Array<MixedPart> | null, mixed_monthly: number | null, 
/**
 * Catalog instance types with no load test of the model.
 */
untested: Array<string>, sentences: Array<string>, };

export type Placement = { server: string, provider: string, region: string, instance_type: string, replicas: number, since: string, 
/**
 * The instance's on-demand price an hour, from the catalog (None: no longer in it).
 */
hourly: number | null, 
/**
 * The instance's vCPUs, from the catalog.
 */
vcpu: number | null, 
/**
 * `label` when read from the server's labels, else the person's name (or `cli`).
 */
placed_by: string, };

export type ServerCost = { server: string, 
/**
 * `aws us-east-1 p3.16xlarge × 2`
 */
placement: string, hourly: number, daily: number, 
/**
 * 30 days of 24 hours at the current placement.
 */
monthly: number, 
/**
 * What it cost over the report's window, placement by placement.
 */
window_cost: number, 
/**
 * Its `team` label.
 */
team: string | null, 
/**
 * Its mean use over the window, 0–1 (GPU when reported, else CPU); None: it reports neither.
 */
utilization: number | null, 
/**
 * What was paid for but not used: window cost × (1 − utilization).
 */
idle_cost: number | null, 
/**
 * 1 − utilization.
 */
idle_share: number | null, 
/**
 * `label` when its current placement came from its labels, else the person's name (or `cli`).
 */
placed_by: string, };

export type RevisionCost = { server: string, model: string, version: string, requests: number, successful: number, cost: number, 
/**
 * Dollars per 1,000 successful predictions; None: no predictions in the window.
 */
per_thousand: number | null, 
/**
 * How the server's cost was split: `sole revision` or `compute time` (requests × mean
 * latency, or requests where the server reports no latency).
 */
split: string, };

export type ModelCost = { server: string, model: string, team: string | null, window_cost: number, 
/**
 * Its server's 30-day projection × its share of the server's window cost.
 */
monthly: number, per_thousand: number | null, successful: number, 
/**
 * Its server's idle share.
 */
idle_share: number | null, };

export type TeamCost = { team: string, window_cost: number, monthly: number, };

export type CostComparison = { server: string, model: string, candidate: string, stable: string, candidate_per_thousand: number | null, stable_per_thousand: number | null, 
/**
 * candidate ÷ stable − 1 (0.18: 18 % dearer); None when either made no predictions.
 */
change: number | null, 
/**
 * `fraud v13 costs 18 % more per prediction than v12`
 */
sentence: string, };

export type NamedSeries = { 
/**
 * `server/model` for a model; the team's name for a team.
 */
name: string, 
/**
 * Dollars in the hour starting at the same place in [`CostSeries::hours_ms`].
 */
values: Array<number>, };

export type CostSeries = { 
/**
 * The start of each hour, in Unix ms (the first is the hour the window starts in).
 */
hours_ms: number[], models: Array<NamedSeries>, teams: Array<NamedSeries>, };

export type CostReport = { window_hours: number, servers: Array<ServerCost>, revisions: Array<RevisionCost>, 
/**
 * The dearest a month first.
 */
models: Array<ModelCost>, 
/**
 * Most expensive first.
 */
teams: Array<TeamCost>, comparisons: Array<CostComparison>, 
/**
 * In plain words, most money first (problems with the placements before them).
 */
sentences: Array<string>, series: CostSeries, };

export type Price = { hourly: number, 
/**
 * When the source published the price, or when it was read if the source gives no date.
 */
date: string, 
/**
 * A URL or a short citation, or [`ILLUSTRATIVE`].
 */
source: string, };

export type InstanceType = { 
/**
 * `aws`, `gcp`, `azure`, or any lowercase name.
 */
provider: string, region: string, 
/**
 * The provider's own name for it, e.g. `p3.16xlarge`.
 */
name: string, vcpu: number, memory_gib: number, gpu_type: string | null, gpu_count: number, on_demand: Price, spot: Price | null, 
/**
 * The reserved or committed-use price, where the provider publishes one.
 */
reserved: Price | null, };

export type ImportSummary = { 
/**
 * Rows in the file.
 */
rows: number, 
/**
 * Instance types the catalog did not hold before.
 */
added: number, 
/**
 * Instance types whose row the file replaced.
 */
updated: number, };

export type AlertState = "normal" | "pending" | "firing" | "resolved" | "no_data";

export type Signal = { "name": "server_down" } | { "name": "request_rate" } | { "name": "error_share" } | { "name": "p99_seconds" } | { "name": "drift_share" } | { "name": "dataset_drift" } | { "name": "column_drift", column: string, } | { "name": "cost_per_thousand" } | { "name": "realized_performance", metric: PerformanceMetric, } | { "name": "estimated_performance", metric: CbpeMetric, } | { "name": "feedback_loop" };

export type Condition = { "op": "holds" } | { "op": "above", bound: number, } | { "op": "below", bound: number, } | { "op": "above_objective" } | { "op": "rises", factor: number, } | { "op": "anomaly", k: number, };

export type Scope = { "kind": "fleet" } | { "kind": "model", model: string, } | { "kind": "server", server: string, } | { "kind": "labels", labels: { [key in string]: string }, };

export type Severity = "critical" | "warning" | "info";

export type RuleDraft = { name: string, signal: Signal, condition: Condition, 
/**
 * How long the breach must hold before the alert fires, seconds.
 */
for_secs: number, 
/**
 * How long a firing alert stays firing after the breach ends, seconds.
 */
keep_firing_secs: number, severity: Severity, scope: Scope, 
/**
 * A link to what to do, carried by every notification of this rule.
 */
runbook: string | null, enabled: boolean, };

export type AlertRule = { id: number, 
/**
 * One of the defaults Vigil ships (editable).
 */
builtin: boolean, 
/**
 * The rule in one sentence: "error share above the model's objective for 5 min".
 */
summary: string, updated_at: string, name: string, signal: Signal, condition: Condition, 
/**
 * How long the breach must hold before the alert fires, seconds.
 */
for_secs: number, 
/**
 * How long a firing alert stays firing after the breach ends, seconds.
 */
keep_firing_secs: number, severity: Severity, scope: Scope, 
/**
 * A link to what to do, carried by every notification of this rule.
 */
runbook: string | null, enabled: boolean, };

export type AlertView = { rule: string, severity: Severity, subject: string, model: string | null, server: string | null, labels: { [key in string]: string }, state: AlertState, since: string, 
/**
 * The value and the bound it was held to, in the signal's unit ("7.2 %", "310 ms").
 */
value: string | null, bound: string | null, sentence: string, runbook: string | null, 
/**
 * The silence quieting it now, in words ("until 14:00 UTC: deploy of v14").
 */
silenced: string | null, };

export type HistoryEntry = { id: number, rule: string, subject: string, model: string | null, server: string | null, 
/**
 * fired, resolved or lost_data.
 */
change: string, severity: Severity, at: string, value: number | null, bound: number | null, silenced: boolean, 
/**
 * The sentence and the figures at that moment.
 */
evidence: Record<string, unknown>, };

export type Matcher = { rule: string | null, model: string | null, server: string | null, labels: { [key in string]: string }, };

export type SilenceDraft = { matcher: Matcher, 
/**
 * None: now.
 */
starts_at: string | null, ends_at: string, reason: string, };

export type Silence = { id: number, matcher: Matcher, starts_at: string, ends_at: string, reason: string, created_by: string, created_at: string, };

export type ReceiverKind = "desktop" | "webhook" | "slack";

export type ReceiverDraft = { name: string, kind: ReceiverKind, 
/**
 * The webhook's URL (webhook and Slack).
 */
url: string | null, 
/**
 * Where the `Authorization` header's secret is: `env:NAME` or `keyring:NAME`, sent as a bearer token.
 */
auth_ref: string | null, 
/**
 * The labels an alert must carry to come here (none: every alert).
 */
labels: { [key in string]: string }, group_wait_secs: number, group_interval_secs: number, repeat_interval_secs: number, };

export type Receiver = { id: number, name: string, kind: ReceiverKind, 
/**
 * The webhook's URL (webhook and Slack).
 */
url: string | null, 
/**
 * Where the `Authorization` header's secret is: `env:NAME` or `keyring:NAME`, sent as a bearer token.
 */
auth_ref: string | null, 
/**
 * The labels an alert must carry to come here (none: every alert).
 */
labels: { [key in string]: string }, group_wait_secs: number, group_interval_secs: number, repeat_interval_secs: number, };

export type Delivery = { receiver: string, group_key: string, at: string, firing: number, resolved: number, 
/**
 * The receiver's own words when it failed.
 */
error: string | null, };

/** Every signal a revision can have, as stored. */
export type SignalName = "requests" | "errors" | "request_rate" | "error_rate" | "latency_mean_s" | "latency_p50_s" | "latency_p95_s" | "latency_p99_s" | "queue_mean_s" | "batch_mean" | "in_flight" | "waiting" | "batch_size" | "kv_cache_usage";

/** The drift tests each column kind may be given, with their default thresholds. */
export const DRIFT_METHODS: Record<ColumnKind, Array<MethodRule>> = {
  "binary": [
    {
      "default_threshold": 0.05,
      "method": "chi_square",
      "p_value": true
    },
    {
      "default_threshold": 0.05,
      "method": "z_test",
      "p_value": true
    },
    {
      "default_threshold": 0.1,
      "method": "psi",
      "p_value": false
    },
    {
      "default_threshold": 0.1,
      "method": "jensen_shannon",
      "p_value": false
    },
    {
      "default_threshold": 0.1,
      "method": "hellinger",
      "p_value": false
    }
  ],
  "categorical": [
    {
      "default_threshold": 0.05,
      "method": "chi_square",
      "p_value": true
    },
    {
      "default_threshold": 0.05,
      "method": "z_test",
      "p_value": true
    },
    {
      "default_threshold": 0.1,
      "method": "psi",
      "p_value": false
    },
    {
      "default_threshold": 0.1,
      "method": "jensen_shannon",
      "p_value": false
    },
    {
      "default_threshold": 0.1,
      "method": "hellinger",
      "p_value": false
    }
  ],
  "numeric": [
    {
      "default_threshold": 0.05,
      "method": "ks",
      "p_value": true
    },
    {
      "default_threshold": 0.05,
      "method": "chi_square",
      "p_value": true
    },
    {
      "default_threshold": 0.05,
      "method": "z_test",
      "p_value": true
    },
    {
      "default_threshold": 0.1,
      "method": "psi",
      "p_value": false
    },
    {
      "default_threshold": 0.1,
      "method": "jensen_shannon",
      "p_value": false
    },
    {
      "default_threshold": 0.1,
      "method": "wasserstein",
      "p_value": false
    },
    {
      "default_threshold": 0.1,
      "method": "hellinger",
      "p_value": false
    }
  ]
};

/** The price catalog's CSV columns, in order: the names the engine gives fields in its errors. */
export const CATALOG_COLUMNS = ["provider", "region", "name", "vcpu", "memory_gib", "gpu_type", "gpu_count", "on_demand_hourly", "on_demand_date", "on_demand_source", "spot_hourly", "spot_date", "spot_source", "reserved_hourly", "reserved_date", "reserved_source"] as const;
