//! What people ask of rollouts, from the window or the CLI: start, approve, reject, promote,
//! pause, resume, abort, and roll back to any earlier revision. Each is checked against the
//! rollout's state and the model's policy, done (at the target, confirmed by reading back) and
//! audited with the person, their role, their reason and the evidence in view.
//!
//! An engine changes a target only for a rollout it drives (`drive.rs`); one that does not (a
//! desktop in team mode, the CLI beside a running collector) records what was asked (a
//! sign-off, a pause) for the driver to act on, and asks the driver to make a change at the
//! target through the store (`requests.rs`), waiting for its answer.

use chrono::Utc;
use serde_json::json;

use super::drive::{subject, with_evidence};
use super::people::Person;
use super::record::{Rollout, RolloutState};
use super::requests::Change;
use super::view::RolloutView;
use super::{model_name, queries, Rollouts};
use crate::{Result, VigilError};

/// What a person may ask of a rollout under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RolloutAction {
    Approve,
    Reject,
    /// Into the next step now.
    Promote,
    /// Straight to 100 %.
    PromoteFull,
    Pause,
    Resume,
    Abort,
}

impl Rollouts {
    /// Does `action` on rollout `id` as `person`, with `reason`.
    pub async fn act_on(
        &self,
        person: &Person,
        id: i64,
        action: RolloutAction,
        reason: Option<&str>,
    ) -> Result<RolloutView> {
        match action {
            RolloutAction::Approve => self.approve(person, id, reason).await,
            RolloutAction::Reject => self.reject(person, id, reason).await,
            RolloutAction::Promote => self.promote(person, id, false, reason).await,
            RolloutAction::PromoteFull => self.promote(person, id, true, reason).await,
            RolloutAction::Pause => self.pause(person, id, reason).await,
            RolloutAction::Resume => self.resume(person, id, reason).await,
            RolloutAction::Abort => self.abort(person, id, reason).await,
        }
    }

    /// Starts a rollout of `candidate` for `model` over what its target serves now (or `stable`,
    /// when given), by the model's plan. The first step is set at once when this engine drives.
    pub async fn start(
        &self,
        person: &Person,
        model: &str,
        candidate: &str,
        stable: Option<&str>,
        reason: Option<&str>,
    ) -> Result<RolloutView> {
        let model = model_name(model)?;
        let candidate = candidate.trim();
        let target = queries::target(&mut *self.context.pool().acquire().await?, model).await?.ok_or_else(|| {
            VigilError::invalid(
                "model",
                format!("{model} has no deployment target: add one (Settings → Targets, or `vigil target add`)."),
            )
        })?;
        let serving = self.read_target(model).await.map_err(|failure| {
            VigilError::invalid("target", format!("{model}'s target could not be read: {}", failure.message))
        })?;
        let stable = match stable {
            Some(stable) => stable.trim().to_owned(),
            None => serving
                .weights
                .iter()
                .filter(|(version, _)| version.as_str() != candidate)
                .max_by_key(|(_, weight)| **weight)
                .map(|(version, _)| version.clone())
                .ok_or_else(|| {
                    VigilError::invalid(
                        "stable",
                        format!("{model}'s target serves only {candidate}: name the stable revision."),
                    )
                })?,
        };
        if stable == candidate || candidate.is_empty() {
            return Err(VigilError::invalid(
                "candidate",
                format!("The candidate must be a revision other than the stable {stable}."),
            ));
        }
        self.known_revision(model, candidate).await?;
        let plan = self.plan(model).await?;
        plan.validate(Some((target.spec.kind_name(), super::targets::capabilities_of(&target.spec))))?;
        let now = Utc::now();
        let mut rollout = Rollout {
            id: 0,
            model: model.to_owned(),
            stable,
            candidate: candidate.to_owned(),
            plan,
            state: RolloutState::Running,
            step: -1,
            weight: serving.weight_of(candidate),
            step_started_at: now,
            waiting_since: None,
            reminded: false,
            failures: 0,
            failed_at_ms: None,
            evidence: None,
            error: None,
            reason: reason.map(str::to_owned),
            started_by: person.name.clone(),
            started_at: now,
            ended_at: None,
            updated_at: now,
        };
        let mut write = self.context.write().await?;
        rollout.id = queries::insert(&mut write, &rollout).await?;
        let detail = json!({ "plan": rollout.plan, "serving": serving.describe(), "reason": reason });
        write.audit_by(Some(person), "rollout.start", &subject(&rollout), detail).await?;
        write.announce(super::drive::changed(&rollout));
        write.commit().await?;
        self.act_now().await;
        self.view(rollout.id).await
    }

    /// Signs off the step rollout `id` waits to enter, as `person`'s role.
    pub async fn approve(&self, person: &Person, id: i64, reason: Option<&str>) -> Result<RolloutView> {
        self.sign(person, id, true, reason).await
    }

    /// Refuses the step rollout `id` waits to enter; the rollout is aborted.
    pub async fn reject(&self, person: &Person, id: i64, reason: Option<&str>) -> Result<RolloutView> {
        self.sign(person, id, false, reason).await
    }

    async fn sign(&self, person: &Person, id: i64, approved: bool, reason: Option<&str>) -> Result<RolloutView> {
        let rollout = self.active(id).await?;
        let (next, step) = rollout
            .next_step()
            .ok_or_else(|| VigilError::invalid("rollout", "This rollout has no step left to sign off."))?;
        if !approved && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(VigilError::invalid("reason", "Say why you reject it: the reason goes on the audit trail."));
        }
        let mut write = self.context.write().await?;
        queries::insert_approval(&mut write, id, next as i32, person, approved, reason).await?;
        let action = if approved { "rollout.approve" } else { "rollout.reject" };
        let detail = json!({ "step": next + 1, "weight": step.weight, "reason": reason });
        write.audit_by(Some(person), action, &subject(&rollout), with_evidence(detail, &rollout)).await?;
        write.announce(super::drive::changed(&rollout));
        write.commit().await?;
        if !approved {
            let reason = format!("rejected by {}: {}", person.describe(), reason.unwrap_or_default());
            self.act(&rollout, Change::Abort { reason }, None).await?;
        } else {
            self.act_now().await;
        }
        self.view(id).await
    }

    /// Moves rollout `id` on now: into its next step, or (`full`) straight to 100 %. The
    /// policy's sign-offs for that step are still needed.
    pub async fn promote(&self, person: &Person, id: i64, full: bool, reason: Option<&str>) -> Result<RolloutView> {
        let rollout = self.active(id).await?;
        let (next, step) =
            rollout.next_step().ok_or_else(|| VigilError::invalid("rollout", "This rollout has no step left."))?;
        let index = if full { rollout.plan.steps.len() - 1 } else { next };
        let weight = if full { 100 } else { step.weight };
        let policy = self.policy(&rollout.model).await?;
        let signed: Vec<_> = queries::approvals(&mut *self.context.pool().acquire().await?, id)
            .await?
            .into_iter()
            .filter(|a| a.step == index as i32 && a.approved)
            .map(|a| a.role)
            .collect();
        let missing: Vec<&str> = policy
            .roles_for(weight)
            .into_iter()
            .filter(|r| weight == 100 && !signed.contains(r))
            .map(|r| r.words())
            .collect();
        if !missing.is_empty() {
            let message = format!("Going to 100 % needs the sign-off of the {} first.", missing.join(" and "));
            return Err(VigilError::Conflict { field: "rollout", message });
        }
        let change = Change::EnterStep { step: index, reason: reason.map(str::to_owned) };
        self.act(&rollout, change, Some(person)).await?;
        self.view(id).await
    }

    /// Stops rollout `id` where it is: its traffic stays, its gates are no longer acted on.
    pub async fn pause(&self, person: &Person, id: i64, reason: Option<&str>) -> Result<RolloutView> {
        self.set_state(person, id, RolloutState::Paused, "rollout.pause", reason).await
    }

    /// Goes on with paused rollout `id`: its step's traffic is set again (safe to repeat) and
    /// its gates measured afresh.
    pub async fn resume(&self, person: &Person, id: i64, reason: Option<&str>) -> Result<RolloutView> {
        let rollout = self.active(id).await?;
        if rollout.state != RolloutState::Paused {
            return Err(VigilError::invalid("rollout", "Only a paused rollout can be resumed."));
        }
        let view = self.set_state(person, id, RolloutState::Running, "rollout.resume", reason).await?;
        let step = view.rollout.step.max(0) as usize;
        let rollout = self.active(id).await?;
        self.act(&rollout, Change::EnterStep { step, reason: None }, Some(person)).await?;
        self.view(id).await
    }

    async fn set_state(
        &self,
        person: &Person,
        id: i64,
        state: RolloutState,
        action: &str,
        reason: Option<&str>,
    ) -> Result<RolloutView> {
        let _acting = self.shared.acting.lock().await;
        let mut rollout = self.active(id).await?;
        rollout.state = state;
        rollout.reason = reason.map(str::to_owned);
        rollout.error = None;
        rollout.updated_at = Utc::now();
        let mut write = self.context.write().await?;
        queries::update(&mut write, &rollout).await?;
        write
            .audit_by(Some(person), action, &subject(&rollout), with_evidence(json!({ "reason": reason }), &rollout))
            .await?;
        write.announce(super::drive::changed(&rollout));
        write.commit().await?;
        drop(_acting);
        self.view(id).await
    }

    /// Stops rollout `id` and sends all traffic back to its stable revision.
    pub async fn abort(&self, person: &Person, id: i64, reason: Option<&str>) -> Result<RolloutView> {
        let rollout = self.active(id).await?;
        let reason = reason.unwrap_or_default().to_owned();
        self.act(&rollout, Change::Abort { reason }, Some(person)).await?;
        self.view(id).await
    }

    /// Sends all of `model`'s traffic to `to` (an earlier revision; None: the stable revision of
    /// its rollout under way, or of its last one), ending any rollout under way. The policy says
    /// whether a reason is needed (by default it is). Returns the rollout it ended or reverted.
    pub async fn rollback(
        &self,
        person: &Person,
        model: &str,
        to: Option<&str>,
        reason: Option<&str>,
    ) -> Result<RolloutView> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_none() && self.policy(model).await?.rollback_needs_reason {
            return Err(VigilError::invalid(
                "reason",
                format!("{model}'s policy asks for a reason with every rollback."),
            ));
        }
        let latest =
            queries::list(&mut *self.context.pool().acquire().await?, Some(model), 1).await?.into_iter().next();
        let Some(rollout) = latest else {
            return Err(VigilError::NotFound(format!("{model} has had no rollout yet; start one first.")));
        };
        let to = to.map(str::to_owned).unwrap_or_else(|| rollout.stable.clone());
        self.known_revision(model, &to).await?;
        let reason = reason.unwrap_or_default().to_owned();
        self.act(&rollout, Change::RollBack { to, reason }, Some(person)).await?;
        self.view(rollout.id).await
    }

    /// The rollout `id`, which must be under way.
    async fn active(&self, id: i64) -> Result<Rollout> {
        let rollout = queries::get(&mut *self.context.pool().acquire().await?, id).await?;
        if !rollout.state.active() {
            return Err(VigilError::invalid("rollout", format!("Rollout {id} has ended ({}).", rollout.state.key())));
        }
        Ok(rollout)
    }

    /// Checks that `version` of `model` has been seen on a server.
    async fn known_revision(&self, model: &str, version: &str) -> Result<()> {
        let known: Vec<String> = sqlx::query_scalar(
            "SELECT r.version FROM revisions r JOIN models m ON m.id = r.model_id WHERE m.name = $1
             GROUP BY r.version ORDER BY min(r.first_seen_at)",
        )
        .bind(model)
        .fetch_all(self.context.pool())
        .await?;
        if known.iter().any(|v| v == version) {
            return Ok(());
        }
        let known = if known.is_empty() { "none yet".to_owned() } else { known.join(", ") };
        Err(VigilError::invalid(
            "version",
            format!("{model} has no revision '{version}' on any server Vigil polls (seen: {known})."),
        ))
    }

    /// Makes `change` to `rollout` as `person` asked: here when this engine drives it (taking
    /// the lease if it is free), otherwise through the store by the engine that does.
    async fn act(&self, rollout: &Rollout, change: Change, person: Option<&Person>) -> Result<()> {
        let on_duty = self.hold_lease().await?;
        let scope = self.scope(on_duty).await?;
        let done = if self.drives(&scope, rollout).await? {
            let _acting = self.shared.acting.lock().await;
            self.execute(rollout.id, change, person).await
        } else {
            self.ask(rollout, change, person).await
        };
        self.let_lease_go().await;
        done
    }

    /// Drives once now, when this engine drives, so a person's action shows at once.
    async fn act_now(&self) {
        let on_duty = self.hold_lease().await.unwrap_or(false);
        if let Err(err) = self.drive(None, on_duty).await {
            tracing::warn!("driving rollouts after an action failed: {err}");
        }
        self.let_lease_go().await;
    }
}
