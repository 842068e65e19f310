//! Scenarios: named, combinable situations the fleet plays out, each from a fixed seed so a
//! test sees the same thing every run.
//!
//! | name | what happens |
//! |---|---|
//! | `healthy` | nothing goes wrong: the baseline (combined with others it adds nothing) |
//! | `drift` | from `drift.at` on, traffic's inputs shift: fraud `amount` and `distance_from_home_km` move up and spread, `merchant_category` leans to electronics and gaming, `channel` to online; churn `monthly_charges` rises, `contract` leans month-to-month; price `living_area_m2` falls, `neighbourhood` leans to the centre; and the truth shifts with them ([`concept_shift`]), so the labels sent show the served models wrong more often |
//! | `bad-canary` | fraud version 13 fails `bad_canary.error_rate` of inferences and a `tail_share` of them take `tail_min`–`tail_max` longer (higher p99) |
//! | `outage` | server `outage.server` stops answering (its port closes) at `outage.at` for `outage.lasting`, then comes back with fresh counters, as a restarted server does |
//! | `slow` | server `slow.server` answers everything `slow.delay` late; its inferences take that much longer in the model, where its latency metrics see it |
//! | `feedback-loop` | the fraud server also hosts `recs` 1, 2 and 3, a click classifier each revision of which was retrained on the clicks its predecessor's recommendations allowed (`feedback`); revision 1 takes all of recs' traffic, 2 after `feedback_loop.every`, 3 after twice that; its predictions narrow from revision to revision, and the labels sent for them follow what was recommended |

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::FleetConfig;
use crate::models::{churn_logit, effect, fraud_logit, num, price_mean, Truth};
use crate::schema::{Drift, Row};
use crate::server::VersionFaults;

/// One named scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    Healthy,
    Drift,
    BadCanary,
    Outage,
    Slow,
    FeedbackLoop,
}

impl Scenario {
    pub const ALL: [Scenario; 6] = [
        Scenario::Healthy,
        Scenario::Drift,
        Scenario::BadCanary,
        Scenario::Outage,
        Scenario::Slow,
        Scenario::FeedbackLoop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::Drift => "drift",
            Scenario::BadCanary => "bad-canary",
            Scenario::Outage => "outage",
            Scenario::Slow => "slow",
            Scenario::FeedbackLoop => "feedback-loop",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(name: &str) -> Result<Scenario, String> {
        let name = name.trim().to_ascii_lowercase();
        Scenario::ALL.into_iter().find(|s| s.as_str() == name).ok_or_else(|| {
            let valid: Vec<&str> = Scenario::ALL.iter().map(|s| s.as_str()).collect();
            format!("there is no scenario '{name}': use one or more of {}, separated by commas", valid.join(", "))
        })
    }
}

/// What `config`'s scenarios do to one model version on server `server`.
pub fn version_faults(config: &FleetConfig, server: &str, model: &str, version: &str) -> VersionFaults {
    let mut faults = VersionFaults::default();
    if config.has(Scenario::BadCanary) && model == "fraud" && version == "13" {
        let canary = &config.bad_canary;
        faults.error_rate = canary.error_rate;
        faults.tail_share = canary.tail_share;
        faults.tail = (canary.tail_min, canary.tail_max);
    }
    if config.has(Scenario::Slow) && config.slow.server == server {
        faults.extra = config.slow.delay;
    }
    faults
}

/// How long server `server` waits before every answer.
pub fn answer_delay(config: &FleetConfig, server: &str) -> Duration {
    if config.has(Scenario::Slow) && config.slow.server == server {
        config.slow.delay
    } else {
        Duration::ZERO
    }
}

/// How the `drift` scenario shifts the inputs of `model`.
pub fn drifts(model: &str) -> Vec<Drift> {
    let numeric = |feature, shift, spread| Drift::Numeric { feature, shift, spread };
    match model {
        "fraud" => vec![
            numeric("amount", 0.8, 1.4),
            numeric("distance_from_home_km", 0.7, 1.3),
            Drift::Mix { feature: "merchant_category", weights: vec![("electronics", 0.30), ("gaming", 0.20)] },
            Drift::Mix { feature: "channel", weights: vec![("in_store", 0.25), ("online", 0.65)] },
        ],
        "churn" => vec![
            numeric("monthly_charges", 0.9, 1.2),
            Drift::Mix { feature: "contract", weights: vec![("month_to_month", 0.80), ("two_year", 0.05)] },
        ],
        "price" => vec![
            numeric("living_area_m2", -0.8, 0.7),
            Drift::Mix { feature: "neighbourhood", weights: vec![("centre", 0.45), ("suburbs", 0.05)] },
        ],
        _ => Vec::new(),
    }
}

/// The truth of `model`'s rows once the `drift` scenario starts: the concept shifts with the
/// inputs, so that the served model, trained before, is wrong more often.
///
/// - fraud: fraudsters change tactics. Large payments far from home, online, are now mostly
///   travellers (their effects are reversed), and small in-store payments at grocers and
///   restaurants are where fraud is; the share of fraud doubles.
/// - churn: a competitor's offer: price no longer drives cancellations, heavy data users and
///   one-year contracts leave, and more subscribers leave overall.
/// - price: the market rises: every flat sells for a fifth more, and centre flats for 60 k€ more.
pub fn concept_shift(truth: Truth, model: &str) -> Truth {
    match model {
        "fraud" => Truth::Class { logit: shifted_fraud_logit },
        "churn" => Truth::Class { logit: shifted_churn_logit },
        "price" => match truth {
            Truth::Value { noise, .. } => Truth::Value { mean: shifted_price_mean, noise },
            Truth::Class { .. } => truth,
        },
        _ => truth,
    }
}

fn shifted_fraud_logit(row: &Row) -> f64 {
    let reversed =
        0.9 * (num(row, 0) / 45.0).ln() + 0.45 * (num(row, 2) / 8.0).ln() + effect(row, 5, &[-0.4, 0.8, 0.5]);
    fraud_logit(row) - 2.0 * reversed + 0.7 + effect(row, 4, &[1.6, 1.2, 0.0, -0.9, -0.6, -1.1, 0.0])
}

fn shifted_churn_logit(row: &Row) -> f64 {
    churn_logit(row) - 0.025 * (num(row, 1) - 70.0)
        + 0.9 * (num(row, 3) / 12.0).ln()
        + 0.5
        + effect(row, 4, &[-0.9, 1.4, 0.0])
}

fn shifted_price_mean(row: &Row) -> f64 {
    1.2 * price_mean(row) + effect(row, 4, &[60.0, 0.0, 0.0, 0.0, 0.0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{catalog, fraud_schema};
    use crate::rng::Rng;
    use crate::schema::FeatureValue;

    fn config(scenarios: &[Scenario]) -> FleetConfig {
        FleetConfig { scenarios: scenarios.to_vec(), ..FleetConfig::default() }
    }

    #[test]
    fn scenarios_parse_by_name_and_a_wrong_name_lists_the_right_ones() {
        assert_eq!("bad-canary".parse(), Ok(Scenario::BadCanary));
        assert_eq!(" Drift ".parse(), Ok(Scenario::Drift));
        let err = "chaos".parse::<Scenario>().unwrap_err();
        assert!(
            err.contains("'chaos'") && err.contains("healthy, drift, bad-canary, outage, slow, feedback-loop"),
            "{err}"
        );
    }

    #[test]
    fn bad_canary_fails_and_slows_only_fraud_13() {
        let config = config(&[Scenario::BadCanary]);
        let canary = version_faults(&config, "fraud", "fraud", "13");
        assert!(canary.error_rate > 0.0 && canary.tail_share > 0.0 && canary.tail.0 > Duration::ZERO);
        assert_eq!(version_faults(&config, "fraud", "fraud", "12"), VersionFaults::default());
        assert_eq!(version_faults(&FleetConfig::default(), "fraud", "fraud", "13"), VersionFaults::default());
    }

    #[test]
    fn scenarios_combine_and_slow_targets_its_server_only() {
        let config = config(&[Scenario::BadCanary, Scenario::Slow]);
        let slow = config.slow.server.clone();
        assert_eq!(answer_delay(&config, &slow), config.slow.delay);
        assert_eq!(answer_delay(&config, "fraud"), Duration::ZERO);
        assert_eq!(version_faults(&config, &slow, "churn", "v3").extra, config.slow.delay);
        assert!(version_faults(&config, "fraud", "fraud", "13").error_rate > 0.0, "bad-canary still applies");
    }

    /// How wrong `model` is on 20,000 rows of `schema` labelled by `truth`: the share of wrong
    /// labels for a classifier, the mean absolute error for a regressor.
    fn error(model: &crate::models::Model, schema: &crate::schema::Schema, truth: Truth) -> f64 {
        let mut rng = Rng::new(9);
        let rows: Vec<_> = (0..20_000).map(|_| schema.sample(&mut rng)).collect();
        let scores = model.score(&rows);
        let errors = rows.iter().zip(&scores).map(|(row, score)| match (truth, truth.draw(row, &mut rng)) {
            (Truth::Class { .. }, label) => f64::from(u8::from((*score >= 0.5) != (label > 0.5))),
            (Truth::Value { .. }, value) => (score - value).abs(),
        });
        errors.sum::<f64>() / rows.len() as f64
    }

    #[test]
    fn under_drift_the_truth_shifts_and_every_served_model_is_wrong_more_often() {
        for spec in catalog() {
            let model = spec.train(42).expect("trains");
            let drifted = spec.schema.drifted(&drifts(spec.name));
            let before = error(&model, &spec.schema, spec.truth);
            let after = error(&model, &drifted, concept_shift(spec.truth, spec.name));
            // Seed 42: fraud 0.08 → 0.24 wrong, churn 0.24 → 0.40, price MAE 20 → 84 k€.
            match spec.truth {
                Truth::Class { .. } => {
                    assert!(after > before + 0.1, "{} {}: {before} → {after}", spec.name, spec.version)
                }
                Truth::Value { .. } => assert!(after > 2.0 * before, "{}: MAE {before} → {after}", spec.name),
            }
        }
    }

    #[test]
    fn drift_names_real_features_and_moves_their_distributions() {
        for spec in catalog() {
            let names: Vec<&str> = spec.schema.features.iter().map(|f| f.name).collect();
            let drifts = drifts(spec.name);
            assert!(!drifts.is_empty(), "{} drifts", spec.name);
            for drift in &drifts {
                let (Drift::Numeric { feature, .. } | Drift::Mix { feature, .. }) = drift;
                assert!(names.contains(feature), "{} has no {feature}", spec.name);
            }
        }
        let (schema, drifted) = (fraud_schema(), fraud_schema().drifted(&drifts("fraud")));
        let online_share = |schema: &crate::schema::Schema| {
            let mut rng = Rng::new(5);
            let online = (0..10_000).filter(|_| schema.sample(&mut rng)[5] == FeatureValue::Category(1)).count();
            online as f64 / 10_000.0
        };
        assert!(online_share(&drifted) > online_share(&schema) + 0.2);
    }
}
