//! Rollouts, approvals and rollback: the acting half of Vigil. A model's candidate revision
//! takes traffic in the steps of its plan at its deployment target, gated by its measured
//! signals, signed off by the roles its policy names, and rolled back when it fails; every
//! decision goes on the audit trail with its evidence.
//!
//! [`Rollouts`] is the domain's one front. Below it: `plan` (steps and gates), `gates` (measuring
//! a step), `people` (profiles, roles, policies), `targets` (one file per kind of target),
//! `drive` (the driver, which rollouts are whose, and the lease), `requests` (changes asked of a
//! rollout another engine drives), `notify` (a policy's webhook for sign-offs), `actions`
//! (what people ask), `view` (what is shown), `history` (a model's deployment history and the
//! reports), and `queries` (every statement on the rollout tables).

mod actions;
pub mod drive;
pub mod gates;
pub mod history;
mod notify;
pub mod people;
pub mod plan;
pub(crate) mod queries;
pub mod record;
mod requests;
pub mod targets;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::context::Context;
use crate::events::EngineEvent;
use crate::{Result, VigilError};
pub use actions::RolloutAction;
use people::{Person, Policy, Role};
use plan::Plan;
pub use queries::StoredTarget;
use targets::TargetSpec;

/// The rollouts front. Cheap to clone.
#[derive(Clone)]
pub struct Rollouts {
    context: Context,
    shared: Arc<Shared>,
}

struct Shared {
    /// Held while acting on rollouts, so that this engine's driver and a person's action never
    /// change one rollout at once.
    acting: tokio::sync::Mutex<()>,
    /// Whether this engine runs a driver (and so keeps the lease between actions).
    driving: std::sync::atomic::AtomicBool,
    /// The rollouts this engine drove in its last round: one new to it is read back first.
    driven: std::sync::Mutex<std::collections::HashSet<i64>>,
}

/// How long a target call may take unless its target says otherwise.
pub const DEFAULT_TARGET_TIMEOUT: Duration = Duration::from_secs(5);

impl Rollouts {
    pub(crate) fn new(context: Context) -> Rollouts {
        let shared = Shared { acting: Default::default(), driving: Default::default(), driven: Default::default() };
        Rollouts { context, shared: Arc::new(shared) }
    }

    /// Starts driving rollouts in the background (when this engine holds, or can take, the
    /// lease), until the handle is dropped.
    pub fn start_driver(&self) -> drive::RolloutDriver {
        drive::start(self.clone())
    }

    /// Every model's target.
    pub async fn targets(&self) -> Result<Vec<StoredTarget>> {
        queries::targets(&mut *self.context.pool().acquire().await?).await
    }

    /// Sets `model`'s target (checked, not yet called); audited.
    pub async fn set_target(
        &self,
        person: &Person,
        model: &str,
        spec: TargetSpec,
        timeout: Option<Duration>,
    ) -> Result<StoredTarget> {
        let model = model_name(model)?;
        spec.validate()?;
        let timeout_ms = timeout.unwrap_or(DEFAULT_TARGET_TIMEOUT).as_millis() as i64;
        if !(100..=600_000).contains(&timeout_ms) {
            return Err(VigilError::invalid("timeout", "A target's timeout is between 0.1 and 600 seconds."));
        }
        let mut write = self.context.write().await?;
        queries::set_target(&mut write, model, &spec, timeout_ms).await?;
        let detail = json!({ "kind": spec.kind_name(), "at": spec.location(), "timeout_ms": timeout_ms });
        write.audit_by(Some(person), "target.set", model, detail).await?;
        write.announce(EngineEvent::RolloutChanged { model: model.to_owned(), rollout: None });
        let stored = queries::target(&mut write, model).await?;
        write.commit().await?;
        stored.ok_or_else(|| VigilError::Internal("a target just stored was not found".into()))
    }

    /// Removes `model`'s target; audited. Refused while a rollout of it is under way.
    pub async fn remove_target(&self, person: &Person, model: &str) -> Result<()> {
        let mut write = self.context.write().await?;
        if queries::active_for(&mut write, model).await?.is_some() {
            let message = format!("A rollout of {model} is under way; end it before removing its target.");
            return Err(VigilError::Conflict { field: "model", message });
        }
        if !queries::remove_target(&mut write, model).await? {
            return Err(VigilError::NotFound(format!("{model} has no deployment target.")));
        }
        write.audit_by(Some(person), "target.remove", model, json!({})).await?;
        write.announce(EngineEvent::RolloutChanged { model: model.to_owned(), rollout: None });
        write.commit().await
    }

    /// `model`'s plan: its own, else the default fitted to its target (one step of 100 % for a
    /// target that can only switch).
    pub async fn plan(&self, model: &str) -> Result<Plan> {
        let mut conn = self.context.pool().acquire().await?;
        if let Some(plan) = queries::plan(&mut conn, model).await? {
            return Ok(plan);
        }
        let target = queries::target(&mut conn, model).await?;
        let can_weigh = target.map(|t| targets::capabilities_of(&t.spec).weights).unwrap_or(true);
        Ok(if can_weigh { Plan::default() } else { Plan::default().switch_only() })
    }

    /// Sets `model`'s plan, checked against its target; audited.
    pub async fn set_plan(&self, person: &Person, model: &str, plan: Plan) -> Result<()> {
        let model = model_name(model)?;
        let mut write = self.context.write().await?;
        let target = queries::target(&mut write, model).await?;
        plan.validate(target.as_ref().map(|t| (t.spec.kind_name(), targets::capabilities_of(&t.spec))))?;
        queries::set_plan(&mut write, model, &plan).await?;
        write.audit_by(Some(person), "plan.set", model, json!({ "plan": plan })).await?;
        write.announce(EngineEvent::RolloutChanged { model: model.to_owned(), rollout: None });
        write.commit().await
    }

    /// `model`'s policy: its own, else the default.
    pub async fn policy(&self, model: &str) -> Result<Policy> {
        Ok(queries::policy(&mut *self.context.pool().acquire().await?, model).await?.unwrap_or_default())
    }

    /// Sets `model`'s policy; audited.
    pub async fn set_policy(&self, person: &Person, model: &str, policy: Policy) -> Result<()> {
        let model = model_name(model)?;
        policy.validate()?;
        let mut write = self.context.write().await?;
        queries::set_policy(&mut write, model, &policy).await?;
        write.audit_by(Some(person), "policy.set", model, json!({ "policy": policy })).await?;
        write.announce(EngineEvent::RolloutChanged { model: model.to_owned(), rollout: None });
        write.commit().await
    }

    /// Every profile.
    pub async fn profiles(&self) -> Result<Vec<people::Profile>> {
        queries::profiles(&mut *self.context.pool().acquire().await?).await
    }

    /// Adds a profile, or changes its role; audited.
    pub async fn set_profile(&self, name: &str, role: Role) -> Result<()> {
        let person = Person::here(name, role)?;
        let mut write = self.context.write().await?;
        queries::set_profile(&mut write, &person.name, role).await?;
        write.audit_by(Some(&person), "profile.set", &person.name, json!({})).await?;
        write.commit().await
    }

    /// Removes a profile; its past decisions stay on the trail.
    pub async fn remove_profile(&self, person: &Person, name: &str) -> Result<()> {
        let mut write = self.context.write().await?;
        if !queries::remove_profile(&mut write, name).await? {
            return Err(VigilError::NotFound(format!("There is no profile '{name}'.")));
        }
        write.audit_by(Some(person), "profile.remove", name, json!({})).await?;
        write.commit().await
    }

    /// Who drives rollouts on this database, and until when (Unix ms), if anyone.
    pub async fn lease(&self) -> Result<Option<(String, i64)>> {
        queries::lease(&mut *self.context.pool().acquire().await?).await
    }

    /// This engine's name on the lease (and on its collector's heartbeat).
    pub fn holder(&self) -> &str {
        self.context.holder()
    }
}

/// Each rollout under way as the fleet overview needs it: the model, its stable and candidate
/// revisions, and the candidate's share confirmed at the target (percent). The overview takes
/// revisions' roles from here rather than from a rate that one quiet poll can zero.
pub(crate) async fn under_way(conn: &mut sqlx::AnyConnection) -> Result<Vec<(String, String, String, u32)>> {
    Ok(queries::active(conn).await?.into_iter().map(|r| (r.model, r.stable, r.candidate, r.weight)).collect())
}

/// A model name as people give it: 1–256 characters, trimmed.
fn model_name(model: &str) -> Result<&str> {
    let model = model.trim();
    if model.is_empty() || model.chars().count() > 256 {
        return Err(VigilError::invalid("model", "Name the model as its server serves it (1 to 256 characters)."));
    }
    Ok(model)
}
