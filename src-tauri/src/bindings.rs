//! TypeScript declarations of what the shell's own side of the IPC brings into the UI (the
//! names of its commands, and the demo fleet's status, with ts-rs), generated into
//! `ui/src/lib/desktopBindings.ts`; the engine's types are in `ui/src/lib/bindings.ts`. A test
//! fails when the file is stale; `make bindings` regenerates both files.

use ts_rs::{Config, TS};

use crate::demo::{DemoServer, DemoState, DemoStatus};

/// The contents of `ui/src/lib/desktopBindings.ts`.
fn typescript() -> String {
    let config = Config::default();
    let declarations = [DemoState::decl(&config), DemoServer::decl(&config), DemoStatus::decl(&config)];
    let mut out =
        String::from("// Generated from src-tauri's command list and Rust types by `make bindings`. Do not edit.\n");
    out.push_str("\n/** Every command the shell declares (src-tauri/src/command_list.rs), in any build. */\n");
    out.push_str("export const COMMANDS = [\n");
    let names: &[&str] = command_list!(command_names);
    for name in names {
        out.push_str(&format!("  \"{name}\",\n"));
    }
    out.push_str("] as const;\n\nexport type Command = (typeof COMMANDS)[number];\n");
    for declaration in declarations {
        out.push_str("\nexport ");
        out.push_str(&declaration);
        out.push('\n');
    }
    out
}

#[test]
fn generated_typescript_bindings_are_fresh() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/desktopBindings.ts");
    let expected = typescript();
    if std::env::var_os("VIGIL_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &expected).expect("write desktopBindings.ts");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "ui/src/lib/desktopBindings.ts is stale: a Rust type of the shell that crosses into the UI changed. \
         Run `make bindings`."
    );
}
