//! How an engine is set up: its database, how often and how patiently it polls, who acts, how
//! long metrics are kept.

use std::time::Duration;

use crate::points::Retention;
use crate::store::Location;
use crate::Result;

/// How often servers are polled unless configured otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(10);
/// How long one request to a server may take unless configured otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// How an engine is set up.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Where the store is: a SQLite file or a team's PostgreSQL.
    pub store: Location,
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

    /// Defaults for the store at `store` (a SQLite path or a [`Location`]), acting as the OS user.
    pub fn new(store: impl Into<Location>) -> Self {
        let actor = os_user();
        Self {
            store: store.into(),
            poll_interval: DEFAULT_POLL_INTERVAL,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            actor,
            retention: Retention::default(),
        }
    }
}

/// The OS user running this process.
pub(crate) fn os_user() -> String {
    ["USER", "USERNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}
