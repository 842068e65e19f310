//! The Settings commands for the store: what this window opened, and choosing a team's
//! PostgreSQL (or this computer's own file again). A choice is checked against the database and
//! kept by the engine (`vigil_core::store::choice`); the window then restarts to open it.

use std::time::Duration;

use tauri::{AppHandle, State};
use vigil_core::store::choice::{self, StoreChoice, StoreSettings};
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
        // After the answer has reached the window.
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            app.restart();
        });
    }
    Ok(StoreSettings::of(&location, elsewhere.0))
}
