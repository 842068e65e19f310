//! A rollout as stored and as shown: its state, the step in force and the traffic confirmed at
//! the target, the latest evidence, and the sign-offs it has.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::gates::Evidence;
use super::people::Role;
use super::plan::Plan;
use super::targets::Traffic;

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RolloutState {
    /// A step is in force; its gates are measured at every poll.
    Running,
    /// The step passed; the next waits for people's sign-off.
    Waiting,
    /// Stopped by a person, a failure limit (when the plan says pause), or a target's error.
    Paused,
    /// The candidate serves all traffic.
    Promoted,
    /// The stable revision serves all traffic again, after a failure or a person's decision.
    RolledBack,
    /// Stopped by a person or a late approval; the stable revision serves all traffic.
    Aborted,
    /// A target failed while going back to the stable revision; the error says what it serves.
    Failed,
}

impl RolloutState {
    pub fn key(self) -> &'static str {
        match self {
            RolloutState::Running => "running",
            RolloutState::Waiting => "waiting",
            RolloutState::Paused => "paused",
            RolloutState::Promoted => "promoted",
            RolloutState::RolledBack => "rolled_back",
            RolloutState::Aborted => "aborted",
            RolloutState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> RolloutState {
        match text {
            "running" => RolloutState::Running,
            "waiting" => RolloutState::Waiting,
            "paused" => RolloutState::Paused,
            "promoted" => RolloutState::Promoted,
            "rolled_back" => RolloutState::RolledBack,
            "aborted" => RolloutState::Aborted,
            _ => RolloutState::Failed,
        }
    }

    /// The state in words: `rolled back`.
    pub fn words(self) -> &'static str {
        match self {
            RolloutState::Running => "in progress",
            RolloutState::Waiting => "waiting for approval",
            RolloutState::Paused => "paused",
            RolloutState::Promoted => "promoted",
            RolloutState::RolledBack => "rolled back",
            RolloutState::Aborted => "aborted",
            RolloutState::Failed => "failed",
        }
    }

    /// Whether the rollout is still under way.
    pub fn active(self) -> bool {
        matches!(self, RolloutState::Running | RolloutState::Waiting | RolloutState::Paused)
    }
}

/// One rollout.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Rollout {
    #[ts(type = "number")]
    pub id: i64,
    pub model: String,
    pub stable: String,
    pub candidate: String,
    pub plan: Plan,
    pub state: RolloutState,
    /// The index of the step in force (-1: none yet).
    pub step: i32,
    /// The candidate's share confirmed at the target, in percent.
    pub weight: u32,
    pub step_started_at: DateTime<Utc>,
    pub waiting_since: Option<DateTime<Utc>>,
    pub reminded: bool,
    pub failures: u32,
    /// The stored poll in which the failure limit was reached (Unix ms).
    #[ts(type = "number | null")]
    pub failed_at_ms: Option<i64>,
    pub evidence: Option<Evidence>,
    pub error: Option<String>,
    pub reason: Option<String>,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Rollout {
    /// The step after the one in force, if any.
    pub fn next_step(&self) -> Option<(usize, &super::plan::Step)> {
        let next = (self.step + 1) as usize;
        self.plan.steps.get(next).map(|step| (next, step))
    }

    /// The traffic the step in force sends.
    pub fn traffic(&self) -> Traffic {
        let shadow = self.step >= 0 && self.plan.steps.get(self.step as usize).is_some_and(|s| s.shadow);
        let mut traffic = Traffic::split(&self.stable, &self.candidate, self.weight);
        if shadow {
            traffic.mirror = Some(self.candidate.clone());
        }
        traffic
    }
}

/// One sign-off or refusal.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Approval {
    /// The index of the step it lets the rollout enter.
    pub step: i32,
    pub actor: String,
    pub role: Role,
    pub os_user: String,
    pub approved: bool,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}
