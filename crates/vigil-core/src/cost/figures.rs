//! The rows of the cost report: a server's cost, a revision's part of it, a model's (its
//! revisions summed) and a team's (its servers summed), and how the model and team rows are
//! worked out from the others.

use serde::Serialize;
use ts_rs::TS;

use super::spend;

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

/// Each model on each server: its revisions summed, its part of its server's projection; the
/// dearest a month first (the top spenders).
pub fn model_costs(servers: &[ServerCost], revisions: &[RevisionCost]) -> Vec<ModelCost> {
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
    models.sort_by(|a, b| b.monthly.total_cmp(&a.monthly));
    models
}

/// Each team's servers summed, most expensive first.
pub fn team_costs(servers: &[ServerCost]) -> Vec<TeamCost> {
    let mut teams: Vec<TeamCost> = Vec::new();
    for server in servers {
        let name = server.team.as_deref().unwrap_or(UNLABELLED);
        match teams.iter_mut().find(|t| t.team == name) {
            Some(team) => {
                team.window_cost += server.window_cost;
                team.monthly += server.monthly;
            }
            None => {
                teams.push(TeamCost { team: name.to_owned(), window_cost: server.window_cost, monthly: server.monthly })
            }
        }
    }
    teams.sort_by(|a, b| b.window_cost.total_cmp(&a.window_cost).then(b.monthly.total_cmp(&a.monthly)));
    teams
}
