//! The overview's rules on the revisions a model server reports, as the window and `vigil status`
//! show them.

use std::collections::{BTreeMap, HashMap};

use crate::store::values::Json;
use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::kinds::ServerKind;
use crate::objectives::{ModelObjectives, ObjectiveDefaults};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z").unwrap().to_utc()
}

/// Revision `version` of fraud on fraud-prod, first seen `age` ago, ready, with these latest signals.
fn revision(version: &str, age: Duration, latest: &[(&str, f64)]) -> RevisionSignals {
    RevisionSignals {
        server: "fraud-prod".into(),
        model: "fraud".into(),
        version: version.into(),
        first_seen_at: now() - age,
        health: HealthState::Up,
        health_reason: Some(format!("/v2/models/fraud/versions/{version}/ready answered HTTP 200")),
        latest: latest.iter().map(|(name, value)| (name.to_string(), *value)).collect(),
        latest_at_ms: Some(now().timestamp_millis()),
        sparkline: Vec::new(),
        metadata: serde_json::json!({}),
        requests_seen: 0.0,
        errors_seen: 0.0,
    }
}

fn server(name: &str, health: HealthState, reason: &str) -> Server {
    Server {
        id: 1,
        name: name.into(),
        base_url: "http://127.0.0.1:8080".into(),
        kind: ServerKind::Auto,
        detected_kind: Some(ServerKind::Triton),
        metrics_url: None,
        management_url: None,
        metrics_error: None,
        poll_interval_ms: None,
        timeout_ms: None,
        labels: Json(BTreeMap::new()),
        source_kind: None,
        selector: None,
        token_ref: None,
        tls_ca: None,
        tls_client: None,
        health,
        health_reason: Some(reason.into()),
        health_since: Some(now()),
        checked_at: Some(now()),
        created_at: now(),
    }
}

fn up() -> Vec<Server> {
    vec![server("fraud-prod", HealthState::Up, "/v2/health/ready answered HTTP 200")]
}

/// The fleet defaults (1 % of requests failing, p99 1 s) and no model's own.
fn defaults() -> ObjectiveBook {
    ObjectiveBook { defaults: ObjectiveDefaults { max_error_share: 0.01, max_p99_s: 1.0 }, models: HashMap::new() }
}

/// fraud: v12 stable at 9 req/s (1 % failing), v13 a canary at 1 req/s (10 % failing, slower).
fn fraud() -> Vec<RevisionSignals> {
    let mut v12 = revision(
        "12",
        Duration::days(1),
        &[(signal::REQUEST_RATE, 9.0), (signal::ERROR_RATE, 0.01), (signal::LATENCY_P99, 0.02)],
    );
    v12.sparkline = vec![(1_000, 8.0), (61_000, 9.0)];
    let mut v13 = revision(
        "13",
        Duration::minutes(10),
        &[(signal::REQUEST_RATE, 1.0), (signal::ERROR_RATE, 0.1), (signal::LATENCY_P99, 0.2)],
    );
    v13.sparkline = vec![(61_000, 1.0)];
    vec![v12, v13]
}

/// The fraud model with a 10 % error share allowed, so its canary keeps its objectives.
fn fraud_within_objectives() -> ModelOverview {
    let mut book = defaults();
    book.models.insert("fraud".into(), ModelObjectives { max_error_share: Some(0.1), max_p99_s: None });
    models(&fraud(), &up(), &book, &[]).remove(0)
}

#[test]
fn each_model_gets_its_traffic_split_with_the_oldest_revision_taking_traffic_as_stable() {
    let churn = RevisionSignals {
        server: "churn-prod".into(),
        model: "churn".into(),
        ..revision("3", Duration::days(3), &[(signal::REQUEST_RATE, 5.0)])
    };
    let mut revisions = fraud();
    revisions.push(churn);
    let overviews = models(&revisions, &up(), &defaults(), &[]);
    let names: Vec<(&str, &str)> = overviews.iter().map(|o| (o.server.as_str(), o.model.as_str())).collect();
    assert_eq!(names, [("fraud-prod", "fraud"), ("churn-prod", "churn")]);
    let split: Vec<(&str, RevisionRole, Option<f64>)> =
        overviews[0].revisions.iter().map(|r| (r.version.as_str(), r.role, r.share)).collect();
    assert_eq!(split, [("13", RevisionRole::Canary, Some(0.1)), ("12", RevisionRole::Stable, Some(0.9))]);
    assert_eq!(overviews[0].deployed_at, now() - Duration::minutes(10), "when the newest was first seen");
}

#[test]
fn a_model_adds_up_the_rate_weights_errors_by_traffic_keeps_the_worst_p99_and_sums_the_sparklines() {
    let fraud = fraud_within_objectives();
    assert_eq!(fraud.rate, Some(10.0));
    let error_share = fraud.error_share.unwrap();
    assert!((error_share - (9.0 * 0.01 + 1.0 * 0.1) / 10.0).abs() < 1e-12, "{error_share}");
    assert_eq!(fraud.p99_s, Some(0.2));
    assert_eq!(fraud.sparkline, [(1_000, 8.0), (61_000, 10.0)]);
}

#[test]
fn a_model_without_measured_traffic_has_no_figures_and_no_split() {
    let quiet = models(&[revision("1", Duration::hours(1), &[])], &up(), &defaults(), &[]).remove(0);
    assert_eq!((quiet.rate, quiet.error_share, quiet.p99_s), (None, None, None));
    assert_eq!((quiet.revisions[0].role, quiet.revisions[0].share), (RevisionRole::Idle, None));
    assert_eq!(quiet.sentence, "fraud on fraud-prod is healthy (no traffic measured yet).");
}

#[test]
fn only_revisions_taking_traffic_are_stable_or_canary() {
    let retired = revision("11", Duration::days(30), &[(signal::REQUEST_RATE, 0.0)]);
    let seen = [(now() - Duration::days(30), None), (now() - Duration::days(1), Some(9.0)), (now(), Some(1.0))];
    assert_eq!(roles(&seen), [RevisionRole::Idle, RevisionRole::Stable, RevisionRole::Canary]);
    let mut revisions = vec![retired];
    revisions.extend(fraud());
    let overview = models(&revisions, &up(), &defaults(), &[]).remove(0);
    let roles: Vec<(&str, RevisionRole)> = overview.revisions.iter().map(|r| (r.version.as_str(), r.role)).collect();
    assert_eq!(roles, [("13", RevisionRole::Canary), ("12", RevisionRole::Stable), ("11", RevisionRole::Idle)]);
}

#[test]
fn a_model_is_down_with_its_server_and_otherwise_as_its_worst_serving_revision() {
    let down = [server("fraud-prod", HealthState::Down, "connection refused")];
    let overview = models(&fraud(), &down, &defaults(), &[]).remove(0);
    assert_eq!(overview.status.state, ModelState::Down);
    assert_eq!(overview.status.reason, "Server fraud-prod is down: connection refused");
    assert_eq!(overview.sentence, "fraud on fraud-prod is down: Server fraud-prod is down: connection refused.");

    let ready = fraud_within_objectives();
    assert_eq!(ready.status, ModelStatus { state: ModelState::Up, reason: "v12 and v13 are ready".into() });

    let mut sick = fraud();
    sick[1].health = HealthState::Degraded;
    sick[1].health_reason = Some("LOADING".into());
    let mut book = defaults();
    book.models.insert("fraud".into(), ModelObjectives { max_error_share: Some(0.1), max_p99_s: None });
    let degraded = models(&sick, &up(), &book, &[]).remove(0);
    assert_eq!(degraded.status, ModelStatus { state: ModelState::Degraded, reason: "fraud v13: LOADING".into() });
    assert!(degraded.sentence.starts_with("fraud on fraud-prod is serving with a problem ("), "{}", degraded.sentence);
}

#[test]
fn an_idle_revision_that_is_down_does_not_make_its_model_down() {
    let mut revisions = fraud();
    let mut retired = revision("11", Duration::days(30), &[]);
    retired.health = HealthState::Down;
    revisions.insert(0, retired);
    let mut book = defaults();
    book.models.insert("fraud".into(), ModelObjectives { max_error_share: Some(0.1), max_p99_s: None });
    assert_eq!(models(&revisions, &up(), &book, &[])[0].status.state, ModelState::Up);
}

#[test]
fn the_sentence_tells_a_product_manager_the_state_the_traffic_and_a_rollout_in_progress() {
    assert_eq!(
        fraud_within_objectives().sentence,
        "fraud on fraud-prod is healthy (10.0 requests a second, 1.9 % failing); v13 is being tried on 10 % of \
         traffic beside v12."
    );
}

#[test]
fn a_model_whose_canary_fails_40_percent_of_its_requests_is_never_called_healthy() {
    // fraud: v12 stable on 85 % of traffic, fine; v13 a canary on 15 %, failing 40 % of requests.
    let revisions = [
        revision("12", Duration::days(1), &[(signal::REQUEST_RATE, 8.5), (signal::ERROR_RATE, 0.002)]),
        revision("13", Duration::minutes(10), &[(signal::REQUEST_RATE, 1.5), (signal::ERROR_RATE, 0.4)]),
    ];
    let fraud = models(&revisions, &up(), &defaults(), &[]).remove(0);
    assert_eq!(fraud.revisions[0].breaches, [Breach::ErrorShare], "v13 breaks the 1 % default");
    assert_eq!(fraud.revisions[1].breaches, [], "v12 keeps it");
    assert_eq!(fraud.status.state, ModelState::Breaching);
    assert_eq!(fraud.status.reason, "fraud v13 fails 40.0 % of its requests, above the 1.0 % allowed");
    assert!(!fraud.sentence.contains("healthy"), "{}", fraud.sentence);
    assert_eq!(
        fraud.sentence,
        "fraud on fraud-prod is missing its objectives (10.0 requests a second, 6.2 % failing); v13 is being tried on \
         15 % of traffic beside v12; v13 fails 40.0 % of its requests, above the 1.0 % allowed."
    );
}

#[test]
fn a_slow_p99_breaks_the_latency_objective_the_model_sets_for_itself() {
    let mut book = defaults();
    book.models.insert("fraud".into(), ModelObjectives { max_error_share: Some(0.5), max_p99_s: Some(0.1) });
    let fraud = models(&fraud(), &up(), &book, &[]).remove(0);
    assert_eq!(fraud.objectives.p99_s.max, 0.1);
    assert!(!fraud.objectives.p99_s.is_default);
    assert_eq!(fraud.revisions[0].breaches, [Breach::P99]);
    assert_eq!(fraud.status.reason, "fraud v13 has a p99 latency of 200 ms, above the 100 ms allowed");
}

#[test]
fn an_idle_revision_breaks_no_objective_whatever_it_last_measured() {
    let mut revisions = fraud();
    revisions.insert(0, revision("11", Duration::days(30), &[(signal::ERROR_RATE, 0.9)]));
    let mut book = defaults();
    book.models.insert("fraud".into(), ModelObjectives { max_error_share: Some(0.1), max_p99_s: None });
    let fraud = models(&revisions, &up(), &book, &[]).remove(0);
    assert_eq!(fraud.revisions[2].breaches, []);
    assert_eq!(fraud.status.state, ModelState::Up);
}

#[test]
fn a_canary_under_a_rollout_keeps_its_role_through_a_poll_in_which_it_served_nothing() {
    // 1 s polls at 10 %: some intervals hold no request to v13 at all.
    let revisions = [
        revision("12", Duration::days(1), &[(signal::REQUEST_RATE, 9.0)]),
        revision("13", Duration::minutes(10), &[(signal::REQUEST_RATE, 0.0)]),
    ];
    let without = models(&revisions, &up(), &defaults(), &[]).remove(0);
    assert_eq!(without.revisions[0].role, RevisionRole::Idle, "from the rate alone it flickers to idle");
    let rollout = ("fraud".to_owned(), "12".to_owned(), "13".to_owned(), 10);
    let fraud = models(&revisions, &up(), &defaults(), &[rollout]).remove(0);
    assert_eq!(fraud.revisions[0].role, RevisionRole::Canary, "the rollout says v13 takes 10 %");
    assert_eq!(fraud.revisions[1].role, RevisionRole::Stable);
    assert!(fraud.sentence.contains("v13 is being rolled out, on 10 % of traffic beside v12"), "{}", fraud.sentence);
}
