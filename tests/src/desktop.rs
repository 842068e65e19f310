//! The real `vigil-desktop` window under Xvfb, driven over WebDriver (tauri-driver in front of
//! WebKitWebDriver). Each [`DesktopApp`] has its own X display, driver ports and database, and
//! stops everything it started when dropped. If the test is failing at that moment, it first
//! saves a screenshot and the logs under `target/e2e-artifacts/NAME/` and prints their paths.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::webdriver::Session;
use crate::{wait_for, workspace_binary};

/// A running desktop app and the session that drives it.
pub struct DesktopApp {
    pub session: Session,
    /// The app's database file, for assertions on what was stored.
    pub db_path: PathBuf,
    _db_dir: tempfile::TempDir,
    artifacts: PathBuf,
    xvfb: Child,
    driver: Child,
}

/// Finds a program the tests need, or panics naming how to install it.
fn tool(env: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|p| p.is_file()))
        .unwrap_or_else(|| panic!("{name} is not installed (or set {env}): `make test` installs it"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Starts Xvfb on a display it picks itself and returns it with the display name.
async fn start_xvfb(artifacts: &Path) -> (Child, String) {
    let display_file = artifacts.join("display");
    let _ = std::fs::remove_file(&display_file);
    let xvfb = tool("XVFB", "Xvfb");
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec '{}' -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>'{}'", xvfb.display(), display_file.display()))
        .stdout(Stdio::null())
        .stderr(File::create(artifacts.join("xvfb.log")).expect("xvfb log"))
        .spawn()
        .expect("start Xvfb");
    let display = wait_for("Xvfb to choose a display", Duration::from_secs(10), || async {
        std::fs::read_to_string(&display_file).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
    })
    .await;
    (child, format!(":{display}"))
}

impl DesktopApp {
    /// Launches `vigil-desktop` on a fresh database, polling every `poll_interval_secs`.
    /// `name` names the artifacts folder.
    pub async fn launch(name: &str, poll_interval_secs: f64) -> DesktopApp {
        let app_binary = workspace_binary("vigil-desktop");
        let artifacts = app_binary.parent().and_then(Path::parent).expect("target dir").join("e2e-artifacts").join(name);
        std::fs::create_dir_all(&artifacts).expect("artifacts folder");
        let db_dir = tempfile::tempdir().expect("temp dir");
        let db_path = db_dir.path().join("vigil.db");

        let (xvfb, display) = start_xvfb(&artifacts).await;
        let (port, native_port) = (free_port(), free_port());
        let log = File::create(artifacts.join("app.log")).expect("app log");
        let driver = Command::new(tool("TAURI_DRIVER", "tauri-driver"))
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("DISPLAY", &display)
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("NO_AT_BRIDGE", "1")
            .env("VIGIL_DB", &db_path)
            .env("VIGIL_POLL_INTERVAL", poll_interval_secs.to_string())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start tauri-driver");

        let driver_url = format!("http://127.0.0.1:{port}");
        let capabilities = json!({ "alwaysMatch": { "tauri:options": { "application": app_binary } } });
        let session = wait_for("a WebDriver session with the app", Duration::from_secs(60), || async {
            Session::create(&driver_url, capabilities.clone()).await.ok()
        })
        .await;
        DesktopApp { session, db_path, _db_dir: db_dir, artifacts, xvfb, driver }
    }

    /// Waits until the element matching `css` exists and returns its id.
    pub async fn element(&self, css: &str, deadline: Duration) -> String {
        wait_for(&format!("element {css}"), deadline, || async { self.session.find(css).await.ok().flatten() }).await
    }

    /// Waits until the element matching `css` shows exactly `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str, deadline: Duration) {
        let mut last = String::new();
        let what = format!("{css} to show {expected:?}");
        let found = tokio::time::timeout(deadline, async {
            loop {
                if let Ok(Some(el)) = self.session.find(css).await {
                    last = self.session.text(&el).await.unwrap_or_default();
                    if last.trim() == expected {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        })
        .await;
        assert!(found.is_ok(), "timed out after {deadline:?} waiting for {what}; it showed {last:?}");
    }

    /// Clicks the element matching `css`, waiting for it to appear.
    pub async fn click(&self, css: &str) {
        let el = self.element(css, Duration::from_secs(10)).await;
        self.session.click(&el).await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Types into the input matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.element(css, Duration::from_secs(10)).await;
        self.session.type_text(&el, text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    fn save_failure_artifacts(&self) {
        let shot = self.artifacts.join("failure.png");
        let session = self.session.detached();
        let saved = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    runtime.block_on(session.screenshot()).ok()
                })
                .join()
                .ok()
                .flatten()
        });
        if let Some(png) = saved {
            let _ = std::fs::write(&shot, png);
        }
        eprintln!("end-to-end failure artifacts: {} (failure.png, app.log, xvfb.log)", self.artifacts.display());
    }
}

impl Drop for DesktopApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.save_failure_artifacts();
        }
        // tauri-driver leads a process group holding WebKitWebDriver and the app.
        let _ = Command::new("kill").args(["-TERM", &format!("-{}", self.driver.id())]).status();
        std::thread::sleep(Duration::from_millis(200));
        let _ = Command::new("kill").args(["-KILL", &format!("-{}", self.driver.id())]).status();
        let _ = self.driver.wait();
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}
