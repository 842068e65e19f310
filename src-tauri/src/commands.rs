//! The commands the window may call. Each parses its input, calls one engine function and
//! returns the result; errors cross as `{code, message, field, detail}`.
//!
//! Adding a command: write it here, add its name to `src/command_list.rs` (registered with Tauri
//! from there), grant `allow-<name>` in `capabilities/default.json`, call it from the UI's
//! `ui/src/lib/api.ts`, and run `make bindings` (the UI's `Command` type). `tests/capabilities.rs`
//! fails until the capability file grants exactly the list, and the UI's `commands.test.ts` until
//! the UI calls exactly the list.
//!
//! A command only the demo fleet has carries `#[cfg(feature = "demo")]` here and in the list.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tauri::ipc::Channel;
use tauri::State;
use vigil_core::audit::{ChainCheck, ExportFormat};
use vigil_core::dashboard::ModelChart;
use vigil_core::dashboard::ModelOverview;
use vigil_core::drift::reference::{ReferenceRequest, ReferenceSummary};
use vigil_core::drift::report::{ColumnChoice, DriftReport, DriftTimeline};
use vigil_core::drift::table::ImportProgress;
use vigil_core::error::ErrorPayload;
use vigil_core::objectives::ModelObjectives;
use vigil_core::rollouts::history::{DeploymentHistory, RolloutReport};
use vigil_core::rollouts::people::{Person, Policy, Profile};
use vigil_core::rollouts::plan::Plan;
use vigil_core::rollouts::targets::TargetSpec;
use vigil_core::rollouts::view::RolloutView;
use vigil_core::rollouts::{RolloutAction, StoredTarget};
use vigil_core::{AppInfo, AuditEntry, Engine, FleetSnapshot, NewServer, Server, VigilError};

// The cost, alert, performance, preflight, store, startup-trouble and opening-place commands live in
// their own modules; re-exported so that the list names them here.
pub use crate::alerts::*;
pub use crate::cost::*;
#[cfg(feature = "demo")]
use crate::demo::{Demo, DemoStatus};
pub use crate::open_place::*;
pub use crate::performance::*;
pub use crate::preflight::*;
pub use crate::store_settings::*;
pub use crate::trouble::*;

pub(crate) type CommandResult<T> = Result<T, ErrorPayload>;

pub(crate) fn to_payload(err: VigilError) -> ErrorPayload {
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

/// Every model on the fleet with its revisions' roles and traffic split, its combined figures
/// against its objectives, its status and its sentence in plain words.
#[tauri::command]
pub async fn model_overviews(engine: State<'_, Engine>) -> CommandResult<Vec<ModelOverview>> {
    engine.dashboard().model_overviews().await.map_err(to_payload)
}

/// Sets `model`'s own objectives; a bound None follows the fleet default.
#[tauri::command]
pub async fn objective_set(engine: State<'_, Engine>, model: String, objectives: ModelObjectives) -> CommandResult<()> {
    engine.objectives().set(&model, objectives).await.map_err(to_payload)
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
    engine.dashboard().model_chart(&server, &model, time(from_ms)?, time(to_ms)?).await.map_err(to_payload)
}

#[tauri::command]
pub async fn server_add(engine: State<'_, Engine>, server: NewServer) -> CommandResult<Server> {
    engine.servers().add(server).await.map_err(to_payload)
}

/// Replaces the settings of the server called `name`; the edit may rename it.
#[tauri::command]
pub async fn server_update(engine: State<'_, Engine>, name: String, edit: NewServer) -> CommandResult<Server> {
    engine.servers().update(&name, edit).await.map_err(to_payload)
}

#[tauri::command]
pub async fn server_remove(engine: State<'_, Engine>, name: String) -> CommandResult<()> {
    engine.servers().remove(&name).await.map_err(to_payload)
}

#[cfg(feature = "demo")]
#[tauri::command]
pub async fn demo_status(engine: State<'_, Engine>, demo: State<'_, Demo>) -> CommandResult<DemoStatus> {
    demo.status(&engine).await.map_err(to_payload)
}

/// Starts the demo fleet and registers its servers; answers with the demo's new status.
#[cfg(feature = "demo")]
#[tauri::command]
pub async fn demo_start(engine: State<'_, Engine>, demo: State<'_, Demo>) -> CommandResult<DemoStatus> {
    demo.start(&engine).await.map_err(to_payload)?;
    demo_status(engine, demo).await
}

/// Stops the demo fleet; its servers stay registered and go down.
#[cfg(feature = "demo")]
#[tauri::command]
pub async fn demo_stop(engine: State<'_, Engine>, demo: State<'_, Demo>) -> CommandResult<DemoStatus> {
    demo.stop().await;
    demo_status(engine, demo).await
}

/// Stops the demo fleet and removes its servers, each on the audit trail.
#[cfg(feature = "demo")]
#[tauri::command]
pub async fn demo_remove_servers(engine: State<'_, Engine>, demo: State<'_, Demo>) -> CommandResult<DemoStatus> {
    demo.remove_servers(&engine).await.map_err(to_payload)?;
    demo_status(engine, demo).await
}

/// In a build without the demo fleet (no `demo` feature): says so.
#[cfg(not(feature = "demo"))]
#[tauri::command]
pub fn demo_status() -> CommandResult<()> {
    Err(to_payload(VigilError::NotFound(
        "This build of Vigil has no demo fleet: it was built without the `demo` feature.".to_owned(),
    )))
}

/// The newest drift report of each model.
#[tauri::command]
pub async fn drift_latest(engine: State<'_, Engine>) -> CommandResult<Vec<DriftReport>> {
    engine.drift().latest_reports().await.map_err(to_payload)
}

/// A time from Unix ms, or an error naming the range.
fn time(ms: i64) -> CommandResult<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| to_payload(VigilError::invalid("range", "The range is not a time Vigil can read.")))
}

/// Compares `model`'s live data from `from_ms` to `to_ms` with its reference, now.
#[tauri::command]
pub async fn drift_report(
    engine: State<'_, Engine>,
    model: String,
    version: Option<String>,
    from_ms: i64,
    to_ms: i64,
) -> CommandResult<DriftReport> {
    engine.drift().report(&model, version.as_deref(), time(from_ms)?, time(to_ms)?).await.map_err(to_payload)
}

/// Each tested column's drift window by window, for the heatmap.
#[tauri::command]
pub async fn drift_timeline(
    engine: State<'_, Engine>,
    model: String,
    version: Option<String>,
    from_ms: i64,
    to_ms: i64,
) -> CommandResult<DriftTimeline> {
    engine.drift().timeline(&model, version.as_deref(), time(from_ms)?, time(to_ms)?).await.map_err(to_payload)
}

/// The reference data stored for `model`, if any.
#[tauri::command]
pub async fn drift_reference(
    engine: State<'_, Engine>,
    model: String,
    version: Option<String>,
) -> CommandResult<Option<ReferenceSummary>> {
    engine.drift().reference(&model, version.as_deref()).await.map_err(to_payload)
}

/// Chooses the test of `column` in `model`'s reference (both None: Evidently's default again).
#[tauri::command]
pub async fn drift_set_choice(
    engine: State<'_, Engine>,
    model: String,
    version: Option<String>,
    column: String,
    choice: ColumnChoice,
) -> CommandResult<()> {
    engine.drift().set_choice(&model, version.as_deref(), &column, choice).await.map_err(to_payload)
}

/// Sets the share of drifted features at which `model`'s data set counts as drifted (None: 0.5 again).
#[tauri::command]
pub async fn drift_set_share(engine: State<'_, Engine>, model: String, share: Option<f64>) -> CommandResult<()> {
    engine.drift().set_share(&model, share).await.map_err(to_payload)
}

/// The versions of `model` with live data or a reference of their own, newest first.
#[tauri::command]
pub async fn drift_versions(engine: State<'_, Engine>, model: String) -> CommandResult<Vec<String>> {
    engine.drift().versions(&model).await.map_err(to_payload)
}

/// The import running now, which `drift_cancel_import` stops.
#[derive(Default)]
pub struct RunningImport(Mutex<Option<Arc<AtomicBool>>>);

/// Imports the file at `path` as a model's reference data, sending progress on `progress`.
#[tauri::command]
pub async fn drift_import_reference(
    engine: State<'_, Engine>,
    running: State<'_, RunningImport>,
    path: String,
    request: ReferenceRequest,
    progress: Channel<ImportProgress>,
) -> CommandResult<ReferenceSummary> {
    let cancel = Arc::new(AtomicBool::new(false));
    *running.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(cancel.clone());
    let report = move |step: ImportProgress| {
        let _ = progress.send(step);
    };
    engine.drift().import_reference(path.into(), request, report, cancel).await.map_err(to_payload)
}

/// Stops the running import; nothing of it is stored.
#[tauri::command]
pub fn drift_cancel_import(running: State<'_, RunningImport>) {
    if let Some(cancel) = running.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
        cancel.store(true, Ordering::Relaxed);
    }
}

/// The person acting in the window: their profile, and the OS user running Vigil.
pub(crate) fn acting(profile: Profile) -> CommandResult<Person> {
    Person::here(&profile.name, profile.role).map_err(to_payload)
}

/// Rollouts (of `model`, or all), under way first, each with its gates, sign-offs and sentence.
#[tauri::command]
pub async fn rollouts_list(engine: State<'_, Engine>, model: Option<String>) -> CommandResult<Vec<RolloutView>> {
    engine.rollouts().list(model.as_deref(), 200).await.map_err(to_payload)
}

/// Starts a rollout of `candidate` for `model`, as `profile`.
#[tauri::command]
pub async fn rollout_start(
    engine: State<'_, Engine>,
    profile: Profile,
    model: String,
    candidate: String,
    reason: Option<String>,
) -> CommandResult<RolloutView> {
    let person = acting(profile)?;
    engine.rollouts().start(&person, &model, &candidate, None, reason.as_deref()).await.map_err(to_payload)
}

/// Approves, rejects, promotes, pauses, resumes or aborts rollout `id`, as `profile`.
#[tauri::command]
pub async fn rollout_act(
    engine: State<'_, Engine>,
    profile: Profile,
    id: i64,
    action: RolloutAction,
    reason: Option<String>,
) -> CommandResult<RolloutView> {
    let person = acting(profile)?;
    engine.rollouts().act_on(&person, id, action, reason.as_deref()).await.map_err(to_payload)
}

/// Sends all of `model`'s traffic to `to` (None: its last rollout's stable revision), as `profile`.
#[tauri::command]
pub async fn rollout_rollback(
    engine: State<'_, Engine>,
    profile: Profile,
    model: String,
    to: Option<String>,
    reason: Option<String>,
) -> CommandResult<RolloutView> {
    let person = acting(profile)?;
    engine.rollouts().rollback(&person, &model, to.as_deref(), reason.as_deref()).await.map_err(to_payload)
}

/// Rollbacks, time to roll back, change-failure rate and time to promote, per model and overall.
#[tauri::command]
pub async fn rollout_report(engine: State<'_, Engine>) -> CommandResult<RolloutReport> {
    engine.rollouts().report().await.map_err(to_payload)
}

/// `model`'s deployment history: revisions, traffic over time, rollouts and rollbacks.
#[tauri::command]
pub async fn deployment_history(engine: State<'_, Engine>, model: String) -> CommandResult<DeploymentHistory> {
    engine.rollouts().history(&model).await.map_err(to_payload)
}

/// Every model's deployment target.
#[tauri::command]
pub async fn targets_list(engine: State<'_, Engine>) -> CommandResult<Vec<StoredTarget>> {
    engine.rollouts().targets().await.map_err(to_payload)
}

/// Sets `model`'s deployment target, as `profile`.
#[tauri::command]
pub async fn target_set(
    engine: State<'_, Engine>,
    profile: Profile,
    model: String,
    spec: TargetSpec,
    timeout_secs: Option<f64>,
) -> CommandResult<StoredTarget> {
    let person = acting(profile)?;
    let timeout = match timeout_secs {
        Some(secs) if !(0.1..=600.0).contains(&secs) => {
            return Err(to_payload(VigilError::invalid(
                "timeout",
                "A target's timeout is between 0.1 and 600 seconds.",
            )))
        }
        secs => secs.map(std::time::Duration::from_secs_f64),
    };
    engine.rollouts().set_target(&person, &model, spec, timeout).await.map_err(to_payload)
}

/// Removes `model`'s deployment target, as `profile`.
#[tauri::command]
pub async fn target_remove(engine: State<'_, Engine>, profile: Profile, model: String) -> CommandResult<()> {
    let person = acting(profile)?;
    engine.rollouts().remove_target(&person, &model).await.map_err(to_payload)
}

/// `model`'s plan and policy (its own, or the defaults).
#[tauri::command]
pub async fn rollout_settings(engine: State<'_, Engine>, model: String) -> CommandResult<(Plan, Policy)> {
    let rollouts = engine.rollouts();
    Ok((rollouts.plan(&model).await.map_err(to_payload)?, rollouts.policy(&model).await.map_err(to_payload)?))
}

/// Sets `model`'s plan, from the window's form or an imported TOML/JSON text, as `profile`.
#[tauri::command]
pub async fn rollout_plan_set(
    engine: State<'_, Engine>,
    profile: Profile,
    model: String,
    plan: String,
) -> CommandResult<()> {
    let person = acting(profile)?;
    let plan = Plan::parse(&plan).map_err(to_payload)?;
    engine.rollouts().set_plan(&person, &model, plan).await.map_err(to_payload)
}

/// Sets `model`'s approval policy, as `profile`.
#[tauri::command]
pub async fn rollout_policy_set(
    engine: State<'_, Engine>,
    profile: Profile,
    model: String,
    policy: Policy,
) -> CommandResult<()> {
    let person = acting(profile)?;
    engine.rollouts().set_policy(&person, &model, policy).await.map_err(to_payload)
}

/// Every profile.
#[tauri::command]
pub async fn profiles_list(engine: State<'_, Engine>) -> CommandResult<Vec<Profile>> {
    engine.rollouts().profiles().await.map_err(to_payload)
}

/// Adds a profile, or changes its role.
#[tauri::command]
pub async fn profile_set(engine: State<'_, Engine>, profile: Profile) -> CommandResult<Vec<Profile>> {
    engine.rollouts().set_profile(&profile.name, profile.role).await.map_err(to_payload)?;
    engine.rollouts().profiles().await.map_err(to_payload)
}

/// Checks the audit trail's hash chain, naming the first broken entry.
#[tauri::command]
pub async fn audit_verify(engine: State<'_, Engine>) -> CommandResult<ChainCheck> {
    engine.verify_audit().await.map_err(to_payload)
}

/// Writes `model`'s report to share to `path`: one self-contained HTML file (`vigil_core::share`).
#[tauri::command]
pub async fn share_report(engine: State<'_, Engine>, model: String, path: std::path::PathBuf) -> CommandResult<()> {
    vigil_core::share::write(&engine, &model, &path).await.map(|_| ()).map_err(to_payload)
}

/// Writes the whole audit trail, with its hashes, to `path` as CSV or JSON.
#[tauri::command]
pub async fn audit_export(
    engine: State<'_, Engine>,
    path: std::path::PathBuf,
    format: ExportFormat,
) -> CommandResult<()> {
    let text = engine.export_audit(format).await.map_err(to_payload)?;
    std::fs::write(&path, text).map_err(|err| {
        to_payload(VigilError::invalid("path", format!("{} could not be written: {err}", path.display())))
    })
}
