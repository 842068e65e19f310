//! What the window hears without asking: every engine event, and the demo fleet's status each
//! time it changes, forwarded as Tauri events for as long as the app runs.

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;
use vigil_core::Engine;

use crate::demo::Demo;

/// The name of the event that carries every engine event to the window.
const ENGINE_EVENT: &str = "engine";
/// The name of the event that carries the demo fleet's status to the window.
const DEMO_EVENT: &str = "demo";

/// Forwards engine events and demo changes to the window; needs both in the app's state.
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

    let app = handle.clone();
    let mut changes = handle.state::<Demo>().changes();
    tauri::async_runtime::spawn(async move {
        while changes.changed().await.is_ok() {
            match app.state::<Demo>().status(&app.state::<Engine>()).await {
                Ok(status) => emit(&app, DEMO_EVENT, &status),
                Err(err) => tracing::warn!("could not read the demo fleet's status: {err}"),
            }
        }
    });
}

fn emit<R: Runtime>(app: &AppHandle<R>, name: &str, payload: &impl serde::Serialize) {
    if let Err(err) = app.emit(name, payload) {
        tracing::warn!("could not forward a {name} event to the window: {err}");
    }
}
