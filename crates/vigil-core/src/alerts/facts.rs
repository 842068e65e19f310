//! What the rules are judged on: one reading of the fleet as stored — each server's health, each
//! model's combined figures and objectives (the dashboard's own overview), each model's latest
//! drift report, and, when a rule asks for them, each model's cost per 1,000 predictions and its
//! performance report (realized and estimated figures by the hour over the last day, and the
//! feedback-loop verdict; read by [`performance_reports`], which the front keeps for
//! [`PERFORMANCE_FRESH`]) — laid out as the subjects a rule covers and the value of a signal for
//! each.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::AnyPool;

use super::rules::{AlertRule, Condition, Scope, Signal};
use crate::dashboard::overview::{self, ModelOverview};
use crate::drift::report::{self as drift_report, DriftReport};
use crate::health::HealthState;
use crate::performance::log as prediction_log;
use crate::performance::report::{self as performance_report, PerformanceReport, PerformanceWindow};
use crate::servers::{self, Server};
use crate::Result;

/// How long the performance reports read for the rules are used before they are read again: their
/// figures move by the hour and with labels that come minutes late, and a report reads a day of a
/// model's predictions, so reading them after every poll would cost much and tell little.
pub const PERFORMANCE_FRESH: chrono::Duration = chrono::Duration::seconds(60);

/// The parts of a reading that cost more than the rest, read only when an enabled rule needs them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wanted {
    pub cost: bool,
    pub performance: bool,
}

impl Wanted {
    pub fn by(rules: &[AlertRule]) -> Wanted {
        let enabled = || rules.iter().filter(|rule| rule.draft.enabled).map(|rule| &rule.draft.signal);
        Wanted {
            cost: enabled().any(|signal| *signal == Signal::CostPerThousand),
            performance: enabled().any(Signal::reads_performance),
        }
    }
}

/// What an alert is about: a server, or a model on a server.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub server: String,
    pub model: Option<String>,
    pub labels: BTreeMap<String, String>,
}

impl Subject {
    /// The alert's name for it: "fraud on fraud-server", or "server pricing".
    pub fn key(&self) -> String {
        match &self.model {
            Some(model) => format!("{model} on {}", self.server),
            None => format!("server {}", self.server),
        }
    }
}

/// One subject's value of a signal, and the bound its objective sets (when it has one).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    pub subject: &'a Subject,
    /// None: nothing measured now (no data).
    pub value: Option<f64>,
    pub objective: Option<f64>,
}

/// One reading of the fleet.
#[derive(Debug, Default)]
pub struct Facts {
    servers: Vec<(Subject, Server)>,
    models: Vec<(Subject, ModelOverview)>,
    drift: HashMap<String, DriftReport>,
    cost: HashMap<(String, String), f64>,
    performance: Arc<HashMap<String, PerformanceReport>>,
}

impl Facts {
    /// The models read, each once.
    pub fn model_names(&self) -> BTreeSet<&str> {
        self.models.iter().map(|(_, model)| model.model.as_str()).collect()
    }

    /// Judges performance signals on `reports`.
    pub fn set_performance(&mut self, reports: Arc<HashMap<String, PerformanceReport>>) {
        self.performance = reports;
    }

    /// Reads the fleet as of `now`, with the cost report when it is `wanted` (the performance
    /// reports come from [`performance_reports`], through [`Facts::set_performance`]).
    pub async fn read(pool: &AnyPool, now: DateTime<Utc>, wanted: Wanted) -> Result<Facts> {
        let servers = servers::queries::list(pool).await?;
        let labels: HashMap<String, BTreeMap<String, String>> =
            servers.iter().map(|s| (s.name.clone(), s.labels.0.clone())).collect();
        let overviews = overview::read(pool, now.timestamp_millis()).await?;
        let mut conn = pool.acquire().await?;
        let mut drift = HashMap::new();
        for report in drift_report::latest(&mut conn).await? {
            let newer =
                drift.get(&report.model).is_none_or(|known: &DriftReport| known.computed_at < report.computed_at);
            if newer {
                drift.insert(report.model.clone(), report);
            }
        }
        let cost = match wanted.cost {
            true => crate::cost::report::report(&mut conn, now - chrono::Duration::hours(1), now, Vec::new())
                .await?
                .models
                .into_iter()
                .filter_map(|m| Some(((m.server, m.model), m.per_thousand?)))
                .collect(),
            false => HashMap::new(),
        };
        let subject = |server: &str, model: Option<&str>| Subject {
            server: server.to_owned(),
            model: model.map(str::to_owned),
            labels: labels.get(server).cloned().unwrap_or_default(),
        };
        Ok(Facts {
            servers: servers.into_iter().map(|s| (subject(&s.name, None), s)).collect(),
            models: overviews.into_iter().map(|m| (subject(&m.server, Some(&m.model)), m)).collect(),
            drift,
            cost,
            performance: Arc::default(),
        })
    }

    /// The value of `signal` for every subject `scope` covers, with its objective under
    /// `condition`.
    pub fn samples(&self, signal: &Signal, condition: &Condition, scope: &Scope) -> Vec<Sample<'_>> {
        let covered = |subject: &Subject| scope.covers(subject.model.as_deref(), &subject.server, &subject.labels);
        if signal.is_about_servers() {
            return self
                .servers
                .iter()
                .filter(|(subject, _)| covered(subject))
                .map(|(subject, server)| {
                    let value = match server.health {
                        HealthState::Unknown => None,
                        HealthState::Down => Some(1.0),
                        HealthState::Up | HealthState::Degraded => Some(0.0),
                    };
                    Sample { subject, value, objective: None }
                })
                .collect();
        }
        self.models
            .iter()
            .filter(|(subject, _)| covered(subject))
            .map(|(subject, model)| {
                let drift = self.drift.get(&model.model);
                let performance = self.performance.get(&model.model);
                let value = match signal {
                    Signal::ServerDown => None,
                    Signal::RequestRate => model.rate,
                    Signal::ErrorShare => model.error_share,
                    Signal::P99Seconds => model.p99_s,
                    Signal::DriftShare => drift.map(|d| d.drifted_share),
                    Signal::DatasetDrift => drift.map(|d| f64::from(u8::from(d.dataset_drift))),
                    Signal::ColumnDrift { column } => drift
                        .and_then(|d| d.columns.iter().find(|c| &c.column == column))
                        .and_then(|c| c.test.as_ref())
                        .map(|test| test.statistic),
                    Signal::CostPerThousand => self.cost.get(&(model.server.clone(), model.model.clone())).copied(),
                    Signal::RealizedPerformance { metric } => performance.and_then(|p| p.newest_realized(*metric)),
                    Signal::EstimatedPerformance { metric } => performance.and_then(|p| p.newest_estimate(*metric)),
                    Signal::FeedbackLoop => {
                        performance.and_then(|p| p.feedback.as_ref()).map(|verdict| f64::from(u8::from(verdict.warn)))
                    }
                };
                let objective = match (condition, signal) {
                    (Condition::AboveObjective, Signal::ErrorShare) => Some(model.objectives.error_share.max),
                    (Condition::AboveObjective, Signal::P99Seconds) => Some(model.objectives.p99_s.max),
                    _ => None,
                };
                Sample { subject, value, objective }
            })
            .collect()
    }
}

/// The performance report of each of `models` that has logged predictions, by the hour over the
/// day before `now`.
pub async fn performance_reports(
    pool: &AnyPool,
    models: BTreeSet<&str>,
    now: DateTime<Utc>,
) -> Result<HashMap<String, PerformanceReport>> {
    let mut conn = pool.acquire().await?;
    let mut reports = HashMap::new();
    for model in models {
        if prediction_log::any(&mut conn, model).await? {
            let since = now - chrono::Duration::days(1);
            let report = performance_report::read(&mut conn, model, PerformanceWindow::Hour, since).await?;
            reports.insert(model.to_owned(), report);
        }
    }
    Ok(reports)
}
