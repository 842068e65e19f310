//! The window's commands for what is known before a revision goes live: the environment each
//! revision serves in and its model was built in (gather, upload, difference), and parity checks
//! (run with progress, cancel, the newest of each revision). They call the engine's environment
//! and parity fronts; `commands.rs` re-exports them, so that the command list names them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tauri::ipc::Channel;
use tauri::State;
use vigil_core::environment::{BuiltEnvironment, EnvironmentDiff, Fingerprint};
use vigil_core::parity::{ParityProgress, ParityReport, ParityRequest};
use vigil_core::rollouts::people::Profile;
use vigil_core::Engine;

use crate::commands::{acting, to_payload, CommandResult};

/// The environment of each revision of `model`, as last gathered.
#[tauri::command]
pub async fn environment_fingerprints(engine: State<'_, Engine>, model: String) -> CommandResult<Vec<Fingerprint>> {
    engine.environment().fingerprints(&model).await.map_err(to_payload)
}

/// Gathers the environment of `model`'s revision `version` on `server` now.
#[tauri::command]
pub async fn environment_gather(
    engine: State<'_, Engine>,
    server: String,
    model: String,
    version: String,
) -> CommandResult<Fingerprint> {
    engine.environment().gather(&server, &model, Some(&version)).await.map_err(to_payload)
}

/// `model`'s revision `version` on `server` set against where the model was built.
#[tauri::command]
pub async fn environment_diff(
    engine: State<'_, Engine>,
    server: String,
    model: String,
    version: String,
    refresh: bool,
) -> CommandResult<EnvironmentDiff> {
    engine.environment().diff(&server, &model, Some(&version), refresh).await.map_err(to_payload)
}

/// Uploads the file `file_name` (its `text`) as where `model` was built, as `profile`.
#[tauri::command]
pub async fn environment_import(
    engine: State<'_, Engine>,
    profile: Profile,
    model: String,
    file_name: String,
    text: String,
) -> CommandResult<BuiltEnvironment> {
    let person = acting(profile)?;
    engine.environment().import_built_text(&person, &model, &file_name, &text).await.map_err(to_payload)
}

/// The newest parity check of each revision of `model`.
#[tauri::command]
pub async fn parity_latest(engine: State<'_, Engine>, model: String) -> CommandResult<Vec<ParityReport>> {
    engine.parity().latest(&model).await.map_err(to_payload)
}

/// The parity check running now, which `parity_cancel` stops.
#[derive(Default)]
pub struct RunningParity(Mutex<Option<Arc<AtomicBool>>>);

/// Runs a parity check as `profile`, sending progress on `progress`.
#[tauri::command]
pub async fn parity_start(
    engine: State<'_, Engine>,
    running: State<'_, RunningParity>,
    profile: Profile,
    request: ParityRequest,
    progress: Channel<ParityProgress>,
) -> CommandResult<ParityReport> {
    let person = acting(profile)?;
    let cancel = Arc::new(AtomicBool::new(false));
    *running.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(cancel.clone());
    let report = move |step: ParityProgress| {
        let _ = progress.send(step);
    };
    engine.parity().run(&person, &request, report, cancel).await.map_err(to_payload)
}

/// Stops the running parity check; what it checked so far is reported, marked cancelled.
#[tauri::command]
pub fn parity_cancel(running: State<'_, RunningParity>) {
    if let Some(cancel) = running.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
        cancel.store(true, Ordering::Relaxed);
    }
}
