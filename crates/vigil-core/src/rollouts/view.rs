//! A rollout as people see it: the rollout, its sign-offs, who is still needed, the gates in
//! words, and one plain sentence for a product manager. Worked out here, so the window and the
//! CLI show the same thing and recompute nothing.

use serde::Serialize;
use ts_rs::TS;

use super::gates::{self, Verdict};
use super::people::Role;
use super::plan::Metric;
use super::record::{Approval, Rollout, RolloutState};
use super::{queries, Rollouts};
use crate::revisions::version_name;
use crate::Result;

/// A rollout with what is needed to act on it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RolloutView {
    pub rollout: Rollout,
    pub approvals: Vec<Approval>,
    /// The roles whose sign-off the next step still needs (empty when it needs none, or has all).
    pub waiting_for: Vec<Role>,
    /// The candidate's share in the next step, if there is one.
    pub next_weight: Option<u32>,
    /// Each gate's latest result in words: "error share 40.0 % > 5.0 %".
    pub gate_lines: Vec<String>,
    /// One plain sentence about where it stands.
    pub sentence: String,
}

impl Rollouts {
    /// Rollout `id` as shown.
    pub async fn view(&self, id: i64) -> Result<RolloutView> {
        let rollout = queries::get(&mut *self.context.pool().acquire().await?, id).await?;
        self.shown(rollout).await
    }

    /// The rollouts of `model` (all models: None), under way first, then the newest; at most `limit`.
    pub async fn list(&self, model: Option<&str>, limit: u32) -> Result<Vec<RolloutView>> {
        let mut rollouts = queries::list(&mut *self.context.pool().acquire().await?, model, limit).await?;
        rollouts.sort_by_key(|r| (!r.state.active(), -r.id));
        let mut shown = Vec::with_capacity(rollouts.len());
        for rollout in rollouts {
            shown.push(self.shown(rollout).await?);
        }
        Ok(shown)
    }

    async fn shown(&self, rollout: Rollout) -> Result<RolloutView> {
        let approvals = queries::approvals(&mut *self.context.pool().acquire().await?, rollout.id).await?;
        let next = rollout.next_step().map(|(index, step)| (index, step.weight, step.approval));
        let current_asks =
            rollout.step >= 0 && rollout.plan.steps.get(rollout.step as usize).is_some_and(|s| s.approval);
        let waiting_for = match next {
            Some((index, weight, _)) if rollout.state.active() && (current_asks || weight == 100) => {
                let policy = self.policy(&rollout.model).await?;
                let signed: Vec<Role> =
                    approvals.iter().filter(|a| a.step == index as i32 && a.approved).map(|a| a.role).collect();
                policy.roles_for(weight).into_iter().filter(|role| !signed.contains(role)).collect()
            }
            _ => Vec::new(),
        };
        let gate_lines =
            rollout.evidence.as_ref().map(|e| e.gates.iter().map(gates::describe).collect()).unwrap_or_default();
        let sentence = sentence(&rollout, &waiting_for);
        Ok(RolloutView {
            next_weight: next.map(|(_, weight, _)| weight),
            rollout,
            approvals,
            waiting_for,
            gate_lines,
            sentence,
        })
    }
}

/// Where a rollout stands, in one sentence a product manager reads without a glossary.
pub fn sentence(rollout: &Rollout, waiting_for: &[Role]) -> String {
    let (model, stable, candidate) = (&rollout.model, version_name(&rollout.stable), version_name(&rollout.candidate));
    let at = |time: chrono::DateTime<chrono::Utc>| time.format("%H:%M").to_string();
    let comparison = rollout.evidence.as_ref().and_then(|evidence| {
        let failed = |metric| evidence.gates.iter().any(|g| g.gate.metric == metric && g.verdict == Verdict::Fail);
        let (c, s) = (&evidence.candidate, &evidence.stable);
        let share = |w: &gates::Window| (w.requests > 0.0).then(|| w.errors / w.requests);
        let ms = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{:.0} ms", v * 1000.0));
        if failed(Metric::ErrorShare) {
            return Some(match (share(c), share(s)) {
                (Some(c), Some(s)) if s > 0.0 => format!("{candidate} fails {:.0}× more often than {stable}", c / s),
                (Some(c), _) => {
                    format!("{candidate} fails {:.0} % of its requests where {stable} fails none", c * 100.0)
                }
                _ => format!("{candidate} fails too often"),
            });
        }
        if failed(Metric::P99S) || failed(Metric::P50S) {
            return Some(format!(
                "{candidate} is slower than allowed (p99 {} against {}'s {})",
                ms(c.p99_s),
                stable,
                ms(s.p99_s)
            ));
        }
        if failed(Metric::CostPerThousand) {
            let dollars = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("${v:.4}"));
            return Some(format!(
                "{candidate} costs more per prediction than allowed ({} per 1,000 against {stable}'s {})",
                dollars(c.cost_per_thousand),
                dollars(s.cost_per_thousand)
            ));
        }
        failed(Metric::DriftShare).then(|| format!("the inputs of {model} drifted too far"))
    });
    let because = comparison.map(|c| format!("{c}; ")).unwrap_or_default();
    let ended = rollout.ended_at.map(at).unwrap_or_default();
    match rollout.state {
        RolloutState::Running if rollout.step < 0 => format!("{model} {candidate} is about to start taking traffic."),
        RolloutState::Running => {
            format!(
                "{model} {candidate} is being tried on {} % of traffic; so far {}.",
                rollout.weight,
                verdict_words(rollout)
            )
        }
        RolloutState::Waiting => {
            let who: Vec<&str> = waiting_for.iter().map(|r| r.words()).collect();
            format!(
                "{model} {candidate} passed {} % and waits for the {} to approve.",
                rollout.weight,
                who.join(" and ")
            )
        }
        RolloutState::Paused => format!(
            "{model} {candidate} is paused at {} %{}.",
            rollout.weight,
            rollout.reason.as_deref().or(rollout.error.as_deref()).map(|r| format!(": {r}")).unwrap_or_default()
        ),
        RolloutState::Promoted => format!("{model} {candidate} replaced {stable} at {ended}."),
        RolloutState::RolledBack => {
            let stopped = rollout.plan.steps.get(rollout.step.max(0) as usize).map_or(0, |s| s.weight);
            capitalized(&format!(
                "{because}the rollout of {model} {candidate} stopped at {stopped} % and rolled back at {ended}."
            ))
        }
        RolloutState::Aborted => {
            format!("The rollout of {model} {candidate} was stopped at {ended}; {stable} serves all traffic.")
        }
        RolloutState::Failed => format!(
            "Going back to {stable} failed for {model}: {}.",
            rollout.error.as_deref().unwrap_or("the target did not confirm")
        ),
    }
}

fn verdict_words(rollout: &Rollout) -> &'static str {
    match rollout.evidence.as_ref().map(|e| e.verdict) {
        Some(Verdict::Pass) => "it does as well as the stable version",
        Some(Verdict::Fail) => "it is failing its checks",
        Some(Verdict::Inconclusive) | None => "too few requests to judge",
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
