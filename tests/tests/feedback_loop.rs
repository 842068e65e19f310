//! The demo fleet's `feedback-loop` scenario through the real ingest endpoint, on a real SQLite
//! file: `recs` serves in revisions 1, 2 and 3, each retrained on the clicks its predecessor's
//! recommendations let shoppers make, and the clicks come back as labels. The engine reads its
//! prediction log, and both its performance report and the built-in `feedback loop` alert rule
//! warn in words a product manager can read. The negative control — the same revisions retrained
//! on clicks nothing shaped — does not warn.

use std::time::Duration;

use chrono::Utc;
use vigil_core::alerts::lifecycle::AlertState;
use vigil_core::performance::report::{PerformanceReport, PerformanceWindow};
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_fleet::config::{FeedbackLoopConfig, LabelsConfig, TrafficConfig};
use vigil_fleet::{Fleet, FleetConfig, Scenario};
use vigil_tests::wait_for;

const TOKEN: &str = "a-token-for-the-feedback-loop-test";
/// How long each revision of recs serves.
const EVERY: Duration = Duration::from_secs(5);
/// Labelled predictions the last revision needs before the log is read.
const LABELLED: u64 = 250;

/// Plays the scenario with `influence` (the share of items not recommended that shoppers never
/// see) until revision 3 has its labels; the engine's report on recs and whether the `feedback
/// loop` alert fires on it.
async fn played(influence: f64) -> (PerformanceReport, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions::new(vigil_tests::store(dir.path()).await)).await.unwrap();
    let ingest = engine.drift().start_ingest("127.0.0.1:0".parse().unwrap(), TOKEN.into()).await.unwrap();
    let config = FleetConfig {
        scenarios: vec![Scenario::FeedbackLoop],
        log_url: Some(ingest.logger_url().parse().unwrap()),
        traffic: TrafficConfig { peak_rps: 300.0, max_requests: Some(30_000), ..TrafficConfig::default() },
        labels: LabelsConfig { delay: Duration::from_millis(200), late_share: 0.0, ..LabelsConfig::default() },
        feedback_loop: FeedbackLoopConfig { influence, every: EVERY },
        ..FleetConfig::default()
    };
    let fleet = Fleet::start(config).await.expect("the demo fleet starts");
    for server in fleet.servers() {
        let new = NewServer { name: server.name, base_url: server.url, kind: ServerKind::Auto, ..Default::default() };
        engine.servers().add(new).await.unwrap();
    }
    // Its metadata says which of recs' outputs is the label.
    engine.polling().check_all().await.unwrap();
    let report = wait_for("revision 3 of recs to get its labels", Duration::from_secs(120), || async {
        ingest.flush().await.ok()?;
        let since = Utc::now() - chrono::Duration::hours(1);
        let report = engine.performance().report("recs", PerformanceWindow::Day, since).await.ok()?;
        let third = report.revisions.iter().find(|revision| revision.version == "3")?;
        (third.windows.iter().map(|window| window.labelled).sum::<u64>() >= LABELLED).then_some(report)
    })
    .await;
    fleet.stop().await;
    engine.alerts().evaluate(Utc::now()).await.unwrap();
    let fired = engine
        .alerts()
        .alerts()
        .await
        .unwrap()
        .into_iter()
        .find(|alert| alert.rule == "feedback loop" && alert.state == AlertState::Firing)
        .map(|alert| alert.sentence);
    (report, fired)
}

#[tokio::test(flavor = "multi_thread")]
async fn revisions_trained_on_what_their_predecessor_shaped_warn_and_the_negative_control_does_not() {
    let ((shaped, shaped_alert), (fresh, fresh_alert)) = tokio::join!(played(0.9), played(0.0));

    let verdict = shaped.feedback.as_ref().expect("a classifier's log carries a verdict");
    assert_eq!(verdict.revisions, ["1", "2", "3"], "in the order they served");
    assert!(verdict.warn, "{verdict:#?}");
    let fall = (verdict.entropies[0] - verdict.entropies[2]) / verdict.entropies[0];
    assert!(fall > 0.10, "the predictions narrow by more than the stated 10 %: {verdict:#?}");
    assert!(
        verdict.sentence.starts_with("Possible feedback loop: from revision 1 to revision 3 (3 revisions)"),
        "{}",
        verdict.sentence
    );
    let alert = shaped_alert.expect("the built-in feedback loop rule fires on recs");
    assert!(alert.starts_with("recs on fraud: possible feedback loop"), "{alert}");

    let control = fresh.feedback.as_ref().expect("a verdict");
    assert_eq!(control.revisions, ["1", "2", "3"]);
    assert!(!control.warn, "retrained on fresh, uninfluenced clicks: {control:#?}");
    assert!(control.sentence.starts_with("No sign of a feedback loop across the 3 revisions"), "{}", control.sentence);
    assert_eq!(fresh_alert, None, "the rule stays quiet on the negative control");
}
