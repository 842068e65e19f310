//! The engine facade: the one object both doors (desktop shell and CLI) hold. It opens the
//! database and hands out each domain's front — [`Engine::servers`], [`Engine::polling`],
//! [`Engine::dashboard`], [`Engine::drift`], [`Engine::objectives`] — which the doors call. Behaviour lives in the
//! domains; the facade holds only what spans them (settings, events, the audit trail).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::audit::{self, AuditEntry};
use crate::context::Context;
use crate::dashboard::Dashboard;
use crate::drift::Drift;
use crate::events::EngineEvent;
use crate::objectives::ObjectivesFront;
use crate::points::Retention;
use crate::polling::Polling;
use crate::servers::{Server, Servers};
use crate::{store, Result};

/// How often servers are polled unless configured otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(10);
/// How long one request to a server may take unless configured otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// How an engine is set up.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub db_path: PathBuf,
    pub poll_interval: Duration,
    pub request_timeout: Duration,
    /// Who is acting, for the audit log.
    pub actor: String,
    /// How long metrics are kept.
    pub retention: Retention,
}

impl EngineOptions {
    /// Sets how often each server is polled, from a number of seconds a person gave.
    pub fn poll_every(mut self, seconds: f64) -> Result<Self> {
        if !(0.1..=86_400.0).contains(&seconds) {
            let message = format!("Poll interval must be between 0.1 and 86400 seconds, not {seconds}.");
            return Err(crate::VigilError::invalid("poll_interval", message));
        }
        self.poll_interval = Duration::from_secs_f64(seconds);
        Ok(self)
    }

    /// Defaults for a database at `db_path`, acting as the OS user.
    pub fn new(db_path: PathBuf) -> Self {
        let actor = ["USER", "USERNAME"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "unknown".into());
        Self {
            db_path,
            poll_interval: DEFAULT_POLL_INTERVAL,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            actor,
            retention: Retention::default(),
        }
    }
}

/// What the Settings view shows about this instance.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub db_path: String,
    pub poll_interval_secs: f64,
    pub request_timeout_secs: f64,
}

/// Every server and when the engine last polled them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct FleetSnapshot {
    pub servers: Vec<Server>,
    pub polled_at: Option<DateTime<Utc>>,
}

/// Vigil's engine. Cheap to clone: clones share the database, HTTP client, event bus and
/// the poller's state.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    context: Context,
    servers: Servers,
    polling: Polling,
    dashboard: Dashboard,
    drift: Drift,
    objectives: ObjectivesFront,
}

impl Engine {
    /// Opens the database (creating and migrating it as needed) and readies the engine.
    /// Polling starts only with [`Polling::start`].
    pub async fn open(options: EngineOptions) -> Result<Engine> {
        let pool = store::open(&options.db_path).await?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|err| crate::VigilError::Internal(format!("HTTP client: {err}")))?;
        let context = Context::new(pool, http, options);
        Ok(Engine {
            inner: Arc::new(Inner {
                servers: Servers::new(context.clone()),
                polling: Polling::new(context.clone()),
                dashboard: Dashboard::new(context.clone()),
                drift: Drift::new(context.clone()),
                objectives: ObjectivesFront::new(context.clone()),
                context,
            }),
        })
    }

    /// Registered servers: add, edit, remove, list, and their tokens.
    pub fn servers(&self) -> &Servers {
        &self.inner.servers
    }

    /// Polling: in the background, or every server once now.
    pub fn polling(&self) -> &Polling {
        &self.inner.polling
    }

    /// The fleet's signals: the overview, a model's chart, a series, resource use.
    pub fn dashboard(&self) -> &Dashboard {
        &self.inner.dashboard
    }

    /// Drift: reference data, live data, reports and the tests people choose.
    pub fn drift(&self) -> &Drift {
        &self.inner.drift
    }

    /// Objectives: the error-share and p99 bounds each model keeps, and the fleet's defaults.
    pub fn objectives(&self) -> &ObjectivesFront {
        &self.inner.objectives
    }

    /// What this instance is and where it keeps its data, for the Settings view.
    pub fn info(&self) -> AppInfo {
        let options = self.options();
        AppInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            db_path: options.db_path.display().to_string(),
            poll_interval_secs: options.poll_interval.as_secs_f64(),
            request_timeout_secs: options.request_timeout.as_secs_f64(),
        }
    }

    pub fn options(&self) -> &EngineOptions {
        self.inner.context.options()
    }

    /// Listens to what changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.context.subscribe()
    }

    /// The fleet as the window first draws it: every server, and when polling last finished
    /// (None until this engine has polled once).
    pub async fn fleet(&self) -> Result<FleetSnapshot> {
        Ok(FleetSnapshot { servers: self.servers().list().await?, polled_at: self.polling().polled_at() })
    }

    /// The newest `limit` decisions on the audit trail, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        audit::newest(self.inner.context.pool(), limit).await
    }
}
