//! The life of one alert, as Prometheus and Grafana users know it: each evaluation of a rule
//! finds its condition breached, clear, or without data, and the alert moves between normal,
//! pending, firing, resolved and no data.
//!
//! - A breach makes a normal (or resolved, or no-data) alert pending, and a pending alert fires
//!   once the condition has held for the rule's `for` (at once when `for` is zero).
//! - A pending alert whose condition clears goes back to normal without ever having fired.
//! - A firing alert stays firing while the condition holds, and for `keep_firing_for` after it
//!   last held (so a flapping signal does not resolve and fire again); then it is resolved.
//! - An evaluation without data (the series stopped, the server is gone) puts the alert in
//!   no data, whatever it was; a firing alert that loses its data is not called resolved.
//!
//! [`evaluate`] is a pure function of the alert, the observation and the time, so the rule
//! engine can run it on a controlled clock. It says which transitions to notify.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Where an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Normal,
    Pending,
    Firing,
    Resolved,
    NoData,
}

crate::store::values::text_column!(AlertState);

/// What one evaluation of the rule's condition found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    Breached,
    Clear,
    NoData,
}

/// How long a condition must hold before firing, and how long a firing alert outlasts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub for_duration: Duration,
    pub keep_firing_for: Duration,
}

/// One alert as last evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    pub state: AlertState,
    /// When it entered its state.
    pub since: DateTime<Utc>,
    /// When the breach now under way began (pending and firing alerts).
    pub breach_began: Option<DateTime<Utc>>,
    /// When the condition was last found breached.
    pub last_breached: Option<DateTime<Utc>>,
}

impl Alert {
    /// An alert never yet breached, from `at`.
    pub fn new(at: DateTime<Utc>) -> Alert {
        Alert { state: AlertState::Normal, since: at, breach_began: None, last_breached: None }
    }
}

/// A change people are told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Fired,
    Resolved,
    LostData,
}

/// The alert after `observation` at `at`, and the notice its change calls for, if any.
pub fn evaluate(alert: Alert, observation: Observation, at: DateTime<Utc>, timing: Timing) -> (Alert, Option<Notice>) {
    use AlertState::{Firing, NoData, Normal, Pending, Resolved};
    let moved = |state| Alert { state, since: at, ..alert };
    match (alert.state, observation) {
        (NoData, Observation::NoData) => (alert, None),
        (Firing, Observation::NoData) => (Alert { breach_began: None, ..moved(NoData) }, Some(Notice::LostData)),
        (_, Observation::NoData) => (Alert { breach_began: None, ..moved(NoData) }, None),
        (Firing, Observation::Breached) => (Alert { last_breached: Some(at), ..alert }, None),
        (Pending, Observation::Breached) => {
            let began = alert.breach_began.unwrap_or(at);
            let breached = Alert { last_breached: Some(at), ..alert };
            if at - began >= timing.for_duration {
                (Alert { state: Firing, since: at, ..breached }, Some(Notice::Fired))
            } else {
                (breached, None)
            }
        }
        (Normal | Resolved | NoData, Observation::Breached) => {
            let pending = Alert { breach_began: Some(at), last_breached: Some(at), ..moved(Pending) };
            if timing.for_duration <= Duration::zero() {
                (Alert { state: Firing, ..pending }, Some(Notice::Fired))
            } else {
                (pending, None)
            }
        }
        (Firing, Observation::Clear) => {
            let held_until = alert.last_breached.unwrap_or(alert.since) + timing.keep_firing_for;
            if at < held_until {
                (alert, None)
            } else {
                (Alert { breach_began: None, ..moved(Resolved) }, Some(Notice::Resolved))
            }
        }
        (Pending | NoData, Observation::Clear) => (Alert { breach_began: None, ..moved(Normal) }, None),
        (Normal | Resolved, Observation::Clear) => (alert, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlertState::*;
    use Observation::{Breached, Clear};

    /// A clock of whole seconds from a fixed start.
    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    fn timing(for_s: i64, keep_s: i64) -> Timing {
        Timing { for_duration: Duration::seconds(for_s), keep_firing_for: Duration::seconds(keep_s) }
    }

    /// Runs `observations` (one every 10 s from 0) and returns each state and notice.
    fn run(timing: Timing, observations: &[Observation]) -> Vec<(AlertState, Option<Notice>)> {
        let mut alert = Alert::new(at(0));
        observations
            .iter()
            .enumerate()
            .map(|(i, observation)| {
                let (next, notice) = evaluate(alert, *observation, at(10 * i as i64), timing);
                alert = next;
                (alert.state, notice)
            })
            .collect()
    }

    #[test]
    fn a_breach_is_pending_until_it_has_held_for_its_duration_then_fires_once_and_resolves_when_clear() {
        let seen = run(timing(30, 0), &[Breached, Breached, Breached, Breached, Breached, Clear, Clear]);
        assert_eq!(
            seen,
            [
                (Pending, None),
                (Pending, None),
                (Pending, None),
                (Firing, Some(Notice::Fired)),
                (Firing, None),
                (Resolved, Some(Notice::Resolved)),
                (Resolved, None),
            ]
        );
    }

    #[test]
    fn a_pending_alert_that_clears_goes_back_to_normal_without_firing() {
        let seen = run(timing(30, 0), &[Breached, Breached, Clear, Breached]);
        assert_eq!(seen, [(Pending, None), (Pending, None), (Normal, None), (Pending, None)]);
    }

    #[test]
    fn keep_firing_for_outlasts_a_flap_and_then_resolves() {
        // Fires at once (for 0); clears at 10 s and 20 s, within 25 s of the last breach at 0 s;
        // breached again at 30 s; clear from 40 s: still firing at 40 and 50, resolved at 60.
        let seen = run(timing(0, 25), &[Breached, Clear, Clear, Breached, Clear, Clear, Clear]);
        let states: Vec<AlertState> = seen.iter().map(|(state, _)| *state).collect();
        assert_eq!(states, [Firing, Firing, Firing, Firing, Firing, Firing, Resolved]);
        let notices: Vec<Notice> = seen.iter().filter_map(|(_, notice)| *notice).collect();
        assert_eq!(notices, [Notice::Fired, Notice::Resolved], "one firing, not two");
    }

    #[test]
    fn lost_data_is_its_own_state_and_a_firing_alert_is_not_called_resolved() {
        let seen = run(timing(0, 0), &[Breached, Observation::NoData, Observation::NoData, Clear, Breached]);
        assert_eq!(
            seen,
            [
                (Firing, Some(Notice::Fired)),
                (NoData, Some(Notice::LostData)),
                (NoData, None),
                (Normal, None),
                (Firing, Some(Notice::Fired)),
            ]
        );
    }

    #[test]
    fn the_time_in_a_state_counts_from_when_it_was_entered() {
        let mut alert = Alert::new(at(0));
        for (seconds, observation) in [(5, Breached), (20, Breached), (40, Breached)] {
            alert = evaluate(alert, observation, at(seconds), timing(30, 0)).0;
        }
        assert_eq!((alert.state, alert.since, alert.breach_began), (Firing, at(40), Some(at(5))));
    }
}
