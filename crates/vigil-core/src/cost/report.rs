//! The cost report over a window: per server its cost an hour, a day and a 30-day projection,
//! its cost over the window and how much of it was idle; per revision its part of that (split
//! by compute time where models share a server) and its cost per 1,000 successful predictions;
//! per model and per team their sums; the candidate against the stable where a model has two
//! revisions (`compare`); the sentences a product manager reads (`sentences`); and the cost hour
//! by hour (`series`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqliteConnection;
use ts_rs::TS;

use super::compare::{self, CostComparison};
use super::placements::{placements, Placement};
use super::series::{self, CostSeries};
use super::spend::{self, Placed};
use super::usage::{self, RevisionWork, ServerUse};
use super::sentences;
use crate::servers::queries as servers;
use crate::Result;

/// The team of servers with no `team` label.
pub const UNLABELLED: &str = "unlabelled";

/// One server's cost.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ServerCost {
    pub server: String,
    /// `aws us-east-1 p3.16xlarge × 2`
    pub placement: String,
    pub hourly: f64,
    pub daily: f64,
    /// 30 days of 24 hours at the current placement.
    pub monthly: f64,
    /// What it cost over the report's window, placement by placement.
    pub window_cost: f64,
    /// Its `team` label.
    pub team: Option<String>,
    /// Its mean use over the window, 0–1 (GPU when reported, else CPU); None: it reports neither.
    pub utilization: Option<f64>,
    /// What was paid for but not used: window cost × (1 − utilization).
    pub idle_cost: Option<f64>,
    /// 1 − utilization.
    pub idle_share: Option<f64>,
    /// `label` when its current placement came from its labels, else the person's name (or `cli`).
    pub placed_by: String,
}

/// One revision's part of its server's cost over the window.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RevisionCost {
    pub server: String,
    pub model: String,
    pub version: String,
    pub requests: f64,
    pub successful: f64,
    pub cost: f64,
    /// Dollars per 1,000 successful predictions; None: no predictions in the window.
    pub per_thousand: Option<f64>,
    /// How the server's cost was split: `sole revision` or `compute time` (requests × mean
    /// latency, or requests where the server reports no latency).
    pub split: String,
}

/// One model on one server: the sum of its revisions.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ModelCost {
    pub server: String,
    pub model: String,
    pub team: Option<String>,
    pub window_cost: f64,
    /// Its server's 30-day projection × its share of the server's window cost.
    pub monthly: f64,
    pub per_thousand: Option<f64>,
    pub successful: f64,
    /// Its server's idle share.
    pub idle_share: Option<f64>,
}

/// One team's servers (by their `team` label; `unlabelled` for servers without it).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TeamCost {
    pub team: String,
    pub window_cost: f64,
    pub monthly: f64,
}

/// The cost report over a window ending now.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CostReport {
    pub window_hours: f64,
    pub servers: Vec<ServerCost>,
    pub revisions: Vec<RevisionCost>,
    pub models: Vec<ModelCost>,
    /// Most expensive first.
    pub teams: Vec<TeamCost>,
    pub comparisons: Vec<CostComparison>,
    /// In plain words, most money first (problems with the placements before them).
    pub sentences: Vec<String>,
    pub series: CostSeries,
}

/// What the servers and their revisions cost over a span, and what the report needs besides.
struct Costs {
    placements: Vec<Placement>,
    servers: Vec<ServerCost>,
    revisions: Vec<RevisionCost>,
    work: Vec<RevisionWork>,
    problems: Vec<String>,
}

/// Every placed server's and its revisions' cost from `from_ms` to `to_ms`.
async fn costs(conn: &mut SqliteConnection, from_ms: i64, to_ms: i64) -> Result<Costs> {
    let placements = placements(conn, None).await?;
    let teams: HashMap<String, String> = servers::list_in(conn)
        .await?
        .into_iter()
        .filter_map(|s| s.labels.get("team").map(|team| (s.name.clone(), team.clone())))
        .collect();
    let used = usage::server_use(conn, from_ms, to_ms).await?;
    let work = usage::work(conn, from_ms, to_ms, None).await?;
    let mut costs = Costs { placements: Vec::new(), servers: Vec::new(), revisions: Vec::new(), work, problems: Vec::new() };
    for group in placements.chunk_by(|a, b| a.server == b.server) {
        let now = &group[group.len() - 1];
        if now.hourly.is_none() {
            costs.problems.push(format!(
                "{} runs on {} {} {}, which the price catalog no longer holds: it is costed at $0 until the type is \
                 imported again (vigil cost catalog import) or the server is placed anew (vigil cost place).",
                now.server, now.provider, now.region, now.instance_type
            ));
        }
        let server = server_cost(group, teams.get(&now.server), used.get(&now.server), from_ms, to_ms);
        let work: Vec<&RevisionWork> = costs.work.iter().filter(|w| w.server == server.server).collect();
        let parts = spend::split_by_compute(server.window_cost, &work.iter().map(|w| w.work).collect::<Vec<_>>());
        let split = if work.len() == 1 { "sole revision" } else { "compute time" };
        for (revision, cost) in work.into_iter().zip(parts) {
            costs.revisions.push(RevisionCost {
                server: server.server.clone(),
                model: revision.model.clone(),
                version: revision.version.clone(),
                requests: revision.work.requests,
                successful: revision.work.successful(),
                cost,
                per_thousand: spend::per_thousand(cost, revision.work.successful()),
                split: split.to_owned(),
            });
        }
        costs.servers.push(server);
    }
    costs.placements = placements;
    Ok(costs)
}

/// The pieces of a server's placements, for the arithmetic.
pub(super) fn placed(group: &[Placement]) -> Vec<Placed> {
    group
        .iter()
        .map(|p| Placed { since_ms: p.since.timestamp_millis(), hourly: p.hourly.unwrap_or(0.0), replicas: p.replicas })
        .collect()
}

/// One server's cost from its placements (oldest first), team and use.
fn server_cost(
    group: &[Placement],
    team: Option<&String>,
    used: Option<&ServerUse>,
    from_ms: i64,
    to_ms: i64,
) -> ServerCost {
    let now = &group[group.len() - 1];
    let hourly = now.hourly.unwrap_or(0.0) * f64::from(now.replicas);
    let window_cost = spend::serving_cost(&placed(group), from_ms, to_ms);
    let used = used.copied().unwrap_or_default();
    let vcpus = now.vcpu.map(|vcpu| f64::from(vcpu) * f64::from(now.replicas));
    let utilization = spend::utilization(used.gpu, used.cpu_share, used.cpu_cores, vcpus);
    ServerCost {
        server: now.server.clone(),
        placement: format!("{} {} {} × {}", now.provider, now.region, now.instance_type, now.replicas),
        hourly,
        daily: hourly * 24.0,
        monthly: hourly * 720.0,
        window_cost,
        team: team.cloned(),
        utilization,
        idle_cost: spend::idle_cost(window_cost, utilization),
        idle_share: utilization.map(|used| 1.0 - used),
        placed_by: now.placed_by.clone(),
    }
}

/// The report from `from` to `to`; `problems` (with the servers' labels) lead its sentences.
pub async fn report(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    problems: Vec<String>,
) -> Result<CostReport> {
    let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
    let costs = costs(conn, from_ms, to_ms).await?;
    let hourly = usage::work(conn, from_ms, to_ms, Some(series::HOUR_MS)).await?;
    let models = model_costs(&costs.servers, &costs.revisions);
    let teams = team_costs(&costs.servers);
    let comparisons = compare::comparisons(&costs.revisions, &costs.work);
    let window_hours = (to_ms - from_ms) as f64 / 3_600_000.0;
    let problems = [problems, costs.problems].concat();
    let sentences = sentences::sentences(&problems, &models, &comparisons, window_hours);
    let series = series::series(&costs.placements, &costs.servers, &costs.work, &hourly, from_ms, to_ms);
    Ok(CostReport {
        window_hours,
        servers: costs.servers,
        revisions: costs.revisions,
        models,
        teams,
        comparisons,
        sentences,
        series,
    })
}

/// Whether a revision's cost per 1,000 predictions can be known: its servers are placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Priced {
    /// None of the servers serving it has a placement, so it has no price.
    Unpriced,
    /// Dollars per 1,000 successful predictions over every placed server serving it; None: it
    /// made no predictions.
    PerThousand(Option<f64>),
}

/// What `version` of `model` cost per 1,000 successful predictions from `from_ms` to `to_ms`.
pub async fn revision_per_thousand(
    conn: &mut SqliteConnection,
    (model, version): (&str, &str),
    from_ms: i64,
    to_ms: i64,
) -> Result<Priced> {
    let costs = costs(conn, from_ms, to_ms).await?;
    let priced: Vec<&RevisionCost> = costs
        .revisions
        .iter()
        .filter(|r| r.model == model && r.version == version)
        .filter(|r| costs.placements.iter().any(|p| p.server == r.server && p.hourly.is_some()))
        .collect();
    if priced.is_empty() {
        return Ok(Priced::Unpriced);
    }
    let (cost, successful) = priced.iter().fold((0.0, 0.0), |(c, s), r| (c + r.cost, s + r.successful));
    Ok(Priced::PerThousand(spend::per_thousand(cost, successful)))
}

/// Each model on each server: its revisions summed, its part of its server's projection.
fn model_costs(servers: &[ServerCost], revisions: &[RevisionCost]) -> Vec<ModelCost> {
    let mut models: Vec<ModelCost> = Vec::new();
    for group in revisions.chunk_by(|a, b| (&a.server, &a.model) == (&b.server, &b.model)) {
        let Some(server) = servers.iter().find(|s| s.server == group[0].server) else { continue };
        let window_cost: f64 = group.iter().map(|r| r.cost).sum();
        let successful: f64 = group.iter().map(|r| r.successful).sum();
        let on_server = revisions.iter().filter(|r| r.server == server.server).map(|r| &r.model);
        let share = if server.window_cost > 0.0 {
            window_cost / server.window_cost
        } else {
            let mut names: Vec<&String> = on_server.collect();
            names.dedup();
            1.0 / names.len().max(1) as f64
        };
        models.push(ModelCost {
            server: server.server.clone(),
            model: group[0].model.clone(),
            team: server.team.clone(),
            window_cost,
            monthly: server.monthly * share,
            per_thousand: spend::per_thousand(window_cost, successful),
            successful,
            idle_share: server.idle_share,
        });
    }
    models
}

/// Each team's servers summed, most expensive first.
fn team_costs(servers: &[ServerCost]) -> Vec<TeamCost> {
    let mut teams: Vec<TeamCost> = Vec::new();
    for server in servers {
        let name = server.team.as_deref().unwrap_or(UNLABELLED);
        match teams.iter_mut().find(|t| t.team == name) {
            Some(team) => {
                team.window_cost += server.window_cost;
                team.monthly += server.monthly;
            }
            None => teams.push(TeamCost {
                team: name.to_owned(),
                window_cost: server.window_cost,
                monthly: server.monthly,
            }),
        }
    }
    teams.sort_by(|a, b| b.window_cost.total_cmp(&a.window_cost).then(b.monthly.total_cmp(&a.monthly)));
    teams
}
