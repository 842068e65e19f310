//! Health of a model server: the states, one readiness check, and recording transitions.
//! Every statement on the `health_events` table.
//!
//! Health is decided from the HTTP status code of the readiness endpoint, never from the
//! body (Triton answers with an empty body, KServe with JSON). Each change of state is stored
//! in `health_events` with its reason, so the history of a server can be read back.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use ts_rs::TS;

use crate::kinds::{self, DetectError, ServerKind};
use crate::scrape::http::{describe_failure, ServerHttp};
use crate::store::values::{stamp, Stamp};
use crate::Result;

/// What Vigil knows about whether a server can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
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

crate::store::values::text_column!(HealthState);

/// The outcome of one readiness check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub state: HealthState,
    /// Why, in words a person can act on.
    pub reason: String,
    /// The kind the server was found to be, when it was registered as `auto`.
    pub detected: Option<ServerKind>,
}

impl HealthCheck {
    fn down(reason: String) -> Self {
        HealthCheck { state: HealthState::Down, reason, detected: None }
    }
}

/// A change of health, as stored and as sent to listeners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: HealthState,
    pub to: HealthState,
    pub reason: String,
}

/// Asks the server at `base_url` whether it is ready, waiting at most `timeout` per request.
/// A server of kind `auto` is first probed to learn its kind, which the result carries.
pub async fn check(http: &ServerHttp, base_url: &str, kind: ServerKind, timeout: Duration) -> HealthCheck {
    let (kind, detected) = match kind {
        ServerKind::Auto => match kinds::detect(http, base_url, timeout).await {
            Ok(found) => (found, Some(found)),
            Err(DetectError::Unreachable(reason)) => return HealthCheck::down(reason),
            Err(DetectError::Unrecognised) => {
                return HealthCheck::down(
                    "answers HTTP, but not like any server kind Vigil knows; register it with its kind".into(),
                )
            }
        },
        known => (known, None),
    };
    let path = kind.readiness_path().unwrap_or("/");
    let outcome = check_url(http, &format!("{base_url}{path}"), timeout, |status| kind.is_ready(status)).await;
    HealthCheck { detected, ..outcome }
}

/// Asks one readiness URL: up when `ready` accepts the HTTP status, else down, with the reason.
pub async fn check_url(http: &ServerHttp, url: &str, timeout: Duration, ready: impl Fn(u16) -> bool) -> HealthCheck {
    let path = url::Url::parse(url).map(|u| u.path().to_owned()).unwrap_or_default();
    match http.get(url).timeout(timeout).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let state = if ready(status) { HealthState::Up } else { HealthState::Down };
            HealthCheck { state, reason: format!("{path} answered HTTP {status}"), detected: None }
        }
        Err(err) => HealthCheck::down(describe_failure(&err, &path, timeout)),
    }
}

/// Appends a transition to the health history of a server, or of one of its revisions.
pub async fn insert_event(
    conn: &mut AnyConnection,
    server_id: i64,
    revision_id: Option<i64>,
    transition: &Transition,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO health_events (server_id, model_id, revision_id, at, from_state, to_state, reason)
         VALUES ($1, (SELECT model_id FROM revisions WHERE id = $2), $3, $4, $5, $6, $7)",
    )
    .bind(server_id)
    .bind(revision_id)
    .bind(revision_id)
    .bind(stamp(now))
    .bind(transition.from)
    .bind(transition.to)
    .bind(&transition.reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored change of health, of a server (no revision) or of one of its revisions.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthEvent {
    pub at: DateTime<Utc>,
    pub revision_id: Option<i64>,
    pub from: HealthState,
    pub to: HealthState,
    pub reason: String,
}

/// Health changes of server `server_id` and of its model `model_id`, from `since` on, newest
/// first, at most `limit` of them (all for None).
pub async fn events(
    conn: &mut AnyConnection,
    (server_id, model_id): (i64, i64),
    since: DateTime<Utc>,
    limit: Option<i64>,
) -> Result<Vec<HealthEvent>> {
    // Stored times are RFC 3339 text, which sorts as time does.
    type EventRow = (Stamp, Option<i64>, HealthState, HealthState, String);
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT at, revision_id, from_state, to_state, reason FROM health_events
         WHERE server_id = $1 AND (model_id = $2 OR model_id IS NULL) AND at >= $3
         ORDER BY at DESC, id DESC LIMIT $4",
    )
    .bind(server_id)
    .bind(model_id)
    .bind(stamp(since))
    .bind(limit.unwrap_or(i64::MAX))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, revision_id, from, to, reason)| HealthEvent { at: at.0, revision_id, from, to, reason })
        .collect())
}
