//! What the engine's parts share: the database, the HTTP client, the event bus and the engine's
//! settings. Every domain front and every background task (the poller, the drift schedule, the
//! ingest endpoint) holds a clone of one [`Context`]; none holds the `Engine`, so nothing below
//! the engine reaches back into it.
//!
//! A change a person makes is written through [`Context::write`]: one transaction that begins
//! `IMMEDIATE`, appends its audit entries, commits, and only then publishes its events.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use chrono::Utc;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use tokio::sync::{broadcast, Notify};

use crate::audit::{self, AuditEntry};
use crate::events::{EngineEvent, CHANNEL_CAPACITY};
use crate::options::EngineOptions;
use crate::rollouts::people::Person;
use crate::store;
use crate::team::Team;
use crate::Result;

/// The database, HTTP client, event bus and settings the engine's parts share. Cheap to clone.
#[derive(Clone)]
pub struct Context {
    pool: AnyPool,
    http: reqwest::Client,
    events: broadcast::Sender<EngineEvent>,
    options: Arc<EngineOptions>,
    catalog_edited: Arc<Notify>,
    /// On PostgreSQL: where this engine's events go to the other engines on the database.
    team: Option<Arc<Team>>,
    /// This engine's name among the engines sharing the store (`host/pid/nonce`): on its
    /// collector's heartbeat, its duties and the rollout lease.
    holder: Arc<str>,
}

impl Context {
    /// A context over an open database. `team_url`: on PostgreSQL, the URL (with its password)
    /// to listen on for the other engines' events.
    pub(crate) fn new(
        pool: AnyPool,
        http: reqwest::Client,
        options: EngineOptions,
        team_url: Option<String>,
    ) -> Context {
        let (events, _) = broadcast::channel(CHANNEL_CAPACITY);
        let team = team_url.map(|url| Arc::new(Team::start(pool.clone(), url, events.clone())));
        let holder = format!("{}/{}/{:08x}", hostname(), std::process::id(), getrandom::u32().unwrap_or_default());
        let options = Arc::new(options);
        Context { pool, http, events, options, catalog_edited: Arc::default(), team, holder: holder.into() }
    }

    /// This engine's name among the engines sharing the store.
    pub(crate) fn holder(&self) -> &str {
        &self.holder
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The engine's shared HTTP client: connect timeout, redirect limit and user agent set.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Listens to what changes from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    /// Tells listeners, here and (on PostgreSQL) in every other engine on the database. No
    /// listener is fine: events announce, the database holds the truth.
    pub(crate) fn publish(&self, event: EngineEvent) {
        if let Some(team) = &self.team {
            team.send(&event);
        }
        let _ = self.events.send(event);
    }

    /// Says that the servers to poll were changed by this engine, so the poller reads them now.
    pub(crate) fn catalog_edited(&self) {
        self.catalog_edited.notify_one();
    }

    /// Waits until [`Context::catalog_edited`] is called.
    pub(crate) async fn catalog_edit_announced(&self) {
        self.catalog_edited.notified().await
    }

    /// Begins a write (see [`store::begin`]).
    pub(crate) async fn write(&self) -> Result<Write<'_>> {
        let tx = store::begin(&self.pool).await?;
        Ok(Write { tx, context: self, events: Vec::new() })
    }
}

/// A write in progress: a transaction whose audit entries and events are published, in the
/// order they were made, only once it commits. Dropped without [`Write::commit`], it rolls back
/// and announces nothing. It derefs to the connection, for the query modules.
pub(crate) struct Write<'c> {
    tx: Transaction<'static, Any>,
    context: &'c Context,
    events: Vec<EngineEvent>,
}

impl Write<'_> {
    /// Appends a decision to the audit trail, by the engine's actor, now.
    pub async fn audit(&mut self, action: &str, subject: &str, detail: serde_json::Value) -> Result<AuditEntry> {
        let actor = &self.context.options.actor;
        let entry = audit::append(&mut self.tx, actor, action, subject, detail, Utc::now()).await?;
        self.events.push(EngineEvent::Audited { entry: entry.clone() });
        Ok(entry)
    }

    /// Appends a decision to the audit trail by `person`, now: their name as the actor, and their
    /// role and OS user beside the detail's own fields. None: Vigil decided on its own (a gate,
    /// a plan, a policy), recorded as the actor `vigil`.
    pub async fn audit_by(
        &mut self,
        person: Option<&Person>,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<AuditEntry> {
        let mut detail = match detail {
            serde_json::Value::Object(fields) => fields,
            other => serde_json::Map::from_iter([("detail".to_owned(), other)]),
        };
        let actor = match person {
            Some(person) => {
                detail.insert("role".into(), person.role.key().into());
                detail.insert("os_user".into(), person.os_user.clone().into());
                person.name.as_str()
            }
            None => {
                detail.insert("automatic".into(), true.into());
                "vigil"
            }
        };
        let entry = audit::append(&mut self.tx, actor, action, subject, detail.into(), Utc::now()).await?;
        self.events.push(EngineEvent::Audited { entry: entry.clone() });
        Ok(entry)
    }

    /// Publishes `event` once the write has committed.
    pub fn announce(&mut self, event: EngineEvent) {
        self.events.push(event);
    }

    /// Commits, then publishes what was announced.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        self.events.into_iter().for_each(|event| self.context.publish(event));
        Ok(())
    }
}

impl Deref for Write<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for Write<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// This machine's name, for telling engines apart in the store.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().chars().take(64).collect())
        .filter(|name: &String| !name.is_empty())
        .unwrap_or_else(|| "vigil".to_owned())
}
