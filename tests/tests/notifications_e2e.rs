//! Desktop notifications of sign-offs, checked at the desktop's side: the real window runs with
//! `DBUS_SESSION_BUS_ADDRESS` pointing at a private bus where a stand-in notification service
//! records every `Notify` call (`vigil_tests::notifications`). The demo's release pipeline rolls
//! fraud 13 out; about a minute later its promotion waits for the engineer and the data scientist.
//!
//! Two launches, one per person, because the engine asks once per wait: a window whose profile is
//! an engineer shows "fraud waits for your approval" with the engine's sentence (the one the
//! rollout card shows), and a click on it opens the rollouts view; a window whose profile is a product manager shows nothing, checked a
//! while after its rollout card says the rollout waits (the event arrives before the card's
//! re-read does, so by then the window has heard it).

use std::time::Duration;

use vigil_tests::desktop::DesktopApp;
use vigil_tests::notifications::NotificationService;
use vigil_tests::wait_for;

const POLL_INTERVAL_SECS: f64 = 1.0;
/// How long the demo's rollout may take to reach its sign-off (about a minute here).
const UNTIL_WAITING: Duration = Duration::from_secs(150);
/// How long a window that heard the event may take to have the desktop show a notification.
const NOTIFICATION_GRACE: Duration = Duration::from_secs(5);
const WAITING_CARD: &str = r#"[data-testid="rollout-card"][data-model="fraud"][data-state="waiting"]"#;

/// The window of the healthy demo, its session bus the stand-in service's private one.
async fn launch_demo(name: &str, service: &NotificationService) -> DesktopApp {
    let env = [("DBUS_SESSION_BUS_ADDRESS", service.bus_address())];
    DesktopApp::launch_with_env(name, POLL_INTERVAL_SECS, &["--demo=healthy"], &env).await
}

/// The sentence the waiting rollout's card shows.
async fn waiting_sentence(app: &DesktopApp) -> String {
    app.click(r#"[data-testid="nav-rollouts"]"#).await;
    app.element(WAITING_CARD, UNTIL_WAITING).await;
    let sentence = app.element(&format!(r#"{WAITING_CARD} [data-testid="rollout-sentence"]"#), UNTIL_WAITING).await;
    app.session.text(&sentence).await.expect("the card's sentence")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_engineer_is_notified_in_the_engines_words_when_the_rollout_waits_for_their_sign_off() {
    let service = NotificationService::start().await;
    let app = launch_demo("notify-engineer", &service).await;
    app.add_profile("Ada", "engineer").await;

    let shown = wait_for("a notification naming fraud", UNTIL_WAITING, || async {
        service.shown().into_iter().find(|n| n.summary.contains("fraud"))
    })
    .await;
    assert_eq!(shown.summary, "fraud waits for your approval", "{shown:?}");
    assert!(shown.body.contains("waits for the engineer and data scientist"), "{shown:?}");
    let sentence = waiting_sentence(&app).await;
    assert_eq!(shown.body, sentence.trim(), "the body is the engine's sentence, as the rollout card shows it");
    app.screenshot("notified");
    assert_eq!(service.shown().len(), 1, "asked once, notified once: {:?}", service.shown());

    // A click on it, from another view, opens the rollouts, where the card asks for the sign-off.
    assert!(shown.actions.contains(&"default".to_owned()), "a click on it is asked to be reported: {shown:?}");
    app.click(r#"[data-testid="nav-fleet"]"#).await;
    app.element(r#"[data-testid="nav-fleet"][aria-current="page"]"#, Duration::from_secs(5)).await;
    service.click(shown.id).await;
    app.element(r#"[data-testid="nav-rollouts"][aria-current="page"]"#, NOTIFICATION_GRACE).await;
    app.element(WAITING_CARD, NOTIFICATION_GRACE).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_product_manager_whose_sign_off_is_not_needed_is_not_notified() {
    let service = NotificationService::start().await;
    let app = launch_demo("notify-product-manager", &service).await;
    app.add_profile("Cy", "product_manager").await;

    let sentence = waiting_sentence(&app).await;
    assert!(sentence.contains("waits for the engineer and data scientist"), "{sentence}");
    tokio::time::sleep(NOTIFICATION_GRACE).await;
    assert_eq!(service.shown(), vec![], "nothing shown to a product manager");
}
