//! Stores the outcome of a check: the server's or revision's state as it stands, and, when it
//! changed, the transition on the health log.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::health::{self, HealthCheck, Transition};
use crate::{revisions, servers, Result};

/// Stores the result of a check on the server with id `server_id`. Returns the transition when
/// the state changed, or None when it did not (or the server was removed meanwhile).
///
/// The first statement is a write, so the transaction holds SQLite's write lock before it reads
/// the stored state: two rounds that overlap (the desktop's poller and `vigil server list`, say)
/// can never both record the same transition.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    server_id: i64,
    check: &HealthCheck,
    now: DateTime<Utc>,
) -> Result<Option<Transition>> {
    let stored = servers::queries::record_check(conn, server_id, &check.reason, check.detected, now).await?;
    let Some(from) = stored.filter(|&stored| stored != check.state) else { return Ok(None) };
    servers::queries::set_health(conn, server_id, check.state, now).await?;
    let transition = Transition { from, to: check.state, reason: check.reason.clone() };
    health::insert_event(conn, server_id, None, &transition, now).await?;
    Ok(Some(transition))
}

/// Stores the readiness of model revision `revision_id` on server `server_id`. Returns the
/// transition when its state changed.
pub(crate) async fn record_revision(
    conn: &mut AnyConnection,
    server_id: i64,
    revision_id: i64,
    check: &HealthCheck,
    now: DateTime<Utc>,
) -> Result<Option<Transition>> {
    // Write first, as in `record`: the returned health is the state before this check.
    let stored = revisions::record_readiness(conn, revision_id, &check.reason).await?;
    let Some(from) = stored.filter(|&stored| stored != check.state) else { return Ok(None) };
    revisions::set_health(conn, revision_id, check.state).await?;
    let transition = Transition { from, to: check.state, reason: check.reason.clone() };
    health::insert_event(conn, server_id, Some(revision_id), &transition, now).await?;
    Ok(Some(transition))
}
