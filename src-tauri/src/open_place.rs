//! `--open PLACE` and `vigil://` links: the place this launch opens the window on, and the door
//! through which later launches on the same database send theirs to this window, which then
//! shows it and comes to the front (`vigil_core::window_link`). A clicked desktop notification
//! brings the window to the front the same way (`come_forward`; the window opens its place).

use std::sync::Mutex;

use tauri::{AppHandle, Manager, State};
use vigil_core::window_link::{Door, Place};

use crate::forward::emit;

/// The event that carries a place a later launch asked for to the window.
const OPEN_EVENT: &str = "open-place";

/// The place this launch was asked to open, until the window takes it.
pub struct Opening(pub Mutex<Option<Place>>);

/// The place this launch was asked to open, once: the window asks as it starts.
#[tauri::command]
pub fn opening_place(opening: State<'_, Opening>) -> Option<Place> {
    opening.0.lock().map(|mut place| place.take()).unwrap_or_default()
}

/// Brings the window to the front: a notification about it was clicked.
#[tauri::command]
pub fn come_forward(app: AppHandle) {
    bring_forward(&app);
}

/// Listens at `door` while the app runs: each later launch's place goes to the window, and
/// the window comes to the front.
pub fn hold(app: &AppHandle, door: Door) {
    let app = app.clone();
    tauri::async_runtime::block_on(async move {
        door.listen(move |place| {
            bring_forward(&app);
            if let Some(place) = place {
                emit(&app, OPEN_EVENT, &place);
            }
        })
    });
}

/// Shows the window, unminimized, in front.
fn bring_forward(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
