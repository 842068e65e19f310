//! One poll of a server read through a Prometheus that scrapes it: its share of the group's
//! reading (see `scrape::readings`). Its health is Prometheus' word on the targets the selector
//! selects (`up`), its metrics the series the selector selects; nothing is asked of the server
//! itself, and nothing per server of Prometheus.

use std::collections::HashMap;
use std::time::Duration;

use crate::health::{HealthCheck, HealthState};
use crate::kinds::ServerKind;
use crate::scrape::http::ServerHttp;
use crate::scrape::prometheus_api::{exposition, Series};
use crate::scrape::readings::Shared;
use crate::scrape::selector;
use crate::servers::Server;
use crate::signals::{RevisionKey, SignalMap};

use super::{scraped_from, shown, Observation};

/// Polls `server` through its group's reading, as the kind of servers its Prometheus scrapes
/// (`source`: that kind and its signal map); `detected` is the kind a readiness check just
/// detected, if one did.
pub(super) async fn observe(
    http: &ServerHttp,
    server: &Server,
    known: &[RevisionKey],
    timeout: Duration,
    (shared, (source_kind, map)): (Shared<'_>, (ServerKind, &SignalMap)),
    detected: Option<ServerKind>,
) -> Observation {
    let matchers = match selector::parse(server.selector.as_deref().unwrap_or_default()) {
        Ok(matchers) => matchers,
        Err(reason) => return Observation::down(format!("the selector is not valid: {reason}")),
    };
    let reading = shared.readings.read(shared, http, server, (source_kind, map), timeout).await;
    let selected = match reading.select(&matchers) {
        Ok(selected) => selected,
        Err(reason) => return Observation { at: reading.at, ..Observation::down(reason) },
    };
    let (targets, series): (Vec<&Series>, Vec<&Series>) = selected.into_iter().partition(|series| series.name == "up");
    let mut health = targets_health(&targets, server.selector.as_deref());
    health.detected = detected;
    if health.state == HealthState::Down {
        return Observation { health, at: reading.at, ..Observation::down(String::new()) };
    }
    let metrics = scraped_from(exposition(series.into_iter()).as_bytes(), None, map);
    let scraped: Vec<&RevisionKey> =
        metrics.as_ref().map(|scraped| scraped.revisions.keys().collect()).unwrap_or_default();
    let revisions = shown(None, &scraped, &HashMap::new(), known).shown;
    Observation {
        health,
        revisions,
        metadata: HashMap::new(),
        metrics: Some(metrics),
        attributed: HashMap::new(),
        at: reading.at,
    }
}

/// Health by Prometheus' last scrape of each target selected: up when it scraped all of them,
/// degraded when some failed, down when all failed or it scrapes none.
fn targets_health(targets: &[&Series], selector: Option<&str>) -> HealthCheck {
    let scraped = targets.iter().filter(|target| target.value == "1").count();
    let (state, reason) = match (scraped, targets.len()) {
        (_, 0) => {
            let selected = selector.map_or("no selector".to_owned(), |selector| format!("the selector {selector}"));
            (HealthState::Down, format!("Prometheus scrapes no target that {selected} selects"))
        }
        (0, 1) => (HealthState::Down, "Prometheus could not scrape it at its last scrape (up = 0)".to_owned()),
        (0, all) => (HealthState::Down, format!("Prometheus could not scrape any of its {all} targets (up = 0)")),
        (1, 1) => (HealthState::Up, "Prometheus scraped it (up = 1)".to_owned()),
        (ok, all) if ok == all => (HealthState::Up, format!("Prometheus scraped all {all} of its targets (up = 1)")),
        (ok, all) => (HealthState::Degraded, format!("Prometheus could not scrape {} of its {all} targets", all - ok)),
    };
    HealthCheck { state, reason, detected: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(value: &str) -> Series {
        Series { name: "up".into(), labels: Vec::new(), value: value.into() }
    }

    #[test]
    fn health_is_prometheus_word_on_the_selected_targets() {
        let health = |values: &[&str]| {
            let targets: Vec<Series> = values.iter().map(|value| up(value)).collect();
            let check = targets_health(&targets.iter().collect::<Vec<_>>(), Some(r#"instance="a:1""#));
            (check.state, check.reason)
        };
        assert_eq!(health(&["1"]), (HealthState::Up, "Prometheus scraped it (up = 1)".into()));
        assert_eq!(
            health(&["0"]),
            (HealthState::Down, "Prometheus could not scrape it at its last scrape (up = 0)".into())
        );
        assert_eq!(health(&["1", "0", "1"]).0, HealthState::Degraded);
        assert_eq!(health(&["1", "0", "1"]).1, "Prometheus could not scrape 1 of its 3 targets");
        assert_eq!(
            health(&[]),
            (HealthState::Down, r#"Prometheus scrapes no target that the selector instance="a:1" selects"#.into())
        );
    }
}
