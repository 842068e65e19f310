//! Builds the blank window's Tauri context (its page is `dist/index.html`).

fn main() {
    tauri_build::build();
}
