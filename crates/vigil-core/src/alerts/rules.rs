//! Alert rules: what a rule watches (a signal), when it is breached (a condition: above or below
//! a bound, over the model's objective, or away from the subject's own seasonal baseline), for
//! how long before it fires, how long it keeps firing after the breach ends, how bad it is, and
//! which subjects it covers. [`RuleDraft::check`] is the one validation a rule passes, whether it
//! comes from the window, the CLI or the built-in defaults ([`defaults`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::performance::report::{CbpeMetric, PerformanceMetric};
use crate::{Result, VigilError};

/// The longest rule name.
pub const MAX_NAME_LEN: usize = 80;
/// The longest `for` or `keep_firing_for`: a week.
pub const MAX_DURATION_SECS: u64 = 7 * 86_400;

/// A stored signal a rule can watch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "name")]
pub enum Signal {
    /// Whether a server is down (1) or answering (0).
    ServerDown,
    /// A model's requests a second, every revision added up.
    RequestRate,
    /// The failed share of a model's requests, 0–1.
    ErrorShare,
    /// A model's worst p99 latency, seconds.
    P99Seconds,
    /// The share of a model's features that drifted in its latest drift report, 0–1.
    DriftShare,
    /// Whether the latest drift report found dataset drift (1) or not (0).
    DatasetDrift,
    /// One column's drift statistic in the latest drift report (its test's own scale).
    ColumnDrift { column: String },
    /// A model's serving cost per 1,000 successful predictions, dollars.
    CostPerThousand,
    /// A realized performance figure of the model's newest revision, from its newest hour whose
    /// figures rest on enough labelled predictions (`performance::report::MIN_FOR_ALERTS`).
    RealizedPerformance { metric: PerformanceMetric },
    /// CBPE's estimate of a figure of the model's newest revision in its newest hour, before
    /// labels come (a binary classifier with a labelled reference).
    EstimatedPerformance { metric: CbpeMetric },
    /// Whether the model's revisions show a feedback loop (1) or not (0).
    FeedbackLoop,
}

impl Signal {
    /// Signals that are true or false (1 or 0): the only condition they take is [`Condition::Holds`].
    pub fn is_yes_no(&self) -> bool {
        matches!(self, Signal::ServerDown | Signal::DatasetDrift | Signal::FeedbackLoop)
    }

    /// What it is in words, for sentences: "error share", "p99 latency".
    pub fn words(&self) -> String {
        match self {
            Signal::ServerDown => "server down".into(),
            Signal::RequestRate => "traffic".into(),
            Signal::ErrorShare => "error share".into(),
            Signal::P99Seconds => "p99 latency".into(),
            Signal::DriftShare => "drifted share of features".into(),
            Signal::DatasetDrift => "dataset drift".into(),
            Signal::ColumnDrift { column } => format!("drift of {column}"),
            Signal::CostPerThousand => "cost per 1,000 predictions".into(),
            Signal::RealizedPerformance { metric } => format!("realized {}", metric.label()),
            Signal::EstimatedPerformance { metric } => format!("estimated {}", metric.label()),
            Signal::FeedbackLoop => "feedback loop".into(),
        }
    }

    /// A value of this signal in its unit: "4.2 %", "310 ms", "12.5 req/s", "$0.84".
    pub fn show(&self, value: f64) -> String {
        match self {
            Signal::ServerDown | Signal::DatasetDrift | Signal::FeedbackLoop => {
                (if value >= 0.5 { "yes" } else { "no" }).into()
            }
            Signal::ErrorShare | Signal::DriftShare => format!("{:.1} %", value * 100.0),
            Signal::P99Seconds => format!("{:.0} ms", value * 1000.0),
            // The no-traffic default's 0.001 would read as "0.00".
            Signal::RequestRate if value != 0.0 && value.abs() < 0.1 => format!("{value:.3} req/s"),
            Signal::RequestRate => format!("{value:.2} req/s"),
            Signal::ColumnDrift { .. } | Signal::RealizedPerformance { .. } | Signal::EstimatedPerformance { .. } => {
                format!("{value:.3}")
            }
            Signal::CostPerThousand => format!("${value:.2}"),
        }
    }

    /// Whether the subject of this signal is a server (else a model on a server).
    pub fn is_about_servers(&self) -> bool {
        matches!(self, Signal::ServerDown)
    }

    /// Whether a seasonal baseline can be learnt for it from stored history.
    pub fn has_history(&self) -> bool {
        matches!(self, Signal::RequestRate | Signal::ErrorShare | Signal::P99Seconds)
    }

    /// Whether judging it reads the models' performance reports.
    pub fn reads_performance(&self) -> bool {
        matches!(self, Signal::RealizedPerformance { .. } | Signal::EstimatedPerformance { .. } | Signal::FeedbackLoop)
    }
}

/// When a rule's signal is breached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Condition {
    /// The signal is true (server down, dataset drift).
    Holds,
    Above {
        bound: f64,
    },
    Below {
        bound: f64,
    },
    /// Above the model's objective for the signal (error share or p99).
    AboveObjective,
    /// More than `factor` times the subject's own level: its slow moving average (a day's
    /// half-life) of the values seen before, so a jump stands out and a lasting change becomes
    /// the new level.
    Rises {
        factor: f64,
    },
    /// Further than `k` robust spreads from the subject's own seasonal baseline (same hour of the
    /// week, or of the day while fewer weeks are known), either way.
    Anomaly {
        k: f64,
    },
}

/// Which subjects a rule covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Scope {
    Fleet,
    Model {
        model: String,
    },
    Server {
        server: String,
    },
    /// Servers (and their models) carrying every one of these labels.
    Labels {
        labels: BTreeMap<String, String>,
    },
}

impl Scope {
    /// Whether a subject (its model, server and labels) is covered.
    pub fn covers(&self, model: Option<&str>, server: &str, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Scope::Fleet => true,
            Scope::Model { model: wanted } => model == Some(wanted.as_str()),
            Scope::Server { server: wanted } => server == wanted,
            Scope::Labels { labels: wanted } => wanted.iter().all(|(key, value)| labels.get(key) == Some(value)),
        }
    }
}

/// How bad it is when a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

crate::store::values::text_column!(Severity);

impl Severity {
    pub fn key(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A rule as a person writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RuleDraft {
    pub name: String,
    pub signal: Signal,
    pub condition: Condition,
    /// How long the breach must hold before the alert fires, seconds.
    #[ts(type = "number")]
    pub for_secs: u64,
    /// How long a firing alert stays firing after the breach ends, seconds.
    #[ts(type = "number")]
    pub keep_firing_secs: u64,
    pub severity: Severity,
    pub scope: Scope,
    /// A link to what to do, carried by every notification of this rule.
    pub runbook: Option<String>,
    pub enabled: bool,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AlertRule {
    #[ts(type = "number")]
    pub id: i64,
    #[serde(flatten)]
    pub draft: RuleDraft,
    /// One of the defaults Vigil ships (editable).
    pub builtin: bool,
    /// The rule in one sentence: "error share above the model's objective for 5 min".
    pub summary: String,
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

impl RuleDraft {
    /// The draft as stored: trimmed, or an error naming the field that is wrong and what to do.
    pub fn check(mut self) -> Result<RuleDraft> {
        let invalid = |field: &'static str, message: String| VigilError::invalid(field, message);
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > MAX_NAME_LEN {
            return Err(invalid("name", format!("a rule needs a name of 1 to {MAX_NAME_LEN} characters")));
        }
        match (&self.signal, self.condition) {
            (signal, Condition::Holds) if !signal.is_yes_no() => {
                return Err(invalid(
                    "condition",
                    format!("{} is a figure: use above, below or anomaly", signal.words()),
                ))
            }
            (signal, Condition::Holds) if signal.is_yes_no() => {}
            (signal, _) if signal.is_yes_no() => {
                return Err(invalid("condition", format!("{} is yes or no: use holds", signal.words())))
            }
            (Signal::ErrorShare | Signal::P99Seconds, Condition::AboveObjective) => {}
            (signal, Condition::AboveObjective) => {
                return Err(invalid(
                    "condition",
                    format!("{} has no objective: only error share and p99 latency do", signal.words()),
                ))
            }
            (signal, Condition::Anomaly { .. }) if !signal.has_history() => {
                return Err(invalid(
                    "condition",
                    format!(
                        "{} has no seasonal history: anomaly works on traffic, error share and p99",
                        signal.words()
                    ),
                ))
            }
            (_, Condition::Anomaly { k }) if !(k.is_finite() && (1.0..=20.0).contains(&k)) => {
                return Err(invalid("condition", format!("k is {k}: give a number of spreads from 1 to 20")))
            }
            (_, Condition::Rises { factor }) if !(factor.is_finite() && factor > 1.0) => {
                return Err(invalid("condition", format!("the factor is {factor}: give a number above 1, e.g. 1.5")))
            }
            (_, Condition::Above { bound } | Condition::Below { bound }) if !bound.is_finite() => {
                return Err(invalid("condition", "the bound must be a number".into()))
            }
            _ => {}
        }
        if let Signal::ColumnDrift { column } = &mut self.signal {
            *column = column.trim().to_owned();
            if column.is_empty() {
                return Err(invalid("signal", "name the column whose drift the rule watches".into()));
            }
        }
        for (field, secs) in [("for_secs", self.for_secs), ("keep_firing_secs", self.keep_firing_secs)] {
            if secs > MAX_DURATION_SECS {
                return Err(invalid(
                    field,
                    format!("{secs} s is longer than a week: give at most {MAX_DURATION_SECS}"),
                ));
            }
        }
        match &mut self.scope {
            Scope::Model { model: name } | Scope::Server { server: name } => {
                *name = name.trim().to_owned();
                if name.is_empty() {
                    return Err(invalid("scope", "name the model or server the rule covers".into()));
                }
            }
            Scope::Labels { labels } if labels.is_empty() => {
                return Err(invalid("scope", "give at least one label, e.g. team=payments".into()))
            }
            _ => {}
        }
        if let Some(runbook) = &self.runbook {
            let runbook = runbook.trim();
            if !runbook.is_empty() && url::Url::parse(runbook).is_err() {
                return Err(invalid(
                    "runbook",
                    format!("{runbook:?} is not a link: give a full URL such as https://…"),
                ));
            }
            self.runbook = Some(runbook.to_owned()).filter(|r| !r.is_empty());
        }
        Ok(self)
    }

    /// The rule in one sentence.
    pub fn summary(&self) -> String {
        let what = self.signal.words();
        let condition = match self.condition {
            Condition::Holds => what,
            Condition::Above { bound } => format!("{what} above {}", self.signal.show(bound)),
            Condition::Below { bound } => format!("{what} below {}", self.signal.show(bound)),
            Condition::AboveObjective => format!("{what} above the model's objective"),
            Condition::Rises { factor } => format!("{what} above {factor}× its usual level"),
            Condition::Anomaly { k } => format!("{what} unusual for the hour ({k} spreads from its seasonal median)"),
        };
        let held = match self.for_secs {
            0 => String::new(),
            secs => format!(" for {}", duration_words(secs)),
        };
        let scope = match &self.scope {
            Scope::Fleet => "anywhere in the fleet".to_owned(),
            Scope::Model { model } => format!("on model {model}"),
            Scope::Server { server } => format!("on server {server}"),
            Scope::Labels { labels } => {
                let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("where {}", labels.join(", "))
            }
        };
        format!("{condition}{held}, {scope}")
    }
}

/// "90 s", "5 min", "2 h".
pub fn duration_words(secs: u64) -> String {
    match secs {
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// The rules Vigil ships, put in once per database and editable: server down, error share and
/// p99 over the model's objective, dataset drift, no traffic, a jump in cost per prediction
/// (half as much again as its usual level, for an hour), and a feedback loop.
pub fn defaults() -> Vec<RuleDraft> {
    let rule = |name: &str, signal, condition, for_secs, severity| RuleDraft {
        name: name.into(),
        signal,
        condition,
        for_secs,
        keep_firing_secs: 300,
        severity,
        scope: Scope::Fleet,
        runbook: None,
        enabled: true,
    };
    vec![
        rule("server down", Signal::ServerDown, Condition::Holds, 60, Severity::Critical),
        rule("error share over objective", Signal::ErrorShare, Condition::AboveObjective, 300, Severity::Warning),
        rule("p99 over objective", Signal::P99Seconds, Condition::AboveObjective, 300, Severity::Warning),
        rule("dataset drift", Signal::DatasetDrift, Condition::Holds, 0, Severity::Warning),
        rule("no traffic", Signal::RequestRate, Condition::Below { bound: 0.001 }, 600, Severity::Warning),
        rule("cost jump", Signal::CostPerThousand, Condition::Rises { factor: 1.5 }, 3600, Severity::Info),
        rule("feedback loop", Signal::FeedbackLoop, Condition::Holds, 0, Severity::Warning),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_passes_the_check_a_person_s_rule_passes() {
        for rule in defaults() {
            let name = rule.name.clone();
            assert_eq!(rule.clone().check().unwrap(), rule, "{name}");
        }
    }

    #[test]
    fn a_wrong_rule_is_refused_naming_the_field_and_what_to_do() {
        let base = defaults().remove(1);
        let refuse = |draft: RuleDraft| match draft.check() {
            Err(VigilError::InvalidInput { field, message }) => (field.to_owned(), message),
            other => panic!("accepted: {other:?}"),
        };
        let (field, message) = refuse(RuleDraft { condition: Condition::Holds, ..base.clone() });
        assert_eq!(field, "condition");
        assert!(message.contains("is a figure"), "{message}");
        let (field, message) = refuse(RuleDraft { signal: Signal::DriftShare, ..base.clone() });
        assert!(message.contains("no objective"), "{field}: {message}");
        let (field, _) = refuse(RuleDraft { for_secs: 8 * 86_400, ..base.clone() });
        assert_eq!(field, "for_secs");
        let (field, message) = refuse(RuleDraft { runbook: Some("wiki page".into()), ..base.clone() });
        assert_eq!((field.as_str(), message.contains("not a link")), ("runbook", true));
        let (_, message) =
            refuse(RuleDraft { signal: Signal::DriftShare, condition: Condition::Anomaly { k: 4.0 }, ..base.clone() });
        assert!(message.contains("no seasonal history"), "{message}");
        let estimated = Signal::EstimatedPerformance { metric: CbpeMetric::RocAuc };
        let (_, message) =
            refuse(RuleDraft { signal: estimated.clone(), condition: Condition::Anomaly { k: 3.0 }, ..base.clone() });
        assert!(message.starts_with("estimated ROC AUC has no seasonal history"), "{message}");
        let (_, message) = refuse(RuleDraft { signal: Signal::FeedbackLoop, ..base.clone() });
        assert_eq!(message, "feedback loop is yes or no: use holds");
        let watched = RuleDraft { signal: estimated, condition: Condition::Below { bound: 0.7 }, ..base };
        assert_eq!(
            watched.check().unwrap().summary(),
            "estimated ROC AUC below 0.700 for 5 min, anywhere in the fleet"
        );
    }

    #[test]
    fn a_rule_reads_as_one_sentence() {
        let rules = defaults();
        assert_eq!(rules[1].summary(), "error share above the model's objective for 5 min, anywhere in the fleet");
        let no_traffic = rules.iter().find(|rule| rule.name == "no traffic").unwrap();
        assert_eq!(no_traffic.summary(), "traffic below 0.001 req/s for 10 min, anywhere in the fleet");
        let traffic = RuleDraft {
            condition: Condition::Below { bound: 0.5 },
            scope: Scope::Labels { labels: BTreeMap::from([("team".into(), "payments".into())]) },
            ..rules[4].clone()
        };
        assert_eq!(traffic.summary(), "traffic below 0.50 req/s for 10 min, where team=payments");
    }

    #[test]
    fn a_scope_covers_a_model_a_server_or_labels() {
        let labels = BTreeMap::from([("team".to_owned(), "payments".to_owned())]);
        assert!(Scope::Fleet.covers(None, "a", &BTreeMap::new()));
        assert!(Scope::Model { model: "fraud".into() }.covers(Some("fraud"), "a", &labels));
        assert!(!Scope::Model { model: "fraud".into() }.covers(None, "fraud", &labels));
        assert!(Scope::Labels { labels: labels.clone() }.covers(Some("x"), "a", &labels));
        assert!(!Scope::Labels { labels }.covers(Some("x"), "a", &BTreeMap::new()));
    }
}
