//! Silences and maintenance windows: for a time range, alerts matching a rule, a model, a server
//! or labels still change state and are kept in the history (marked silenced), but nobody is
//! notified. A maintenance window is a silence that starts later. Ending a silence early sets its
//! end to now; silences are never deleted, so the history says why an alert was quiet.

use std::collections::BTreeMap;

use crate::store::values::{stamp, Json, Stamp};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, FromRow};
use ts_rs::TS;

use crate::{Result, VigilError};

/// The longest silence: 90 days.
pub const MAX_SILENCE_DAYS: i64 = 90;

/// Which alerts a silence quiets: every field given must match; at least one is given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Matcher {
    pub rule: Option<String>,
    pub model: Option<String>,
    pub server: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl Matcher {
    pub fn matches(
        &self,
        rule: &str,
        model: Option<&str>,
        server: Option<&str>,
        labels: &BTreeMap<String, String>,
    ) -> bool {
        let same = |wanted: &Option<String>, actual: Option<&str>| wanted.as_deref().is_none_or(|w| Some(w) == actual);
        same(&self.rule, Some(rule))
            && same(&self.model, model)
            && same(&self.server, server)
            && self.labels.iter().all(|(key, value)| labels.get(key) == Some(value))
    }

    fn is_empty(&self) -> bool {
        self.rule.is_none() && self.model.is_none() && self.server.is_none() && self.labels.is_empty()
    }

    /// "model fraud, team=payments".
    pub fn words(&self) -> String {
        let mut parts: Vec<String> = [("rule", &self.rule), ("model", &self.model), ("server", &self.server)]
            .into_iter()
            .filter_map(|(what, value)| value.as_ref().map(|v| format!("{what} {v}")))
            .collect();
        parts.extend(self.labels.iter().map(|(k, v)| format!("{k}={v}")));
        parts.join(", ")
    }
}

/// What a person asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SilenceDraft {
    pub matcher: Matcher,
    /// None: now.
    #[ts(type = "string | null")]
    pub starts_at: Option<DateTime<Utc>>,
    #[ts(type = "string")]
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS, FromRow)]
pub struct Silence {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(as = "Matcher")]
    pub matcher: Json<Matcher>,
    #[ts(type = "string")]
    #[sqlx(try_from = "Stamp")]
    pub starts_at: DateTime<Utc>,
    #[ts(type = "string")]
    #[sqlx(try_from = "Stamp")]
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
    #[ts(type = "string")]
    #[sqlx(try_from = "Stamp")]
    pub created_at: DateTime<Utc>,
}

impl Silence {
    pub fn is_active(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.ends_at
    }
}

impl SilenceDraft {
    /// The silence as it will be stored from `now`, or what is wrong with it.
    pub fn check(mut self, now: DateTime<Utc>) -> Result<SilenceDraft> {
        if self.matcher.is_empty() {
            return Err(VigilError::invalid("matcher", "say what to silence: a rule, a model, a server or a label"));
        }
        self.reason = self.reason.trim().to_owned();
        if self.reason.is_empty() {
            return Err(VigilError::invalid("reason", "say why, so the team knows why the alert was quiet"));
        }
        let starts = self.starts_at.unwrap_or(now);
        if self.ends_at <= starts || self.ends_at <= now {
            return Err(VigilError::invalid("ends_at", "the silence must end after it starts, and in the future"));
        }
        if self.ends_at - starts > Duration::days(MAX_SILENCE_DAYS) {
            return Err(VigilError::invalid("ends_at", format!("a silence lasts at most {MAX_SILENCE_DAYS} days")));
        }
        self.starts_at = Some(starts);
        Ok(self)
    }
}

pub async fn insert(conn: &mut AnyConnection, draft: &SilenceDraft, by: &str, now: DateTime<Utc>) -> Result<Silence> {
    Ok(sqlx::query_as(
        "INSERT INTO silences (matcher, starts_at, ends_at, reason, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
    )
    .bind(Json(&draft.matcher))
    .bind(stamp(draft.starts_at.unwrap_or(now)))
    .bind(stamp(draft.ends_at))
    .bind(&draft.reason)
    .bind(by)
    .bind(stamp(now))
    .fetch_one(conn)
    .await?)
}

/// Ends silence `id` at `now` (a silence not yet begun ends before it starts).
pub async fn end(conn: &mut AnyConnection, id: i64, now: DateTime<Utc>) -> Result<Silence> {
    let ended: Option<Silence> = sqlx::query_as(
        "UPDATE silences SET ends_at = CASE WHEN ends_at < $1 THEN ends_at ELSE $1 END WHERE id = $2 RETURNING *",
    )
    .bind(stamp(now))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    ended.ok_or_else(|| VigilError::NotFound(format!("silence {id}")))
}

/// Silences that have not ended by `now`, soonest to end first.
pub async fn current(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<Vec<Silence>> {
    Ok(sqlx::query_as("SELECT * FROM silences WHERE ends_at > $1 ORDER BY ends_at")
        .bind(stamp(now))
        .fetch_all(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silence_matches_every_field_it_names_and_must_say_why() {
        let labels = BTreeMap::from([("team".to_owned(), "payments".to_owned())]);
        let matcher = Matcher { model: Some("fraud".into()), labels: labels.clone(), ..Matcher::default() };
        assert!(matcher.matches("dataset drift", Some("fraud"), Some("a"), &labels));
        assert!(!matcher.matches("dataset drift", Some("churn"), Some("a"), &labels));
        assert!(!matcher.matches("dataset drift", Some("fraud"), Some("a"), &BTreeMap::new()));
        assert_eq!(matcher.words(), "model fraud, team=payments");
        let now = Utc::now();
        let draft = SilenceDraft { matcher, starts_at: None, ends_at: now + Duration::hours(1), reason: " ".into() };
        assert!(matches!(draft.clone().check(now), Err(VigilError::InvalidInput { field: "reason", .. })));
        let past = SilenceDraft { ends_at: now - Duration::minutes(1), reason: "deploy".into(), ..draft.clone() };
        assert!(matches!(past.check(now), Err(VigilError::InvalidInput { field: "ends_at", .. })));
        let empty = SilenceDraft { matcher: Matcher::default(), reason: "deploy".into(), ..draft };
        assert!(matches!(empty.check(now), Err(VigilError::InvalidInput { field: "matcher", .. })));
    }
}
