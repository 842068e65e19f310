//! The cost hour by hour over the report's window: each model's cost in each hour (its
//! server's cost that hour, split by the compute time its revisions took that hour) and each
//! team's (the sum of its servers). Read from one query of the hourly work, not one per hour.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use ts_rs::TS;

use super::figures::{ServerCost, UNLABELLED};
use super::placements::{placed, Placement};
use super::spend::{self, Work};
use super::usage::RevisionWork;

/// An hour in Unix ms.
pub const HOUR_MS: i64 = 3_600_000;

/// One line of the series.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct NamedSeries {
    /// `server/model` for a model; the team's name for a team.
    pub name: String,
    /// Dollars in the hour starting at the same place in [`CostSeries::hours_ms`].
    pub values: Vec<f64>,
}

/// Cost per hour over the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
pub struct CostSeries {
    /// The start of each hour, in Unix ms (the first is the hour the window starts in).
    #[ts(type = "number[]")]
    pub hours_ms: Vec<i64>,
    pub models: Vec<NamedSeries>,
    pub teams: Vec<NamedSeries>,
}

/// The series from `from_ms` to `to_ms`: `placements` oldest first per server, `servers` the
/// report's, `revisions` every revision (the window's work), `hourly` their work hour by hour.
pub fn series(
    placements: &[Placement],
    servers: &[ServerCost],
    revisions: &[RevisionWork],
    hourly: &[RevisionWork],
    from_ms: i64,
    to_ms: i64,
) -> CostSeries {
    let hours_ms: Vec<i64> =
        (from_ms.div_euclid(HOUR_MS)..=(to_ms - 1).div_euclid(HOUR_MS)).map(|h| h * HOUR_MS).collect();
    let worked: HashMap<(&str, &str, &str, i64), Work> = hourly
        .iter()
        .map(|w| ((w.server.as_str(), w.model.as_str(), w.version.as_str(), w.bucket_ms), w.work))
        .collect();
    let idle = Work { requests: 0.0, errors: 0.0, mean_latency_s: None };
    let mut models: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut teams: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for group in placements.chunk_by(|a, b| a.server == b.server) {
        let server = &group[0].server;
        let pieces = placed(group);
        let on_server: Vec<&RevisionWork> = revisions.iter().filter(|r| &r.server == server).collect();
        let team = servers.iter().find(|s| &s.server == server).and_then(|s| s.team.as_deref()).unwrap_or(UNLABELLED);
        let team = teams.entry(team.to_owned()).or_insert_with(|| vec![0.0; hours_ms.len()]);
        for (i, &hour) in hours_ms.iter().enumerate() {
            let cost = spend::serving_cost(&pieces, hour.max(from_ms), (hour + HOUR_MS).min(to_ms));
            team[i] += cost;
            let work: Vec<Work> = on_server
                .iter()
                .map(|r| *worked.get(&(server.as_str(), r.model.as_str(), r.version.as_str(), hour)).unwrap_or(&idle))
                .collect();
            for (revision, part) in on_server.iter().zip(spend::split_by_compute(cost, &work)) {
                let line = models.entry(format!("{server}/{}", revision.model));
                line.or_insert_with(|| vec![0.0; hours_ms.len()])[i] += part;
            }
        }
    }
    let named = |lines: BTreeMap<String, Vec<f64>>| {
        lines.into_iter().map(|(name, values)| NamedSeries { name, values }).collect::<Vec<_>>()
    };
    CostSeries { hours_ms, models: named(models), teams: named(teams) }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn revision(model: &str, bucket_ms: i64, requests: f64) -> RevisionWork {
        RevisionWork {
            server: "shared".into(),
            model: model.into(),
            version: "1".into(),
            first_seen: Utc.timestamp_millis_opt(0).single().unwrap_or_default(),
            bucket_ms,
            work: Work { requests, errors: 0.0, mean_latency_s: Some(0.01) },
        }
    }

    #[test]
    fn each_hour_splits_that_hours_cost_by_that_hours_work() {
        // $2 an hour, from 00:30 to 02:00: hour 0 costs $1, hour 1 $2. In hour 0 only fraud
        // worked (all $1 is fraud's); in hour 1 fraud 300 and churn 100 requests at the same
        // latency: $1.50 and $0.50. The team (no label) pays $1 then $2.
        let placement = Placement {
            server: "shared".into(),
            provider: "aws".into(),
            region: "us-east-1".into(),
            instance_type: "x".into(),
            replicas: 1,
            since: Utc.timestamp_millis_opt(0).single().unwrap_or_default(),
            hourly: Some(2.0),
            vcpu: Some(4),
            placed_by: "ana".into(),
        };
        let window = [revision("churn", 0, 100.0), revision("fraud", 0, 400.0)];
        let hourly =
            [revision("fraud", 0, 100.0), revision("fraud", HOUR_MS, 300.0), revision("churn", HOUR_MS, 100.0)];
        let series = series(&[placement], &[], &window, &hourly, HOUR_MS / 2, 2 * HOUR_MS);
        assert_eq!(series.hours_ms, [0, HOUR_MS]);
        let lines: Vec<(&str, &[f64])> = series.models.iter().map(|s| (s.name.as_str(), &s.values[..])).collect();
        assert_eq!(lines, [("shared/churn", &[0.0, 0.5][..]), ("shared/fraud", &[1.0, 1.5][..])]);
        assert_eq!((series.teams[0].name.as_str(), &series.teams[0].values[..]), ("unlabelled", &[1.0, 2.0][..]));
    }
}
