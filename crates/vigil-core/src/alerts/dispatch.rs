//! Which notifications are due, as Alertmanager decides it: each receiver takes the firing,
//! unsilenced alerts whose labels carry its own, grouped by rule; a new group waits
//! `group_wait` to gather its alerts, news of a group (an alert firing that was not told, or one
//! resolved) waits `group_interval` after the last notification, and a group with nothing new is
//! told again after `repeat_interval` while it fires. What each group was last told is stored,
//! so a restart neither forgets nor repeats. An alert silenced while firing is left out of its
//! group's notifications without a "resolved" notice: it did not resolve.

use std::collections::{BTreeSet, HashMap};

use crate::store::values::Json;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::AnyConnection;

use super::evaluate::{routing_labels, sentence};
use super::lifecycle::AlertState;
use super::queries::{self, StoredAlert};
use super::receivers::{self, Group, Receiver};
use super::rules::{AlertRule, Severity};
use super::silences;
use crate::Result;

/// One alert as a notification names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotifiedAlert {
    pub rule: String,
    pub subject: String,
    pub severity: Severity,
    /// "fraud on fraud-server: error share is 7.2 %, past 5.0 %".
    pub sentence: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub runbook: Option<String>,
    pub since: DateTime<Utc>,
}

/// A notification due to one receiver about one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub receiver: Receiver,
    pub group_key: String,
    pub firing: Vec<NotifiedAlert>,
    pub resolved: Vec<NotifiedAlert>,
    group: Group,
}

/// Whether a group is due at `now`: `news` when it fires something not yet told or resolved something.
pub fn due(group: &Group, news: bool, firing: bool, receiver: &Receiver, now: DateTime<Utc>) -> bool {
    let secs = |s: u64| Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 2_000));
    let timing = &receiver.draft;
    match group.last_sent {
        None => now - group.first_seen >= secs(timing.group_wait_secs),
        Some(sent) => {
            (news && now - sent >= secs(timing.group_interval_secs))
                || (firing && now - sent >= secs(timing.repeat_interval_secs))
        }
    }
}

/// The notifications due at `now`. Groups seen for the first time are stored as they are found.
pub async fn due_now(conn: &mut AnyConnection, rules: &[AlertRule], now: DateTime<Utc>) -> Result<Vec<Notification>> {
    let rules: HashMap<i64, &AlertRule> = rules.iter().map(|rule| (rule.id, rule)).collect();
    let alerts = queries::alerts(conn).await?;
    let silences: Vec<_> = silences::current(conn, now).await?.into_iter().filter(|s| s.is_active(now)).collect();
    let mut groups: HashMap<(i64, String), Group> =
        receivers::groups(conn).await?.into_iter().map(|g| ((g.receiver_id, g.group_key.clone()), g)).collect();
    let mut due_list = Vec::new();
    for receiver in receivers::list(conn).await? {
        // Every alert this receiver takes, by group (rule name), with whether it is silenced.
        let mut taken: HashMap<String, Vec<(&StoredAlert, &AlertRule, bool)>> = HashMap::new();
        for alert in &alerts {
            let Some(rule) = rules.get(&alert.rule_id) else { continue };
            let labels = routing_labels(alert, rule);
            if !receiver.draft.takes(&labels) {
                continue;
            }
            let silenced = silences.iter().any(|s| {
                s.matcher.matches(&rule.draft.name, alert.model.as_deref(), alert.server.as_deref(), &alert.labels)
            });
            taken.entry(rule.draft.name.clone()).or_default().push((alert, rule, silenced));
        }
        let keys: BTreeSet<String> = taken
            .keys()
            .cloned()
            .chain(groups.keys().filter(|(id, _)| *id == receiver.id).map(|(_, key)| key.clone()))
            .collect();
        for key in keys {
            let members = taken.remove(&key).unwrap_or_default();
            let firing: Vec<_> =
                members.iter().filter(|(a, _, silenced)| a.state == AlertState::Firing && !silenced).collect();
            let firing_subjects: BTreeSet<String> = firing.iter().map(|(a, _, _)| a.subject.clone()).collect();
            let group = groups.remove(&(receiver.id, key.clone()));
            let told = group.as_ref().map(|g| g.last_told.0.clone()).unwrap_or_default();
            let resolved: Vec<_> = members
                .iter()
                .filter(|(a, _, silenced)| told.contains(&a.subject) && a.state != AlertState::Firing && !silenced)
                .collect();
            let group = match group {
                Some(group) => group,
                None if firing.is_empty() => continue,
                None => {
                    let group = Group {
                        receiver_id: receiver.id,
                        group_key: key.clone(),
                        first_seen: now,
                        last_sent: None,
                        last_told: Json(BTreeSet::new()),
                    };
                    receivers::put_group(conn, &group).await?;
                    group
                }
            };
            // A group whose alerts are silenced, not resolved, is kept: when the silence ends, it
            // goes on from what it last told.
            let silenced_firing = members.iter().any(|(a, _, silenced)| a.state == AlertState::Firing && *silenced);
            if firing.is_empty() && resolved.is_empty() && !silenced_firing {
                receivers::drop_group(conn, receiver.id, &key).await?;
                continue;
            }
            let news = !firing_subjects.is_subset(&told) || !resolved.is_empty();
            if due(&group, news, !firing.is_empty(), &receiver, now) {
                due_list.push(Notification {
                    receiver: receiver.clone(),
                    group_key: key,
                    firing: firing.iter().map(|(a, r, _)| notified(a, r)).collect(),
                    resolved: resolved.iter().map(|(a, r, _)| notified(a, r)).collect(),
                    group,
                });
            }
        }
    }
    Ok(due_list)
}

/// Records that `notification` was sent at `now` (or failed, with the receiver's words): a
/// success moves its group on; a failure leaves it due, to be tried again.
pub async fn record(
    conn: &mut AnyConnection,
    notification: &Notification,
    failure: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    let count = |alerts: &[NotifiedAlert]| i64::try_from(alerts.len()).unwrap_or(i64::MAX);
    let delivery = receivers::Delivery {
        receiver: notification.receiver.draft.name.clone(),
        group_key: notification.group_key.clone(),
        at: now,
        firing: count(&notification.firing),
        resolved: count(&notification.resolved),
        error: failure.clone(),
    };
    receivers::record_delivery(conn, &delivery).await?;
    if failure.is_some() {
        return Ok(());
    }
    if notification.firing.is_empty() {
        return receivers::drop_group(conn, notification.receiver.id, &notification.group_key).await;
    }
    let told = notification.firing.iter().map(|a| a.subject.clone()).collect();
    let group = Group { last_sent: Some(now), last_told: Json(told), ..notification.group.clone() };
    receivers::put_group(conn, &group).await
}

fn notified(alert: &StoredAlert, rule: &AlertRule) -> NotifiedAlert {
    NotifiedAlert {
        rule: rule.draft.name.clone(),
        subject: alert.subject.clone(),
        severity: rule.draft.severity,
        sentence: sentence(rule, alert),
        labels: routing_labels(alert, rule),
        runbook: rule.draft.runbook.clone(),
        since: alert.since,
    }
}
