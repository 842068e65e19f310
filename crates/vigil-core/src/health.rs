//! Health of a model server: the states, one readiness check, and recording transitions.
//!
//! Health is decided from the HTTP status code of the readiness endpoint, never from the
//! body (Triton answers with an empty body, KServe with JSON). Each change of state is stored
//! in `health_events` with its reason, so the history of a server can be read back.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use ts_rs::TS;

use crate::Result;

/// The readiness endpoint of the Open Inference Protocol (Triton, MLServer, KServe v2).
pub const READINESS_PATH: &str = "/v2/health/ready";

/// What Vigil knows about whether a server can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, TS)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum HealthState {
    /// Not checked yet.
    Unknown,
    /// Ready to serve.
    Up,
    /// Serving, but not everything is ready.
    Degraded,
    /// Not ready, or not answering.
    Down,
}

/// The outcome of one readiness check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub state: HealthState,
    /// Why, in words a person can act on.
    pub reason: String,
}

/// A change of health, as stored and as sent to listeners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: HealthState,
    pub to: HealthState,
    pub reason: String,
}

/// Asks the server at `base_url` whether it is ready, waiting at most `timeout`.
pub async fn check(client: &reqwest::Client, base_url: &str, timeout: Duration) -> HealthCheck {
    let url = format!("{base_url}{READINESS_PATH}");
    match client.get(&url).timeout(timeout).send().await {
        Ok(response) if response.status().is_success() => HealthCheck {
            state: HealthState::Up,
            reason: format!("{READINESS_PATH} answered HTTP {}", response.status().as_u16()),
        },
        Ok(response) => HealthCheck {
            state: HealthState::Down,
            reason: format!("{READINESS_PATH} answered HTTP {}", response.status().as_u16()),
        },
        Err(err) => HealthCheck { state: HealthState::Down, reason: describe_failure(&err, timeout) },
    }
}

/// Words for a request that got no HTTP answer, without the library's internals.
fn describe_failure(err: &reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        format!("no answer from {READINESS_PATH} within {:.1} s", timeout.as_secs_f64())
    } else if err.is_connect() {
        if caused_by_refusal(err) {
            "connection refused".into()
        } else {
            "could not connect".into()
        }
    } else {
        "the request failed before an answer came".into()
    }
}

fn caused_by_refusal(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = err.source();
    while let Some(inner) = cause {
        if inner.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
            return true;
        }
        cause = inner.source();
    }
    false
}

/// Stores the result of a check on the server with id `server_id`. Returns the transition when
/// the state changed, or None when it did not (or the server was removed meanwhile).
///
/// The first statement is a write, so the transaction holds SQLite's write lock before it reads
/// the stored state: two rounds that overlap (the desktop's poller and `vigil server list`, say)
/// can never both record the same transition.
pub async fn record(
    conn: &mut SqliteConnection,
    server_id: i64,
    check: &HealthCheck,
    now: DateTime<Utc>,
) -> Result<Option<Transition>> {
    let stored: Option<HealthState> =
        sqlx::query_scalar("UPDATE servers SET checked_at = ?, health_reason = ? WHERE id = ? RETURNING health")
            .bind(now)
            .bind(&check.reason)
            .bind(server_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(from) = stored.filter(|&stored| stored != check.state) else { return Ok(None) };
    sqlx::query("UPDATE servers SET health = ?, health_since = ? WHERE id = ?")
        .bind(check.state)
        .bind(now)
        .bind(server_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO health_events (server_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)")
        .bind(server_id)
        .bind(now)
        .bind(from)
        .bind(check.state)
        .bind(&check.reason)
        .execute(conn)
        .await?;
    Ok(Some(Transition { from, to: check.state, reason: check.reason.clone() }))
}
