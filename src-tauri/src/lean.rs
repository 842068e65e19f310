//! A leaner web view on Linux (issue 5: under 200 MB for the window, web view included).
//!
//! The window is one page that never navigates and is drawn without a GPU on most machines
//! Vigil runs on, so WebKitGTK's browser defaults only cost memory here:
//! - the cache model `DocumentViewer` turns off WebKit's memory cache of decoded resources and
//!   its page cache (pages kept alive to go back to), sized for a browser by default;
//! - the page cache (back/forward cache) is off as well in the page's own settings;
//! - hardware acceleration `Never` draws the page in software (no GPU compositing buffers),
//!   which is what WebKit falls back to without a GPU anyway.
//!
//! The engine's side keeps its memory in two malloc arenas ([`limit_malloc_arenas`]) instead of
//! glibc's default of eight per core, one per busy thread.
//!
//! Other platforms keep their defaults.

/// At most two malloc arenas in this process (glibc's `M_ARENA_MAX`; the default lets every
/// tokio and WebKit thread grow its own). Call first in `main`, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn limit_malloc_arenas() {
    // SAFETY: mallopt only sets a malloc parameter; called before other threads exist.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_malloc_arenas() {}

/// Applies the settings above to the `main` window's web view.
#[cfg(target_os = "linux")]
pub fn apply(app: &tauri::App) {
    use tauri::Manager;
    use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};

    let Some(window) = app.get_webview_window("main") else { return };
    let applied = window.with_webview(|platform| {
        let view = platform.inner();
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_page_cache(false);
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
    if let Err(err) = applied {
        tracing::warn!("could not apply the lean web view settings: {err}");
    }
}

#[cfg(not(target_os = "linux"))]
pub fn apply(_app: &tauri::App) {}
