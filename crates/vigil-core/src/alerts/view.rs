//! The alerts as people see them: each stored alert not at rest with its rule's name, severity,
//! its value and bound in the signal's unit, its sentence, its runbook, and the silence that
//! quiets it; firing first (most severe first), then pending, without data, and resolved.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
use ts_rs::TS;

use super::evaluate::sentence;
use super::lifecycle::AlertState;
use super::queries;
use super::rules::Severity;
use super::silences;
use crate::Result;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AlertView {
    pub rule: String,
    pub severity: Severity,
    pub subject: String,
    pub model: Option<String>,
    pub server: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub state: AlertState,
    #[ts(type = "string")]
    pub since: DateTime<Utc>,
    /// The value and the bound it was held to, in the signal's unit ("7.2 %", "310 ms").
    pub value: Option<String>,
    pub bound: Option<String>,
    pub sentence: String,
    pub runbook: Option<String>,
    /// The silence quieting it now, in words ("until 14:00 UTC: deploy of v14").
    pub silenced: Option<String>,
}

pub async fn alerts(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<Vec<AlertView>> {
    let rules: HashMap<i64, _> = queries::rules(conn).await?.into_iter().map(|r| (r.id, r)).collect();
    let silences: Vec<_> = silences::current(conn, now).await?.into_iter().filter(|s| s.is_active(now)).collect();
    let mut views: Vec<AlertView> = queries::alerts(conn)
        .await?
        .into_iter()
        .filter(|alert| alert.state != AlertState::Normal)
        .filter_map(|alert| {
            let rule = rules.get(&alert.rule_id)?;
            let signal = &rule.draft.signal;
            let silenced = silences
                .iter()
                .find(|s| {
                    s.matcher.matches(&rule.draft.name, alert.model.as_deref(), alert.server.as_deref(), &alert.labels)
                })
                .map(|s| format!("until {}: {}", s.ends_at.format("%Y-%m-%d %H:%M UTC"), s.reason));
            Some(AlertView {
                rule: rule.draft.name.clone(),
                severity: rule.draft.severity,
                sentence: sentence(rule, &alert),
                subject: alert.subject,
                model: alert.model,
                server: alert.server,
                labels: alert.labels.0,
                state: alert.state,
                since: alert.since,
                value: alert.value.map(|v| signal.show(v)),
                bound: alert.bound.map(|b| signal.show(b)),
                runbook: rule.draft.runbook.clone(),
                silenced,
            })
        })
        .collect();
    let rank = |state: AlertState| match state {
        AlertState::Firing => 0,
        AlertState::Pending => 1,
        AlertState::NoData => 2,
        AlertState::Resolved | AlertState::Normal => 3,
    };
    views.sort_by(|a, b| {
        (rank(a.state), a.severity, std::cmp::Reverse(a.since)).cmp(&(
            rank(b.state),
            b.severity,
            std::cmp::Reverse(b.since),
        ))
    });
    Ok(views)
}
