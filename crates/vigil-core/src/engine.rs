//! The engine facade: the one object both doors (desktop shell and CLI) hold. It opens the
//! database and hands out each domain's front — [`Engine::servers`], [`Engine::polling`],
//! [`Engine::dashboard`], [`Engine::drift`], [`Engine::objectives`], [`Engine::rollouts`], [`Engine::cost`], [`Engine::alerts`], [`Engine::performance`], [`Engine::environment`], [`Engine::parity`] — which the doors call. Behaviour lives in the
//! domains; the facade holds only what spans them (settings, events, the audit trail).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::alerts::Alerts;
use crate::audit::{self, AuditEntry, ChainCheck};
use crate::context::Context;
use crate::cost::Cost;
use crate::dashboard::Dashboard;
use crate::drift::Drift;
use crate::environment::Environment;
use crate::events::EngineEvent;
use crate::objectives::ObjectivesFront;
use crate::parity::Parity;
use crate::performance::Performance;
use crate::polling::Polling;
use crate::rollouts::Rollouts;
use crate::servers::{Server, Servers};
use crate::{store, Result};

pub use crate::options::{EngineOptions, DEFAULT_POLL_INTERVAL, DEFAULT_REQUEST_TIMEOUT};

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
    rollouts: Rollouts,
    cost: Cost,
    alerts: Alerts,
    performance: Performance,
    environment: Environment,
    parity: Parity,
}

impl Engine {
    /// Opens the database (creating and migrating it as needed) and readies the engine.
    /// Polling starts only with [`Polling::start`].
    pub async fn open(options: EngineOptions) -> Result<Engine> {
        let pool = store::open(&options.store).await?;
        // Entries from before the trail was a hash chain join it, once.
        audit::chain_legacy(&pool).await?;
        let http = crate::clients::http_client(options.request_timeout, Default::default())
            .map_err(crate::VigilError::Internal)?;
        let team_url = match &options.store {
            store::Location::Postgres { url, password } => Some(store::connect_url(url, password.as_ref()).await?),
            store::Location::Sqlite(_) => None,
        };
        let context = Context::new(pool, http, options, team_url);
        let cost = Cost::new(context.clone());
        cost.seed_default_catalog().await?;
        let alerts = Alerts::new(context.clone());
        alerts.seed_default_rules().await?;
        Ok(Engine {
            inner: Arc::new(Inner {
                servers: Servers::new(context.clone()),
                polling: Polling::new(context.clone()),
                dashboard: Dashboard::new(context.clone()),
                drift: Drift::new(context.clone()),
                objectives: ObjectivesFront::new(context.clone()),
                rollouts: Rollouts::new(context.clone()),
                performance: Performance::new(context.clone()),
                environment: Environment::new(context.clone()),
                parity: Parity::new(context.clone()),
                cost,
                alerts,
                context,
            }),
        })
    }

    /// Whether this engine shares a team's PostgreSQL: then collectors poll and drive, and a
    /// desktop only reads, acts and listens.
    pub fn is_team(&self) -> bool {
        self.inner.context.options().store.backend() == store::Backend::Postgres
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

    /// Rollouts, approvals and rollback: deployment targets, plans, policies, profiles, the
    /// driver, people's actions, each model's deployment history and the reports.
    pub fn rollouts(&self) -> &Rollouts {
        &self.inner.rollouts
    }

    /// Cost: the price catalog of instance types, with each price's date and source.
    pub fn cost(&self) -> &Cost {
        &self.inner.cost
    }

    /// Alert rules, alerts, silences, receivers and notifications.
    pub fn alerts(&self) -> &Alerts {
        &self.inner.alerts
    }

    /// Model performance: the prediction log, ground-truth labels and the realized performance report.
    pub fn performance(&self) -> &Performance {
        &self.inner.performance
    }

    /// Where each model was built and where each revision serves: the built environment's
    /// upload, the serving environment's fingerprint, and the difference.
    pub fn environment(&self) -> &Environment {
        &self.inner.environment
    }

    /// Parity checks: a revision's answers to a golden set against the expected outputs.
    pub fn parity(&self) -> &Parity {
        &self.inner.parity
    }

    /// What this instance is and where it keeps its data, for the Settings view.
    pub fn info(&self) -> AppInfo {
        let options = self.options();
        AppInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            db_path: options.store.to_string(),
            poll_interval_secs: options.poll_interval.as_secs_f64(),
            request_timeout_secs: options.request_timeout.as_secs_f64(),
        }
    }

    /// This engine's name among the engines sharing the store (its collector's, its duties').
    pub fn holder(&self) -> &str {
        self.inner.context.holder()
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

    /// Checks the audit trail's hash chain from its first entry, naming the first entry that
    /// was edited, removed, reordered or written around Vigil.
    pub async fn verify_audit(&self) -> Result<ChainCheck> {
        audit::verify(self.inner.context.pool()).await
    }

    /// The whole audit trail with its hashes, as CSV or JSON.
    pub async fn export_audit(&self, format: audit::ExportFormat) -> Result<String> {
        audit::export(self.inner.context.pool(), format).await
    }

    /// The newest `limit` decisions on the audit trail, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        audit::newest(self.inner.context.pool(), limit).await
    }
}
