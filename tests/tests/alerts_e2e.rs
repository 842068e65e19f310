//! Alerts end to end in the real window on the demo fleet's `drift` scenario, with the desktop's
//! session bus pointing at a private bus where a stand-in notification service records every
//! `Notify` call (`vigil_tests::notifications`). The fleet's inputs start to drift two minutes in;
//! drift reports (the window's "Run report", and the schedule) find it; the built-in "dataset
//! drift" rule fires; after the desktop receiver's group wait (Alertmanager's 30 s) the desktop
//! shows "[FIRING:N] dataset drift" in the engine's words, and a click on it opens the model it is
//! about. The alert is first in the Alerts view
//! and in the "Needs attention" strip; silencing it from its row (a reason is required) marks it
//! silenced, and no notification names it again. That a silence stops the repeats at the repeat
//! interval is checked on a controlled clock in `alerts.rs`.

use std::time::Duration;

use vigil_tests::desktop::DesktopApp;
use vigil_tests::notifications::NotificationService;

const POLL_INTERVAL_SECS: f64 = 1.0;
/// The drift starts 2 minutes in; a report and the group wait follow.
const UNTIL_NOTIFIED: Duration = Duration::from_secs(330);
const DRIFT_ROW: &str = r#"[data-testid="alerts-firing"] [data-testid="alert-row"][data-rule="dataset drift"]"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_drift_scenario_fires_a_drift_alert_the_desktop_notifies_and_a_silence_quiets_it() {
    let service = NotificationService::start().await;
    let env = [("DBUS_SESSION_BUS_ADDRESS", service.bus_address())];
    let app = DesktopApp::launch_with_env("alerts", POLL_INTERVAL_SECS, &["--demo=drift"], &env).await;

    // Reports run from the Drift view as a data scientist would, until the alert is told.
    app.click(r#"[data-testid="nav-drift"]"#).await;
    app.element(r#"[data-testid="drift-model-fraud"]"#, Duration::from_secs(30)).await;
    app.click(r#"[data-testid="drift-model-fraud"]"#).await;
    let shown = vigil_tests::wait_for("a desktop notification of dataset drift", UNTIL_NOTIFIED, || async {
        if let Ok(Some(_)) = app.session.find(r#"[data-testid="drift-run"]"#).await {
            app.click(r#"[data-testid="drift-run"]"#).await;
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
        service.shown().into_iter().find(|n| n.summary.contains("dataset drift"))
    })
    .await;
    assert!(shown.summary.starts_with("[FIRING:"), "{shown:?}");
    assert!(shown.body.contains("dataset drift") && shown.body.contains(" on "), "the engine's sentence: {shown:?}");

    // A click on it opens the model it is about, or the Alerts view when it tells of several.
    service.click(shown.id).await;
    if shown.summary.starts_with("[FIRING:1]") {
        let view = app.element(r#"[data-testid="model-view"]"#, Duration::from_secs(10)).await;
        let model = app.session.attribute(&view, "data-model").await.ok().flatten().unwrap_or_default();
        assert!(shown.body.starts_with(&format!("{model} on ")), "opened {model:?} for {shown:?}");
    } else {
        app.element(r#"[data-testid="nav-alerts"][aria-current="page"]"#, Duration::from_secs(10)).await;
    }
    app.screenshot("alert-clicked");

    // The Alerts view puts it first; the strip on the fleet names it.
    app.click(r#"[data-testid="nav-alerts"]"#).await;
    let row = app.element(DRIFT_ROW, Duration::from_secs(10)).await;
    let subject = app.session.attribute(&row, "data-subject").await.ok().flatten().unwrap_or_default();
    assert!(!subject.is_empty() && shown.body.contains(&subject), "{subject:?} is in {shown:?}");
    app.element(
        r#"[data-testid="alerts-history"] [data-testid="history-row"][data-rule="dataset drift"]"#,
        Duration::from_secs(10),
    )
    .await;
    app.screenshot("alerts-firing");
    app.click(r#"[data-testid="nav-fleet"]"#).await;
    app.element(r#"[data-testid="attention-alert"][data-rule="dataset drift"]"#, Duration::from_secs(10)).await;

    // Silence it from its row, with a reason.
    app.click(r#"[data-testid="nav-alerts"]"#).await;
    let in_row = |what: &str| format!(r#"{DRIFT_ROW}[data-subject="{subject}"] [data-testid="{what}"]"#);
    app.click(&in_row("alert-silence")).await;
    app.element(r#"[data-testid="silence-form"]"#, Duration::from_secs(5)).await;
    app.type_into(r#"[data-testid="silence-reason"]"#, "retraining on the new mix").await;
    app.click(r#"[data-testid="silence-submit"]"#).await;
    let silenced = app.element(&in_row("alert-silenced"), Duration::from_secs(10)).await;
    let words = app.session.text(&silenced).await.unwrap_or_default();
    assert!(words.contains("retraining on the new mix"), "{words}");
    app.screenshot("alerts-silenced");

    let told = service.shown().len();
    tokio::time::sleep(Duration::from_secs(40)).await;
    let later: Vec<_> = service.shown().into_iter().skip(told).collect();
    assert!(
        later.iter().all(|n| !n.body.lines().any(|line| line.starts_with(&format!("{subject}:")))),
        "nothing tells of the silenced alert again: {later:?}"
    );
}
