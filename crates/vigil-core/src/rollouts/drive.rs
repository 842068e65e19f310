//! Driving rollouts: each step's traffic set at the target and confirmed, gates measured at every
//! stored poll of the model, steps advanced, sign-offs awaited, and failures rolled back or
//! paused as the plan says. Exactly one engine drives a rollout: the collector that holds the
//! lease of its model's home server (`queries::home`), or, when no live collector does, the
//! engine that holds the rollout lease (`rollout_lease`), renewed while it runs and taken over
//! once it lapses (`duties.rs`). An engine that starts driving a rollout another drove first
//! reads its target back (`reconcile`); it answers the requests of people who asked elsewhere
//! (`requests.rs`).
//!
//! Every change at a target is made outside any transaction, confirmed by reading back, and only
//! then recorded; a target that refuses, times out or reads back wrong leaves the rollout paused
//! (or failed, when going back) with the target's own words, and the recorded state what the
//! target really serves.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::gates::{self, Evidence, Verdict};
use super::people::{Person, Policy};
use super::plan::Metric;
use super::record::{Rollout, RolloutState};
use super::targets::{self, TargetFailure, Traffic};
use super::{notify, queries, Rollouts};
use crate::duties::{self, Scope};
use crate::events::EngineEvent;
use crate::{Result, VigilError};

/// How long a lease lasts unless renewed.
pub const LEASE: Duration = Duration::from_secs(10);
/// How often the driver renews its lease and looks for work no poll brings: a rollout just
/// started, an approval signed, a late approval.
pub const TICK: Duration = Duration::from_millis(500);
/// Every how many ticks the lease is renewed (2 s; it lasts [`LEASE`]).
const RENEW_EVERY_TICKS: u64 = 4;

/// Why a rollout ends, and with what.
pub(super) enum Ending {
    RolledBack { to: String },
    Aborted,
}

impl Rollouts {
    /// Takes or renews the lease; whether this engine drives.
    pub(super) async fn hold_lease(&self) -> Result<bool> {
        let now_ms = Utc::now().timestamp_millis();
        let mut write = self.context.write().await?;
        let held = queries::take_lease(&mut write, self.holder(), now_ms, now_ms + LEASE.as_millis() as i64).await?;
        write.commit().await?;
        Ok(held)
    }

    /// Gives the lease up after an action, unless this engine runs a driver: a CLI command that
    /// acted leaves the driving to whoever runs one.
    pub(super) async fn let_lease_go(&self) {
        if self.shared.driving.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let released = async {
            let mut write = self.context.write().await?;
            queries::release_lease(&mut write, self.holder()).await?;
            write.commit().await
        };
        if let Err(err) = released.await {
            tracing::warn!("the rollout lease could not be given up: {err}");
        }
    }

    /// Which servers' rollouts this engine drives now (`on_duty`: whether it holds the lease).
    pub(super) async fn scope(&self, on_duty: bool) -> Result<Scope> {
        duties::scope(self.context.pool(), self.holder(), on_duty).await
    }

    /// Whether `rollout` is this engine's to drive under `scope`.
    pub(super) async fn drives(&self, scope: &Scope, rollout: &Rollout) -> Result<bool> {
        let mut conn = self.context.pool().acquire().await?;
        Ok(scope.covers(queries::home(&mut conn, &rollout.model, &rollout.stable).await?.as_deref()))
    }

    /// Drives once every rollout under way that is this engine's (`on_duty`: whether it holds
    /// the lease), after answering what people asked of them elsewhere: `polled` names the
    /// servers whose polls were just stored (their models' gates are measured), None on a tick.
    pub async fn drive(&self, polled: Option<&[String]>, on_duty: bool) -> Result<()> {
        let _acting = self.shared.acting.lock().await;
        let active = queries::active(&mut *self.context.pool().acquire().await?).await?;
        let requests = self.pending_requests().await?;
        if active.is_empty() && requests.is_empty() {
            return Ok(());
        }
        let scope = self.scope(on_duty).await?;
        let mut mine = Vec::new();
        for rollout in active {
            if self.drives(&scope, &rollout).await? {
                mine.push(rollout);
            }
        }
        let newly: Vec<Rollout> = {
            let mut before = self.shared.driven.lock().unwrap_or_else(|e| e.into_inner());
            let newly = mine.iter().filter(|r| !before.contains(&r.id)).cloned().collect();
            *before = mine.iter().map(|r| r.id).collect();
            newly
        };
        let moved = self.reconcile(newly).await? + self.answer_requests(requests, &scope).await?;
        if moved > 0 {
            // Read again what reconciling and answering changed before driving on from it.
            let active = queries::active(&mut *self.context.pool().acquire().await?).await?;
            mine = active.into_iter().filter(|r| mine.iter().any(|m| m.id == r.id)).collect();
        }
        if mine.is_empty() {
            return Ok(());
        }
        let measured: HashSet<String> = match polled {
            Some(servers) => self.models_on(servers).await?,
            None => HashSet::new(),
        };
        let mut measured_only = Vec::new();
        for rollout in mine {
            let measure = measured.contains(&rollout.model);
            match self.drive_one(rollout, measure).await {
                Ok(Some(rollout)) => measured_only.push(rollout),
                Ok(None) => {}
                Err(err) => tracing::warn!("driving a rollout failed: {err}"),
            }
        }
        self.store_measurements(measured_only).await
    }

    /// Stores the round's new measurements of rollouts that did not move, in one write.
    async fn store_measurements(&self, rollouts: Vec<Rollout>) -> Result<()> {
        if rollouts.is_empty() {
            return Ok(());
        }
        let mut write = self.context.write().await?;
        for mut rollout in rollouts {
            rollout.updated_at = Utc::now();
            queries::update(&mut write, &rollout).await?;
            write.announce(changed(&rollout));
        }
        write.commit().await
    }

    /// The models served by `servers`, in one query however many servers were polled.
    async fn models_on(&self, servers: &[String]) -> Result<HashSet<String>> {
        let mut names = HashSet::new();
        for chunk in servers.chunks(1_000) {
            let list = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT DISTINCT m.name FROM servers s JOIN models m ON m.server_id = s.id WHERE s.name IN ({list})"
            );
            let query = chunk.iter().fold(sqlx::query_scalar(&sql), |query, name| query.bind(name));
            names.extend(query.fetch_all(self.context.pool()).await?);
        }
        Ok(names)
    }

    /// One rollout's next move. A rollout whose only news is a new measurement comes back, to
    /// be stored with the others of the round in one write.
    async fn drive_one(&self, mut rollout: Rollout, measure: bool) -> Result<Option<Rollout>> {
        if rollout.state == RolloutState::Paused {
            return Ok(None);
        }
        if rollout.step < 0 {
            return self.enter_step(rollout, 0, None, None).await.map(|()| None);
        }
        let now = Utc::now();
        if measure {
            let evidence = self.measure(&rollout, now).await?;
            let verdict = evidence.verdict;
            // A measurement counts again only with new requests: polls that bring none repeat it.
            let seen = rollout.evidence.as_ref().map_or(0.0, |e| e.candidate.requests);
            let fresh = evidence.candidate.requests > seen;
            rollout.evidence = Some(evidence);
            if verdict == Verdict::Fail && fresh {
                rollout.failures += 1;
                if rollout.failures > rollout.plan.failure_limit {
                    return self.fail(rollout).await.map(|()| None);
                }
                return self.save(rollout, "rollout.gate_failed").await.map(|()| None);
            }
        }
        let passed = rollout.evidence.as_ref().is_some_and(|e| e.verdict == Verdict::Pass);
        let step = &rollout.plan.steps[rollout.step as usize];
        let held_long_enough = now - rollout.step_started_at >= chrono::Duration::seconds(step.min_duration_s as i64);
        let Some((next, next_step)) = rollout.next_step() else { return Ok(None) };
        let next_weight = next_step.weight;
        if !(passed && held_long_enough) && rollout.state != RolloutState::Waiting {
            return Ok(measure.then_some(rollout));
        }
        let policy = self.policy(&rollout.model).await?;
        let needs_sign_off = step.approval || next_weight == 100;
        let roles = if needs_sign_off { policy.roles_for(next_weight) } else { Vec::new() };
        let signed = self.signed_roles(rollout.id, next as i32).await?;
        let missing: Vec<_> = roles.iter().filter(|role| !signed.contains(role)).copied().collect();
        if missing.is_empty() {
            return self.enter_step(rollout, next, None, None).await.map(|()| None);
        }
        if rollout.state != RolloutState::Waiting {
            rollout.state = RolloutState::Waiting;
            rollout.waiting_since = Some(now);
            let words: Vec<&str> = missing.iter().map(|r| r.words()).collect();
            let detail = json!({ "step": next + 1, "weight": next_weight, "needs": words });
            let asked = ask(&rollout, missing, false);
            self.save_with(rollout, "rollout.waiting", detail).await?;
            self.ask_for_sign_off(&policy, asked);
            return Ok(None);
        }
        if let (Some(limit), Some(since)) = (policy.approval_timeout_s, rollout.waiting_since) {
            if now - since >= chrono::Duration::seconds(limit as i64) && !rollout.reminded {
                rollout.reminded = true;
                if policy.abort_on_timeout {
                    let reason = format!("no sign-off from {} within {limit} s", words(&missing));
                    return self.end(rollout, Ending::Aborted, None, &reason).await.map(|()| None);
                }
                let detail = json!({ "waited_s": (now - since).num_seconds(), "needs": words(&missing) });
                let asked = ask(&rollout, missing, true);
                self.save_with(rollout, "rollout.approval_late", detail).await?;
                self.ask_for_sign_off(&policy, asked);
                return Ok(None);
            }
        }
        Ok(measure.then_some(rollout))
    }

    /// The roles that approved entering `step` of rollout `id`.
    async fn signed_roles(&self, id: i64, step: i32) -> Result<Vec<super::people::Role>> {
        let approvals = queries::approvals(&mut *self.context.pool().acquire().await?, id).await?;
        Ok(approvals.into_iter().filter(|a| a.step == step && a.approved).map(|a| a.role).collect())
    }

    /// Measures the step so far: the candidate and the stable over the same polls.
    async fn measure(&self, rollout: &Rollout, now: DateTime<Utc>) -> Result<Evidence> {
        let mut conn = self.context.pool().acquire().await?;
        let since_ms = rollout.step_started_at.timestamp_millis();
        let (mut candidate, candidate_ms) =
            gates::window(&mut conn, &rollout.model, &rollout.candidate, since_ms).await?;
        let (mut stable, stable_ms) = gates::window(&mut conn, &rollout.model, &rollout.stable, since_ms).await?;
        let drift_share = gates::drift_share(&mut conn, &rollout.model).await?;
        let priced = if rollout.plan.gates.iter().any(|g| g.metric == Metric::CostPerThousand) {
            let versions = (rollout.candidate.as_str(), rollout.stable.as_str());
            let span = (since_ms, now.timestamp_millis());
            gates::add_cost(&mut conn, &rollout.model, versions, (&mut candidate, &mut stable), span).await?
        } else {
            false
        };
        let parity = match rollout.plan.gates.iter().any(|g| g.metric == Metric::ParityShare) {
            true => gates::parity_of(&mut conn, &rollout.model, &rollout.candidate).await?,
            false => None,
        };
        let facts = gates::ModelFacts { drift_share, priced, parity };
        let (results, verdict) = gates::judge(&rollout.plan, candidate, stable, &facts);
        let evidence = Evidence {
            at: now,
            poll_ms: candidate_ms.max(stable_ms),
            candidate,
            stable,
            gates: results,
            verdict,
            parity: facts.parity,
        };
        Ok(evidence)
    }

    /// Stores the rollout as it stands; with an `action`, audits it with the evidence.
    async fn save(&self, rollout: Rollout, action: &str) -> Result<()> {
        let detail = json!({ "failures": rollout.failures, "limit": rollout.plan.failure_limit });
        self.save_with(rollout, action, detail).await
    }

    async fn save_with(&self, mut rollout: Rollout, action: &str, detail: serde_json::Value) -> Result<()> {
        rollout.updated_at = Utc::now();
        let mut write = self.context.write().await?;
        queries::update(&mut write, &rollout).await?;
        if !action.is_empty() {
            let detail = with_evidence(detail, &rollout);
            write.audit_by(None, action, &subject(&rollout), detail).await?;
        }
        write.announce(changed(&rollout));
        write.commit().await
    }

    /// The failure limit was reached: roll back or pause, as the plan says.
    async fn fail(&self, mut rollout: Rollout) -> Result<()> {
        rollout.failed_at_ms = rollout.evidence.as_ref().map(|e| e.poll_ms);
        let failures = rollout.evidence.as_ref().map(Evidence::failures).unwrap_or_default().join(", ");
        let reason = format!("gates failed {} times: {failures}", rollout.failures);
        match rollout.plan.on_failure {
            super::plan::OnFailure::Rollback => {
                let to = rollout.stable.clone();
                self.end(rollout, Ending::RolledBack { to }, None, &reason).await
            }
            super::plan::OnFailure::Pause => {
                rollout.state = RolloutState::Paused;
                rollout.reason = Some(reason.clone());
                self.save_with(rollout, "rollout.pause", json!({ "reason": reason })).await
            }
        }
    }

    /// Sets step `index`'s traffic at the target, confirms it, and records it; `person` is who
    /// asked (None: the plan), with their `reason`. A target failure pauses the rollout with the
    /// target's words.
    pub(super) async fn enter_step(
        &self,
        mut rollout: Rollout,
        index: usize,
        person: Option<&Person>,
        reason: Option<&str>,
    ) -> Result<()> {
        let step = rollout.plan.steps[index].clone();
        let mut wanted = Traffic::split(&rollout.stable, &rollout.candidate, step.weight);
        if step.shadow {
            wanted.mirror = Some(rollout.candidate.clone());
        }
        match self.change_target(&rollout.model, &wanted).await {
            Ok(confirmed) => {
                let now = Utc::now();
                // The evidence the step was entered on, before the new step is measured afresh.
                let detail = json!({
                    "step": index + 1,
                    "weight": step.weight,
                    "traffic": confirmed.describe(),
                    "engine": self.holder(),
                    "reason": reason,
                });
                let detail = with_evidence(detail, &rollout);
                rollout.step = index as i32;
                rollout.weight = step.weight;
                rollout.step_started_at = now;
                rollout.waiting_since = None;
                rollout.reminded = false;
                rollout.error = None;
                rollout.state = RolloutState::Running;
                let promoted = step.weight == 100;
                if !promoted {
                    // A promotion keeps the evidence it was made on, for a rollback to show.
                    rollout.evidence = None;
                }
                if promoted {
                    rollout.state = RolloutState::Promoted;
                    rollout.ended_at = Some(now);
                }
                rollout.updated_at = now;
                let (action, cause) = if promoted { ("rollout.promote", "promote") } else { ("rollout.step", "step") };
                let mut write = self.context.write().await?;
                queries::update(&mut write, &rollout).await?;
                queries::insert_traffic(&mut write, &rollout.model, Some(rollout.id), &confirmed, cause).await?;
                write.audit_by(person, action, &subject(&rollout), detail).await?;
                write.announce(changed(&rollout));
                write.commit().await
            }
            Err(failure) => self.target_failed(rollout, RolloutState::Paused, &failure, &wanted).await,
        }
    }

    /// Sends all traffic to one revision and ends the rollout as `ending` says; `person` is who
    /// asked (None: the plan or the policy). A target failure leaves it failed, with the target's
    /// words.
    pub(super) async fn end(
        &self,
        mut rollout: Rollout,
        ending: Ending,
        person: Option<&Person>,
        reason: &str,
    ) -> Result<()> {
        let (serve, state, action, cause) = match &ending {
            Ending::RolledBack { to } => (to.clone(), RolloutState::RolledBack, "rollout.rollback", "rollback"),
            Ending::Aborted => (rollout.stable.clone(), RolloutState::Aborted, "rollout.abort", "abort"),
        };
        let wanted = Traffic::only(&serve);
        match self.change_target(&rollout.model, &wanted).await {
            Ok(confirmed) => {
                let now = Utc::now();
                rollout.state = state;
                rollout.weight = confirmed.weight_of(&rollout.candidate);
                rollout.reason = Some(reason.to_owned()).filter(|r| !r.is_empty());
                rollout.error = None;
                rollout.ended_at = Some(now);
                rollout.updated_at = now;
                let detail = json!({ "serving": serve, "traffic": confirmed.describe(), "reason": reason, "engine": self.holder() });
                let detail = with_evidence(detail, &rollout);
                let mut write = self.context.write().await?;
                queries::update(&mut write, &rollout).await?;
                queries::insert_traffic(&mut write, &rollout.model, Some(rollout.id), &confirmed, cause).await?;
                write.audit_by(person, action, &subject(&rollout), detail).await?;
                write.announce(changed(&rollout));
                write.commit().await
            }
            Err(failure) => {
                rollout.reason = Some(reason.to_owned()).filter(|r| !r.is_empty());
                self.target_failed(rollout, RolloutState::Failed, &failure, &wanted).await
            }
        }
    }

    /// Records that the target did not do what was asked: the rollout in `state`, the target's
    /// error, and what it serves as far as a read can tell.
    async fn target_failed(
        &self,
        mut rollout: Rollout,
        state: RolloutState,
        failure: &TargetFailure,
        wanted: &Traffic,
    ) -> Result<()> {
        let serving = match self.read_target(&rollout.model).await {
            Ok(traffic) => traffic.describe(),
            Err(_) => "unknown (it cannot be read)".to_owned(),
        };
        rollout.state = state;
        rollout.error =
            Some(format!("{} (asked for {}; the target serves {serving})", failure.message, wanted.describe()));
        if !state.active() {
            rollout.ended_at = Some(Utc::now());
        }
        let detail =
            json!({ "error": failure.message, "kind": failure.kind, "wanted": wanted.describe(), "serving": serving });
        self.save_with(rollout, "rollout.target_failed", detail).await
    }

    /// Asks `model`'s target to serve `wanted` and confirms it by reading back.
    pub(super) async fn change_target(&self, model: &str, wanted: &Traffic) -> Result<Traffic, TargetFailure> {
        let (target, settle) = self.connect(model).await?;
        targets::change(target.as_ref(), wanted, settle).await
    }

    /// What `model`'s target serves now.
    pub async fn read_target(&self, model: &str) -> Result<Traffic, TargetFailure> {
        let (target, _) = self.connect(model).await?;
        target.read().await.map(Traffic::normalized)
    }

    async fn connect(&self, model: &str) -> Result<(Box<dyn targets::DeploymentTarget>, Duration), TargetFailure> {
        let stored = async { queries::target(&mut *self.context.pool().acquire().await?, model).await };
        let stored = stored.await.map_err(|err: VigilError| TargetFailure::config(err.to_string()))?;
        let stored = stored.ok_or_else(|| TargetFailure::config(format!("{model} has no deployment target")))?;
        let timeout = Duration::from_millis(stored.timeout_ms as u64);
        Ok((targets::connect(&stored.spec, self.context.http().clone(), timeout), timeout))
    }

    /// Before driving rollouts another engine drove (or none, since a restart): each is checked
    /// against what its target really serves. A step whose change landed but was not recorded
    /// (the engine stopped in between) is recorded; anything else unexpected pauses the rollout,
    /// saying what the target serves. The caller holds the acting lock. Returns how many moved.
    pub(super) async fn reconcile(&self, rollouts: Vec<Rollout>) -> Result<usize> {
        let mut moved = 0;
        for mut rollout in rollouts.into_iter().filter(|r| r.step >= 0 && r.state != RolloutState::Paused) {
            let Ok(serving) = self.read_target(&rollout.model).await else { continue };
            if serving == rollout.traffic() {
                continue;
            }
            let landed = rollout
                .next_step()
                .filter(|(_, step)| serving == Traffic::split(&rollout.stable, &rollout.candidate, step.weight));
            if let Some((next, step)) = landed {
                let weight = step.weight;
                rollout.step = next as i32;
                rollout.weight = weight;
                rollout.step_started_at = Utc::now();
                rollout.state = if weight == 100 { RolloutState::Promoted } else { RolloutState::Running };
                if weight == 100 {
                    rollout.ended_at = Some(Utc::now());
                }
                let mut write = self.context.write().await?;
                queries::insert_traffic(&mut write, &rollout.model, Some(rollout.id), &serving, "read").await?;
                drop(write);
                self.save_with(
                    rollout,
                    "rollout.resumed",
                    json!({ "serving": serving.describe(), "recorded_step": next + 1 }),
                )
                .await?;
                moved += 1;
            } else {
                rollout.state = RolloutState::Paused;
                rollout.reason = Some(format!(
                    "on restart the target serves {}, not the {} the rollout set; resume to set it again",
                    serving.describe(),
                    rollout.traffic().describe()
                ));
                self.save_with(rollout, "rollout.pause", json!({ "serving": serving.describe() })).await?;
                moved += 1;
            }
        }
        Ok(moved)
    }
}

impl Rollouts {
    /// Tells the roles `asked` names: the event to every listener (the window notifies its
    /// person), and a post to the policy's webhook, if it has one.
    fn ask_for_sign_off(&self, policy: &Policy, asked: EngineEvent) {
        notify::post_in_background(self.context.http(), policy.notify_url.as_deref(), &asked);
        self.context.publish(asked);
    }
}

/// `fraud 12 → 13`
pub(super) fn subject(rollout: &Rollout) -> String {
    format!("{} {} → {}", rollout.model, rollout.stable, rollout.candidate)
}

/// The event that asks `roles` to sign `rollout` off (again, when `late`).
fn ask(rollout: &Rollout, roles: Vec<super::people::Role>, late: bool) -> EngineEvent {
    let sentence = super::view::sentence(rollout, &roles);
    EngineEvent::ApprovalNeeded { model: rollout.model.clone(), rollout: rollout.id, roles, late, sentence }
}

pub(super) fn changed(rollout: &Rollout) -> EngineEvent {
    EngineEvent::RolloutChanged { model: rollout.model.clone(), rollout: Some(rollout.id) }
}

fn words(roles: &[super::people::Role]) -> String {
    roles.iter().map(|r| r.words()).collect::<Vec<_>>().join(" and ")
}

/// `detail` with the rollout's latest measurement beside it, as evidence.
pub(super) fn with_evidence(detail: serde_json::Value, rollout: &Rollout) -> serde_json::Value {
    let mut detail = detail;
    if let (Some(fields), Some(evidence)) = (detail.as_object_mut(), &rollout.evidence) {
        let gates: Vec<String> = evidence.gates.iter().map(gates::describe).collect();
        fields.insert("gates".into(), json!(gates));
        fields.insert("candidate_requests".into(), json!(evidence.candidate.requests));
        fields.insert("stable_requests".into(), json!(evidence.stable.requests));
        fields.insert("verdict".into(), json!(evidence.verdict));
    }
    detail
}

/// Drives rollouts until dropped: renews the lease every few ticks, drives this engine's
/// rollouts (reconciling those new to it), measures gates when polls are stored, and looks for
/// new work and requests each tick.
pub struct RolloutDriver(tokio::task::JoinHandle<()>);

impl Drop for RolloutDriver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(super) fn start(rollouts: Rollouts) -> RolloutDriver {
    rollouts.shared.driving.store(true, std::sync::atomic::Ordering::Relaxed);
    RolloutDriver(tokio::spawn(async move {
        let mut events = rollouts.context.subscribe();
        let mut ticks = tokio::time::interval(TICK);
        let mut holding = false;
        let mut tick_count: u64 = 0;
        loop {
            let polled = tokio::select! {
                _ = ticks.tick() => None,
                event = events.recv() => match event {
                    Ok(EngineEvent::Polled { servers, .. }) => Some(servers),
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => None,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
            };
            // The lease is renewed every few ticks: a write each time, and it lasts far longer.
            let renew_now = polled.is_none() && tick_count % RENEW_EVERY_TICKS == 0;
            tick_count += u64::from(polled.is_none());
            if renew_now {
                holding = rollouts.hold_lease().await.unwrap_or_else(|err| {
                    tracing::warn!("the rollout lease could not be renewed: {err}");
                    false
                });
            }
            if let Err(err) = rollouts.drive(polled.as_deref(), holding).await {
                tracing::warn!("driving rollouts failed: {err}");
            }
        }
    }))
}
