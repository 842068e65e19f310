//! Registered model servers, the domain's front: registering, editing and removing a server
//! (each on the audit trail), listing them, and the tokens kept for them in the OS keyring.
//!
//! [`server`] holds what a server is and how a new one is validated; [`queries`] every
//! statement on the `servers` table.

pub mod queries;
pub mod server;

pub use queries::{catalog_version, delete, get, ids, insert, list, list_in, set_metrics_error, update};
pub use server::{Labels, NewServer, Server, MAX_LABELS, MAX_NAME_LEN, MAX_URL_LEN};

use chrono::Utc;

use crate::context::Context;
use crate::events::EngineEvent;
use crate::{secrets, Result, VigilError};

/// The servers' front.
#[derive(Clone)]
pub struct Servers {
    context: Context,
}

impl Servers {
    pub(crate) fn new(context: Context) -> Servers {
        Servers { context }
    }

    /// Every registered server with its last known health, by name.
    pub async fn list(&self) -> Result<Vec<Server>> {
        list(self.context.pool()).await
    }

    /// The server called `name`, or a not-found error that says how to list them.
    pub async fn get(&self, name: &str) -> Result<Server> {
        get(&mut *self.context.pool().acquire().await?, name).await
    }

    /// Registers a server after validating it; the poller checks it at once.
    pub async fn add(&self, new: NewServer) -> Result<Server> {
        let new = new.validate()?;
        let mut write = self.context.write().await?;
        let server = insert(&mut write, &new, Utc::now()).await?;
        write.announce(EngineEvent::ServerAdded { server: server.clone() });
        let detail = serde_json::json!({ "base_url": server.base_url, "kind": server.kind });
        write.audit("server.add", &server.name, detail).await?;
        write.commit().await?;
        self.context.catalog_edited();
        Ok(server)
    }

    /// Changes the settings of the server called `name` (its name too); polling follows at once.
    /// The audit entry lists each changed setting with its old and new value.
    pub async fn update(&self, name: &str, edit: NewServer) -> Result<Server> {
        let edit = edit.validate()?;
        let mut write = self.context.write().await?;
        let (before, after) = update(&mut write, name, &edit).await?;
        write.announce(EngineEvent::ServerUpdated { server: after.clone() });
        write.audit("server.edit", &after.name, setting_changes(&before.settings(), &after.settings())).await?;
        write.commit().await?;
        self.context.catalog_edited();
        Ok(after)
    }

    /// Removes the server called `name` and everything polled from it. The audit trail keeps the
    /// record that it existed.
    pub async fn remove(&self, name: &str) -> Result<()> {
        let mut write = self.context.write().await?;
        let server = delete(&mut write, name).await?;
        write.announce(EngineEvent::ServerRemoved { name: server.name.clone() });
        write.audit("server.remove", &server.name, serde_json::json!({ "base_url": server.base_url })).await?;
        write.commit().await
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
        let mut write = self.context.write().await?;
        write.audit(action, name, serde_json::json!({})).await?;
        write.commit().await
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
