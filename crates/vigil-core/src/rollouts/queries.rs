//! Every statement on the rollout tables: `rollouts`, `rollout_approvals`, `traffic_changes`,
//! `deployment_targets`, `rollout_plans`, `rollout_policies`, `profiles` and `rollout_lease`.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, FromRow};

use super::gates::Evidence;
use super::people::{Person, Policy, Profile, Role};
use super::plan::Plan;
use super::record::{Approval, Rollout, RolloutState};
use super::targets::{TargetSpec, Traffic};
use crate::store::values::{stamp, Flag, MaybeStamp, Stamp};
use crate::{Result, VigilError};

/// A rollout row as stored.
#[derive(FromRow)]
struct Row {
    id: i64,
    model: String,
    stable: String,
    candidate: String,
    plan: String,
    state: String,
    step: i64,
    weight: i64,
    #[sqlx(try_from = "Stamp")]
    step_started_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeStamp")]
    waiting_since: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Flag")]
    reminded: bool,
    failures: i64,
    failed_at_ms: Option<i64>,
    evidence: String,
    error: Option<String>,
    reason: Option<String>,
    started_by: String,
    #[sqlx(try_from = "Stamp")]
    started_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeStamp")]
    ended_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Stamp")]
    updated_at: DateTime<Utc>,
}

impl Row {
    fn into_rollout(self) -> Result<Rollout> {
        let plan = serde_json::from_str(&self.plan)
            .map_err(|err| VigilError::Internal(format!("rollout {}'s stored plan: {err}", self.id)))?;
        Ok(Rollout {
            id: self.id,
            model: self.model,
            stable: self.stable,
            candidate: self.candidate,
            plan,
            state: RolloutState::parse(&self.state),
            step: self.step as i32,
            weight: self.weight.clamp(0, 100) as u32,
            step_started_at: self.step_started_at,
            waiting_since: self.waiting_since,
            reminded: self.reminded,
            failures: self.failures.max(0) as u32,
            failed_at_ms: self.failed_at_ms,
            evidence: serde_json::from_str::<Evidence>(&self.evidence).ok(),
            error: self.error,
            reason: self.reason,
            started_by: self.started_by,
            started_at: self.started_at,
            ended_at: self.ended_at,
            updated_at: self.updated_at,
        })
    }
}

const COLUMNS: &str = "id, model, stable, candidate, plan, state, step, weight, step_started_at, waiting_since, \
    reminded, failures, failed_at_ms, evidence, error, reason, started_by, started_at, ended_at, updated_at";

fn rollouts(rows: Vec<Row>) -> Result<Vec<Rollout>> {
    rows.into_iter().map(Row::into_rollout).collect()
}

/// Every rollout under way.
pub async fn active(conn: &mut AnyConnection) -> Result<Vec<Rollout>> {
    let sql = format!("SELECT {COLUMNS} FROM rollouts WHERE state IN ('running', 'waiting', 'paused') ORDER BY id");
    rollouts(sqlx::query_as(&sql).fetch_all(conn).await?)
}

/// The rollouts of `model` (every model: None), newest first, at most `limit`.
pub async fn list(conn: &mut AnyConnection, model: Option<&str>, limit: u32) -> Result<Vec<Rollout>> {
    let sql = format!("SELECT {COLUMNS} FROM rollouts WHERE $1 IS NULL OR model = $1 ORDER BY id DESC LIMIT $2");
    rollouts(sqlx::query_as(&sql).bind(model).bind(i64::from(limit)).fetch_all(conn).await?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Rollout> {
    let sql = format!("SELECT {COLUMNS} FROM rollouts WHERE id = $1");
    let row: Option<Row> = sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?;
    row.ok_or_else(|| VigilError::NotFound(format!("There is no rollout {id}.")))?.into_rollout()
}

/// The rollout of `model` under way, if any.
pub async fn active_for(conn: &mut AnyConnection, model: &str) -> Result<Option<Rollout>> {
    let sql = format!("SELECT {COLUMNS} FROM rollouts WHERE model = $1 AND state IN ('running', 'waiting', 'paused')");
    let row: Option<Row> = sqlx::query_as(&sql).bind(model).fetch_optional(conn).await?;
    row.map(Row::into_rollout).transpose()
}

/// Stores a new rollout and returns its id.
pub async fn insert(conn: &mut AnyConnection, rollout: &Rollout) -> Result<i64> {
    let plan = serde_json::to_string(&rollout.plan).map_err(|err| VigilError::Internal(err.to_string()))?;
    let inserted = sqlx::query_scalar(
        "INSERT INTO rollouts (model, stable, candidate, plan, state, step, weight, step_started_at, started_by,
                               started_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&rollout.model)
    .bind(&rollout.stable)
    .bind(&rollout.candidate)
    .bind(plan)
    .bind(rollout.state.key())
    .bind(rollout.step)
    .bind(i64::from(rollout.weight))
    .bind(stamp(rollout.step_started_at))
    .bind(&rollout.started_by)
    .bind(stamp(rollout.started_at))
    .bind(stamp(rollout.updated_at))
    .fetch_one(conn)
    .await;
    match inserted {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => Err(VigilError::Conflict {
            field: "model",
            message: format!("A rollout of {} is already under way; end it before starting another.", rollout.model),
        }),
        Err(err) => Err(err.into()),
    }
}

/// Writes what changes as a rollout goes on.
pub async fn update(conn: &mut AnyConnection, rollout: &Rollout) -> Result<()> {
    let evidence = match &rollout.evidence {
        Some(evidence) => serde_json::to_string(evidence).map_err(|err| VigilError::Internal(err.to_string()))?,
        None => "{}".to_owned(),
    };
    sqlx::query(
        "UPDATE rollouts SET state = $1, step = $2, weight = $3, step_started_at = $4, waiting_since = $5, reminded = $6,
                failures = $7, failed_at_ms = $8, evidence = $9, error = $10, reason = $11, ended_at = $12, updated_at = $13
         WHERE id = $14",
    )
    .bind(rollout.state.key())
    .bind(rollout.step)
    .bind(i64::from(rollout.weight))
    .bind(stamp(rollout.step_started_at))
    .bind(stamp(rollout.waiting_since))
    .bind(rollout.reminded)
    .bind(i64::from(rollout.failures))
    .bind(rollout.failed_at_ms)
    .bind(evidence)
    .bind(&rollout.error)
    .bind(&rollout.reason)
    .bind(stamp(rollout.ended_at))
    .bind(stamp(rollout.updated_at))
    .bind(rollout.id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct ApprovalRow {
    step: i64,
    actor: String,
    role: String,
    os_user: String,
    decision: String,
    reason: Option<String>,
    #[sqlx(try_from = "Stamp")]
    at: DateTime<Utc>,
}

/// The sign-offs of rollout `id`, oldest first.
pub async fn approvals(conn: &mut AnyConnection, id: i64) -> Result<Vec<Approval>> {
    let rows: Vec<ApprovalRow> = sqlx::query_as(
        "SELECT step, actor, role, os_user, decision, reason, at FROM rollout_approvals WHERE rollout_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Approval {
                step: row.step as i32,
                actor: row.actor,
                role: Role::parse(&row.role)?,
                os_user: row.os_user,
                approved: row.decision == "approve",
                reason: row.reason,
                at: row.at,
            })
        })
        .collect()
}

/// Records `person`'s decision on entering `step`. One person signs a step once, for one role:
/// a person is their name and, on a team's PostgreSQL, the database role they connected as (so
/// another name in the profile does not make another person).
pub async fn insert_approval(
    conn: &mut AnyConnection,
    id: i64,
    step: i32,
    person: &Person,
    approved: bool,
    reason: Option<&str>,
) -> Result<()> {
    let database_role = crate::store::database_role(&mut *conn).await?;
    let existing: Option<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT actor, role, database_role FROM rollout_approvals
         WHERE rollout_id = $1 AND step = $2 AND (actor = $3 OR role = $4 OR database_role = $5)",
    )
    .bind(id)
    .bind(step)
    .bind(&person.name)
    .bind(person.role.key())
    .bind(&database_role)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((actor, role, signed_as)) = existing {
        let role = Role::parse(&role)?.words();
        let message = if actor == person.name {
            format!("{actor} already signed this step as {role}; one person cannot sign for two roles.")
        } else if signed_as.is_some() && signed_as == database_role {
            let signed_as = signed_as.unwrap_or_default();
            format!(
                "Database role {signed_as} already signed this step as {actor}, {role}; one person cannot sign for two \
                 roles. If several people share the database role {signed_as}, give each their own."
            )
        } else {
            format!("{actor} already signed this step as {role}.")
        };
        return Err(VigilError::Conflict { field: "role", message });
    }
    sqlx::query(
        "INSERT INTO rollout_approvals (rollout_id, step, actor, role, os_user, database_role, decision, reason, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(step)
    .bind(&person.name)
    .bind(person.role.key())
    .bind(&person.os_user)
    .bind(&database_role)
    .bind(if approved { "approve" } else { "reject" })
    .bind(reason)
    .bind(stamp(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the traffic `model`'s target was confirmed to serve.
pub async fn insert_traffic(
    conn: &mut AnyConnection,
    model: &str,
    rollout: Option<i64>,
    traffic: &Traffic,
    cause: &str,
) -> Result<()> {
    let traffic = serde_json::to_string(traffic).map_err(|err| VigilError::Internal(err.to_string()))?;
    sqlx::query("INSERT INTO traffic_changes (model, rollout_id, at, traffic, cause) VALUES ($1, $2, $3, $4, $5)")
        .bind(model)
        .bind(rollout)
        .bind(stamp(Utc::now()))
        .bind(traffic)
        .bind(cause)
        .execute(conn)
        .await?;
    Ok(())
}

/// `model`'s confirmed traffic over time, oldest first: (when, traffic, cause, rollout).
pub async fn traffic_history(
    conn: &mut AnyConnection,
    model: &str,
) -> Result<Vec<(DateTime<Utc>, Traffic, String, Option<i64>)>> {
    let rows: Vec<(Stamp, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT at, traffic, cause, rollout_id FROM traffic_changes WHERE model = $1 ORDER BY id LIMIT 10000",
    )
    .bind(model)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(at, traffic, cause, rollout)| Some((at.0, serde_json::from_str(&traffic).ok()?, cause, rollout)))
        .collect())
}

/// A model's target: its spec and the timeout of each call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct StoredTarget {
    pub model: String,
    pub spec: TargetSpec,
    #[ts(type = "number")]
    pub timeout_ms: i64,
    pub updated_at: DateTime<Utc>,
}

pub async fn targets(conn: &mut AnyConnection) -> Result<Vec<StoredTarget>> {
    let rows: Vec<(String, String, i64, Stamp)> =
        sqlx::query_as("SELECT model, spec, timeout_ms, updated_at FROM deployment_targets ORDER BY model")
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(model, spec, timeout_ms, updated_at)| {
            Some(StoredTarget { model, spec: serde_json::from_str(&spec).ok()?, timeout_ms, updated_at: updated_at.0 })
        })
        .collect())
}

pub async fn target(conn: &mut AnyConnection, model: &str) -> Result<Option<StoredTarget>> {
    let row: Option<(String, String, i64, Stamp)> =
        sqlx::query_as("SELECT model, spec, timeout_ms, updated_at FROM deployment_targets WHERE model = $1")
            .bind(model)
            .fetch_optional(conn)
            .await?;
    row.map(|(model, spec, timeout_ms, updated_at)| {
        let spec = serde_json::from_str(&spec)
            .map_err(|err| VigilError::Internal(format!("{model}'s stored target cannot be read: {err}")))?;
        Ok(StoredTarget { model, spec, timeout_ms, updated_at: updated_at.0 })
    })
    .transpose()
}

pub async fn set_target(conn: &mut AnyConnection, model: &str, spec: &TargetSpec, timeout_ms: i64) -> Result<()> {
    let spec = serde_json::to_string(spec).map_err(|err| VigilError::Internal(err.to_string()))?;
    sqlx::query(
        "INSERT INTO deployment_targets (model, spec, timeout_ms, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (model) DO UPDATE SET spec = excluded.spec, timeout_ms = excluded.timeout_ms, updated_at = excluded.updated_at",
    )
    .bind(model)
    .bind(spec)
    .bind(timeout_ms)
    .bind(stamp(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes `model`'s target; false when it had none.
pub async fn remove_target(conn: &mut AnyConnection, model: &str) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM deployment_targets WHERE model = $1").bind(model).execute(conn).await?.rows_affected()
        > 0)
}

/// A JSON document stored per model (`rollout_plans`, `rollout_policies`).
async fn document<T: serde::de::DeserializeOwned>(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    model: &str,
) -> Result<Option<T>> {
    let sql = format!("SELECT {column} FROM {table} WHERE model = $1");
    let text: Option<String> = sqlx::query_scalar(&sql).bind(model).fetch_optional(conn).await?;
    text.map(|text| {
        serde_json::from_str(&text).map_err(|err| VigilError::Internal(format!("{table} of {model}: {err}")))
    })
    .transpose()
}

async fn set_document<T: serde::Serialize>(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    model: &str,
    value: &T,
) -> Result<()> {
    let text = serde_json::to_string(value).map_err(|err| VigilError::Internal(err.to_string()))?;
    let sql = format!(
        "INSERT INTO {table} (model, {column}, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (model) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at"
    );
    sqlx::query(&sql).bind(model).bind(text).bind(stamp(Utc::now())).execute(conn).await?;
    Ok(())
}

/// `model`'s own plan, if it has one.
pub async fn plan(conn: &mut AnyConnection, model: &str) -> Result<Option<Plan>> {
    document(conn, "rollout_plans", "plan", model).await
}

pub async fn set_plan(conn: &mut AnyConnection, model: &str, plan: &Plan) -> Result<()> {
    set_document(conn, "rollout_plans", "plan", model, plan).await
}

/// `model`'s own policy, if it has one.
pub async fn policy(conn: &mut AnyConnection, model: &str) -> Result<Option<Policy>> {
    document(conn, "rollout_policies", "policy", model).await
}

pub async fn set_policy(conn: &mut AnyConnection, model: &str, policy: &Policy) -> Result<()> {
    set_document(conn, "rollout_policies", "policy", model, policy).await
}

/// Every profile, by name.
pub async fn profiles(conn: &mut AnyConnection) -> Result<Vec<Profile>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, role FROM profiles ORDER BY name").fetch_all(conn).await?;
    rows.into_iter().map(|(name, role)| Ok(Profile { name, role: Role::parse(&role)? })).collect()
}

/// Adds a profile or changes its role.
pub async fn set_profile(conn: &mut AnyConnection, name: &str, role: Role) -> Result<()> {
    sqlx::query(
        "INSERT INTO profiles (name, role, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET role = excluded.role",
    )
    .bind(name)
    .bind(role.key())
    .bind(stamp(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_profile(conn: &mut AnyConnection, name: &str) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM profiles WHERE name = $1").bind(name).execute(conn).await?.rows_affected() > 0)
}

/// The server whose work `model`'s rollout over `stable` is (its *home*, `duties.rs`): the first
/// server (by id) seen serving the stable revision, else the first serving the model. None when
/// no server Vigil polls serves it.
pub async fn home(conn: &mut AnyConnection, model: &str, stable: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT s.name FROM models m JOIN servers s ON s.id = m.server_id
         LEFT JOIN revisions v ON v.model_id = m.id AND v.version = $2
         WHERE m.name = $1 ORDER BY CASE WHEN v.model_id IS NULL THEN 1 ELSE 0 END, s.id LIMIT 1",
    )
    .bind(model)
    .bind(stable)
    .fetch_optional(conn)
    .await?)
}

/// Takes or renews the lease for `holder` until `expires_at_ms`, when it is free, expired by
/// `now_ms`, or already `holder`'s. Returns whether `holder` holds it.
pub async fn take_lease(conn: &mut AnyConnection, holder: &str, now_ms: i64, expires_at_ms: i64) -> Result<bool> {
    let taken = sqlx::query(
        "INSERT INTO rollout_lease (id, holder, expires_at_ms) VALUES (1, $1, $3)
         ON CONFLICT (id) DO UPDATE SET holder = $1, expires_at_ms = $3
         WHERE rollout_lease.holder = $1 OR rollout_lease.expires_at_ms < $2",
    )
    .bind(holder)
    .bind(now_ms)
    .bind(expires_at_ms)
    .execute(conn)
    .await?;
    Ok(taken.rows_affected() > 0)
}

/// Gives the lease up, if `holder` has it.
pub async fn release_lease(conn: &mut AnyConnection, holder: &str) -> Result<()> {
    sqlx::query("DELETE FROM rollout_lease WHERE holder = $1").bind(holder).execute(conn).await?;
    Ok(())
}

/// Who holds the lease, until when (Unix ms).
pub async fn lease(conn: &mut AnyConnection) -> Result<Option<(String, i64)>> {
    Ok(sqlx::query_as("SELECT holder, expires_at_ms FROM rollout_lease").fetch_optional(conn).await?)
}
