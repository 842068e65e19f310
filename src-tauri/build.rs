//! Builds the Tauri context. Every command the window may call is listed here: tauri-build makes
//! an `allow-<command>` permission for each, and the window gets only those granted in
//! `capabilities/default.json`. `tests/capabilities.rs` keeps the lists in step.

/// Vigil's own commands, as registered in `src/main.rs`.
const COMMANDS: &[&str] = &[
    "app_info",
    "audit_log",
    "demo_remove_servers",
    "demo_start",
    "demo_status",
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
    "model_chart",
    "model_overviews",
    "objective_set",
    "server_add",
    "server_remove",
    "server_update",
];

fn main() {
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step failed");
}
