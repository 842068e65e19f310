//! A private Secret Service for tests: a D-Bus session bus and GNOME Keyring in a temporary
//! home, unlocked, so that `keyring:` token references are tested against the real thing and
//! never touch the user's own keyring. Both daemons stop when it is dropped.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SecretService {
    home: tempfile::TempDir,
    bus: Child,
    keyring: Child,
}

impl SecretService {
    /// Starts the bus and the keyring, unlocked with a throwaway password; panics with what to
    /// install when either daemon is missing (`make test-deps` installs them).
    pub fn start() -> SecretService {
        let home = tempfile::tempdir().expect("temp home");
        for dir in ["data", "run", "config"] {
            std::fs::create_dir_all(home.path().join(dir)).expect("folder");
        }
        let socket = home.path().join("bus");
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (Debian package dbus-daemon; `make test-deps` installs it)");
        wait_until("the D-Bus socket", || socket.exists());
        let mut service = SecretService { home, bus, keyring: Command::new("true").spawn().expect("placeholder") };
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .envs(service.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon (Debian package gnome-keyring; `make test-deps` installs it)");
        let mut password = keyring.stdin.take().expect("stdin");
        password.write_all(b"vigil-test-keyring").expect("unlock the keyring");
        drop(password);
        service.keyring = keyring;
        let login = service.home.path().join("data/keyrings/login.keyring");
        wait_until("the unlocked login keyring", || login.exists());
        service
    }

    /// The environment a process needs to use this keyring and not the user's.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let home = self.home.path();
        let path = |dir: &str| home.join(dir).display().to_string();
        vec![
            ("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", home.join("bus").display())),
            ("HOME", home.display().to_string()),
            ("XDG_DATA_HOME", path("data")),
            ("XDG_RUNTIME_DIR", path("run")),
            ("XDG_CONFIG_HOME", path("config")),
        ]
    }

    pub fn home(&self) -> PathBuf {
        self.home.path().to_owned()
    }
}

fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(10), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        for child in [&mut self.keyring, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
