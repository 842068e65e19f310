//! The window's cost commands: the cost report, the price catalog (list, save or remove one
//! instance type, import and export as CSV) and placing a server on an instance type. Each parses
//! its input and calls one function of the engine's cost front. `commands.rs` re-exports them,
//! so that the command list names them like every other command.

use tauri::State;
use vigil_core::cost::catalog::InstanceType;
use vigil_core::cost::report::{CostReport, Placement};
use vigil_core::cost::ImportSummary;
use vigil_core::rollouts::people::Profile;
use vigil_core::{Engine, VigilError};

use crate::commands::{acting, to_payload, CommandResult};

/// What each server, revision, model and team cost over the last `window_hours`.
#[tauri::command]
pub async fn cost_report(engine: State<'_, Engine>, window_hours: f64) -> CommandResult<CostReport> {
    if !(window_hours.is_finite() && window_hours > 0.0 && window_hours <= 24.0 * 366.0) {
        let message = format!(
            "window_hours {window_hours} is not a window: give hours above 0 and at most 8784 (366 days), such as 168."
        );
        return Err(to_payload(VigilError::invalid("window_hours", message)));
    }
    let window = chrono::Duration::milliseconds((window_hours * 3_600_000.0).round() as i64);
    engine.cost().report(window).await.map_err(to_payload)
}

/// Every instance type in the price catalog, by provider, region and name.
#[tauri::command]
pub async fn cost_catalog(engine: State<'_, Engine>) -> CommandResult<Vec<InstanceType>> {
    engine.cost().catalog().await.map_err(to_payload)
}

/// Adds an instance type to the catalog or replaces the one of the same key, as `profile`.
#[tauri::command]
pub async fn cost_catalog_save(
    engine: State<'_, Engine>,
    profile: Profile,
    instance_type: InstanceType,
) -> CommandResult<InstanceType> {
    let person = acting(profile)?;
    engine.cost().save_instance_type(&person, instance_type).await.map_err(to_payload)
}

/// Removes an instance type no server is placed on, as `profile`.
#[tauri::command]
pub async fn cost_catalog_remove(
    engine: State<'_, Engine>,
    profile: Profile,
    provider: String,
    region: String,
    name: String,
) -> CommandResult<()> {
    let person = acting(profile)?;
    engine.cost().remove_instance_type(&person, &provider, &region, &name).await.map_err(to_payload)
}

/// Imports a catalog in CSV, as `profile`: all of it, or nothing with the bad line named.
#[tauri::command]
pub async fn cost_catalog_import(
    engine: State<'_, Engine>,
    profile: Profile,
    csv: String,
) -> CommandResult<ImportSummary> {
    let person = acting(profile)?;
    engine.cost().import_catalog(&person, &csv).await.map_err(to_payload)
}

/// The catalog as CSV, which `cost_catalog_import` reads back.
#[tauri::command]
pub async fn cost_catalog_export(engine: State<'_, Engine>) -> CommandResult<String> {
    engine.cost().export_catalog().await.map_err(to_payload)
}

/// Records that `server` runs `replicas` of `provider region instance_type` from now, as `profile`.
#[tauri::command]
pub async fn cost_place(
    engine: State<'_, Engine>,
    profile: Profile,
    server: String,
    provider: String,
    region: String,
    instance_type: String,
    replicas: u32,
) -> CommandResult<Placement> {
    let person = acting(profile)?;
    engine.cost().place(&person, &server, (&provider, &region, &instance_type), replicas).await.map_err(to_payload)
}
