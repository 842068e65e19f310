//! How a fleet is set up: seed, scenarios, ports, payload logging and labels, traffic, and each scenario's
//! knobs. Read from a TOML file (every field optional, see the README), overridden by flags.
//! Durations are written `400ms`, `90s`, `2m`, `1h`.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::scenario::Scenario;

/// The servers a fleet runs, by name (see `fleet`).
pub const SERVER_NAMES: [&str; 3] = ["fraud", "churn", "pricing"];

/// Everything a fleet is started with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FleetConfig {
    /// Every random draw (training data, traffic, routing, faults) follows from it.
    pub seed: u64,
    pub scenarios: Vec<Scenario>,
    /// Servers listen on consecutive ports from here (fraud, churn, pricing, then the router);
    /// None: any free ports.
    pub port_base: Option<u16>,
    /// Where servers post each inference as CloudEvents; None: no payload logging.
    pub log_url: Option<url::Url>,
    /// Share of fraud traffic the router sends to version 13 at start, in percent.
    pub canary_percent: u32,
    pub traffic: TrafficConfig,
    pub drift: DriftConfig,
    pub bad_canary: BadCanaryConfig,
    pub outage: OutageConfig,
    pub slow: SlowConfig,
    pub labels: LabelsConfig,
    pub feedback_loop: FeedbackLoopConfig,
}

/// The traffic generator.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrafficConfig {
    pub enabled: bool,
    /// Requests per second at the busiest hour of the day.
    pub peak_rps: f64,
    /// How long one compressed day lasts.
    #[serde(deserialize_with = "duration")]
    pub day: Duration,
    /// The hour of the day the fleet starts at.
    pub start_hour: f64,
    /// Stop after this many requests; None: until the fleet stops.
    pub max_requests: Option<u64>,
    /// Share of requests sent deliberately wrong (an input missing), answered with errors.
    pub invalid_share: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftConfig {
    /// When inputs start to drift, from the fleet's start.
    #[serde(deserialize_with = "duration")]
    pub at: Duration,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BadCanaryConfig {
    /// Share of fraud 13's inferences that fail.
    pub error_rate: f64,
    /// Share of fraud 13's inferences that take `tail_min`–`tail_max` longer.
    pub tail_share: f64,
    #[serde(deserialize_with = "duration")]
    pub tail_min: Duration,
    #[serde(deserialize_with = "duration")]
    pub tail_max: Duration,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutageConfig {
    pub server: String,
    /// When it stops answering, from the fleet's start, and for how long.
    #[serde(deserialize_with = "duration")]
    pub at: Duration,
    #[serde(deserialize_with = "duration")]
    pub lasting: Duration,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlowConfig {
    pub server: String,
    /// Added to every answer.
    #[serde(deserialize_with = "duration")]
    pub delay: Duration,
}

/// The ground truth the traffic's inferences get later, posted to the labels endpoint next to
/// `log_url` (see `labels`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelsConfig {
    /// Send labels (when `log_url` is set).
    pub enabled: bool,
    /// How long after its inference a label is posted.
    #[serde(deserialize_with = "duration")]
    pub delay: Duration,
    /// Share of labels that come late instead, after `late_delay`.
    pub late_share: f64,
    #[serde(deserialize_with = "duration")]
    pub late_delay: Duration,
}

/// The `feedback-loop` scenario.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedbackLoopConfig {
    /// Share of the items `recs` does not recommend that shoppers never see (and so never
    /// click); 0 is the negative control, every revision trained on uninfluenced labels.
    pub influence: f64,
    /// How long each revision of `recs` serves before the next takes all its traffic.
    #[serde(deserialize_with = "duration")]
    pub every: Duration,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            seed: 42,
            scenarios: vec![Scenario::Healthy],
            port_base: None,
            log_url: None,
            canary_percent: 10,
            traffic: TrafficConfig::default(),
            drift: DriftConfig { at: Duration::from_secs(120) },
            bad_canary: BadCanaryConfig::default(),
            outage: OutageConfig::default(),
            slow: SlowConfig::default(),
            labels: LabelsConfig::default(),
            feedback_loop: FeedbackLoopConfig::default(),
        }
    }
}

impl Default for LabelsConfig {
    fn default() -> Self {
        LabelsConfig {
            enabled: true,
            delay: Duration::from_secs(75),
            late_share: 0.1,
            late_delay: Duration::from_secs(600),
        }
    }
}

impl Default for FeedbackLoopConfig {
    fn default() -> Self {
        FeedbackLoopConfig { influence: 0.9, every: Duration::from_secs(180) }
    }
}

impl Default for TrafficConfig {
    fn default() -> Self {
        TrafficConfig {
            enabled: true,
            peak_rps: 40.0,
            day: Duration::from_secs(600),
            start_hour: 9.0,
            max_requests: None,
            invalid_share: 0.005,
        }
    }
}

impl Default for DriftConfig {
    fn default() -> Self {
        FleetConfig::default().drift
    }
}

impl Default for BadCanaryConfig {
    fn default() -> Self {
        BadCanaryConfig {
            error_rate: 0.08,
            tail_share: 0.15,
            tail_min: Duration::from_millis(150),
            tail_max: Duration::from_millis(400),
        }
    }
}

impl Default for OutageConfig {
    fn default() -> Self {
        OutageConfig { server: "pricing".into(), at: Duration::from_secs(60), lasting: Duration::from_secs(60) }
    }
}

impl Default for SlowConfig {
    fn default() -> Self {
        SlowConfig { server: "churn".into(), delay: Duration::from_millis(250) }
    }
}

impl FleetConfig {
    /// Reads a TOML file; the error names the file and what is wrong in it.
    pub fn from_file(path: &Path) -> Result<FleetConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        toml::from_str(&text).map_err(|err| format!("{} is not a valid fleet configuration: {err}", path.display()))
    }

    /// Whether `scenario` is on.
    pub fn has(&self, scenario: Scenario) -> bool {
        self.scenarios.contains(&scenario)
    }

    /// Checks what a file or flags cannot check by type; the error says which setting is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let share = |name: &str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(format!("{name} is a share between 0 and 1, not {value}"))
            }
        };
        share("traffic.invalid_share", self.traffic.invalid_share)?;
        share("bad_canary.error_rate", self.bad_canary.error_rate)?;
        share("bad_canary.tail_share", self.bad_canary.tail_share)?;
        share("labels.late_share", self.labels.late_share)?;
        share("feedback_loop.influence", self.feedback_loop.influence)?;
        if self.canary_percent > 100 {
            return Err(format!("canary_percent is 0 to 100, not {}", self.canary_percent));
        }
        if !(self.traffic.peak_rps > 0.0 && self.traffic.peak_rps <= 5_000.0) {
            return Err(format!("traffic.peak_rps is above 0 and at most 5000, not {}", self.traffic.peak_rps));
        }
        if self.traffic.day < Duration::from_secs(1) {
            return Err("traffic.day lasts at least 1s".into());
        }
        if self.feedback_loop.every < Duration::from_secs(1) {
            return Err("feedback_loop.every lasts at least 1s".into());
        }
        if self.bad_canary.tail_min > self.bad_canary.tail_max {
            return Err("bad_canary.tail_min is longer than bad_canary.tail_max".into());
        }
        for (setting, server) in [("outage.server", &self.outage.server), ("slow.server", &self.slow.server)] {
            if !SERVER_NAMES.contains(&server.as_str()) {
                return Err(format!(
                    "{setting} '{server}' is not a fleet server: use one of {}",
                    SERVER_NAMES.join(", ")
                ));
            }
        }
        if let Some(base) = self.port_base {
            if base.checked_add(SERVER_NAMES.len() as u16).is_none() || base < 1024 {
                return Err(format!("port_base {base} leaves no room for 4 ports between 1024 and 65535"));
            }
        }
        Ok(())
    }
}

/// Parses `400ms`, `90s`, `2m`, `1h` (or a bare number of seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 =
        number.parse().map_err(|_| format!("'{text}' is not a duration: write e.g. 400ms, 90s, 2m, 1h"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        other => return Err(format!("'{other}' is not a unit of time: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("'{text}' is not a duration Vigil can wait"))
}

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_units() {
        assert_eq!(parse_duration("400ms"), Ok(Duration::from_millis(400)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("soon").unwrap_err().contains("not a duration"));
        assert!(parse_duration("3d").unwrap_err().contains("'d' is not a unit"));
    }

    #[test]
    fn a_toml_file_sets_what_it_names_and_leaves_the_rest() {
        let config: FleetConfig = toml::from_str(
            r#"
            seed = 7
            scenarios = ["bad-canary", "drift"]
            [traffic]
            peak_rps = 50
            day = "2m"
            [outage]
            server = "churn"
            lasting = "30s"
            [labels]
            delay = "5s"
            "#,
        )
        .expect("valid");
        assert_eq!((config.seed, config.scenarios.as_slice()), (7, [Scenario::BadCanary, Scenario::Drift].as_slice()));
        assert_eq!((config.traffic.peak_rps, config.traffic.day), (50.0, Duration::from_secs(120)));
        assert_eq!((config.outage.server.as_str(), config.outage.lasting), ("churn", Duration::from_secs(30)));
        assert_eq!(config.outage.at, OutageConfig::default().at);
        assert_eq!(config.drift, FleetConfig::default().drift);
        assert_eq!((config.labels.delay, config.labels.late_share), (Duration::from_secs(5), 0.1));
        assert!(config.validate().is_ok());
    }

    #[test]
    fn unknown_settings_and_bad_values_are_named() {
        let unknown = toml::from_str::<FleetConfig>("sed = 1").unwrap_err().to_string();
        assert!(unknown.contains("unknown field `sed`"), "{unknown}");
        let scenario = toml::from_str::<FleetConfig>("scenarios = [\"chaos\"]").unwrap_err().to_string();
        assert!(scenario.contains("chaos"), "{scenario}");
        let bad = |edit: fn(&mut FleetConfig)| {
            let mut config = FleetConfig::default();
            edit(&mut config);
            config.validate().unwrap_err()
        };
        assert!(bad(|c| c.slow.server = "nope".into()).starts_with("slow.server 'nope' is not a fleet server"));
        assert!(bad(|c| c.bad_canary.error_rate = 2.0).starts_with("bad_canary.error_rate is a share"));
        assert!(bad(|c| c.canary_percent = 101).starts_with("canary_percent"));
        assert!(bad(|c| c.port_base = Some(65534)).contains("no room"));
        assert!(bad(|c| c.labels.late_share = -0.1).starts_with("labels.late_share is a share"));
        assert!(bad(|c| c.feedback_loop.influence = 1.5).starts_with("feedback_loop.influence is a share"));
    }
}
