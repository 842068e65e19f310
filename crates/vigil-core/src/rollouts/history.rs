//! A model's deployment history (every revision with where and when it was first seen, the
//! traffic its target was confirmed to serve over time, every rollout with its outcome and
//! every rollback with its reason) and the reports the anchors' users ask for: rollbacks per
//! model, time to roll back, change-failure rate, time from start to full promotion.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::record::{Rollout, RolloutState};
use super::targets::Traffic;
use super::{queries, Rollouts};
use crate::revisions::version_name;
use crate::store::values::Stamp;
use crate::Result;

/// A revision as first seen.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RevisionSeen {
    pub version: String,
    pub server: String,
    pub first_seen_at: DateTime<Utc>,
    /// What the server said of it (platform, inputs, outputs, artifact), as JSON.
    #[ts(type = "unknown")]
    pub metadata: serde_json::Value,
}

/// Traffic a target was confirmed to serve.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TrafficChange {
    pub at: DateTime<Utc>,
    pub traffic: Traffic,
    /// `step`, `promote`, `rollback`, `abort`, `read`
    pub cause: String,
    #[ts(type = "number | null")]
    pub rollout: Option<i64>,
}

/// A model's deployment history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DeploymentHistory {
    pub model: String,
    pub revisions: Vec<RevisionSeen>,
    pub traffic: Vec<TrafficChange>,
    /// Every rollout, oldest first, with its outcome and (for a rollback) its reason.
    pub rollouts: Vec<Rollout>,
    /// All of it as one timeline in words, newest first, for the window and the CLI.
    pub timeline: Vec<TimelineEntry>,
}

/// One event of a model's deployment history, in words.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub text: String,
    /// What kind of event: `seen`, `traffic`, `started`, or the state a rollout ended in.
    pub kind: String,
}

/// The history's events, newest first.
fn timeline(revisions: &[RevisionSeen], traffic: &[TrafficChange], rollouts: &[Rollout]) -> Vec<TimelineEntry> {
    let entry = |at, text: String, kind: &str| TimelineEntry { at, text, kind: kind.to_owned() };
    let mut entries: Vec<TimelineEntry> = revisions
        .iter()
        .map(|r| entry(r.first_seen_at, format!("{} first seen on {}", version_name(&r.version), r.server), "seen"))
        .chain(traffic.iter().map(|t| {
            entry(t.at, format!("Traffic {} ({}), confirmed at the target", t.traffic.describe(), t.cause), "traffic")
        }))
        .collect();
    for r in rollouts {
        let (candidate, stable) = (version_name(&r.candidate), version_name(&r.stable));
        let started = format!("Rollout of {candidate} over {stable} started by {}", r.started_by);
        entries.push(entry(r.started_at, started, "started"));
        if let Some(ended) = r.ended_at {
            let why = r.reason.as_deref().map(|reason| format!(": {reason}")).unwrap_or_default();
            entries.push(entry(ended, format!("Rollout of {candidate} {}{why}", r.state.words()), r.state.key()));
        }
    }
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.at));
    entries
}

/// Rollout figures for one model, or for all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
pub struct RolloutFigures {
    pub started: u32,
    pub ended: u32,
    pub promoted: u32,
    pub rolled_back: u32,
    pub aborted: u32,
    /// Rollouts that ended in rollback or abort ÷ rollouts that ended.
    pub change_failure_rate: Option<f64>,
    /// From the stored poll that reached the failure limit to the confirmed rollback, in
    /// seconds: the mean and the longest.
    pub time_to_roll_back_mean_s: Option<f64>,
    pub time_to_roll_back_max_s: Option<f64>,
    /// From start to full promotion, in seconds (mean).
    pub time_to_promote_mean_s: Option<f64>,
}

/// The reports: per model and overall.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RolloutReport {
    pub overall: RolloutFigures,
    pub models: BTreeMap<String, RolloutFigures>,
}

impl Rollouts {
    /// `model`'s deployment history.
    pub async fn history(&self, model: &str) -> Result<DeploymentHistory> {
        let mut conn = self.context.pool().acquire().await?;
        let rows: Vec<(String, String, Stamp, String)> = sqlx::query_as(
            "SELECT r.version, s.name, r.first_seen_at, r.metadata FROM revisions r JOIN models m ON m.id = r.model_id
             JOIN servers s ON s.id = m.server_id WHERE m.name = $1 ORDER BY r.first_seen_at, r.version",
        )
        .bind(model)
        .fetch_all(&mut *conn)
        .await?;
        let revisions: Vec<RevisionSeen> = rows
            .into_iter()
            .map(|(version, server, first_seen_at, metadata)| RevisionSeen {
                version,
                server,
                first_seen_at: first_seen_at.0,
                metadata: serde_json::from_str(&metadata).unwrap_or_default(),
            })
            .collect();
        let traffic: Vec<TrafficChange> = queries::traffic_history(&mut conn, model)
            .await?
            .into_iter()
            .map(|(at, traffic, cause, rollout)| TrafficChange { at, traffic, cause, rollout })
            .collect();
        let mut rollouts = queries::list(&mut conn, Some(model), 10_000).await?;
        rollouts.reverse();
        let timeline = timeline(&revisions, &traffic, &rollouts);
        Ok(DeploymentHistory { model: model.to_owned(), revisions, traffic, rollouts, timeline })
    }

    /// Rollbacks, time to roll back, change-failure rate and time to promote, per model and overall.
    pub async fn report(&self) -> Result<RolloutReport> {
        let rollouts = queries::list(&mut *self.context.pool().acquire().await?, None, 100_000).await?;
        let mut by_model: BTreeMap<String, Vec<&Rollout>> = BTreeMap::new();
        for rollout in &rollouts {
            by_model.entry(rollout.model.clone()).or_default().push(rollout);
        }
        let models = by_model.into_iter().map(|(model, rollouts)| (model, figures(rollouts.into_iter()))).collect();
        Ok(RolloutReport { overall: figures(rollouts.iter()), models })
    }
}

/// The figures of `rollouts`.
pub fn figures<'a>(rollouts: impl Iterator<Item = &'a Rollout>) -> RolloutFigures {
    let mut figures = RolloutFigures::default();
    let (mut to_roll_back, mut to_promote) = (Vec::new(), Vec::new());
    for rollout in rollouts {
        figures.started += 1;
        if !rollout.state.active() {
            figures.ended += 1;
        }
        match rollout.state {
            RolloutState::Promoted => {
                figures.promoted += 1;
                if let Some(ended) = rollout.ended_at {
                    to_promote.push((ended - rollout.started_at).num_milliseconds() as f64 / 1000.0);
                }
            }
            RolloutState::RolledBack => {
                figures.rolled_back += 1;
                if let (Some(failed_ms), Some(ended)) = (rollout.failed_at_ms, rollout.ended_at) {
                    to_roll_back.push((ended.timestamp_millis() - failed_ms).max(0) as f64 / 1000.0);
                }
            }
            RolloutState::Aborted => figures.aborted += 1,
            _ => {}
        }
    }
    let mean = |values: &[f64]| (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    figures.change_failure_rate =
        (figures.ended > 0).then(|| f64::from(figures.rolled_back + figures.aborted) / f64::from(figures.ended));
    figures.time_to_roll_back_mean_s = mean(&to_roll_back);
    figures.time_to_roll_back_max_s = to_roll_back.iter().copied().reduce(f64::max);
    figures.time_to_promote_mean_s = mean(&to_promote);
    figures
}
