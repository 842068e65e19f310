//! Acting through the store: a change a person asks of a rollout this engine does not drive (a
//! desktop in team mode, the CLI beside a running collector) is written as a request in
//! `rollout_requests`; the engine that drives the rollout takes it at its next tick, makes the
//! change at the target (confirmed by reading back, as every change is) and answers. The one who
//! asked waits for the answer and shows it, with the target's own words when it refused.
//!
//! A request is taken at most once (a conditional update), and one nobody took within
//! [`TAKE_WITHIN`] is expired by the one who asked, so a change is never made late, after its
//! asker was told it failed: asking again is safe.

use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use super::drive::Ending;
use super::people::Person;
use super::record::{Rollout, RolloutState};
use super::{queries, Rollouts};
use crate::duties::Scope;
use crate::events::EngineEvent;
use crate::{Result, VigilError};

/// How long a request waits for the driving engine to take it.
pub const TAKE_WITHIN: Duration = Duration::from_secs(10);
/// How long a taken request may take to be answered (a target may be slow to settle).
pub const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// How often the one who asked reads the request again when no announcement came.
const LOOK_AGAIN_AFTER: Duration = Duration::from_millis(250);

/// A request as stored: its id, the rollout's, the change and who asked (JSON).
pub(super) type Request = (i64, i64, String, Option<String>);

/// A change at a rollout's target, done by the engine that drives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub(super) enum Change {
    /// Into step `step` (0-based) of the plan; `reason`, a person's, goes on the trail.
    EnterStep {
        step: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Ends the rollout, all traffic back to the stable revision.
    Abort { reason: String },
    /// Ends (or reverts) the rollout, all traffic to `to`.
    RollBack { to: String, reason: String },
}

impl Rollouts {
    /// Makes `change` to rollout `id` (read under the acting lock, which the caller holds) as
    /// `person` asked. A rollout that ended meanwhile is changed only by a rollback.
    pub(super) async fn execute(&self, id: i64, change: Change, person: Option<&Person>) -> Result<()> {
        let mut rollout = queries::get(&mut *self.context.pool().acquire().await?, id).await?;
        if !rollout.state.active() {
            if !matches!(change, Change::RollBack { .. }) {
                let message = format!("Rollout {} ended meanwhile ({}).", rollout.id, rollout.state.key());
                return Err(VigilError::Conflict { field: "rollout", message });
            }
            // A rollout that ended (promoted, or failed going back) is reverted as a whole.
            rollout.state = RolloutState::Paused;
        }
        match change {
            Change::EnterStep { step, reason } => self.enter_step(rollout, step, person, reason.as_deref()).await,
            Change::Abort { reason } => self.end(rollout, Ending::Aborted, person, &reason).await,
            Change::RollBack { to, reason } => self.end(rollout, Ending::RolledBack { to }, person, &reason).await,
        }
    }

    /// Asks the engine that drives `rollout` to make `change`, and waits for its answer.
    pub(super) async fn ask(&self, rollout: &Rollout, change: Change, person: Option<&Person>) -> Result<()> {
        let mut events = self.context.subscribe();
        let encode = |value: serde_json::Result<String>| value.map_err(|err| VigilError::Internal(err.to_string()));
        let mut write = self.context.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO rollout_requests (rollout_id, change, person, state, asked_at_ms)
             VALUES ($1, $2, $3, 'pending', $4) RETURNING id",
        )
        .bind(rollout.id)
        .bind(encode(serde_json::to_string(&change))?)
        .bind(person.map(serde_json::to_string).transpose().map_err(|err| VigilError::Internal(err.to_string()))?)
        .bind(Utc::now().timestamp_millis())
        .fetch_one(&mut *write)
        .await?;
        write.announce(super::drive::changed(rollout));
        write.commit().await?;
        let asked = tokio::time::Instant::now();
        loop {
            let (state, taken_by, answer): (String, Option<String>, Option<String>) =
                sqlx::query_as("SELECT state, taken_by, answer FROM rollout_requests WHERE id = $1")
                    .bind(id)
                    .fetch_one(self.context.pool())
                    .await?;
            match state.as_str() {
                "done" => return Ok(()),
                "failed" => {
                    let by = taken_by.unwrap_or_default();
                    let message = format!("{} (said the Vigil that drives it, {by})", answer.unwrap_or_default());
                    return Err(VigilError::Conflict { field: "rollout", message });
                }
                "pending" if asked.elapsed() >= TAKE_WITHIN => {
                    let expired = sqlx::query(
                        "UPDATE rollout_requests SET state = 'expired', answered_at_ms = $2
                         WHERE id = $1 AND state = 'pending'",
                    )
                    .bind(id)
                    .bind(Utc::now().timestamp_millis())
                    .execute(self.context.pool())
                    .await?;
                    if expired.rows_affected() == 1 {
                        return Err(not_taken(&self.lease().await?.map(|(holder, _)| holder)));
                    }
                }
                "taken" if asked.elapsed() >= TAKE_WITHIN + ANSWER_WITHIN => {
                    let message = format!(
                        "{} took the change but has not answered in {} s; the rollout's trail will say what it did.",
                        taken_by.unwrap_or_default(),
                        (TAKE_WITHIN + ANSWER_WITHIN).as_secs()
                    );
                    return Err(VigilError::Conflict { field: "rollout", message });
                }
                _ => {}
            }
            // The driver's answer is announced as a change of the rollout; look again then, or
            // after a quarter second: a driver in another process on SQLite announces nothing here.
            let _ = tokio::time::timeout(LOOK_AGAIN_AFTER, async {
                loop {
                    match events.recv().await {
                        Ok(EngineEvent::RolloutChanged { rollout: Some(changed), .. }) if changed == rollout.id => {
                            break
                        }
                        Err(RecvError::Closed) => break,
                        _ => {}
                    }
                }
            })
            .await;
        }
    }

    /// The requests waiting to be taken, oldest first; those too old to be done are left out.
    pub(super) async fn pending_requests(&self) -> Result<Vec<Request>> {
        let fresh_since = Utc::now().timestamp_millis() - TAKE_WITHIN.as_millis() as i64;
        Ok(sqlx::query_as(
            "SELECT id, rollout_id, change, person FROM rollout_requests
             WHERE state = 'pending' AND asked_at_ms > $1 ORDER BY id",
        )
        .bind(fresh_since)
        .fetch_all(self.context.pool())
        .await?)
    }

    /// Takes and answers the `pending` requests of the rollouts `scope` makes this engine's.
    /// The caller holds the acting lock. Returns how many were answered.
    pub(super) async fn answer_requests(&self, pending: Vec<Request>, scope: &Scope) -> Result<usize> {
        let mut answered = 0;
        for (id, rollout_id, change, person) in pending {
            let rollout = queries::get(&mut *self.context.pool().acquire().await?, rollout_id).await?;
            if !self.drives(scope, &rollout).await? {
                continue;
            }
            let taken = sqlx::query(
                "UPDATE rollout_requests SET state = 'taken', taken_by = $2 WHERE id = $1 AND state = 'pending'",
            )
            .bind(id)
            .bind(self.context.holder())
            .execute(self.context.pool())
            .await?;
            if taken.rows_affected() == 0 {
                continue;
            }
            let done =
                match (serde_json::from_str::<Change>(&change), person.map(|p| serde_json::from_str::<Person>(&p))) {
                    (Ok(change), None) => self.execute(rollout_id, change, None).await,
                    (Ok(change), Some(Ok(person))) => self.execute(rollout_id, change, Some(&person)).await,
                    _ => Err(VigilError::Internal(format!("request {id} cannot be read; ask again"))),
                };
            let (state, answer) = match done {
                Ok(()) => ("done", None),
                Err(err) => ("failed", Some(err.to_string())),
            };
            sqlx::query("UPDATE rollout_requests SET state = $2, answer = $3, answered_at_ms = $4 WHERE id = $1")
                .bind(id)
                .bind(state)
                .bind(answer)
                .bind(Utc::now().timestamp_millis())
                .execute(self.context.pool())
                .await?;
            // The answer is announced, so the one who asked hears of it at once.
            self.context
                .publish(EngineEvent::RolloutChanged { model: rollout.model.clone(), rollout: Some(rollout_id) });
            answered += 1;
        }
        Ok(answered)
    }
}

/// The error for a request nobody took: who holds the lease, if anyone, and what to do.
fn not_taken(holder: &Option<String>) -> VigilError {
    let driver = match holder {
        Some(holder) => format!("the Vigil that drives rollouts here ({holder})"),
        None => "no Vigil".to_owned(),
    };
    VigilError::Conflict {
        field: "rollout",
        message: format!(
            "Nothing was changed: {driver} did not take the request within {} s. Check that `vigil collect` \
             runs for this store, then ask again.",
            TAKE_WITHIN.as_secs()
        ),
    }
}
