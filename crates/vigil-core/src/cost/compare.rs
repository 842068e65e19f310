//! The candidate against the stable: for each model with two or more revisions on a server,
//! which is stable and which the candidate (the dashboard's roles, from the traffic each took in
//! the window), and how much more or less the candidate costs per prediction, in words.

use chrono::{DateTime, Utc};
use serde::Serialize;
use ts_rs::TS;

use super::figures::RevisionCost;
use super::usage::RevisionWork;
use crate::dashboard::roles::{roles, RevisionRole};

/// A candidate revision's cost per 1,000 predictions beside the stable one's.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CostComparison {
    pub server: String,
    pub model: String,
    pub candidate: String,
    pub stable: String,
    pub candidate_per_thousand: Option<f64>,
    pub stable_per_thousand: Option<f64>,
    /// candidate ÷ stable − 1 (0.18: 18 % dearer); None when either made no predictions.
    pub change: Option<f64>,
    /// `fraud v13 costs 18 % more per prediction than v12`
    pub sentence: String,
}

/// The comparisons of every model with two or more revisions on a server. The stable is the
/// oldest revision taking traffic; each canary beside it is a candidate, or, with none, the
/// newest revision first seen after the stable (it has made no predictions yet).
pub fn comparisons(revisions: &[RevisionCost], work: &[RevisionWork]) -> Vec<CostComparison> {
    let mut found = Vec::new();
    for group in revisions.chunk_by(|a, b| (&a.server, &a.model) == (&b.server, &b.model)) {
        if group.len() < 2 {
            continue;
        }
        let seen: Vec<(DateTime<Utc>, Option<f64>)> = group
            .iter()
            .map(|r| {
                let first_seen = work
                    .iter()
                    .find(|w| (&w.server, &w.model, &w.version) == (&r.server, &r.model, &r.version))
                    .map_or(DateTime::<Utc>::MIN_UTC, |w| w.first_seen);
                (first_seen, Some(r.requests))
            })
            .collect();
        let roles = roles(&seen);
        let Some(stable) = roles.iter().position(|&role| role == RevisionRole::Stable) else { continue };
        let mut candidates: Vec<usize> = (0..group.len()).filter(|&i| roles[i] == RevisionRole::Canary).collect();
        if candidates.is_empty() {
            let newer = (0..group.len()).filter(|&i| seen[i].0 > seen[stable].0).max_by_key(|&i| seen[i].0);
            candidates.extend(newer);
        }
        found.extend(candidates.into_iter().map(|candidate| compare(&group[candidate], &group[stable])));
    }
    found
}

/// `candidate` beside `stable`, with the sentence.
fn compare(candidate: &RevisionCost, stable: &RevisionCost) -> CostComparison {
    let change = match (candidate.per_thousand, stable.per_thousand) {
        (Some(c), Some(s)) if s > 0.0 => Some(c / s - 1.0),
        _ => None,
    };
    let (model, new, old) = (&candidate.model, version(&candidate.version), version(&stable.version));
    let sentence = match (change, candidate.per_thousand) {
        (Some(change), _) if (change * 100.0).round() == 0.0 => {
            format!("{model} {new} costs about the same per prediction as {old}")
        }
        (Some(change), _) => {
            let (percent, word) = ((change.abs() * 100.0).round(), if change > 0.0 { "more" } else { "less" });
            format!("{model} {new} costs {percent:.0} % {word} per prediction than {old}")
        }
        (None, None) => format!("{model} {new} has made no predictions yet, so its cost cannot be set beside {old}'s"),
        (None, Some(_)) => format!("{model} {old} made no predictions, so {new}'s cost cannot be set beside it"),
    };
    CostComparison {
        server: candidate.server.clone(),
        model: model.clone(),
        candidate: candidate.version.clone(),
        stable: stable.version.clone(),
        candidate_per_thousand: candidate.per_thousand,
        stable_per_thousand: stable.per_thousand,
        change,
        sentence,
    }
}

/// A version as people say it: `v13` for `13`, `v2` as it is.
fn version(version: &str) -> String {
    if version.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v{version}")
    } else {
        version.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(version: &str, cost: f64, successful: f64) -> RevisionCost {
        RevisionCost {
            server: "fraud".into(),
            model: "fraud".into(),
            version: version.into(),
            requests: successful,
            successful,
            cost,
            per_thousand: crate::cost::spend::per_thousand(cost, successful),
            split: "compute time".into(),
        }
    }

    #[test]
    fn the_candidate_is_set_beside_the_stable_in_words() {
        // v12: $7 for 7,000 predictions, $1.00 per 1,000; v13: $3.54 for 3,000, $1.18: 18 % more.
        let dearer = compare(&revision("13", 3.54, 3000.0), &revision("12", 7.0, 7000.0));
        assert_eq!(dearer.sentence, "fraud v13 costs 18 % more per prediction than v12");
        assert!((dearer.change.unwrap_or_default() - 0.18).abs() < 1e-9);
        let cheaper = compare(&revision("13", 2.79, 3000.0), &revision("12", 7.0, 7000.0));
        assert_eq!(cheaper.sentence, "fraud v13 costs 7 % less per prediction than v12");
        let silent = compare(&revision("13", 0.5, 0.0), &revision("12", 7.0, 7000.0));
        assert_eq!((silent.change, silent.candidate_per_thousand), (None, None));
        assert_eq!(silent.sentence, "fraud v13 has made no predictions yet, so its cost cannot be set beside v12's");
    }
}
