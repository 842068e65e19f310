//! One evaluation round: every enabled rule on every subject it covers, judged on one reading of
//! the fleet ([`Facts`]), each alert moved by [`lifecycle::evaluate`], and each change people
//! must hear of kept in the history with its evidence (marked silenced when a silence covers it).
//! Alerts at rest (normal, with nothing to remember) are not stored, so a round writes only what
//! is pending, firing, resolved or keeps a level.

use std::collections::{BTreeMap, HashMap};

use crate::store::values::Json;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::AnyConnection;

use super::facts::{Facts, Sample};
use super::history::Baselines;
use super::lifecycle::{self, Alert, AlertState, Notice, Observation, Timing};
use super::queries::{self, HistoryEntry, StoredAlert};
use super::rules::{AlertRule, Condition, Signal};
use super::silences::{self, Silence};
use crate::duties::Scope;
use crate::Result;

/// The half-life of the level a "rises" condition compares with.
pub const LEVEL_HALF_LIFE: Duration = Duration::hours(24);

/// What a round found: the changes people are told of, and how many alerts fire now.
#[derive(Debug, Default)]
pub struct RoundOutcome {
    pub changes: Vec<HistoryEntry>,
    pub firing: usize,
}

/// Evaluates every rule at `now` on the servers `scope` covers and stores what changed; the
/// alerts of other servers are left to the engines whose work they are.
pub(crate) async fn round(
    conn: &mut AnyConnection,
    rules: &[AlertRule],
    facts: &Facts,
    baselines: &Baselines,
    (now, scope): (DateTime<Utc>, &Scope),
) -> Result<RoundOutcome> {
    let mut stored: HashMap<(i64, String), StoredAlert> = queries::alerts(conn)
        .await?
        .into_iter()
        .filter(|alert| scope.covers(alert.server.as_deref()))
        .map(|a| ((a.rule_id, a.subject.clone()), a))
        .collect();
    let silences: Vec<Silence> = silences::current(conn, now).await?.into_iter().filter(|s| s.is_active(now)).collect();
    let mut outcome = RoundOutcome::default();
    for rule in rules.iter().filter(|rule| rule.draft.enabled) {
        let timing = Timing {
            for_duration: Duration::seconds(i64::try_from(rule.draft.for_secs).unwrap_or(i64::MAX / 2_000)),
            keep_firing_for: Duration::seconds(i64::try_from(rule.draft.keep_firing_secs).unwrap_or(i64::MAX / 2_000)),
        };
        let samples = facts.samples(&rule.draft.signal, &rule.draft.condition, &rule.draft.scope);
        for sample in samples.into_iter().filter(|sample| scope.covers(Some(&sample.subject.server))) {
            let subject = sample.subject;
            let key = subject.key();
            let previous = stored.remove(&(rule.id, key.clone()));
            let level = previous.as_ref().and_then(|p| p.level.map(|level| (level, p.evaluated_at)));
            let judged = judge(rule, &sample, level, baselines, now);
            let before = previous.as_ref().map_or(Alert::new(now), StoredAlert::alert);
            // A figure not measured on an alert at rest is no news (a model without traffic has
            // no error share): it stays at rest. An alert under way that loses its data is.
            let observation = match (judged.observation, before.state) {
                (Observation::NoData, AlertState::Normal | AlertState::Resolved) => Observation::Clear,
                (observation, _) => observation,
            };
            let (alert, notice) = lifecycle::evaluate(before, observation, now, timing);
            let row = StoredAlert {
                rule_id: rule.id,
                subject: key,
                model: subject.model.clone(),
                server: Some(subject.server.clone()),
                labels: Json(subject.labels.clone()),
                state: alert.state,
                since: alert.since,
                breach_began: alert.breach_began,
                last_breached: alert.last_breached,
                value: sample.value,
                bound: judged.bound,
                level: judged.level,
                evaluated_at: now,
            };
            if alert.state == AlertState::Firing {
                outcome.firing += 1;
            }
            if let Some(notice) = notice {
                let entry = history_entry(rule, &row, notice, &silences, now);
                queries::record_change(conn, rule.id, &entry).await?;
                outcome.changes.push(entry);
            }
            match (alert.state, row.level, &previous) {
                (AlertState::Normal, None, None) => {}
                (AlertState::Normal, None, Some(_)) => queries::drop_alert(conn, rule.id, &row.subject).await?,
                // Nothing but the time of evaluation moved: not worth a write.
                (_, _, Some(previous))
                    if StoredAlert { evaluated_at: previous.evaluated_at, ..row.clone() } == *previous => {}
                _ => queries::put_alert(conn, &row).await?,
            }
        }
    }
    // What is left belongs to subjects that are gone or rules now off: forget it.
    for (rule_id, subject) in stored.into_keys() {
        queries::drop_alert(conn, rule_id, &subject).await?;
    }
    Ok(outcome)
}

/// What one sample says under a rule: the observation, the bound it was held to, and the
/// subject's level after it (for a "rises" condition).
struct Judged {
    observation: Observation,
    bound: Option<f64>,
    level: Option<f64>,
}

fn judge(
    rule: &AlertRule,
    sample: &Sample<'_>,
    level: Option<(f64, DateTime<Utc>)>,
    baselines: &Baselines,
    now: DateTime<Utc>,
) -> Judged {
    let Some(value) = sample.value else {
        return Judged { observation: Observation::NoData, bound: None, level: level.map(|(l, _)| l) };
    };
    let breached = |yes: bool| if yes { Observation::Breached } else { Observation::Clear };
    let (observation, bound, level) = match rule.draft.condition {
        Condition::Holds => (breached(value >= 0.5), None, None),
        Condition::Above { bound } => (breached(value > bound), Some(bound), None),
        Condition::Below { bound } => (breached(value < bound), Some(bound), None),
        Condition::AboveObjective => match sample.objective {
            Some(bound) => (breached(value > bound), Some(bound), None),
            None => (Observation::NoData, None, None),
        },
        Condition::Rises { factor } => match level {
            Some((level, at)) => {
                let bound = level * factor;
                (breached(value > bound && level > 0.0), Some(bound), Some(moved_level(level, at, value, now)))
            }
            None => (Observation::Clear, None, Some(value)),
        },
        Condition::Anomaly { k } => {
            match baselines.judge(&rule.draft.signal, &sample.subject.key(), now, value) {
                Some(departure) => {
                    let edge = departure.expected.median + k * departure.expected.spread * departure.score.signum();
                    (breached(departure.is_anomaly(k)), Some(edge), None)
                }
                // Too little history to know what is usual: nothing to say yet.
                None => (Observation::Clear, None, None),
            }
        }
    };
    Judged { observation, bound, level }
}

/// The level after seeing `value` at `now`, from `level` last moved at `at`: an exponentially
/// weighted average with a [`LEVEL_HALF_LIFE`] half-life, so one sample moves it little.
fn moved_level(level: f64, at: DateTime<Utc>, value: f64, now: DateTime<Utc>) -> f64 {
    let elapsed = (now - at).num_milliseconds().max(0) as f64;
    let keep = 0.5f64.powf(elapsed / LEVEL_HALF_LIFE.num_milliseconds() as f64);
    keep * level + (1.0 - keep) * value
}

/// The history entry for `notice` on `alert`, with the evidence at this moment.
fn history_entry(
    rule: &AlertRule,
    alert: &StoredAlert,
    notice: Notice,
    silences: &[Silence],
    now: DateTime<Utc>,
) -> HistoryEntry {
    let signal = &rule.draft.signal;
    let shown = |value: Option<f64>| value.map(|v| signal.show(v));
    let change = match notice {
        Notice::Fired => "fired",
        Notice::Resolved => "resolved",
        Notice::LostData => "lost_data",
    };
    let silenced = silences
        .iter()
        .find(|s| s.matcher.matches(&rule.draft.name, alert.model.as_deref(), alert.server.as_deref(), &alert.labels));
    HistoryEntry {
        id: 0,
        rule: rule.draft.name.clone(),
        subject: alert.subject.clone(),
        model: alert.model.clone(),
        server: alert.server.clone(),
        change: change.into(),
        severity: rule.draft.severity,
        at: now,
        value: alert.value,
        bound: alert.bound,
        silenced: silenced.is_some(),
        evidence: Json(json!({
            "sentence": sentence(rule, alert),
            "rule": rule.summary,
            "value": shown(alert.value),
            "bound": shown(alert.bound),
            "runbook": rule.draft.runbook,
            "labels": alert.labels.0.clone(),
            "silenced_by": silenced.map(|s| json!({"id": s.id, "reason": s.reason, "by": s.created_by})),
        })),
    }
}

/// What an alert says in one sentence, by its state: firing ("fraud on a: error share is 7.2 %,
/// past 5.0 % (error share over objective)"), without data, or back to normal.
pub fn sentence(rule: &AlertRule, alert: &StoredAlert) -> String {
    let signal = &rule.draft.signal;
    let what = signal.words();
    let value = alert.value.map(|v| signal.show(v)).unwrap_or_else(|| "not measured".into());
    let name = &rule.draft.name;
    match (alert.state, alert.bound) {
        (AlertState::Firing | AlertState::Pending, _) if *signal == Signal::FeedbackLoop => format!(
            "{}: possible feedback loop — each new revision predicts a narrower range of outcomes while the outcomes \
             users come back with draw closer to what the revision before predicted, so the model may be learning \
             from behaviour it caused; its Performance panel has the figures ({name})",
            alert.subject
        ),
        (AlertState::Firing | AlertState::Pending, Some(bound)) => {
            format!("{}: {what} is {value}, past {} ({name})", alert.subject, signal.show(bound))
        }
        (AlertState::Firing | AlertState::Pending, None) if *name == what => format!("{}: {what}", alert.subject),
        (AlertState::Firing | AlertState::Pending, None) => format!("{}: {what} ({name})", alert.subject),
        (AlertState::NoData, _) => {
            format!(
                "{}: {what} is no longer measured, so Vigil cannot tell whether it is still bad ({name})",
                alert.subject
            )
        }
        (AlertState::Normal | AlertState::Resolved, _) => {
            format!("{}: {what} is back to normal at {value} ({name})", alert.subject)
        }
    }
}

/// The labels a receiver routes on: the subject's labels, and the rule, severity, model and server.
pub fn routing_labels(alert: &StoredAlert, rule: &AlertRule) -> BTreeMap<String, String> {
    let mut labels = alert.labels.0.clone();
    labels.insert("rule".into(), rule.draft.name.clone());
    labels.insert("severity".into(), rule.draft.severity.key().into());
    if let Some(model) = &alert.model {
        labels.insert("model".into(), model.clone());
    }
    if let Some(server) = &alert.server {
        labels.insert("server".into(), server.clone());
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_a_rise_is_judged_against_moves_by_half_in_a_half_life() {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let moved = moved_level(1.0, start, 3.0, start + LEVEL_HALF_LIFE);
        assert!((moved - 2.0).abs() < 1e-12, "{moved}");
        let a_minute = moved_level(1.0, start, 3.0, start + Duration::minutes(1));
        assert!(a_minute < 1.01, "one sample a minute later barely moves it: {a_minute}");
        assert_eq!(moved_level(1.0, start, 3.0, start - Duration::minutes(1)), 1.0, "a clock going back moves nothing");
    }
}
