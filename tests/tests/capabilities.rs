//! The window may call exactly Vigil's own commands (`src-tauri/src/command_list.rs`) and the
//! plugin permissions it uses (each of a plugin the shell registers), and its
//! Content-Security-Policy allows no remote code and no network but IPC. A capability file out of
//! step with the command list fails here.

use std::collections::BTreeSet;
use std::path::PathBuf;

fn shell_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../src-tauri").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

include!("../../src-tauri/src/command_list.rs");

/// The commands the window may call: the shell's one list. Changing it is the deliberate step.
const COMMANDS: &[&str] = command_list!(command_names);
/// Plugin permissions the window is meant to have: engine events, the open- and save-file
/// dialogs, and desktop notifications of sign-offs and alerts, with the clicks on them
/// (`ui/src/lib/notify.ts`).
const GRANTED_PLUGIN_PERMISSIONS: &[&str] = &[
    "core:event:allow-listen",
    "core:event:allow-unlisten",
    "dialog:allow-open",
    "dialog:allow-save",
    "notification:allow-is-permission-granted",
    "notification:allow-request-permission",
    "notification:allow-notify",
    "notification:allow-register-listener",
    "notification:allow-remove-listener",
];

#[test]
fn the_capability_grants_exactly_the_command_list_and_the_plugin_permissions() {
    let capability: serde_json::Value = serde_json::from_str(&shell_file("capabilities/default.json")).unwrap();
    let granted: BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("plain permission").to_owned())
        .collect();
    let mut wanted: BTreeSet<String> = COMMANDS.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    wanted.extend(GRANTED_PLUGIN_PERMISSIONS.iter().map(|s| s.to_string()));
    assert_eq!(
        granted, wanted,
        "capabilities/default.json must grant exactly the commands of src-tauri/src/command_list.rs and the \
         listed plugin permissions"
    );
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
}

/// Each plugin permission names a plugin the shell registers (`tauri_plugin_NAME::init()` in
/// main.rs): a permission for a plugin that is not there grants nothing and hides a mistake.
#[test]
fn every_plugin_permission_belongs_to_a_registered_plugin() {
    let main = shell_file("src/main.rs");
    for permission in GRANTED_PLUGIN_PERMISSIONS {
        let Some((plugin, _)) = permission.split_once(':') else { panic!("{permission} names no plugin") };
        if plugin == "core" {
            continue;
        }
        let registered = format!(".plugin(tauri_plugin_{}::init())", plugin.replace('-', "_"));
        assert!(main.contains(&registered), "{permission}: main.rs does not register the plugin ({registered})");
    }
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
