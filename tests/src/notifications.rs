//! A stand-in for the desktop's notification service, on a private D-Bus session bus, so an
//! end-to-end test can check what the app really asked the desktop to show.
//!
//! [`PrivateBus`] runs its own `dbus-daemon` from a configuration written to a temporary folder:
//! it listens on a unix socket there, and has no service directories, so nothing on the bus
//! is ever started on demand and nothing reaches the machine's real session bus.
//! [`NotificationService`] owns `org.freedesktop.Notifications` on that bus and records each
//! `Notify` call (Desktop Notifications Specification 1.2: `Notify`, `CloseNotification`,
//! `GetCapabilities`, `GetServerInformation`, the `NotificationClosed` signal), and clicks a
//! notification as a person would (the `ActionInvoked` signal with its `default` action). Both
//! stop when dropped: the daemon is killed by its process group.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use zbus::object_server::SignalContext;
use zbus::zvariant::Value;

use crate::signal_group;

/// The well-known name and object path of the desktop notification service.
const SERVICE_NAME: &str = "org.freedesktop.Notifications";
const SERVICE_PATH: &str = "/org/freedesktop/Notifications";

/// Why a notification closed, per the specification: closed by a call to `CloseNotification`.
const CLOSED_BY_CALL: u32 = 3;

/// A `dbus-daemon` of our own, reachable only through a socket in a temporary folder.
pub struct PrivateBus {
    /// The address to give clients, e.g. as `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
    daemon: Child,
    _dir: tempfile::TempDir,
}

/// A session bus with only a unix socket in `dir`, anyone on this machine's user allowed, and no
/// service directories (no activation).
fn bus_config(dir: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        dir.display()
    )
}

impl PrivateBus {
    /// Starts the daemon and returns once it says its address.
    pub fn start() -> PrivateBus {
        let dir = tempfile::tempdir().expect("temp dir for the private bus");
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, bus_config(dir.path())).expect("write the bus configuration");
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdout(Stdio::piped())
            // Only its complaint that it may not raise its file limit, every run; a daemon that
            // fails to start says nothing on stdout, which panics below.
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start dbus-daemon (Debian package dbus)");
        let stdout = daemon.stdout.take().expect("the daemon's stdout");
        let mut address = String::new();
        let read = BufReader::new(stdout).read_line(&mut address);
        let address = address.trim().to_owned();
        if read.is_err() || !address.starts_with("unix:path=") {
            signal_group(&daemon, libc::SIGKILL);
            let _ = daemon.wait();
            panic!("dbus-daemon gave no address on its private socket: {read:?} {address:?}");
        }
        PrivateBus { address, daemon, _dir: dir }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        signal_group(&self.daemon, libc::SIGKILL);
        let _ = self.daemon.wait();
    }
}

/// One notification the app asked the desktop to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// The id the service answered.
    pub id: u32,
    /// The actions it offers, as identifiers (`default` is a click on the notification itself).
    pub actions: Vec<String>,
    pub app_name: String,
    pub summary: String,
    pub body: String,
}

/// What the service has been asked to show, in order; shared with the D-Bus object.
type ShownList = Arc<Mutex<Vec<Shown>>>;

/// The D-Bus object at `/org/freedesktop/Notifications`.
struct Recorder {
    shown: ShownList,
    /// Ids handed out and not yet closed.
    open: Vec<u32>,
    last_id: u32,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Recorder {
    /// Records the notification; answers its id (the one it replaces, if it names one).
    #[allow(clippy::too_many_arguments)] // the specification's signature
    fn notify(
        &mut self,
        app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, Value<'_>>,
        _expire_timeout: i32,
    ) -> u32 {
        let id = if replaces_id != 0 && self.open.contains(&replaces_id) {
            replaces_id
        } else {
            self.last_id += 1;
            self.open.push(self.last_id);
            self.last_id
        };
        // Actions come as identifier, label, identifier, label…
        let actions = actions.into_iter().step_by(2).collect();
        self.shown.lock().unwrap_or_else(|e| e.into_inner()).push(Shown { id, actions, app_name, summary, body });
        id
    }

    /// Closes an open notification and says so with `NotificationClosed`; an unknown id is an error.
    async fn close_notification(
        &mut self,
        id: u32,
        #[zbus(signal_context)] context: SignalContext<'_>,
    ) -> zbus::fdo::Result<()> {
        let Some(at) = self.open.iter().position(|open| *open == id) else {
            return Err(zbus::fdo::Error::Failed(format!("no notification {id}")));
        };
        self.open.remove(at);
        Self::notification_closed(&context, id, CLOSED_BY_CALL).await?;
        Ok(())
    }

    /// Shows a body and offers actions, nothing more.
    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".to_owned(), "actions".to_owned()]
    }

    /// Name, vendor, version, and the specification's version.
    fn get_server_information(&self) -> (String, String, String, String) {
        ("vigil-tests".into(), "Vigil".into(), env!("CARGO_PKG_VERSION").into(), "1.2".into())
    }

    #[zbus(signal)]
    async fn notification_closed(context: &SignalContext<'_>, id: u32, reason: u32) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn action_invoked(context: &SignalContext<'_>, id: u32, action_key: &str) -> zbus::Result<()>;
}

/// The stand-in notification service on its own private bus.
pub struct NotificationService {
    shown: ShownList,
    /// Dropped before the bus (fields drop in order).
    connection: zbus::Connection,
    bus: PrivateBus,
}

impl NotificationService {
    /// Starts a private bus and owns the notification service's name on it.
    pub async fn start() -> NotificationService {
        let bus = PrivateBus::start();
        let shown = ShownList::default();
        let recorder = Recorder { shown: shown.clone(), open: Vec::new(), last_id: 0 };
        let connection = async {
            zbus::connection::Builder::address(bus.address.as_str())?
                .serve_at(SERVICE_PATH, recorder)?
                .name(SERVICE_NAME)?
                .build()
                .await
        };
        let connection = connection.await.unwrap_or_else(|e| panic!("serve {SERVICE_NAME} on {}: {e}", bus.address));
        NotificationService { shown, connection, bus }
    }

    /// The private bus's address, for the app's `DBUS_SESSION_BUS_ADDRESS`.
    pub fn bus_address(&self) -> &str {
        &self.bus.address
    }

    /// Every notification shown so far, in order.
    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Clicks notification `id`, as a person would: the service tells the app that its
    /// `default` action was invoked.
    pub async fn click(&self, id: u32) {
        let recorder = self.connection.object_server().interface::<_, Recorder>(SERVICE_PATH).await;
        let recorder = recorder.unwrap_or_else(|e| panic!("the notification service's object: {e}"));
        Recorder::action_invoked(recorder.signal_context(), id, "default")
            .await
            .unwrap_or_else(|e| panic!("send ActionInvoked for {id}: {e}"));
    }
}
