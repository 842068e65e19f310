//! A blank Tauri window: an empty page, the same window size and the same lean web view
//! settings as `vigil-desktop` (its `lean.rs`, shared, not copied). `vigil-bench window`
//! measures its memory in the same run as Vigil's, the floor WebKitGTK, JavaScriptCore and Mesa
//! put under any Tauri window on Linux, so the figure compared with the goal is what Vigil adds.

#[path = "../../../src-tauri/src/lean.rs"]
mod lean;

fn main() {
    lean::limit_malloc_arenas();
    tauri::Builder::default()
        .setup(|app| {
            lean::apply(app);
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the blank window could not start");
}
