//! Rollout plans: the ordered steps of traffic a candidate takes, the gates each measurement must
//! pass, how many failed measurements a rollout tolerates and what it does then. Stored per model
//! as JSON, importable as TOML or JSON, and checked when made: against common sense (weights rise,
//! the last step is 100 %) and against what the model's target can do.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::targets::Capabilities;
use crate::{Result, VigilError};

/// One step: the candidate's share of traffic and how long it must hold before the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The candidate's share, in whole percent; 100 promotes it.
    pub weight: u32,
    /// The least time the step lasts, in seconds, before the rollout may go on.
    #[serde(default)]
    #[ts(type = "number")]
    pub min_duration_s: u64,
    /// Whether people must approve before the rollout goes on from this step.
    #[serde(default)]
    pub approval: bool,
    /// Whether the candidate receives a copy of live traffic without serving its answers
    /// (its weight is then 0 and the target must mirror).
    #[serde(default)]
    pub shadow: bool,
}

/// What a gate measures, over the step so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The share of the candidate's requests that failed (0–1).
    ErrorShare,
    /// The candidate's p99 latency, in seconds (request-weighted mean over the step).
    P99S,
    /// The candidate's p50 latency, in seconds.
    P50S,
    /// The share of the model's features drifted in its latest drift report (0–1).
    DriftShare,
    /// Dollars per 1,000 successful predictions over the step (the cost report's arithmetic).
    CostPerThousand,
    /// The share of the golden set the candidate matched in its newest complete parity check
    /// (0–1); a gate with `min` ("parity ≥ 99.9 %") makes the check a precondition of the step.
    ParityShare,
}

impl Metric {
    pub fn words(self) -> &'static str {
        match self {
            Metric::ErrorShare => "error share",
            Metric::P99S => "p99 latency",
            Metric::P50S => "p50 latency",
            Metric::DriftShare => "drifted features",
            Metric::CostPerThousand => "cost per 1,000 predictions",
            Metric::ParityShare => "parity on the golden set",
        }
    }
}

/// One bound a measurement must keep: absolute (`max`), relative to the stable revision over
/// the same time (`max_vs_stable`: "p99 at most 1.2× stable"), or, for parity, a least share
/// (`min`: "parity at least 99.9 %").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    pub metric: Metric,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_vs_stable: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub min: Option<f64>,
}

/// What a rollout does when its gates failed `failure_limit` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    Rollback,
    Pause,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub gates: Vec<Gate>,
    /// The fewest candidate requests in a step below which a measurement is inconclusive rather
    /// than passed or failed (as Argo Rollouts' inconclusive results).
    #[serde(default = "default_min_requests")]
    #[ts(type = "number")]
    pub min_requests: u64,
    /// How many failed measurements the rollout tolerates; the next one fails it.
    #[serde(default = "default_failure_limit")]
    pub failure_limit: u32,
    #[serde(default = "default_on_failure")]
    pub on_failure: OnFailure,
}

fn default_min_requests() -> u64 {
    20
}
fn default_failure_limit() -> u32 {
    2
}
fn default_on_failure() -> OnFailure {
    OnFailure::Rollback
}

impl Default for Plan {
    /// 10 % → 25 % → 50 % → 100 %, two minutes each; the error share at most 5 % (not relative:
    /// a stable that fails nothing would allow nothing), p99 at most 1.5× stable; the third
    /// failed measurement rolls back.
    fn default() -> Self {
        let step = |weight| Step { weight, min_duration_s: 120, approval: false, shadow: false };
        Plan {
            steps: vec![step(10), step(25), step(50), step(100)],
            gates: vec![
                Gate { metric: Metric::ErrorShare, max: Some(0.05), max_vs_stable: None, min: None },
                Gate { metric: Metric::P99S, max: None, max_vs_stable: Some(1.5), min: None },
            ],
            min_requests: default_min_requests(),
            failure_limit: default_failure_limit(),
            on_failure: OnFailure::Rollback,
        }
    }
}

impl Plan {
    /// Reads a plan from TOML or JSON text (JSON when it starts with `{`).
    pub fn parse(text: &str) -> Result<Plan> {
        let plan: Plan = if text.trim_start().starts_with('{') {
            serde_json::from_str(text)
                .map_err(|err| VigilError::invalid("plan", format!("The plan is not valid JSON: {err}")))?
        } else {
            toml::from_str(text)
                .map_err(|err| VigilError::invalid("plan", format!("The plan is not valid TOML: {err}")))?
        };
        plan.validate(None)?;
        Ok(plan)
    }

    /// Checks the plan, and against `target`'s capabilities when known: weights rise to a last
    /// step of 100 %, bounds are positive, a weighted step needs a target that splits traffic and a
    /// shadow step one that mirrors.
    pub fn validate(&self, target: Option<(&str, Capabilities)>) -> Result<()> {
        let invalid = |message: String| Err(VigilError::invalid("plan", message));
        let Some(last) = self.steps.last() else { return invalid("A plan needs at least one step.".into()) };
        if last.weight != 100 || last.shadow {
            return invalid(format!(
                "The last step must send 100 % of traffic to the candidate, not {} %.",
                last.weight
            ));
        }
        if self.steps.len() > 20 {
            return invalid(format!("A plan has at most 20 steps, not {}.", self.steps.len()));
        }
        let mut previous = 0;
        for (index, step) in self.steps.iter().enumerate() {
            let number = index + 1;
            if step.weight > 100 || (step.weight < previous && !step.shadow) {
                return invalid(format!(
                    "Step {number}'s weight {} % must be at most 100 and not below the step before.",
                    step.weight
                ));
            }
            if step.shadow && step.weight != 0 {
                return invalid(format!(
                    "Step {number} is a shadow step: its weight must be 0 (the candidate's answers are not served)."
                ));
            }
            if step.min_duration_s > 7 * 86_400 {
                return invalid(format!("Step {number} lasts at most a week, not {} s.", step.min_duration_s));
            }
            previous = previous.max(step.weight);
        }
        for gate in &self.gates {
            let parity = gate.metric == Metric::ParityShare;
            if parity != gate.min.is_some() || (parity && (gate.max.is_some() || gate.max_vs_stable.is_some())) {
                return invalid(format!(
                    "The parity gate, and only it, takes min: the least share of golden rows that must match \
                     (e.g. min = 0.999); the {} gate does not.",
                    gate.metric.words()
                ));
            }
            if let Some(min) = gate.min {
                if !(0.0..=1.0).contains(&min) {
                    return invalid(format!("The parity gate's min is a share from 0 to 1, not {min}."));
                }
                continue;
            }
            let bounds = [gate.max, gate.max_vs_stable];
            if bounds.iter().all(Option::is_none) {
                return invalid(format!("The {} gate needs a bound: max or max_vs_stable.", gate.metric.words()));
            }
            if bounds.iter().flatten().any(|bound| !bound.is_finite() || *bound < 0.0) {
                return invalid(format!("The {} gate's bounds must be numbers of at least 0.", gate.metric.words()));
            }
            if gate.metric == Metric::DriftShare && gate.max_vs_stable.is_some() {
                return invalid(
                    "The drifted-features gate is about the model, not a revision: give it max only.".into(),
                );
            }
        }
        if self.failure_limit > 1000 {
            return invalid(format!("The failure limit is at most 1000, not {}.", self.failure_limit));
        }
        if let Some((kind, can)) = target {
            if let Some(step) = self.steps.iter().find(|s| s.weight > 0 && s.weight < 100) {
                if !can.weights {
                    return invalid(format!(
                        "The model's target ({kind}) can only switch versions, not share traffic by weight: \
                         a step of {} % cannot be made. Use steps of 100 % only.",
                        step.weight
                    ));
                }
            }
            if self.steps.iter().any(|s| s.shadow) && !can.mirror {
                return invalid(format!(
                    "The model's target ({kind}) cannot mirror traffic, so a shadow step cannot be made."
                ));
            }
        }
        Ok(())
    }

    /// The plan for a target that can only switch: the default's gates, one step of 100 %.
    pub fn switch_only(&self) -> Plan {
        let last = Step { weight: 100, min_duration_s: 0, approval: false, shadow: false };
        Plan { steps: vec![last], ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_plan_climbs_to_100_and_toml_and_json_read_the_same() {
        let plan = Plan::default();
        assert_eq!(plan.steps.iter().map(|s| s.weight).collect::<Vec<_>>(), vec![10, 25, 50, 100]);
        plan.validate(None).expect("valid");
        let toml = "failure_limit = 1\non_failure = \"pause\"\nsteps = [{ weight = 20, min_duration_s = 30 }, { weight = 100, approval = true }]\n\
                    gates = [{ metric = \"p99_s\", max_vs_stable = 1.2 }]\n";
        let from_toml = Plan::parse(toml).expect("toml");
        let from_json = Plan::parse(&serde_json::to_string(&from_toml).expect("json")).expect("json");
        assert_eq!(from_toml, from_json);
        assert_eq!(from_toml.on_failure, OnFailure::Pause);
        assert_eq!(from_toml.min_requests, 20, "left out: the default");
    }

    #[test]
    fn a_bad_plan_is_refused_naming_what_is_wrong() {
        let refused = |text: &str| Plan::parse(text).unwrap_err().to_string();
        assert!(refused(r#"{"steps":[{"weight":50}],"gates":[]}"#).contains("last step must send 100 %"));
        assert!(refused(r#"{"steps":[{"weight":50},{"weight":20},{"weight":100}],"gates":[]}"#).contains("Step 2"));
        assert!(refused(r#"{"steps":[{"weight":100}],"gates":[{"metric":"p99_s"}]}"#).contains("needs a bound"));
        assert!(refused(r#"{"steps":[{"weight":100}],"gates":[],"colour":1}"#).contains("unknown field `colour`"));
        assert!(refused("steps = 3").contains("not valid TOML"));
    }

    #[test]
    fn a_weighted_step_on_a_target_that_can_only_switch_is_refused_with_the_reason() {
        let switch = Capabilities { weights: false, switch: true, mirror: false };
        let refused = Plan::default().validate(Some(("MLflow alias", switch))).unwrap_err().to_string();
        assert!(refused.contains("can only switch versions") && refused.contains("10 %"), "{refused}");
        Plan::default().switch_only().validate(Some(("MLflow alias", switch))).expect("one step of 100 % is fine");
    }
}
