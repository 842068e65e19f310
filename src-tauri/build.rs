//! Builds the Tauri context. tauri-build makes an `allow-<command>` permission for each command
//! in `src/command_list.rs`, and the window gets only those granted in
//! `capabilities/default.json`; `tests/tests/capabilities.rs` keeps the two in step.

include!("src/command_list.rs");

/// Vigil's own commands, from `src/command_list.rs`: every one, built in this build or not, so
/// that `capabilities/default.json` is valid for every build.
const COMMANDS: &[&str] = command_list!(command_names);

fn main() {
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step failed");
}
