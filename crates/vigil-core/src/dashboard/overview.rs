//! Each model of the fleet as people read it, worked out from its revisions' latest signals, its
//! server's health and its objectives: which revision is stable and which a canary, the traffic
//! split, the model's combined request rate, error share, p99 and last hour, the objectives each
//! revision breaks, the model's status and one sentence in plain words. The window and
//! `vigil status` show these figures; neither works them out again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyPool;
use ts_rs::TS;

use super::queries::{self as dashboard, RevisionSignals};
use crate::health::HealthState;
use crate::objectives::{self, Breach, ObjectiveBook, Objectives};
use crate::points::signal;
use crate::revisions::version_name;
use crate::rollouts;
use crate::servers::{self, Server};
use crate::Result;

pub use super::roles::{roles, RevisionRole};

/// One revision of a model, as the overview shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RevisionOverview {
    /// Empty for the model's default version.
    pub version: String,
    pub role: RevisionRole,
    /// Its share of the model's requests, 0–1; None when the model's rate is not measured.
    pub share: Option<f64>,
    pub health: HealthState,
    pub health_reason: Option<String>,
    /// Requests a second, failed share of them and p99 latency in seconds, as last measured.
    pub rate: Option<f64>,
    pub error_share: Option<f64>,
    pub p99_s: Option<f64>,
    /// The model's objectives it breaks; an idle revision breaks none.
    pub breaches: Vec<Breach>,
}

/// How a model is doing, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ModelState {
    /// Its server is down, or a revision it serves is not ready.
    Down,
    /// A revision it serves is not fully ready.
    Degraded,
    /// A revision it serves breaks the model's objectives.
    Breaching,
    /// Every revision it serves is ready and within its objectives.
    Up,
    /// Serving within its objectives; its server does not report each model's readiness.
    Serving,
}

impl ModelState {
    fn severity(self) -> u8 {
        match self {
            ModelState::Down => 2,
            ModelState::Degraded | ModelState::Breaching => 1,
            ModelState::Up | ModelState::Serving => 0,
        }
    }
}

/// A model's state and why, in words.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ModelStatus {
    pub state: ModelState,
    pub reason: String,
}

/// One model on one server with its combined figures.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ModelOverview {
    pub server: String,
    pub model: String,
    pub status: ModelStatus,
    /// Newest first.
    pub revisions: Vec<RevisionOverview>,
    /// Requests a second over every revision; None when none is measured.
    pub rate: Option<f64>,
    /// The failed share of all requests, each revision weighted by its rate; None when not measured.
    pub error_share: Option<f64>,
    /// The worst p99 latency of any revision, in seconds; None when none reports it.
    pub p99_s: Option<f64>,
    /// Requests a second over the last hour, every revision added up: (Unix ms, rate).
    #[ts(type = "Array<[number, number]>")]
    pub sparkline: Vec<(i64, f64)>,
    /// When the newest revision was first seen.
    #[ts(type = "string")]
    pub deployed_at: DateTime<Utc>,
    pub objectives: Objectives,
    /// Its state, traffic, rollout and breaches in one sentence, for the product manager.
    pub sentence: String,
}

/// Every model of the fleet, as of `now_ms`.
pub async fn read(pool: &AnyPool, now_ms: i64) -> Result<Vec<ModelOverview>> {
    let revisions = dashboard::revisions(pool, now_ms).await?;
    let servers = servers::list(pool).await?;
    let mut conn = pool.acquire().await?;
    let book = objectives::book(&mut conn).await?;
    let rollouts = rollouts::under_way(&mut conn).await?;
    Ok(models(&revisions, &servers, &book, &rollouts))
}

/// A rollout under way: model, stable, candidate, and the candidate's confirmed share in percent.
pub type UnderWay = (String, String, String, u32);

/// One overview per model and server, from `revisions` ordered by server and model (as
/// [`dashboard::revisions`] gives them). A model with a rollout under way takes its revisions'
/// roles from the rollout.
pub fn models(
    revisions: &[RevisionSignals],
    servers: &[Server],
    book: &ObjectiveBook,
    rollouts: &[UnderWay],
) -> Vec<ModelOverview> {
    revisions
        .chunk_by(|a, b| (&a.server, &a.model) == (&b.server, &b.model))
        .map(|group| {
            let server = servers.iter().find(|s| s.name == group[0].server);
            let rollout = rollouts.iter().find(|r| r.0 == group[0].model);
            model(group, server, book.for_model(&group[0].model), rollout)
        })
        .collect()
}

/// The role a rollout gives `version`, if it names it: the stable one while it still takes
/// traffic, the candidate once it does.
fn rollout_role(rollout: Option<&UnderWay>, version: &str) -> Option<RevisionRole> {
    let (_, stable, candidate, weight) = rollout?;
    match version {
        v if v == stable && *weight < 100 => Some(RevisionRole::Stable),
        v if v == candidate && *weight > 0 => Some(RevisionRole::Canary),
        v if v == stable || v == candidate => Some(RevisionRole::Idle),
        _ => None,
    }
}

/// A model from its revisions (at least one), its server, its objectives and its rollout.
fn model(
    group: &[RevisionSignals],
    server: Option<&Server>,
    objectives: Objectives,
    rollout: Option<&UnderWay>,
) -> ModelOverview {
    let latest = |revision: &RevisionSignals, name: &str| revision.latest.get(name).copied();
    let rates: Vec<Option<f64>> = group.iter().map(|r| latest(r, signal::REQUEST_RATE)).collect();
    let rate = rates.iter().flatten().copied().reduce(|a, b| a + b);
    let seen_and_rate: Vec<(DateTime<Utc>, Option<f64>)> =
        group.iter().zip(&rates).map(|(r, rate)| (r.first_seen_at, *rate)).collect();
    let revisions: Vec<RevisionOverview> = group
        .iter()
        .zip(roles(&seen_and_rate))
        .map(|(revision, role)| {
            let role = rollout_role(rollout, &revision.version).unwrap_or(role);
            let (error_share, p99_s) = (latest(revision, signal::ERROR_RATE), latest(revision, signal::LATENCY_P99));
            let own_rate = latest(revision, signal::REQUEST_RATE);
            RevisionOverview {
                version: revision.version.clone(),
                role,
                share: rate.filter(|total| *total != 0.0).map(|total| own_rate.unwrap_or(0.0) / total),
                health: revision.health,
                health_reason: revision.health_reason.clone(),
                rate: own_rate,
                error_share,
                p99_s,
                breaches: if role == RevisionRole::Idle { Vec::new() } else { objectives.breaches(error_share, p99_s) },
            }
        })
        .collect();
    let status = status(&group[0].model, &revisions, server, &objectives);
    let mut newest_first: Vec<(DateTime<Utc>, RevisionOverview)> =
        group.iter().map(|r| r.first_seen_at).zip(revisions).collect();
    newest_first.sort_by_key(|(first_seen_at, _)| std::cmp::Reverse(*first_seen_at));
    let mut sparkline = BTreeMap::new();
    for (at, value) in group.iter().flat_map(|r| &r.sparkline) {
        *sparkline.entry(*at).or_insert(0.0) += value;
    }
    let mut overview = ModelOverview {
        server: group[0].server.clone(),
        model: group[0].model.clone(),
        status,
        deployed_at: newest_first[0].0,
        revisions: newest_first.into_iter().map(|(_, revision)| revision).collect(),
        rate,
        error_share: weighted_error_share(group),
        p99_s: group
            .iter()
            .filter_map(|r| latest(r, signal::LATENCY_P99))
            .filter(|p99| p99.is_finite())
            .reduce(f64::max),
        sparkline: sparkline.into_iter().collect(),
        objectives,
        sentence: String::new(),
    };
    overview.sentence = sentence(&overview, rollout);
    overview
}

/// The failed share of the requests of every revision that measures both, weighted by rate.
fn weighted_error_share(group: &[RevisionSignals]) -> Option<f64> {
    let (requests, failed) = group
        .iter()
        .filter_map(|r| Some((*r.latest.get(signal::REQUEST_RATE)?, *r.latest.get(signal::ERROR_RATE)?)))
        .fold((0.0, 0.0), |(requests, failed), (rate, errors)| (requests + rate, failed + rate * errors));
    (requests > 0.0).then(|| failed / requests)
}

/// Down when its server is; else the worst of the revisions it serves (and of those that are
/// down only when it serves none).
fn status(
    model: &str,
    revisions: &[RevisionOverview],
    server: Option<&Server>,
    objectives: &Objectives,
) -> ModelStatus {
    if let Some(server) = server.filter(|server| server.health == HealthState::Down) {
        let why = server.health_reason.as_deref().unwrap_or("it does not answer");
        return ModelStatus { state: ModelState::Down, reason: format!("Server {} is down: {why}", server.name) };
    }
    let watched: Vec<&RevisionOverview> =
        revisions.iter().filter(|r| r.role != RevisionRole::Idle || r.health != HealthState::Down).collect();
    let watched = if watched.is_empty() { revisions.iter().collect() } else { watched };
    let worst = watched
        .iter()
        .map(|revision| revision_status(model, revision, objectives))
        .reduce(|worst, next| if next.state.severity() > worst.state.severity() { next } else { worst })
        .expect("a model has at least one revision");
    if worst.state == ModelState::Up && watched.len() > 1 {
        let names: Vec<String> = watched.iter().map(|r| version_name(&r.version)).collect();
        return ModelStatus { state: ModelState::Up, reason: format!("{} are ready", names.join(" and ")) };
    }
    worst
}

fn revision_status(model: &str, revision: &RevisionOverview, objectives: &Objectives) -> ModelStatus {
    let name = format!("{model} {}", version_name(&revision.version));
    let why = |default: &str| format!("{name}: {}", revision.health_reason.as_deref().unwrap_or(default));
    let (state, reason) = match revision.health {
        HealthState::Down => (ModelState::Down, why("not ready")),
        HealthState::Degraded => (ModelState::Degraded, why("not fully ready")),
        _ if !revision.breaches.is_empty() => (ModelState::Breaching, breach_words(&name, revision, objectives)),
        HealthState::Up => (ModelState::Up, format!("{name} is ready")),
        HealthState::Unknown => (ModelState::Serving, "The server does not report each model's readiness".to_owned()),
    };
    ModelStatus { state, reason }
}

/// "v13 fails 40.0 % of its requests, above the 1.0 % allowed", with `who` as the subject.
fn breach_words(who: &str, revision: &RevisionOverview, objectives: &Objectives) -> String {
    let words: Vec<String> = revision
        .breaches
        .iter()
        .map(|breach| match breach {
            Breach::ErrorShare => format!(
                "fails {} of its requests, above the {} allowed",
                percent(revision.error_share.unwrap_or_default()),
                percent(objectives.error_share.max)
            ),
            Breach::P99 => format!(
                "has a p99 latency of {}, above the {} allowed",
                latency(revision.p99_s.unwrap_or_default()),
                latency(objectives.p99_s.max)
            ),
        })
        .collect();
    format!("{who} {}", words.join(", and "))
}

/// One sentence in plain words: the state, the traffic, a rollout in progress (at the share its
/// target confirmed, when Vigil drives it), and every objective broken. Never "healthy" while a
/// revision it serves breaks an objective.
fn sentence(overview: &ModelOverview, driven: Option<&UnderWay>) -> String {
    let name = format!("{} on {}", overview.model, overview.server);
    let state = match overview.status.state {
        ModelState::Down => return format!("{name} is down: {}.", overview.status.reason),
        ModelState::Degraded => "is serving with a problem",
        ModelState::Breaching => "is missing its objectives",
        ModelState::Up | ModelState::Serving => "is healthy",
    };
    let traffic = match overview.rate {
        None => "no traffic measured yet".to_owned(),
        Some(rate) => {
            let failing = overview.error_share.map(|share| format!(", {} failing", percent(share))).unwrap_or_default();
            format!("{rate:.1} requests a second{failing}")
        }
    };
    let with_role = |role| overview.revisions.iter().find(|r| r.role == role);
    let driven = driven.filter(|(_, _, _, weight)| (1..100).contains(weight));
    let rollout = match (driven, with_role(RevisionRole::Canary), with_role(RevisionRole::Stable)) {
        (Some((_, stable, candidate, weight)), _, _) => format!(
            "; {} is being rolled out, on {weight} % of traffic beside {}",
            version_name(candidate),
            version_name(stable)
        ),
        (None, Some(canary), Some(stable)) => format!(
            "; {} is being tried on {} % of traffic beside {}",
            version_name(&canary.version),
            (canary.share.unwrap_or(0.0) * 100.0).round(),
            version_name(&stable.version)
        ),
        _ => String::new(),
    };
    let breaches: String = overview
        .revisions
        .iter()
        .filter(|r| !r.breaches.is_empty())
        .map(|r| format!("; {}", breach_words(&version_name(&r.version), r, &overview.objectives)))
        .collect();
    format!("{name} {state} ({traffic}){rollout}{breaches}.")
}

/// A share as a percentage with one decimal: "1.9 %".
fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// A latency in milliseconds below a second ("250 ms"), else in seconds ("1 s", "1.5 s").
fn latency(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{} ms", (seconds * 1000.0).round())
    } else {
        format!("{} s", format!("{seconds:.1}").trim_end_matches(".0"))
    }
}

#[cfg(test)]
mod tests;
