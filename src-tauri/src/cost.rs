//! The window's cost commands: the cost report, the price catalog (list, save or remove one
//! instance type, import and export as CSV), placing a server on an instance type, load tests
//! (start with progress on a channel, cancel, list; the hosts allowed outside loopback) and the
//! capacity planner. Each parses
//! its input and calls one function of the engine's cost front. `commands.rs` re-exports them,
//! so that the command list names them like every other command.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tauri::ipc::Channel;
use tauri::State;
use vigil_core::cost::capacity::{CapacityPlan, CapacityRequest};
use vigil_core::cost::catalog::InstanceType;
use vigil_core::cost::loadtest::{LoadTestProgress, LoadTestRequest, LoadTestResult};
use vigil_core::cost::placements::Placement;
use vigil_core::cost::report::CostReport;
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

/// The load test running now, which `load_test_cancel` stops.
#[derive(Default)]
pub struct RunningLoadTest(Mutex<Option<Arc<AtomicBool>>>);

/// Load-tests one model revision as `profile`, sending progress on `progress`.
#[tauri::command]
pub async fn load_test_start(
    engine: State<'_, Engine>,
    running: State<'_, RunningLoadTest>,
    profile: Profile,
    request: LoadTestRequest,
    progress: Channel<LoadTestProgress>,
) -> CommandResult<LoadTestResult> {
    let person = acting(profile)?;
    let cancel = Arc::new(AtomicBool::new(false));
    *running.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(cancel.clone());
    let report = move |step: LoadTestProgress| {
        let _ = progress.send(step);
    };
    engine.cost().load_test(&person, request, report, cancel).await.map_err(to_payload)
}

/// Stops the running load test; what it measured so far is kept, marked cancelled.
#[tauri::command]
pub fn load_test_cancel(running: State<'_, RunningLoadTest>) {
    if let Some(cancel) = running.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
        cancel.store(true, Ordering::Relaxed);
    }
}

/// Stored load tests (of `model`, or all), newest first.
#[tauri::command]
pub async fn load_tests(engine: State<'_, Engine>, model: Option<String>) -> CommandResult<Vec<LoadTestResult>> {
    engine.cost().load_tests(model.as_deref()).await.map_err(to_payload)
}

/// The hosts outside loopback that load tests may reach.
#[tauri::command]
pub async fn load_test_hosts(engine: State<'_, Engine>) -> CommandResult<Vec<String>> {
    engine.cost().allowed_hosts().await.map_err(to_payload)
}

/// Replaces the hosts outside loopback that load tests may reach, as `profile`.
#[tauri::command]
pub async fn load_test_set_hosts(
    engine: State<'_, Engine>,
    profile: Profile,
    hosts: Vec<String>,
) -> CommandResult<Vec<String>> {
    let person = acting(profile)?;
    engine.cost().set_allowed_hosts(&person, &hosts).await.map_err(to_payload)
}

/// Replicas and monthly cost of each load-tested instance type for `request`.
#[tauri::command]
pub async fn capacity_plan(engine: State<'_, Engine>, request: CapacityRequest) -> CommandResult<CapacityPlan> {
    engine.cost().capacity_plan(&request).await.map_err(to_payload)
}
