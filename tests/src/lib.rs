//! What Vigil's integration and end-to-end tests share: real servers on loopback, paths of the
//! built binaries and a runner of the `vigil` CLI, the crash loop (`crash`), the real desktop
//! window driven over WebDriver and what each of its views must hold (`window_checks`), and a
//! stand-in for the desktop's notification service on a private D-Bus bus.

pub mod cli;
pub mod crash;
pub mod desktop;
pub mod hostile;
pub mod keyring;
pub mod load_targets;
pub mod loopback;
pub mod mlflow;
pub mod mlserver;
pub mod notifications;
pub mod prometheus;
pub mod references;
pub mod tls;
pub mod webdriver;
pub mod window_checks;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The path of a binary built from this workspace (`vigil`, `vigil-desktop`), beside the test
/// executable's `deps` folder. Panics with the command to run when it has not been built.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("test binary lives in target/PROFILE/deps");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build it first with `cargo build --workspace` (make test does).",
        path.display()
    );
    path
}

/// A loopback port free now, for a server started next.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Sends `signal` to the process group that `leader` leads (spawned with `process_group(0)`).
/// Never signals anything else: a pid of 0 or 1 is refused.
pub fn signal_group(leader: &std::process::Child, signal: libc::c_int) {
    let Ok(pgid) = libc::pid_t::try_from(leader.id()) else { return };
    if pgid > 1 {
        // SAFETY: kill(2) with a negative pid only signals that process group.
        unsafe { libc::kill(-pgid, signal) };
    }
}

/// A new store for a test in `dir`: a SQLite file there, or — when `VIGIL_TEST_POSTGRES` names
/// a PostgreSQL server (`make test` starts one) — a database of its own on it.
pub async fn store(dir: &std::path::Path) -> vigil_core::store::Location {
    vigil_core::store::testing::scratch(dir).await
}

/// Polls `condition` every 100 ms until it returns `Some`, or panics after `deadline` saying
/// what was awaited.
pub async fn wait_for<T, F, Fut>(what: &str, deadline: Duration, condition: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let found = wait_until(deadline, condition).await;
    found.unwrap_or_else(|| panic!("timed out after {deadline:?} waiting for {what}"))
}

/// Checks `condition` every 100 ms until it gives a value, or `deadline` passes (None).
pub async fn wait_until<T, F, Fut>(deadline: Duration, mut condition: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = condition().await {
            return Some(value);
        }
        if start.elapsed() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
