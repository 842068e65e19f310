//! The Settings commands for the store: what this window opened; choosing a team's PostgreSQL
//! (or this computer's own file again), checked against the database and kept by the engine
//! (`vigil_core::store::choice`); backing the file up and restoring a backup
//! (`vigil_core::backup`). After a new choice or a restore the window restarts on the store.

use std::path::PathBuf;
use std::time::Duration;

use tauri::{AppHandle, State};
use vigil_core::backup::{self, BackupReport};
use vigil_core::store::choice::{self, StoreChoice, StoreSettings};
use vigil_core::store_copy::CopyReport;
use vigil_core::Engine;

use crate::commands::{to_payload, CommandResult};

/// What chose the store at start instead of Settings (`--db`, `VIGIL_DB`), if anything.
pub struct ChosenElsewhere(pub Option<&'static str>);

#[tauri::command]
pub fn store_settings(engine: State<'_, Engine>, elsewhere: State<'_, ChosenElsewhere>) -> StoreSettings {
    StoreSettings::of(&engine.options().store, elsewhere.0)
}

/// Keeps `choice` (None: this computer's own file) once its database answers, then restarts
/// the window on it, unless `--db` or `VIGIL_DB` chose the store.
#[tauri::command]
pub async fn store_choose(
    app: AppHandle,
    elsewhere: State<'_, ChosenElsewhere>,
    choice: Option<StoreChoice>,
) -> CommandResult<StoreSettings> {
    let file = choice::choice_file().map_err(to_payload)?;
    let location = choice::choose(&file, choice.as_ref()).await.map_err(to_payload)?;
    if elsewhere.0.is_none() {
        restart_soon(app);
    }
    Ok(StoreSettings::of(&location, elsewhere.0))
}

/// Writes a checked copy of this window's store (a SQLite file) to the new file `path`.
#[tauri::command]
pub async fn store_backup(engine: State<'_, Engine>, path: PathBuf) -> CommandResult<BackupReport> {
    backup::backup(&engine.options().store, &path).await.map_err(to_payload)
}

/// Replaces this window's store with the backup at `path`, then restarts on it.
#[tauri::command]
pub async fn store_restore(app: AppHandle, engine: State<'_, Engine>, path: PathBuf) -> CommandResult<CopyReport> {
    let report = backup::restore(&engine.options().store, &path, Some(engine.holder())).await.map_err(to_payload)?;
    restart_soon(app);
    Ok(report)
}

/// Restarts the window once the answer has reached it.
fn restart_soon(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        app.restart();
    });
}
