//! What the window hears without asking: every engine event, forwarded as a Tauri event for as
//! long as the app runs, polls at most once a second (`PacedEvents`); the demo fleet forwards
//! its own status (`demo::setup`).

use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager, Runtime};
use vigil_core::events::PacedEvents;
use vigil_core::Engine;

/// The name of the event that carries every engine event to the window.
const ENGINE_EVENT: &str = "engine";

/// The window hears of polls at most this often (the polls meanwhile merged in one event).
const POLLS_EVERY: Duration = Duration::from_secs(1);

/// Forwards engine events to the window; needs the engine in the app's state.
pub fn start<R: Runtime>(handle: &AppHandle<R>) {
    let app = handle.clone();
    let mut events = PacedEvents::new(handle.state::<Engine>().subscribe(), POLLS_EVERY);
    tauri::async_runtime::spawn(async move {
        while let Some(event) = events.recv().await {
            emit(&app, ENGINE_EVENT, &event);
        }
    });
}

/// Sends `payload` to the window as event `name`, or logs why it could not.
pub fn emit<R: Runtime>(app: &AppHandle<R>, name: &str, payload: &impl serde::Serialize) {
    if let Err(err) = app.emit(name, payload) {
        tracing::warn!("could not forward a {name} event to the window: {err}");
    }
}
