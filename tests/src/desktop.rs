//! The real `vigil-desktop` window under Xvfb, driven over WebDriver (tauri-driver in front of
//! WebKitWebDriver). Each [`DesktopApp`] has its own X display, driver ports and database, and
//! stops everything it started when dropped. One runs at a time: with two windows at once on a
//! 2-core machine, WebKitWebDriver fails to type now and then ("unknown error"). If the test is failing at that moment, it first
//! saves a screenshot (ImageMagick's `import`) beside the logs under `target/e2e-artifacts/NAME/` and prints their paths;
//! a test may save screenshots there too, to be looked at.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use tokio::sync::{Mutex, MutexGuard};

use crate::webdriver::Session;
use crate::{signal_group, wait_for, workspace_binary};

/// Held by the one desktop app running in this test process.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());
/// How long a new WebDriver session with the app is asked for before the test gives up.
const SESSION_DEADLINE: Duration = Duration::from_secs(20);

/// A running desktop app and the session that drives it.
pub struct DesktopApp {
    pub session: Session,
    /// The app's database file, for assertions on what was stored.
    pub db_path: PathBuf,
    _db_dir: tempfile::TempDir,
    artifacts: PathBuf,
    display: String,
    /// The window's size now, for screenshots of it.
    window: std::sync::Mutex<(u32, u32)>,
    xvfb: Child,
    driver: Child,
    /// Released after the processes above are stopped (fields drop after `Drop::drop`).
    _turn: MutexGuard<'static, ()>,
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

/// Whether display `number` has a live X server: its lock file names a running process. A lock
/// left by a server that was killed does not count (Xvfb replaces such a lock itself).
fn display_in_use(number: u32) -> bool {
    match std::fs::read_to_string(format!("/tmp/.X{number}-lock")) {
        Ok(pid) => pid.trim().parse::<u32>().map_or(true, |pid| Path::new(&format!("/proc/{pid}")).exists()),
        Err(_) => false,
    }
}

/// The screen of each Xvfb: room for the largest window a test asks for.
const SCREEN: (u32, u32) = (2560, 1440);
/// The window's size as it opens (`src-tauri/tauri.conf.json`).
const WINDOW: (u32, u32) = (1280, 800);

/// Starts Xvfb on the first free display from :100 up (clear of a desktop's :0) and returns it
/// with the display name, once its socket is there. The window opens in its top left corner.
pub async fn start_xvfb(artifacts: &Path) -> (Child, String) {
    let xvfb = tool("XVFB", "Xvfb");
    for number in 100..200 {
        if display_in_use(number) {
            continue;
        }
        let display = format!(":{number}");
        let mut child = Command::new(&xvfb)
            .args([display.as_str(), "-screen", "0", &format!("{}x{}x24", SCREEN.0, SCREEN.1), "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(File::create(artifacts.join("xvfb.log")).expect("xvfb log"))
            .spawn()
            .expect("start Xvfb");
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        for _ in 0..100 {
            if socket.exists() {
                return (child, display);
            }
            if child.try_wait().ok().flatten().is_some() {
                break; // another run took this display first
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("no free X display between :100 and :199 for Xvfb");
}

impl DesktopApp {
    /// Launches `vigil-desktop` with `args` on a fresh database, polling every
    /// `poll_interval_secs`. `name` names the artifacts folder.
    pub async fn launch(name: &str, poll_interval_secs: f64, args: &[&str]) -> DesktopApp {
        Self::launch_binary(&workspace_binary("vigil-desktop"), name, poll_interval_secs, args).await
    }

    /// As [`launch`](Self::launch), with `env` added to the app's environment (e.g. a private
    /// `DBUS_SESSION_BUS_ADDRESS`).
    pub async fn launch_with_env(
        name: &str,
        poll_interval_secs: f64,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> DesktopApp {
        Self::start(&workspace_binary("vigil-desktop"), name, poll_interval_secs, args, env).await
    }

    /// As [`launch`](Self::launch), with the `vigil-desktop` binary at `app_binary`.
    pub async fn launch_binary(app_binary: &Path, name: &str, poll_interval_secs: f64, args: &[&str]) -> DesktopApp {
        Self::start(app_binary, name, poll_interval_secs, args, &[]).await
    }

    /// Starts Xvfb, then tauri-driver with the app's environment (inherited by the app).
    async fn start(
        app_binary: &Path,
        name: &str,
        poll_interval_secs: f64,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> DesktopApp {
        let turn = ONE_AT_A_TIME.lock().await;
        let artifacts =
            app_binary.parent().and_then(Path::parent).expect("target dir").join("e2e-artifacts").join(name);
        std::fs::create_dir_all(&artifacts).expect("artifacts folder");
        let db_dir = tempfile::tempdir().expect("temp dir");
        let db_path = db_dir.path().join("vigil.db");

        // Found first: a missing tool must not leave an Xvfb behind.
        let driver_program = tool("TAURI_DRIVER", "tauri-driver");
        let (xvfb, display) = start_xvfb(&artifacts).await;
        let (port, native_port) = (free_port(), free_port());
        let log = File::create(artifacts.join("app.log")).expect("app log");
        let driver = Command::new(driver_program)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("DISPLAY", &display)
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("NO_AT_BRIDGE", "1")
            .env("VIGIL_DB", &db_path)
            .env("VIGIL_POLL_INTERVAL", poll_interval_secs.to_string())
            .envs(env.iter().copied())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start tauri-driver");

        let driver_url = format!("http://127.0.0.1:{port}");
        wait_for("tauri-driver to listen", Duration::from_secs(20), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()
        })
        .await;
        let capabilities = json!({ "alwaysMatch": { "tauri:options": { "application": app_binary, "args": args } } });
        // tauri-driver listens before the WebKitWebDriver behind it does (on a busy machine, seconds
        // before): until then a new session is refused, so it is asked again, for a bounded time.
        let mut attempts = Vec::new();
        let give_up = std::time::Instant::now() + SESSION_DEADLINE;
        let session = loop {
            match Session::create(&driver_url, capabilities.clone()).await {
                Ok(session) => break session,
                Err(err) if std::time::Instant::now() < give_up => {
                    attempts.push(err.to_string());
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(err) => panic!(
                    "no WebDriver session with the app within {SESSION_DEADLINE:?} ({} tries; the last ones: {:?}), then {err}",
                    attempts.len() + 1,
                    attempts.iter().rev().take(2).collect::<Vec<_>>()
                ),
            }
        };
        let window = std::sync::Mutex::new(WINDOW);
        DesktopApp { session, db_path, _db_dir: db_dir, artifacts, display, window, xvfb, driver, _turn: turn }
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

    /// Clicks the element matching `css`, waiting for it to appear, and first scrolling it to the
    /// middle of the window when it is near an edge (where a scroll bar may cover it).
    pub async fn click(&self, css: &str) {
        let into_view = "const e = document.querySelector(arguments[0]); const r = e?.getBoundingClientRect(); \
                         if (r && (r.top < 60 || r.bottom > window.innerHeight - 60)) e.scrollIntoView({ block: 'center' });";
        self.element(css, Duration::from_secs(10)).await;
        let _ = self.session.execute(into_view, vec![css.into()]).await;
        // The window redraws as polls land: an element replaced or moved between being found and
        // clicked is found again (at most three tries).
        for attempt in 1..=3 {
            let el = self.element(css, Duration::from_secs(10)).await;
            match self.session.click(&el).await {
                Ok(_) => return,
                Err(e)
                    if attempt < 3
                        && (e.to_string().contains("not interactable") || e.to_string().contains("stale")) =>
                {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Err(e) => panic!("click {css}: {e}"),
            }
        }
    }

    /// Types into the input matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.element(css, Duration::from_secs(10)).await;
        self.session.type_text(&el, text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Presses `keys` on the element matching `css`, as [`Session::send_keys`] does.
    pub async fn press(&self, css: &str, keys: &str) {
        let el = self.element(css, Duration::from_secs(10)).await;
        self.session.send_keys(&el, keys).await.unwrap_or_else(|e| panic!("press {keys:?} on {css}: {e}"));
    }

    /// The text WebDriver reads from the element matching `css` (what the window shows), if there
    /// is one now.
    pub async fn text_of(&self, css: &str) -> Option<String> {
        let element = self.session.find(css).await.ok()??;
        self.session.text(&element).await.ok()
    }

    /// Attribute `name` of the element matching `css`, if it is there now.
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let element = self.session.find(css).await.ok()??;
        self.session.attribute(&element, name).await.ok()?
    }

    /// The text WebDriver reads from the element matching `css`, once `accept` takes it.
    pub async fn text_when(&self, css: &str, deadline: Duration, accept: impl Fn(&str) -> bool) -> String {
        wait_for(&format!("{css} to show what is expected"), deadline, || async {
            self.text_of(css).await.filter(|text| accept(text))
        })
        .await
    }

    /// The text in the element matching `css`, scrolled into view, once `accept` takes it (its
    /// `textContent`: WebKit's WebDriver reads no text from an ellipsized box it deems hidden).
    pub async fn content_when(&self, css: &str, deadline: Duration, accept: impl Fn(&str) -> bool) -> String {
        let script = "const e = document.querySelector(arguments[0]); if (!e) return null; \
                      e.scrollIntoView({ block: 'nearest' }); return e.textContent;";
        wait_for(&format!("{css} to show what is expected"), deadline, || async {
            let text = self.session.execute(script, vec![css.into()]).await.ok()?;
            let text = text.as_str()?.trim().to_owned();
            accept(&text).then_some(text)
        })
        .await
    }

    /// Sets the `<select>` matching `css` to `value` as a person choosing it would.
    pub async fn choose(&self, css: &str, value: &str) {
        self.element(css, Duration::from_secs(10)).await;
        let script = "const s = document.querySelector(arguments[0]); s.value = arguments[1]; \
                      s.dispatchEvent(new Event('change', { bubbles: true }));";
        self.session.execute(script, vec![css.into(), value.into()]).await.expect("choose an option");
    }

    /// Replaces the text of the input matching `css` as a person typing it would.
    pub async fn fill(&self, css: &str, text: &str) {
        self.element(css, Duration::from_secs(10)).await;
        let script = "const i = document.querySelector(arguments[0]); i.value = arguments[1]; \
                      i.dispatchEvent(new Event('input', { bubbles: true }));";
        self.session.execute(script, vec![css.into(), text.into()]).await.expect("fill an input");
    }

    /// Adds a profile in Settings (`role`: engineer, data_scientist or product_manager); it
    /// becomes the window's.
    pub async fn add_profile(&self, name: &str, role: &str) {
        self.click(r#"[data-testid="nav-settings"]"#).await;
        self.type_into(r#"[data-testid="profile-name"]"#, name).await;
        self.choose(r#"[data-testid="profile-role"]"#, role).await;
        self.click(r#"[data-testid="profile-save"]"#).await;
        self.element(&format!(r#"[data-testid="profile-option"][data-name="{name}"]"#), Duration::from_secs(5)).await;
    }

    /// Runs `vigil-desktop ARGS` a second time on this app's database and display, as a person
    /// opening a link would, and returns how it ended (it is killed after 30 s).
    pub async fn launch_again(&self, args: &[&str]) -> std::process::Output {
        let second = tokio::process::Command::new(workspace_binary("vigil-desktop"))
            .args(args)
            .env("DISPLAY", &self.display)
            .env("VIGIL_DB", &self.db_path)
            .env("NO_AT_BRIDGE", "1")
            .kill_on_drop(true)
            .output();
        tokio::time::timeout(Duration::from_secs(30), second)
            .await
            .expect("the second launch ended within 30 s")
            .expect("run vigil-desktop again")
    }

    /// Resizes the window to `width` × `height` (at most the screen's 2560 × 1440) and waits until
    /// the page has taken the new size and drawn it.
    pub async fn resize(&self, width: u32, height: u32) {
        assert!(width <= SCREEN.0 && height <= SCREEN.1, "{width}×{height} is larger than the test screen");
        self.session.set_window_size(width, height).await.unwrap_or_else(|e| panic!("resize to {width}×{height}: {e}"));
        let drawn = "const done = arguments[arguments.length - 1]; \
                     requestAnimationFrame(() => requestAnimationFrame(() => done([window.innerWidth, window.innerHeight])));";
        wait_for(&format!("the page to be {width}×{height}"), Duration::from_secs(10), || async {
            let size = self.session.execute_async(drawn, vec![], Duration::from_secs(5)).await.ok()?;
            (size == json!([width, height])).then_some(())
        })
        .await;
        *self.window.lock().expect("window size") = (width, height);
    }

    /// Saves a screenshot of the window as `NAME.png` beside the logs; returns its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let shot = self.artifacts.join(format!("{name}.png"));
        let (width, height) = *self.window.lock().expect("window size");
        let _ = Command::new("timeout")
            .args(["10", "import", "-display", &self.display, "-window", "root", "-crop"])
            .arg(format!("{width}x{height}+0+0"))
            .arg(&shot)
            .status();
        shot
    }

    /// Saves a screenshot of the window beside the logs and prints where they are.
    fn save_failure_artifacts(&self) {
        self.screenshot("failure");
        eprintln!("end-to-end failure artifacts: {} (failure.png, app.log, xvfb.log)", self.artifacts.display());
    }
}

impl Drop for DesktopApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.save_failure_artifacts();
        }
        // tauri-driver leads a process group holding WebKitWebDriver and the app.
        signal_group(&self.driver, libc::SIGTERM);
        std::thread::sleep(Duration::from_millis(300));
        signal_group(&self.driver, libc::SIGKILL);
        let _ = self.driver.wait();
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}
