//! Every statement on the rule, alert and history tables (`alert_rules`, `alerts`,
//! `alert_history`), with the stored shapes they read into.

use std::collections::BTreeMap;

use crate::store::values::{stamp, Flag, Json, MaybeStamp, Stamp};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};
use ts_rs::TS;

use super::lifecycle::{Alert, AlertState};
use super::rules::{AlertRule, RuleDraft, Severity};
use crate::store::sql;
use crate::{Result, VigilError};

#[derive(FromRow)]
struct RuleRow {
    id: i64,
    name: String,
    signal: Json<super::rules::Signal>,
    condition: Json<super::rules::Condition>,
    for_secs: i64,
    keep_firing_secs: i64,
    severity: Severity,
    scope: Json<super::rules::Scope>,
    runbook: Option<String>,
    #[sqlx(try_from = "Flag")]
    enabled: bool,
    #[sqlx(try_from = "Flag")]
    builtin: bool,
    #[sqlx(try_from = "Stamp")]
    updated_at: DateTime<Utc>,
}

impl RuleRow {
    fn into_rule(self) -> AlertRule {
        let draft = RuleDraft {
            name: self.name,
            signal: self.signal.0,
            condition: self.condition.0,
            for_secs: u64::try_from(self.for_secs).unwrap_or(0),
            keep_firing_secs: u64::try_from(self.keep_firing_secs).unwrap_or(0),
            severity: self.severity,
            scope: self.scope.0,
            runbook: self.runbook,
            enabled: self.enabled,
        };
        AlertRule { id: self.id, summary: draft.summary(), draft, builtin: self.builtin, updated_at: self.updated_at }
    }
}

pub async fn rules(conn: &mut AnyConnection) -> Result<Vec<AlertRule>> {
    let rows: Vec<RuleRow> =
        sqlx::query_as("SELECT * FROM alert_rules ORDER BY builtin DESC, name").fetch_all(conn).await?;
    Ok(rows.into_iter().map(RuleRow::into_rule).collect())
}

/// What changes whenever a rule is added, edited or removed: their count, newest edit and largest id.
pub type RulesVersion = (i64, Option<Stamp>, Option<i64>);

pub async fn rules_version(conn: &mut AnyConnection) -> Result<RulesVersion> {
    Ok(sqlx::query_as("SELECT count(*), max(updated_at), max(id) FROM alert_rules").fetch_one(conn).await?)
}

pub async fn rule(conn: &mut AnyConnection, name: &str) -> Result<Option<AlertRule>> {
    let row: Option<RuleRow> =
        sqlx::query_as("SELECT * FROM alert_rules WHERE name = $1").bind(name).fetch_optional(conn).await?;
    Ok(row.map(RuleRow::into_rule))
}

/// Stores `draft` as rule `id` (None: a new rule). A name another rule has is refused.
pub async fn save_rule(
    conn: &mut AnyConnection,
    id: Option<i64>,
    draft: &RuleDraft,
    builtin: bool,
    now: DateTime<Utc>,
) -> Result<i64> {
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM alert_rules WHERE name = $1")
        .bind(&draft.name)
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some_and(|taken| Some(taken) != id) {
        return Err(VigilError::invalid("name", format!("a rule named {:?} exists: choose another name", draft.name)));
    }
    let query = match id {
        Some(_) => {
            "UPDATE alert_rules SET name = $1, signal = $2, condition = $3, for_secs = $4, keep_firing_secs = $5,
             severity = $6, scope = $7, runbook = $8, enabled = $9, updated_at = $11 WHERE id = $12 RETURNING id"
        }
        None => {
            "INSERT INTO alert_rules (name, signal, condition, for_secs, keep_firing_secs, severity, scope, runbook,
             enabled, builtin, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
        }
    };
    let saved: Option<i64> = sqlx::query_scalar(query)
        .bind(&draft.name)
        .bind(Json(&draft.signal))
        .bind(Json(&draft.condition))
        .bind(i64::try_from(draft.for_secs).unwrap_or(i64::MAX))
        .bind(i64::try_from(draft.keep_firing_secs).unwrap_or(i64::MAX))
        .bind(draft.severity)
        .bind(Json(&draft.scope))
        .bind(&draft.runbook)
        .bind(draft.enabled)
        .bind(builtin)
        .bind(stamp(now))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    saved.ok_or_else(|| VigilError::NotFound(format!("alert rule {}", id.unwrap_or_default())))
}

pub async fn remove_rule(conn: &mut AnyConnection, name: &str) -> Result<()> {
    let removed = sqlx::query("DELETE FROM alert_rules WHERE name = $1").bind(name).execute(conn).await?;
    match removed.rows_affected() {
        0 => Err(VigilError::NotFound(format!("alert rule {name:?}"))),
        _ => Ok(()),
    }
}

/// Marks the built-in rules as put in; false when they already were (so a removed default stays removed).
pub async fn mark_seeded(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<bool> {
    let done = sqlx::query("INSERT INTO alert_rules_seed (id, seeded_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .bind(stamp(now))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One alert as stored: a rule's state on one subject.
#[derive(Debug, Clone, PartialEq, Serialize, TS, FromRow)]
pub struct StoredAlert {
    #[ts(type = "number")]
    pub rule_id: i64,
    pub subject: String,
    pub model: Option<String>,
    pub server: Option<String>,
    #[ts(type = "Record<string, string>")]
    pub labels: Json<BTreeMap<String, String>>,
    pub state: AlertState,
    #[ts(type = "string")]
    #[sqlx(try_from = "Stamp")]
    pub since: DateTime<Utc>,
    #[ts(type = "string | null")]
    #[sqlx(try_from = "MaybeStamp")]
    pub breach_began: Option<DateTime<Utc>>,
    #[ts(type = "string | null")]
    #[sqlx(try_from = "MaybeStamp")]
    pub last_breached: Option<DateTime<Utc>>,
    pub value: Option<f64>,
    pub bound: Option<f64>,
    /// The slow moving average a "rises" condition compares with.
    pub level: Option<f64>,
    #[ts(type = "string")]
    #[sqlx(try_from = "Stamp")]
    pub evaluated_at: DateTime<Utc>,
}

impl StoredAlert {
    pub fn alert(&self) -> Alert {
        Alert {
            state: self.state,
            since: self.since,
            breach_began: self.breach_began,
            last_breached: self.last_breached,
        }
    }
}

pub async fn alerts(conn: &mut AnyConnection) -> Result<Vec<StoredAlert>> {
    Ok(sqlx::query_as("SELECT * FROM alerts ORDER BY rule_id, subject").fetch_all(conn).await?)
}

pub async fn put_alert(conn: &mut AnyConnection, alert: &StoredAlert) -> Result<()> {
    sqlx::query(&sql::replace_into(
        crate::store::backend_of_connection(conn),
        "alerts",
        &[
            "rule_id",
            "subject",
            "model",
            "server",
            "labels",
            "state",
            "since",
            "breach_began",
            "last_breached",
            "value",
            "bound",
            "level",
            "evaluated_at",
        ],
        &["rule_id", "subject"],
        1,
    ))
    .bind(alert.rule_id)
    .bind(&alert.subject)
    .bind(&alert.model)
    .bind(&alert.server)
    .bind(&alert.labels)
    .bind(alert.state)
    .bind(stamp(alert.since))
    .bind(stamp(alert.breach_began))
    .bind(stamp(alert.last_breached))
    .bind(alert.value)
    .bind(alert.bound)
    .bind(alert.level)
    .bind(stamp(alert.evaluated_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn drop_alert(conn: &mut AnyConnection, rule_id: i64, subject: &str) -> Result<()> {
    sqlx::query("DELETE FROM alerts WHERE rule_id = $1 AND subject = $2")
        .bind(rule_id)
        .bind(subject)
        .execute(conn)
        .await?;
    Ok(())
}

/// A change people were told of (or would have been, when silenced), with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, TS, FromRow)]
pub struct HistoryEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub rule: String,
    pub subject: String,
    pub model: Option<String>,
    pub server: Option<String>,
    /// fired, resolved or lost_data.
    pub change: String,
    pub severity: Severity,
    #[ts(type = "string")]
    #[sqlx(try_from = "Stamp")]
    pub at: DateTime<Utc>,
    pub value: Option<f64>,
    pub bound: Option<f64>,
    #[sqlx(try_from = "Flag")]
    pub silenced: bool,
    /// The sentence and the figures at that moment.
    #[ts(type = "Record<string, unknown>")]
    pub evidence: Json<serde_json::Value>,
}

pub async fn record_change(conn: &mut AnyConnection, rule_id: i64, entry: &HistoryEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO alert_history (rule_id, rule, subject, model, server, change, severity, at, value, bound,
         silenced, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(rule_id)
    .bind(&entry.rule)
    .bind(&entry.subject)
    .bind(&entry.model)
    .bind(&entry.server)
    .bind(&entry.change)
    .bind(entry.severity)
    .bind(stamp(entry.at))
    .bind(entry.value)
    .bind(entry.bound)
    .bind(entry.silenced)
    .bind(&entry.evidence)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest `limit` changes, newest first.
pub async fn history(conn: &mut AnyConnection, limit: i64) -> Result<Vec<HistoryEntry>> {
    Ok(sqlx::query_as(
        "SELECT id, rule, subject, model, server, change, severity, at, value, bound, silenced, evidence
         FROM alert_history ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
