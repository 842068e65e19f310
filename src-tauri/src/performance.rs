//! The window's performance command: a model's realized and estimated performance per revision
//! per window, with the labelled count each figure rests on. It calls the engine's performance
//! front; `commands.rs` re-exports it, so that the command list names it like every other command.

use tauri::State;
use vigil_core::performance::report::{PerformanceReport, PerformanceWindow};
use vigil_core::Engine;

use crate::commands::{to_payload, CommandResult};

/// `model`'s performance by hour (the last 2 days) or by day (the last 30 days).
#[tauri::command]
pub async fn performance_report(
    engine: State<'_, Engine>,
    model: String,
    window: PerformanceWindow,
) -> CommandResult<PerformanceReport> {
    let since = window.default_since(chrono::Utc::now());
    engine.performance().report(&model, window, since).await.map_err(to_payload)
}
