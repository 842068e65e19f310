//! What the window hears without asking: every engine event, forwarded as a Tauri event for as
//! long as the app runs (the demo fleet forwards its own status: `demo::setup`).

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;
use vigil_core::Engine;

/// The name of the event that carries every engine event to the window.
const ENGINE_EVENT: &str = "engine";

/// Forwards engine events to the window; needs the engine in the app's state.
pub fn start<R: Runtime>(handle: &AppHandle<R>) {
    let app = handle.clone();
    let mut events = handle.state::<Engine>().subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => emit(&app, ENGINE_EVENT, &event),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// Sends `payload` to the window as event `name`, or logs why it could not.
pub fn emit<R: Runtime>(app: &AppHandle<R>, name: &str, payload: &impl serde::Serialize) {
    if let Err(err) = app.emit(name, payload) {
        tracing::warn!("could not forward a {name} event to the window: {err}");
    }
}
