//! Which revision of a model does what, from the traffic each takes now: the oldest one taking
//! traffic is stable, a newer one beside it a canary, one taking none idle. The overview and the
//! model chart both read roles from here.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

/// What a revision does for its model, from the traffic it takes now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RevisionRole {
    /// The oldest revision taking traffic.
    Stable,
    /// A newer revision taking traffic beside the stable one.
    Canary,
    /// Taking no traffic.
    Idle,
}

/// The role of each revision, given when it was first seen and the requests a second it takes
/// now: the oldest taking traffic is stable, newer ones taking traffic are canaries, the rest idle.
pub fn roles(revisions: &[(DateTime<Utc>, Option<f64>)]) -> Vec<RevisionRole> {
    let mut serving: Vec<usize> = (0..revisions.len()).filter(|&i| revisions[i].1.unwrap_or(0.0) > 0.0).collect();
    serving.sort_by_key(|&i| revisions[i].0);
    let mut roles = vec![RevisionRole::Idle; revisions.len()];
    for (rank, index) in serving.into_iter().enumerate() {
        roles[index] = if rank == 0 { RevisionRole::Stable } else { RevisionRole::Canary };
    }
    roles
}
