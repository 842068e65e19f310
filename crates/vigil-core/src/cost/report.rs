//! The cost report over a window: per server its cost an hour, a day and a 30-day projection,
//! its cost over the window and how much of it was idle; per revision its part of that (split
//! by compute time where models share a server) and its cost per 1,000 successful predictions;
//! per model and per team their sums; the candidate against the stable where a model has two
//! revisions (`compare`); the sentences a product manager reads (`sentences`); and the cost hour
//! by hour (`series`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
use ts_rs::TS;

use super::compare::{self, CostComparison};
use super::figures::{model_costs, team_costs};
pub use super::figures::{ModelCost, RevisionCost, ServerCost, TeamCost, UNLABELLED};
use super::placements::{placed, placements, Placement};
use super::sentences;
use super::series::{self, CostSeries};
use super::spend;
use super::usage::{self, RevisionWork, ServerUse};
use crate::servers::queries as servers;
use crate::Result;

/// The cost report over a window ending now.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CostReport {
    pub window_hours: f64,
    pub servers: Vec<ServerCost>,
    pub revisions: Vec<RevisionCost>,
    /// The dearest a month first.
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
async fn costs(conn: &mut AnyConnection, from_ms: i64, to_ms: i64) -> Result<Costs> {
    let placements = placements(conn, None).await?;
    let teams: HashMap<String, String> = servers::list_in(conn)
        .await?
        .into_iter()
        .filter_map(|s| s.labels.get("team").map(|team| (s.name.clone(), team.clone())))
        .collect();
    let used = usage::server_use(conn, from_ms, to_ms).await?;
    let work = usage::work(conn, from_ms, to_ms, None).await?;
    let mut costs =
        Costs { placements: Vec::new(), servers: Vec::new(), revisions: Vec::new(), work, problems: Vec::new() };
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
    conn: &mut AnyConnection,
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
    conn: &mut AnyConnection,
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
