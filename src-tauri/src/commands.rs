//! The commands the window may call. Each parses its input, calls one engine function and
//! returns the result; errors cross as `{code, message, field, detail}`.
//!
//! Adding a command means listing it in `build.rs` and granting it in
//! `capabilities/default.json`; `tests/capabilities.rs` fails until all three agree.

use tauri::State;
use vigil_core::dashboard::{ModelChart, RevisionSignals};
use vigil_core::error::ErrorPayload;
use vigil_core::{AppInfo, AuditEntry, Engine, FleetSnapshot, NewServer, Server, VigilError};

use crate::demo::{Demo, DemoStatus};

type CommandResult<T> = Result<T, ErrorPayload>;

fn to_payload(err: VigilError) -> ErrorPayload {
    if let VigilError::Internal(detail) = &err {
        tracing::error!("internal error: {detail}");
    }
    err.payload()
}

#[tauri::command]
pub fn app_info(engine: State<'_, Engine>) -> AppInfo {
    engine.info()
}

#[tauri::command]
pub async fn audit_log(engine: State<'_, Engine>, limit: u32) -> CommandResult<Vec<AuditEntry>> {
    engine.audit_log(limit).await.map_err(to_payload)
}

#[tauri::command]
pub async fn fleet_snapshot(engine: State<'_, Engine>) -> CommandResult<FleetSnapshot> {
    engine.fleet().await.map_err(to_payload)
}

/// Every model revision on the fleet with its latest golden signals.
#[tauri::command]
pub async fn revision_signals(engine: State<'_, Engine>) -> CommandResult<Vec<RevisionSignals>> {
    engine.revision_signals().await.map_err(to_payload)
}

/// Model `model` of server `server` from `from_ms` to `to_ms` (Unix ms): every revision's
/// signals at the resolution that fits, its deployments and health changes.
#[tauri::command]
pub async fn model_chart(
    engine: State<'_, Engine>,
    server: String,
    model: String,
    from_ms: i64,
    to_ms: i64,
) -> CommandResult<ModelChart> {
    let time = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| to_payload(VigilError::invalid("range", "The chart's range is not a time Vigil can read.")))
    };
    engine.model_chart(&server, &model, time(from_ms)?, time(to_ms)?).await.map_err(to_payload)
}

#[tauri::command]
pub async fn server_add(engine: State<'_, Engine>, server: NewServer) -> CommandResult<Server> {
    engine.add_server(server).await.map_err(to_payload)
}

/// Replaces the settings of the server called `name`; the edit may rename it.
#[tauri::command]
pub async fn server_update(engine: State<'_, Engine>, name: String, edit: NewServer) -> CommandResult<Server> {
    engine.update_server(&name, edit).await.map_err(to_payload)
}

#[tauri::command]
pub async fn server_remove(engine: State<'_, Engine>, name: String) -> CommandResult<()> {
    engine.remove_server(&name).await.map_err(to_payload)
}

#[tauri::command]
pub async fn demo_status(engine: State<'_, Engine>, demo: State<'_, Demo>) -> CommandResult<DemoStatus> {
    demo.status(&engine).await.map_err(to_payload)
}

/// Starts the demo fleet and registers its servers; answers with the demo's new status.
#[tauri::command]
pub async fn demo_start(engine: State<'_, Engine>, demo: State<'_, Demo>) -> CommandResult<DemoStatus> {
    demo.start(&engine).await.map_err(to_payload)?;
    demo_status(engine, demo).await
}

/// Stops the demo fleet; its servers stay registered and go down.
#[tauri::command]
pub async fn demo_stop(engine: State<'_, Engine>, demo: State<'_, Demo>) -> CommandResult<DemoStatus> {
    demo.stop().await;
    demo_status(engine, demo).await
}

/// Stops the demo fleet and removes its servers, each on the audit trail.
#[tauri::command]
pub async fn demo_remove_servers(engine: State<'_, Engine>, demo: State<'_, Demo>) -> CommandResult<DemoStatus> {
    demo.remove_servers(&engine).await.map_err(to_payload)?;
    demo_status(engine, demo).await
}
