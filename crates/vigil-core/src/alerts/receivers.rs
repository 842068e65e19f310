//! Receivers: where notifications go — the desktop (a notification in the window of every desktop
//! watching this database), a webhook with a generic JSON body (Alertmanager's webhook format),
//! or a Slack-compatible webhook — each taking the alerts whose labels carry its own (routing by
//! team, environment), with its grouping timing. The statements on `alert_receivers`,
//! `alert_groups` and `alert_deliveries` are here too.

use std::collections::{BTreeMap, BTreeSet};

use crate::store::values::{stamp, Flag, Json, MaybeStamp, Stamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, FromRow};
use ts_rs::TS;

use crate::secrets::TokenRef;
use crate::store::sql;
use crate::{Result, VigilError};

/// Alertmanager's defaults: wait 30 s to gather a new group, 5 min between news of a group,
/// 4 h before telling again what has not changed.
pub const GROUP_WAIT_SECS: u64 = 30;
pub const GROUP_INTERVAL_SECS: u64 = 300;
pub const REPEAT_INTERVAL_SECS: u64 = 14_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReceiverKind {
    Desktop,
    Webhook,
    Slack,
}

crate::store::values::text_column!(ReceiverKind);

/// A receiver as a person writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReceiverDraft {
    pub name: String,
    pub kind: ReceiverKind,
    /// The webhook's URL (webhook and Slack).
    pub url: Option<String>,
    /// Where the `Authorization` header's secret is: `env:NAME` or `keyring:NAME`, sent as a bearer token.
    pub auth_ref: Option<String>,
    /// The labels an alert must carry to come here (none: every alert).
    pub labels: BTreeMap<String, String>,
    #[ts(type = "number")]
    pub group_wait_secs: u64,
    #[ts(type = "number")]
    pub group_interval_secs: u64,
    #[ts(type = "number")]
    pub repeat_interval_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Receiver {
    #[ts(type = "number")]
    pub id: i64,
    #[serde(flatten)]
    pub draft: ReceiverDraft,
}

impl ReceiverDraft {
    /// The draft as stored, or what is wrong with it.
    pub fn check(mut self) -> Result<ReceiverDraft> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > 64 {
            return Err(VigilError::invalid("name", "a receiver needs a name of 1 to 64 characters"));
        }
        self.url = self.url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
        match (self.kind, &self.url) {
            (ReceiverKind::Desktop, _) => self.url = None,
            (_, None) => return Err(VigilError::invalid("url", "a webhook needs the URL to post to")),
            (_, Some(url)) => {
                let parsed = url::Url::parse(url)
                    .map_err(|err| VigilError::invalid("url", format!("{url:?} is not a URL ({err})")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(VigilError::invalid("url", "a webhook's URL starts with http:// or https://"));
                }
            }
        }
        self.auth_ref = self.auth_ref.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        if let Some(reference) = &self.auth_ref {
            TokenRef::parse(reference).map_err(|why| VigilError::invalid("auth_ref", why))?;
        }
        for (field, secs) in [
            ("group_wait_secs", self.group_wait_secs),
            ("group_interval_secs", self.group_interval_secs),
            ("repeat_interval_secs", self.repeat_interval_secs),
        ] {
            if secs > 7 * 86_400 {
                return Err(VigilError::invalid(field, "give at most a week, in seconds"));
            }
        }
        if self.repeat_interval_secs < 60 {
            return Err(VigilError::invalid("repeat_interval_secs", "repeat at most once a minute (60 s or more)"));
        }
        Ok(self)
    }

    /// Whether an alert with these labels comes here.
    pub fn takes(&self, labels: &BTreeMap<String, String>) -> bool {
        self.labels.iter().all(|(key, value)| labels.get(key) == Some(value))
    }
}

#[derive(FromRow)]
struct ReceiverRow {
    id: i64,
    name: String,
    kind: ReceiverKind,
    url: Option<String>,
    auth_ref: Option<String>,
    labels: Json<BTreeMap<String, String>>,
    group_wait_secs: i64,
    group_interval_secs: i64,
    repeat_interval_secs: i64,
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Receiver>> {
    let rows: Vec<ReceiverRow> = sqlx::query_as("SELECT * FROM alert_receivers ORDER BY id").fetch_all(conn).await?;
    let secs = |value: i64| u64::try_from(value).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|row| Receiver {
            id: row.id,
            draft: ReceiverDraft {
                name: row.name,
                kind: row.kind,
                url: row.url,
                auth_ref: row.auth_ref,
                labels: row.labels.0,
                group_wait_secs: secs(row.group_wait_secs),
                group_interval_secs: secs(row.group_interval_secs),
                repeat_interval_secs: secs(row.repeat_interval_secs),
            },
        })
        .collect())
}

/// Stores `draft` under its name, replacing the receiver of that name.
pub async fn save(conn: &mut AnyConnection, draft: &ReceiverDraft) -> Result<()> {
    let secs = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO alert_receivers (name, kind, url, auth_ref, labels, group_wait_secs, group_interval_secs,
         repeat_interval_secs) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url, auth_ref = excluded.auth_ref,
         labels = excluded.labels, group_wait_secs = excluded.group_wait_secs,
         group_interval_secs = excluded.group_interval_secs, repeat_interval_secs = excluded.repeat_interval_secs",
    )
    .bind(&draft.name)
    .bind(draft.kind)
    .bind(&draft.url)
    .bind(&draft.auth_ref)
    .bind(Json(&draft.labels))
    .bind(secs(draft.group_wait_secs))
    .bind(secs(draft.group_interval_secs))
    .bind(secs(draft.repeat_interval_secs))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove(conn: &mut AnyConnection, name: &str) -> Result<()> {
    let removed = sqlx::query("DELETE FROM alert_receivers WHERE name = $1").bind(name).execute(conn).await?;
    match removed.rows_affected() {
        0 => Err(VigilError::NotFound(format!("receiver {name:?}"))),
        _ => Ok(()),
    }
}

/// Whether a notification could be due: an alert fires, or a group was told something.
pub async fn anything_to_tell(conn: &mut AnyConnection) -> Result<bool> {
    let told: Flag = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM alerts WHERE state = 'firing') OR EXISTS (SELECT 1 FROM alert_groups)",
    )
    .fetch_one(conn)
    .await?;
    Ok(told.0)
}

/// What a receiver's group of alerts was last told.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct Group {
    pub receiver_id: i64,
    pub group_key: String,
    #[sqlx(try_from = "Stamp")]
    pub first_seen: DateTime<Utc>,
    #[sqlx(try_from = "MaybeStamp")]
    pub last_sent: Option<DateTime<Utc>>,
    /// The alerts (subjects) the last notification named as firing.
    pub last_told: Json<BTreeSet<String>>,
}

pub async fn groups(conn: &mut AnyConnection) -> Result<Vec<Group>> {
    Ok(sqlx::query_as("SELECT * FROM alert_groups").fetch_all(conn).await?)
}

pub async fn put_group(conn: &mut AnyConnection, group: &Group) -> Result<()> {
    sqlx::query(&sql::replace_into(
        crate::store::backend_of_connection(conn),
        "alert_groups",
        &["receiver_id", "group_key", "first_seen", "last_sent", "last_told"],
        &["receiver_id", "group_key"],
        1,
    ))
    .bind(group.receiver_id)
    .bind(&group.group_key)
    .bind(stamp(group.first_seen))
    .bind(stamp(group.last_sent))
    .bind(&group.last_told)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn drop_group(conn: &mut AnyConnection, receiver_id: i64, group_key: &str) -> Result<()> {
    sqlx::query("DELETE FROM alert_groups WHERE receiver_id = $1 AND group_key = $2")
        .bind(receiver_id)
        .bind(group_key)
        .execute(conn)
        .await?;
    Ok(())
}

/// One notification sent (or tried).
#[derive(Debug, Clone, PartialEq, Serialize, TS, FromRow)]
pub struct Delivery {
    pub receiver: String,
    pub group_key: String,
    #[ts(type = "string")]
    #[sqlx(try_from = "Stamp")]
    pub at: DateTime<Utc>,
    #[ts(type = "number")]
    pub firing: i64,
    #[ts(type = "number")]
    pub resolved: i64,
    /// The receiver's own words when it failed.
    pub error: Option<String>,
}

pub async fn record_delivery(conn: &mut AnyConnection, delivery: &Delivery) -> Result<()> {
    sqlx::query(
        "INSERT INTO alert_deliveries (receiver, group_key, at, firing, resolved, error) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&delivery.receiver)
    .bind(&delivery.group_key)
    .bind(stamp(delivery.at))
    .bind(delivery.firing)
    .bind(delivery.resolved)
    .bind(&delivery.error)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn deliveries(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Delivery>> {
    Ok(sqlx::query_as(
        "SELECT receiver, group_key, at, firing, resolved, error FROM alert_deliveries ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
