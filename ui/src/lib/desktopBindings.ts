// Generated from src-tauri's command list and Rust types by `make bindings`. Do not edit.

/** Every command the shell declares (src-tauri/src/command_list.rs), in any build. */
export const COMMANDS = [
  "alert_deliveries",
  "alert_history",
  "alert_receiver_remove",
  "alert_receiver_save",
  "alert_receivers",
  "alert_rule_remove",
  "alert_rule_save",
  "alert_rules",
  "alert_silence",
  "alert_silence_end",
  "alert_silences",
  "alerts_list",
  "app_info",
  "app_quit",
  "audit_export",
  "audit_log",
  "audit_verify",
  "capacity_plan",
  "come_forward",
  "cost_catalog",
  "cost_catalog_export",
  "cost_catalog_import",
  "cost_catalog_remove",
  "cost_catalog_save",
  "cost_place",
  "cost_report",
  "environment_diff",
  "environment_fingerprints",
  "environment_gather",
  "environment_import",
  "parity_cancel",
  "parity_latest",
  "parity_start",
  "demo_remove_servers",
  "demo_start",
  "demo_status",
  "deployment_history",
  "demo_stop",
  "drift_cancel_import",
  "drift_import_reference",
  "drift_latest",
  "drift_reference",
  "drift_report",
  "drift_set_choice",
  "drift_set_share",
  "drift_timeline",
  "drift_versions",
  "fleet_snapshot",
  "load_test_cancel",
  "load_test_hosts",
  "load_test_set_hosts",
  "load_test_start",
  "load_tests",
  "model_chart",
  "model_overviews",
  "objective_set",
  "opening_place",
  "performance_report",
  "profile_set",
  "profiles_list",
  "rollout_act",
  "rollout_plan_set",
  "rollout_policy_set",
  "rollout_report",
  "rollout_rollback",
  "rollout_settings",
  "rollout_start",
  "rollouts_list",
  "server_add",
  "server_remove",
  "server_update",
  "share_report",
  "startup_trouble",
  "store_backup",
  "store_choose",
  "store_restore",
  "store_settings",
  "target_remove",
  "target_set",
  "targets_list",
] as const;

export type Command = (typeof COMMANDS)[number];

export type DemoState = "stopped" | "starting" | "running";

export type DemoServer = { name: string, 
/**
 * What it imitates: `triton`, `mlserver` or `kserve`.
 */
kind: string, url: string, 
/**
 * `MODEL:VERSION` of each version it hosts.
 */
models: Array<string>, };

export type DemoStatus = { 
/**
 * Grows with each change, so the window can drop a status that arrives after a newer one.
 */
revision: number, state: DemoState, 
/**
 * The scenarios it plays, or will play when started.
 */
scenarios: Array<string>, 
/**
 * Its servers while it runs.
 */
servers: Array<DemoServer>, 
/**
 * Registered servers labelled `source=vigil-fleet`, by name, running or not.
 */
registered: Array<string>, 
/**
 * Why the last start failed, until the next start.
 */
error: string | null, };
