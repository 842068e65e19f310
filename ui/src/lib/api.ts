// The UI's one door into the engine: typed calls over Tauri IPC and the engine's event stream.
// Every type here is generated from Rust (bindings.ts, desktopBindings.ts).

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AlertRule,
  AlertView,
  AppInfo,
  AuditEntry,
  BackupReport,
  BuiltEnvironment,
  CapacityPlan,
  CapacityRequest,
  ChainCheck,
  ColumnChoice,
  CopyReport,
  CostReport,
  Delivery,
  DeploymentHistory,
  DriftReport,
  DriftTimeline,
  EngineEvent,
  EnvironmentDiff,
  ErrorCode,
  ErrorPayload,
  ExportFormat,
  Fingerprint,
  FleetSnapshot,
  HistoryEntry,
  ImportProgress,
  ImportSummary,
  InstanceType,
  LoadTestProgress,
  LoadTestRequest,
  LoadTestResult,
  ModelChart,
  ModelObjectives,
  ModelOverview,
  NewServer,
  ParityProgress,
  ParityReport,
  ParityRequest,
  PerformanceReport,
  PerformanceWindow,
  Place,
  Placement,
  Plan,
  Policy,
  Profile,
  Receiver,
  ReceiverDraft,
  ReferenceRequest,
  ReferenceSummary,
  RolloutAction,
  RolloutReport,
  RolloutView,
  RuleDraft,
  Server,
  Silence,
  SilenceDraft,
  StoreChoice,
  StoreSettings,
  StoredTarget,
  TargetSpec,
} from "./bindings";
import type { Command, DemoStatus } from "./desktopBindings";

/** An engine error as the UI handles it: a stable code, words for people, the field at fault. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string | null;
  readonly detail: string | null;

  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = "ApiError";
    this.code = payload.code;
    this.field = payload.field;
    this.detail = payload.detail;
  }
}

function isPayload(value: unknown): value is ErrorPayload {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

/** Whatever a failed IPC call threw, as an ApiError. Tauri itself rejects with plain strings. */
export function toApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  if (isPayload(thrown)) return new ApiError({ ...thrown, field: thrown.field ?? null, detail: thrown.detail ?? null });
  const detail = thrown instanceof Error ? thrown.message : String(thrown);
  return new ApiError({
    code: "internal",
    message: "The window could not reach Vigil's engine. Restart Vigil; if it happens again, report it with the detail.",
    field: null,
    detail,
  });
}

/** Calls one of the commands the shell declares (`Command`, generated from its command list). */
async function call<T>(command: Command, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (thrown) {
    throw toApiError(thrown);
  }
}

/** The name of the Tauri event that carries every engine event. */
export const ENGINE_EVENT = "engine";
/** The name of the Tauri event that carries the demo fleet's status each time it changes. */
export const DEMO_EVENT = "demo";
/** The name of the Tauri event that carries a place a later launch asked this window to open. */
export const OPEN_EVENT = "open-place";

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  /** Why the engine did not start, when it did not: then the window shows only that. */
  startupTrouble: () => call<ErrorPayload | null>("startup_trouble"),
  /** The place this launch was asked to open (`--open`, a vigil:// link), once. */
  openingPlace: () => call<Place | null>("opening_place"),
  /** Brings the window to the front (a notification about it was clicked). */
  comeForward: () => call<null>("come_forward"),
  /** Each place a later launch on this database asks this window to open. */
  onOpenPlace: (handler: (place: Place) => void): Promise<UnlistenFn> =>
    listen<Place>(OPEN_EVENT, (event) => handler(event.payload)),
  /** Closes Vigil (from the startup trouble page). */
  appQuit: () => call<null>("app_quit"),
  /** The store this window opened, and the team store chosen in Settings. */
  storeSettings: () => call<StoreSettings>("store_settings"),
  /** Keeps `choice` (null: this computer's own file) once its database answers; the window then restarts on it. */
  storeChoose: (choice: StoreChoice | null) => call<StoreSettings>("store_choose", { choice }),
  /** Writes a checked copy of this window's store (a SQLite file) to the new file `path`. */
  storeBackup: (path: string) => call<BackupReport>("store_backup", { path }),
  /** Replaces this window's store with the backup at `path`; the window then restarts on it. */
  storeRestore: (path: string) => call<CopyReport>("store_restore", { path }),
  auditLog: (limit: number) => call<AuditEntry[]>("audit_log", { limit }),
  fleet: () => call<FleetSnapshot>("fleet_snapshot"),
  /** Every model with its revisions' roles and traffic split, combined figures, status and sentence. */
  models: () => call<ModelOverview[]>("model_overviews"),
  /** Sets a model's own objectives; a bound null follows the fleet default. */
  setObjectives: (model: string, objectives: ModelObjectives) => call<null>("objective_set", { model, objectives }),
  modelChart: (server: string, model: string, fromMs: number, toMs: number) =>
    call<ModelChart>("model_chart", { server, model, fromMs: Math.round(fromMs), toMs: Math.round(toMs) }),
  addServer: (server: NewServer) => call<Server>("server_add", { server }),
  updateServer: (name: string, edit: NewServer) => call<Server>("server_update", { name, edit }),
  removeServer: (name: string) => call<null>("server_remove", { name }),
  onEngineEvent: (handler: (event: EngineEvent) => void): Promise<UnlistenFn> =>
    listen<EngineEvent>(ENGINE_EVENT, (event) => handler(event.payload)),
  driftLatest: () => call<DriftReport[]>("drift_latest"),
  driftReport: (model: string, version: string | null, fromMs: number, toMs: number) =>
    call<DriftReport>("drift_report", { model, version, fromMs: Math.round(fromMs), toMs: Math.round(toMs) }),
  driftTimeline: (model: string, version: string | null, fromMs: number, toMs: number) =>
    call<DriftTimeline>("drift_timeline", { model, version, fromMs: Math.round(fromMs), toMs: Math.round(toMs) }),
  /** Chooses the test of one column of the model's reference; both null: Evidently's default again. */
  driftSetChoice: (model: string, version: string | null, column: string, choice: ColumnChoice) =>
    call<null>("drift_set_choice", { model, version, column, choice }),
  /** Sets the share of drifted features at which the model's data set drifts; null: 0.5 again. */
  driftSetShare: (model: string, share: number | null) => call<null>("drift_set_share", { model, share }),
  /** The model's versions with live data or a reference of their own, the newest live one first. */
  driftVersions: (model: string) => call<string[]>("drift_versions", { model }),
  driftReference: (model: string, version: string | null) =>
    call<ReferenceSummary | null>("drift_reference", { model, version }),
  /** Imports a reference file; `onprogress` hears each step. Rejects with code "cancelled" when stopped. */
  driftImportReference: (path: string, request: ReferenceRequest, onprogress: (progress: ImportProgress) => void) => {
    const progress = new Channel<ImportProgress>(onprogress);
    return call<ReferenceSummary>("drift_import_reference", { path, request, progress });
  },
  driftCancelImport: () => call<null>("drift_cancel_import"),
  /** Rollouts (of one model, or all), under way first, each with its gates, sign-offs and sentence. */
  rollouts: (model: string | null = null) => call<RolloutView[]>("rollouts_list", { model }),
  rolloutStart: (profile: Profile, model: string, candidate: string, reason: string | null) =>
    call<RolloutView>("rollout_start", { profile, model, candidate, reason }),
  /** Approves, rejects, promotes, pauses, resumes or aborts a rollout as `profile`. */
  rolloutAct: (profile: Profile, id: number, action: RolloutAction, reason: string | null) =>
    call<RolloutView>("rollout_act", { profile, id, action, reason }),
  /** Sends all of a model's traffic to `to` (null: its last rollout's stable revision). */
  rollback: (profile: Profile, model: string, to: string | null, reason: string | null) =>
    call<RolloutView>("rollout_rollback", { profile, model, to, reason }),
  rolloutReport: () => call<RolloutReport>("rollout_report"),
  deploymentHistory: (model: string) => call<DeploymentHistory>("deployment_history", { model }),
  targets: () => call<StoredTarget[]>("targets_list"),
  setTarget: (profile: Profile, model: string, spec: TargetSpec, timeoutSecs: number | null) =>
    call<StoredTarget>("target_set", { profile, model, spec, timeoutSecs }),
  removeTarget: (profile: Profile, model: string) => call<null>("target_remove", { profile, model }),
  /** A model's plan and approval policy: its own, or the defaults. */
  rolloutSettings: (model: string) => call<[Plan, Policy]>("rollout_settings", { model }),
  /** Sets a model's plan from TOML or JSON text. */
  setPlan: (profile: Profile, model: string, plan: string) => call<null>("rollout_plan_set", { profile, model, plan }),
  setPolicy: (profile: Profile, model: string, policy: Policy) => call<null>("rollout_policy_set", { profile, model, policy }),
  profiles: () => call<Profile[]>("profiles_list"),
  /** Adds a profile (or changes its role); answers every profile. */
  setProfile: (profile: Profile) => call<Profile[]>("profile_set", { profile }),
  verifyAudit: () => call<ChainCheck>("audit_verify"),
  exportAudit: (path: string, format: ExportFormat) => call<null>("audit_export", { path, format }),
  shareReport: (model: string, path: string) => call<null>("share_report", { model, path }),
  /** What each server, revision, model and team cost over the last `windowHours`, with the engine's sentences. */
  costReport: (windowHours: number) => call<CostReport>("cost_report", { windowHours }),
  costCatalog: () => call<InstanceType[]>("cost_catalog"),
  /** Adds an instance type to the price catalog, or replaces the one of the same provider, region and name. */
  costCatalogSave: (profile: Profile, instanceType: InstanceType) =>
    call<InstanceType>("cost_catalog_save", { profile, instanceType }),
  costCatalogRemove: (profile: Profile, provider: string, region: string, name: string) =>
    call<null>("cost_catalog_remove", { profile, provider, region, name }),
  /** Imports a catalog in CSV: all of it, or nothing with the bad line named. */
  costCatalogImport: (profile: Profile, csv: string) => call<ImportSummary>("cost_catalog_import", { profile, csv }),
  costCatalogExport: () => call<string>("cost_catalog_export"),
  /** Records that `server` runs `replicas` of an instance type of the catalog from now. */
  costPlace: (profile: Profile, server: string, provider: string, region: string, instanceType: string, replicas: number) =>
    call<Placement>("cost_place", { profile, server, provider, region, instanceType, replicas }),
  /** Runs a load test; `onprogress` hears each tick. Rejects with code "cancelled" when stopped. */
  loadTestStart: (profile: Profile, request: LoadTestRequest, onprogress: (progress: LoadTestProgress) => void) => {
    const progress = new Channel<LoadTestProgress>(onprogress);
    return call<LoadTestResult>("load_test_start", { profile, request, progress });
  },
  loadTestCancel: () => call<null>("load_test_cancel"),
  /** Past load tests (of one model, or all), newest first. */
  loadTests: (model: string | null) => call<LoadTestResult[]>("load_tests", { model }),
  capacityPlan: (request: CapacityRequest) => call<CapacityPlan>("capacity_plan", { request }),
  /** The hosts besides loopback that load tests may be sent to. */
  loadTestHosts: () => call<string[]>("load_test_hosts"),
  loadTestSetHosts: (profile: Profile, hosts: string[]) => call<string[]>("load_test_set_hosts", { profile, hosts }),
  /** Every alert not at rest: firing first (most severe first), then pending, no data, resolved. */
  alerts: () => call<AlertView[]>("alerts_list"),
  /** The newest alert changes, newest first, each with its evidence. */
  alertHistory: () => call<HistoryEntry[]>("alert_history"),
  alertRules: () => call<AlertRule[]>("alert_rules"),
  /** Saves a new rule (`id` null) or an edit of rule `id`. */
  alertRuleSave: (id: number | null, rule: RuleDraft) => call<AlertRule>("alert_rule_save", { id, rule }),
  alertRuleRemove: (name: string) => call<null>("alert_rule_remove", { name }),
  /** Silences and maintenance windows that have not ended. */
  alertSilences: () => call<Silence[]>("alert_silences"),
  alertSilence: (silence: SilenceDraft) => call<Silence>("alert_silence", { silence }),
  alertSilenceEnd: (id: number) => call<Silence>("alert_silence_end", { id }),
  alertReceivers: () => call<Receiver[]>("alert_receivers"),
  /** Saves a receiver under its name (a new one, or the one of that name replaced). */
  alertReceiverSave: (receiver: ReceiverDraft) => call<null>("alert_receiver_save", { receiver }),
  alertReceiverRemove: (name: string) => call<null>("alert_receiver_remove", { name }),
  /** The newest notifications sent or tried, newest first, with the receiver's words when one failed. */
  alertDeliveries: () => call<Delivery[]>("alert_deliveries"),
  /** A model's realized and estimated performance per revision, by hour (the last 2 days) or by day (the last 30). */
  performanceReport: (model: string, window: PerformanceWindow) => call<PerformanceReport>("performance_report", { model, window }),
  /** The serving environment of each revision of `model`, as last gathered. */
  environmentFingerprints: (model: string) => call<Fingerprint[]>("environment_fingerprints", { model }),
  /** Gathers the serving environment of `model`'s revision `version` on `server` now. */
  environmentGather: (server: string, model: string, version: string) =>
    call<Fingerprint>("environment_gather", { server, model, version }),
  /** A revision's serving environment set against where its model was built; `refresh` gathers it first. */
  environmentDiff: (server: string, model: string, version: string, refresh: boolean) =>
    call<EnvironmentDiff>("environment_diff", { server, model, version, refresh }),
  /** Uploads a file's text (pip freeze, requirements, conda, python_env, uv/poetry/pylock) as where `model` was built. */
  environmentImport: (profile: Profile, model: string, fileName: string, text: string) =>
    call<BuiltEnvironment>("environment_import", { profile, model, fileName, text }),
  /** The newest parity check of each revision of `model`. */
  parityLatest: (model: string) => call<ParityReport[]>("parity_latest", { model }),
  /** Runs a parity check; `onprogress` hears each batch. A cancelled check answers its report, marked cancelled. */
  parityStart: (profile: Profile, request: ParityRequest, onprogress: (progress: ParityProgress) => void) => {
    const progress = new Channel<ParityProgress>(onprogress);
    return call<ParityReport>("parity_start", { profile, request, progress });
  },
  parityCancel: () => call<null>("parity_cancel"),
  demoStatus: () => call<DemoStatus>("demo_status"),
  demoStart: () => call<DemoStatus>("demo_start"),
  demoStop: () => call<DemoStatus>("demo_stop"),
  demoRemoveServers: () => call<DemoStatus>("demo_remove_servers"),
  onDemoStatus: (handler: (status: DemoStatus) => void): Promise<UnlistenFn> =>
    listen<DemoStatus>(DEMO_EVENT, (event) => handler(event.payload)),
};
