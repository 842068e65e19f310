//! The engine facade: the one object both doors (desktop shell and CLI) call.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlitePool;
use tokio::sync::{broadcast, Notify};
use ts_rs::TS;

use crate::audit::{self, AuditEntry};
use crate::dashboard::{self, ModelChart, RevisionSignals};
use crate::events::{EngineEvent, CHANNEL_CAPACITY};
use crate::objectives::{self, ModelObjectives, ObjectiveDefaults, ObjectiveList};
use crate::observe::PreviousTotals;
use crate::overview::{self, ModelOverview};
use crate::points::{self, Retention, Series};
use crate::poller::{self, PollerHandle};
use crate::secrets;
use crate::servers::{self, NewServer, Server};
use crate::VigilError;
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

/// Vigil's engine. Cheap to clone: clones share the database, HTTP client and event channel.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    options: EngineOptions,
    pool: SqlitePool,
    http: reqwest::Client,
    events: broadcast::Sender<EngineEvent>,
    wake: Notify,
    last_polled_at: Mutex<Option<DateTime<Utc>>>,
    previous_totals: tokio::sync::Mutex<PreviousTotals>,
    kept_at: Mutex<Option<std::time::Instant>>,
}

impl Engine {
    /// Opens the database (creating and migrating it as needed) and readies the engine.
    /// Polling starts only with [`Engine::start_polling`].
    pub async fn open(options: EngineOptions) -> Result<Engine> {
        let pool = store::open(&options.db_path).await?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|err| crate::VigilError::Internal(format!("HTTP client: {err}")))?;
        let (events, _) = broadcast::channel(CHANNEL_CAPACITY);
        Ok(Engine {
            inner: Arc::new(Inner {
                options,
                pool,
                http,
                events,
                wake: Notify::new(),
                last_polled_at: Mutex::new(None),
                previous_totals: Default::default(),
                kept_at: Mutex::new(None),
            }),
        })
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
        &self.inner.options
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.inner.pool
    }

    /// A transaction that writes. It takes the write lock as it begins (`BEGIN IMMEDIATE`), so
    /// it waits for other writers up to the busy timeout. A deferred transaction that reads first
    /// fails at once when another connection wrote since its read began (SQLITE_BUSY_SNAPSHOT,
    /// "database is locked"), which no waiting cures.
    pub(crate) async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.inner.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// The metrics totals of the last poll of each server. Held for the whole recording of a
    /// round, so overlapping rounds record one after the other.
    pub(crate) fn previous_totals(&self) -> &tokio::sync::Mutex<PreviousTotals> {
        &self.inner.previous_totals
    }

    /// Whether stored metrics are due to be folded into rollups and pruned (at most once a
    /// minute); marks them done.
    pub(crate) fn upkeep_due(&self) -> bool {
        let mut kept_at = self.inner.kept_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = kept_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
        if due {
            *kept_at = Some(std::time::Instant::now());
        }
        due
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Listens to what changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    /// Records that the polls of `servers` were stored at `at` and tells listeners.
    pub(crate) fn finish_polls(&self, at: DateTime<Utc>, servers: Vec<String>) {
        *self.inner.last_polled_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(at);
        self.publish(EngineEvent::Polled { at, servers });
    }

    pub(crate) fn publish(&self, event: EngineEvent) {
        // No listener is fine: events are notifications, the database holds the truth.
        let _ = self.inner.events.send(event);
    }

    pub(crate) async fn wake_requested(&self) {
        self.inner.wake.notified().await
    }

    /// Starts polling every registered server in the background until the handle is dropped.
    pub fn start_polling(&self) -> PollerHandle {
        poller::start(self.clone())
    }

    /// Checks every server once, now, and returns them with their fresh health.
    pub async fn check_all(&self) -> Result<Vec<Server>> {
        poller::poll_once(self).await
    }

    /// Every model revision discovered on the fleet, with its latest golden signals and the
    /// last hour of its traffic.
    pub async fn revision_signals(&self) -> Result<Vec<RevisionSignals>> {
        dashboard::revisions(self.pool(), Utc::now().timestamp_millis()).await
    }

    /// Model `model` of server `server` from `from` to `to`: every revision's signals at the
    /// resolution that fits the range, its deployments and health changes.
    pub async fn model_chart(
        &self,
        server: &str,
        model: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ModelChart> {
        let range = (from.timestamp_millis(), to.timestamp_millis());
        let now_ms = Utc::now().timestamp_millis();
        dashboard::model_chart(self.pool(), (server, model), range, now_ms, self.options().retention).await
    }

    /// What each server uses as a whole (CPU, memory, GPU), as last read.
    pub async fn server_resources(&self) -> Result<Vec<points::ServerResources>> {
        points::server_latest(self.pool()).await
    }

    /// One signal of one revision (server, model, version: "" for the default) from `from` to
    /// `to`, at the resolution that fits the range.
    pub async fn series(
        &self,
        revision: (&str, &str, &str),
        signal: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Series> {
        let (server, model, version) = revision;
        let ids: Option<(i64, i64)> = sqlx::query_as(
            "SELECT s.id, r.id FROM revisions r JOIN models m ON m.id = r.model_id JOIN servers s ON s.id = m.server_id
             WHERE s.name = ? AND m.name = ? AND r.version = ?",
        )
        .bind(server)
        .bind(model)
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        let (server_id, id) = ids.ok_or_else(|| {
            crate::VigilError::NotFound(format!(
                "No revision '{version}' of model '{model}' on server '{server}'. `vigil status` lists them."
            ))
        })?;
        let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
        let resolution =
            points::resolution_for(from_ms, to_ms, Utc::now().timestamp_millis(), self.options().retention);
        points::series(&mut *self.pool().acquire().await?, server_id, id, signal, from_ms, to_ms, resolution).await
    }

    /// Every registered server with its last known health.
    pub async fn list_servers(&self) -> Result<Vec<Server>> {
        servers::list(self.pool()).await
    }

    /// The server called `name`, or a not-found error that says how to list them.
    pub async fn server(&self, name: &str) -> Result<Server> {
        servers::get(&mut *self.pool().acquire().await?, name).await
    }

    /// The fleet as the window first draws it: every server, and when polling last finished
    /// (None until this engine has polled once).
    pub async fn fleet(&self) -> Result<FleetSnapshot> {
        let polled_at = *self.inner.last_polled_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(FleetSnapshot { servers: self.list_servers().await?, polled_at })
    }

    /// The newest `limit` decisions on the audit trail, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        audit::newest(self.pool(), limit).await
    }

    /// Registers a server after validating it; the poller checks it at once.
    pub async fn add_server(&self, new: NewServer) -> Result<Server> {
        let new = new.validate()?;
        let now = Utc::now();
        let mut tx = self.write_transaction().await?;
        let server = servers::insert(&mut tx, &new, now).await?;
        let detail = serde_json::json!({ "base_url": server.base_url, "kind": server.kind });
        let entry = audit::append(&mut tx, &self.options().actor, "server.add", &server.name, detail, now).await?;
        tx.commit().await?;
        self.publish(EngineEvent::ServerAdded { server: server.clone() });
        self.publish(EngineEvent::Audited { entry });
        self.inner.wake.notify_one();
        Ok(server)
    }

    /// Changes the settings of the server called `name` (its name too); polling follows at once.
    /// The audit entry lists each changed setting with its old and new value.
    pub async fn update_server(&self, name: &str, edit: NewServer) -> Result<Server> {
        let edit = edit.validate()?;
        let now = Utc::now();
        let mut tx = self.write_transaction().await?;
        let (before, after) = servers::update(&mut tx, name, &edit).await?;
        let changes = setting_changes(&before.settings(), &after.settings());
        let entry = audit::append(&mut tx, &self.options().actor, "server.edit", &after.name, changes, now).await?;
        tx.commit().await?;
        // The old address's totals say nothing of the new one's.
        self.previous_totals().lock().await.forget(after.id);
        self.publish(EngineEvent::ServerUpdated { server: after.clone() });
        self.publish(EngineEvent::Audited { entry });
        self.inner.wake.notify_one();
        Ok(after)
    }

    /// Stores `token` in the OS keyring as entry `name`, for servers whose token reference is
    /// `keyring:NAME`. The audit entry records that it was set, never the token.
    pub async fn store_secret(&self, name: &str, token: &str) -> Result<()> {
        let token = token.trim();
        if token.is_empty() {
            return Err(VigilError::invalid("token", "The token is empty: give the token on standard input."));
        }
        let (entry, value) = (name.to_owned(), token.to_owned());
        let stored = tokio::task::spawn_blocking(move || secrets::store(&entry, &value)).await;
        stored
            .unwrap_or_else(|_| Err("Storing the token failed.".into()))
            .map_err(|why| VigilError::invalid("token", why))?;
        self.audit_secret("secret.set", name).await
    }

    /// Removes keyring entry `name`.
    pub async fn remove_secret(&self, name: &str) -> Result<()> {
        let entry = name.to_owned();
        let removed = tokio::task::spawn_blocking(move || secrets::remove(&entry)).await;
        removed.unwrap_or_else(|_| Err("Removing the token failed.".into())).map_err(VigilError::NotFound)?;
        self.audit_secret("secret.remove", name).await
    }

    async fn audit_secret(&self, action: &str, name: &str) -> Result<()> {
        let mut tx = self.write_transaction().await?;
        let entry =
            audit::append(&mut tx, &self.options().actor, action, name, serde_json::json!({}), Utc::now()).await?;
        tx.commit().await?;
        self.publish(EngineEvent::Audited { entry });
        Ok(())
    }

    /// Removes the server called `name` and everything polled from it. The audit log keeps the
    /// record that it existed.
    pub async fn remove_server(&self, name: &str) -> Result<()> {
        let now = Utc::now();
        let mut tx = self.write_transaction().await?;
        let server = servers::delete(&mut tx, name).await?;
        let detail = serde_json::json!({ "base_url": server.base_url });
        let entry = audit::append(&mut tx, &self.options().actor, "server.remove", &server.name, detail, now).await?;
        tx.commit().await?;
        self.publish(EngineEvent::ServerRemoved { name: server.name });
        self.publish(EngineEvent::Audited { entry });
        Ok(())
    }

    /// Every model of the fleet with its revisions' roles and traffic split, its combined rate,
    /// error share and p99, the objectives each revision breaks, its status and its sentence.
    pub async fn model_overviews(&self) -> Result<Vec<ModelOverview>> {
        overview::read(self.pool(), Utc::now().timestamp_millis()).await
    }

    /// The fleet-wide default objectives, and those in force for every model.
    pub async fn objectives(&self) -> Result<ObjectiveList> {
        objectives::list(self.pool()).await
    }

    /// Sets `model`'s own objectives (a bound None follows the fleet default), on the audit trail.
    pub async fn set_objectives(&self, model: &str, own: ModelObjectives) -> Result<()> {
        let mut tx = self.write_transaction().await?;
        let entry = objectives::set(&mut tx, &self.options().actor, model, own, Utc::now()).await?;
        tx.commit().await?;
        self.publish(EngineEvent::ObjectivesChanged { model: Some(entry.subject.clone()) });
        self.publish(EngineEvent::Audited { entry });
        Ok(())
    }

    /// Sets the fleet-wide default objectives, which hold wherever a model has no bound of its
    /// own, on the audit trail.
    pub async fn set_default_objectives(&self, defaults: ObjectiveDefaults) -> Result<()> {
        let mut tx = self.write_transaction().await?;
        let entry = objectives::set_defaults(&mut tx, &self.options().actor, defaults, Utc::now()).await?;
        tx.commit().await?;
        self.publish(EngineEvent::ObjectivesChanged { model: None });
        self.publish(EngineEvent::Audited { entry });
        Ok(())
    }
}

/// `{"setting": {"from": old, "to": new}}` for each setting that differs.
fn setting_changes(before: &NewServer, after: &NewServer) -> serde_json::Value {
    let (serde_json::Value::Object(before), serde_json::Value::Object(after)) =
        (serde_json::json!(before), serde_json::json!(after))
    else {
        return serde_json::Value::Null;
    };
    let changed = after
        .into_iter()
        .filter(|(key, value)| before.get(key) != Some(value))
        .map(|(key, to)| (key.clone(), serde_json::json!({ "from": before.get(&key), "to": to })));
    serde_json::Value::Object(changed.collect())
}
