//! Typed engine events: what changed, for whoever listens (the desktop window, `vigil collect`).
//!
//! The engine publishes on a broadcast channel; a slow listener misses old events rather than
//! slowing the engine, and can always ask the engine again for the current state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::AuditEntry;
use crate::health::HealthState;
use crate::rollouts::people::Role;
use crate::servers::server::Server;

mod paced;
pub use paced::PacedEvents;

/// How many events a listener may fall behind before it misses some.
pub const CHANNEL_CAPACITY: usize = 1024;

/// Something that changed in the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A server was registered.
    ServerAdded { server: Server },
    /// A server was removed, with everything polled from it.
    ServerRemoved { name: String },
    /// A server's health changed; `server` is its state after the change.
    HealthChanged { server: Server, from: HealthState, to: HealthState },
    /// What Vigil knows of a server changed other than its health: the kind it detected, or
    /// whether its metrics could be read (`metrics_error`). `server` is its state after.
    ServerUpdated { server: Server },
    /// A decision was recorded on the audit trail.
    Audited { entry: AuditEntry },
    /// A drift report was computed for a model (and version, when it has its own reference).
    DriftReported {
        model: String,
        version: Option<String>,
        dataset_drift: bool,
        drifted_features: usize,
        features: usize,
    },
    /// The polls of these servers (by name) were stored at `at`.
    Polled { at: DateTime<Utc>, servers: Vec<String> },
    /// A model's objectives changed (`model` None: the fleet-wide defaults).
    ObjectivesChanged { model: Option<String> },
    /// A rollout of `model` changed: started, stepped, waited, was signed, ended; or the model's
    /// target, plan or policy changed (`rollout` None).
    RolloutChanged {
        model: String,
        #[ts(type = "number | null")]
        rollout: Option<i64>,
    },
    /// An alert fired, resolved or lost its data, or a rule, silence or receiver changed.
    AlertsChanged,
    /// What is known of `model` before a revision goes live changed: its built environment, a
    /// revision's serving environment, or a parity check.
    PreflightChanged { model: String },
    /// A notification for the desktop: the window shows it as a desktop notification. `model`:
    /// the one model every alert in it is about, if there is one (a click on it opens that model).
    AlertNotified { title: String, body: String, critical: bool, model: Option<String> },
    /// Rollout `rollout` of `model` waits for the sign-off of `roles` (again, when `late`: it
    /// waited past its policy's limit). `sentence` says where it stands in plain words.
    ApprovalNeeded {
        model: String,
        #[ts(type = "number")]
        rollout: i64,
        roles: Vec<Role>,
        late: bool,
        sentence: String,
    },
}
