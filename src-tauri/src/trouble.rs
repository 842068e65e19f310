//! When the engine cannot start (a database written by a newer Vigil, a damaged or read-only
//! file, a team store that does not answer, a port in use), the window still opens and says what
//! happened and what to do, instead of a message on a terminal nobody sees. The UI asks for the
//! trouble first and, when there is one, shows only that.

use tauri::{AppHandle, State};
use vigil_core::error::ErrorPayload;

/// Why the engine did not start, if it did not.
pub struct StartupTrouble(pub Option<ErrorPayload>);

#[tauri::command]
pub fn startup_trouble(trouble: State<'_, StartupTrouble>) -> Option<ErrorPayload> {
    trouble.0.clone()
}

/// Closes Vigil: from the trouble page, with the failure's exit status.
#[tauri::command]
pub fn app_quit(app: AppHandle, trouble: State<'_, StartupTrouble>) {
    app.exit(i32::from(trouble.0.is_some()));
}
