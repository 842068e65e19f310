//! The window may call exactly Vigil's own commands and the plugin permissions it uses, and its
//! Content-Security-Policy allows no remote code and no network but IPC. Adding a command
//! without a deliberate grant fails here.

use std::collections::BTreeSet;
use std::path::PathBuf;

fn shell_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../src-tauri").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The commands the window is meant to call. Changing this list is the deliberate step.
const GRANTED_COMMANDS: &[&str] = &[
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
/// Plugin permissions the window is meant to have.
const GRANTED_PLUGIN_PERMISSIONS: &[&str] =
    &["core:event:allow-listen", "core:event:allow-unlisten", "dialog:allow-open"];

/// The names inside the first `marker[ ... ]` of `source`, split on commas, last path segment.
fn listed_after(source: &str, marker: &str) -> BTreeSet<String> {
    let start = source.find(marker).unwrap_or_else(|| panic!("{marker} not found")) + marker.len();
    let end = start + source[start..].find(']').expect("closing bracket");
    source[start..end]
        .split(',')
        .map(|item| item.trim().trim_matches('"').rsplit("::").next().unwrap_or_default().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn every_registered_command_is_listed_in_build_rs_and_granted_deliberately() {
    let expected: BTreeSet<String> = GRANTED_COMMANDS.iter().map(|s| s.to_string()).collect();
    let registered = listed_after(&shell_file("src/main.rs"), "generate_handler![");
    assert_eq!(
        registered, expected,
        "commands registered in src-tauri/src/main.rs differ from the granted list in this test"
    );
    let manifest = listed_after(&shell_file("build.rs"), "COMMANDS: &[&str] = &[");
    assert_eq!(manifest, expected, "src-tauri/build.rs COMMANDS must list every registered command");

    let capability: serde_json::Value = serde_json::from_str(&shell_file("capabilities/default.json")).unwrap();
    let granted: BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("plain permission").to_owned())
        .collect();
    let mut wanted: BTreeSet<String> = expected.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    wanted.extend(GRANTED_PLUGIN_PERMISSIONS.iter().map(|s| s.to_string()));
    assert_eq!(
        granted, wanted,
        "capabilities/default.json must grant exactly the listed commands and plugin permissions"
    );
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
}

#[test]
fn content_security_policy_allows_no_remote_code_and_only_ipc() {
    let config: serde_json::Value = serde_json::from_str(&shell_file("tauri.conf.json")).unwrap();
    let csp = &config["app"]["security"]["csp"];
    assert_eq!(csp["default-src"], "'none'");
    assert_eq!(csp["script-src"], "'self'", "no inline, eval or remote scripts");
    assert_eq!(csp["connect-src"], "ipc: http://ipc.localhost", "every HTTP call is made by the engine");
    assert_eq!(csp["object-src"], "'none'");
    for (directive, sources) in csp.as_object().unwrap() {
        let sources = sources.as_str().unwrap();
        for forbidden in ["http:", "https:", "*", "'unsafe-eval'", "'unsafe-inline'"] {
            assert!(!sources.split(' ').any(|s| s == forbidden), "{directive} allows {forbidden}");
        }
    }
    assert_eq!(config["app"]["withGlobalTauri"], false, "the IPC bridge is not exposed as a global");
}
