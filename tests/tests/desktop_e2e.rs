//! End to end in the real window: `vigil-desktop` under Xvfb, driven over WebDriver.
//!
//! A person adds a model server through the form, sees it up, edits its poll interval and labels,
//! sees it go down when the server stops, and removes it; each decision is on the audit trail.
//! Bad input gets an error under the field and stores nothing.
//!
//! With `--demo`, the demo fleet's servers are up on the first screen and its models measured;
//! Settings stops the fleet (they go down), removes them (on the audit trail) and starts it
//! again; quitting the app closes the fleet's ports.
//!
//! A damaged database opens a window that says so and what to do, and leaves the file alone.
//!
//! `--open model/NAME` opens the window on that model; a second launch on the same database with
//! a `vigil://` link hands it to the window already open there and ends, never a second engine.

use std::time::Duration;

use vigil_tests::desktop::DesktopApp;
use vigil_tests::loopback::ReadinessServer;

const POLL_INTERVAL_SECS: f64 = 1.0;

fn row(name: &str) -> String {
    format!(r#"[data-testid="server-row"][data-server="{name}"]"#)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_added_in_the_window_shows_up_then_down_when_it_stops() {
    let model_server = ReadinessServer::start().await;
    let app = DesktopApp::launch("server_up_then_down", POLL_INTERVAL_SECS, &[]).await;

    // A new user sees what to do.
    app.element(r#"[data-testid="fleet-empty"]"#, Duration::from_secs(20)).await;

    // Bad input: the error is under the field it names, and nothing is stored.
    app.click(r#"[data-testid="add-server-button"]"#).await;
    app.type_into(r#"[data-testid="server-url-input"]"#, &model_server.url()).await;
    app.click(r#"[data-testid="server-submit"]"#).await;
    let error = app.element(r#"[data-testid="server-name-error"]"#, Duration::from_secs(5)).await;
    let message = app.session.text(&error).await;
    assert!(message.unwrap().starts_with("Name must not be empty"), "the error names the Name field");
    assert!(app.session.find(r#"[data-testid="server-row"]"#).await.unwrap().is_none(), "nothing was added");

    // A good server: listed, and up after the engine checks its readiness endpoint.
    app.type_into(r#"[data-testid="server-name-input"]"#, "local-model").await;
    app.click(r#"[data-testid="server-submit"]"#).await;
    let health = format!(r#"{} [data-testid="server-health"]"#, row("local-model"));
    app.wait_for_text(&health, "Up", Duration::from_secs(10)).await;

    // Editing takes effect without a restart: the form opens with every setting in view, and
    // the list shows the new label once it is saved.
    app.click(&format!(r#"{} [data-testid="edit-server"]"#, row("local-model"))).await;
    app.type_into(r#"[data-testid="server-poll-interval-input"]"#, &POLL_INTERVAL_SECS.to_string()).await;
    app.type_into(r#"[data-testid="label-name-input"]"#, "team").await;
    app.type_into(r#"[data-testid="label-value-input"]"#, "risk").await;
    app.click(r#"[data-testid="server-submit"]"#).await;
    app.wait_for_text(
        &format!(r#"{} [data-testid="server-labels"]"#, row("local-model")),
        "team=risk",
        Duration::from_secs(5),
    )
    .await;
    assert!(app.session.find(r#"[data-testid="server-form"]"#).await.unwrap().is_none(), "the form closed");

    // The server stops: the window shows it down within the poll interval (plus the check's
    // own timeout and a margin for a loaded machine), without any reload.
    model_server.stop();
    app.wait_for_text(&health, "Down", Duration::from_secs_f64(POLL_INTERVAL_SECS + 2.0 + 5.0)).await;
    let attention = app.element(r#"[data-testid="attention"]"#, Duration::from_secs(2)).await;
    let attention = app.session.text(&attention).await.unwrap();
    assert!(attention.contains("local-model is down"), "the attention strip names the server: {attention}");
    assert!(attention.contains("connection refused"), "and says why: {attention}");

    // Removing it asks first, then the fleet is empty again.
    app.click(&format!(r#"{} [data-testid="remove-server"]"#, row("local-model"))).await;
    app.click(r#"[data-testid="confirm-remove-yes"]"#).await;
    app.element(r#"[data-testid="fleet-empty"]"#, Duration::from_secs(5)).await;

    // Every decision is on the audit trail, newest first.
    app.click(r#"[data-testid="nav-audit"]"#).await;
    app.element(r#"[data-testid="audit-table"]"#, Duration::from_secs(5)).await;
    let rows = app.session.find_all(r#"[data-testid="audit-row"]"#).await.unwrap();
    let mut texts = Vec::new();
    for row in &rows {
        texts.push(app.session.text(row).await.unwrap());
    }
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts[0].contains("Removed server") && texts[0].contains("local-model"), "{texts:?}");
    assert!(texts[1].contains("Edited server") && texts[1].contains("poll interval secs: — → 1"), "{texts:?}");
    assert!(texts[1].contains(r#"labels: {} → {"team":"risk"}"#), "{texts:?}");
    assert!(texts[2].contains("Added server") && texts[2].contains(&model_server.url()), "{texts:?}");

    app.session.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_database_opens_a_window_that_says_so_and_what_to_do_and_leaves_the_file_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let damaged = dir.path().join("vigil.db");
    let garbage = b"a note someone saved over the database\n".repeat(100);
    std::fs::write(&damaged, &garbage).expect("write");
    let path = damaged.display().to_string();
    let app = DesktopApp::launch_with_env("startup_trouble", POLL_INTERVAL_SECS, &[], &[("VIGIL_DB", &path)]).await;
    let message = vigil_tests::wait_for("the trouble page", Duration::from_secs(20), || async {
        app.text_of(r#"[data-testid="startup-trouble-message"]"#).await
    })
    .await;
    assert!(message.contains(&path) && message.contains("damaged or is not a Vigil database"), "{message}");
    assert!(message.contains("vigil restore"), "says what to do: {message}");
    assert!(app.session.find(r#"[data-testid="nav-fleet"]"#).await.unwrap().is_none(), "only the trouble shows");
    app.screenshot("startup-trouble");
    assert_eq!(std::fs::read(&damaged).expect("read"), garbage, "the file is left as it was");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_opens_the_window_on_its_model_and_a_second_launch_on_the_database_hands_it_its_link() {
    let app = DesktopApp::launch("open_link", POLL_INTERVAL_SECS, &["--demo", "--open", "model/churn"]).await;
    app.element(r#"[data-testid="model-view"][data-model="churn"]"#, Duration::from_secs(40)).await;

    let second = app.launch_again(&["vigil://model/price"]).await;
    let said = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success() && said.contains("already open"), "{second:?}");
    app.element(r#"[data-testid="model-view"][data-model="price"]"#, Duration::from_secs(10)).await;
    app.screenshot("opened-by-link");

    let nowhere = app.launch_again(&["--open", "models/price"]).await;
    let error = String::from_utf8_lossy(&nowhere.stderr);
    assert_eq!(nowhere.status.code(), Some(2), "{nowhere:?}");
    assert!(error.contains("'models/price' is not a place") && error.contains("model/NAME"), "{error}");
    app.session.close().await;
}

/// Each of `names`' health and labels as listed, or None while one of them is not.
async fn rows_of(app: &DesktopApp, names: &[&str]) -> Option<Vec<(String, String)>> {
    let mut rows = Vec::new();
    for name in names {
        let health = app.text_of(&format!(r#"{} [data-testid="server-health"]"#, row(name))).await?;
        let labels = app.text_of(&format!(r#"{} [data-testid="server-labels"]"#, row(name))).await?;
        rows.push((health, labels));
    }
    Some(rows)
}

/// Waits until every one of `names` is listed in `health`, labelled as the demo's (beside the
/// instance type, replicas and team its cost is worked out from).
async fn wait_for_demo_servers(app: &DesktopApp, names: &[&str], health: &str, deadline: Duration) {
    let demo = |(listed, labels): &(String, String)| {
        listed == health && labels.contains("source=vigil-fleet") && labels.contains("instance=")
    };
    vigil_tests::wait_for(&format!("{names:?} listed {health}"), deadline, || async {
        rows_of(app, names).await.filter(|rows| rows.iter().all(demo))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_fleet_is_up_on_the_first_screen_and_settings_stops_removes_and_restarts_it() {
    const DEMO: [&str; 3] = ["churn", "fraud", "pricing"];
    let app = DesktopApp::launch("demo_fleet", POLL_INTERVAL_SECS, &["--demo"]).await;

    // The first screen: the fleet's servers, detected and up (training the models takes a few
    // seconds; the demo polls its servers every 2 s).
    wait_for_demo_servers(&app, &DEMO, "Up", Duration::from_secs(30)).await;
    let kind = app.text_of(&format!(r#"{} [data-testid="server-kind"]"#, row("fraud"))).await;
    assert_eq!(kind.as_deref(), Some("NVIDIA Triton"));
    // Its models, with numbers: fraud's rate from two reads of Triton's metrics, and its canary.
    let fraud = r#"[data-testid="model-row"][data-model="fraud"]"#;
    vigil_tests::wait_for("fraud's request rate", Duration::from_secs(20), || async {
        app.text_of(&format!(r#"{fraud} [data-testid="model-rate"]"#)).await.filter(|rate| rate.ends_with(" req/s"))
    })
    .await;
    let chip = app.text_of(&format!(r#"{fraud} [data-testid="revision-chip"][data-version="13"]"#)).await;
    assert!(chip.as_deref().unwrap_or_default().starts_with("v13 canary"), "{chip:?}");

    // Settings shows it running with its scenarios and servers; Stop closes its ports.
    app.click(r#"[data-testid="nav-settings"]"#).await;
    // The demo's state is read when Settings opens; under a full test run that read can be slow.
    app.wait_for_text(r#"[data-testid="demo-state"]"#, "Running", Duration::from_secs(15)).await;

    // The store: this window's file, given by VIGIL_DB (which comes first); a team store that
    // does not answer is refused in the database's own words, and nothing is kept.
    app.wait_for_text(r#"[data-testid="store-current"]"#, &app.db_path.display().to_string(), Duration::from_secs(5))
        .await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    app.type_into(r#"[data-testid="store-db-input"]"#, &format!("postgres://ada@127.0.0.1:{closed}/vigil")).await;
    app.click(r#"[data-testid="store-use-team"]"#).await;
    let refused = vigil_tests::wait_for("the store refused", Duration::from_secs(10), || async {
        app.text_of(r#"[data-testid="store-error"]"#).await
    })
    .await;
    assert!(refused.contains("could not connect") && refused.contains("Connection refused"), "{refused}");
    let elsewhere = app.text_of(r#"[data-testid="store-elsewhere"]"#).await.unwrap_or_default();
    assert!(elsewhere.contains("VIGIL_DB"), "{elsewhere}");
    app.screenshot("settings-store");
    let scenarios = app.text_of(r#"[data-testid="demo-scenarios"]"#).await.unwrap_or_default();
    for scenario in ["healthy", "drift", "bad-canary"] {
        assert!(scenarios.contains(scenario), "{scenarios}");
    }
    assert_eq!(app.session.find_all(r#"[data-testid="demo-server"]"#).await.unwrap().len(), 3);
    app.click(r#"[data-testid="demo-stop"]"#).await;
    app.wait_for_text(r#"[data-testid="demo-state"]"#, "Stopped", Duration::from_secs(5)).await;

    app.click(r#"[data-testid="nav-fleet"]"#).await;
    wait_for_demo_servers(&app, &DEMO, "Down", Duration::from_secs(10)).await;
    // Its models are down with it, as the engine says once the poll that found them down is stored.
    vigil_tests::wait_for("fraud down with its server", Duration::from_secs(5), || async {
        app.text_of(&format!(r#"{fraud} [data-testid="model-health"]"#)).await.filter(|health| health == "Down")
    })
    .await;

    // Remove demo servers asks first, then the fleet is empty and each removal is audited.
    app.click(r#"[data-testid="nav-settings"]"#).await;
    app.click(r#"[data-testid="demo-remove"]"#).await;
    app.click(r#"[data-testid="demo-confirm-remove-yes"]"#).await;
    app.wait_for_text(r#"[data-testid="demo-servers"]"#, "None registered", Duration::from_secs(5)).await;
    app.click(r#"[data-testid="nav-fleet"]"#).await;
    app.element(r#"[data-testid="fleet-empty"]"#, Duration::from_secs(5)).await;

    app.click(r#"[data-testid="nav-audit"]"#).await;
    app.element(r#"[data-testid="audit-table"]"#, Duration::from_secs(5)).await;
    let mut texts = Vec::new();
    for row in app.session.find_all(r#"[data-testid="audit-row"]"#).await.unwrap() {
        texts.push(app.session.text(&row).await.unwrap());
    }
    // The demo imported each model's reference data and its release pipeline rolled fraud 13 out,
    // also on the trail; then the servers.
    let references = texts.iter().filter(|t| t.contains("drift.reference")).count();
    assert_eq!(references, 3, "a reference for fraud, churn and price: {texts:?}");
    assert!(texts.iter().any(|t| t.contains("Started a rollout") && t.contains("release pipeline")), "{texts:?}");
    let texts: Vec<String> = texts.into_iter().filter(|t| t.contains(" server")).collect();
    assert_eq!(texts.len(), 6, "three added, three removed: {texts:?}");
    for (text, name) in texts.iter().zip(["pricing", "fraud", "churn"]) {
        assert!(text.contains("Removed server") && text.contains(name), "{texts:?}");
    }
    assert!(texts[3..].iter().all(|t| t.contains("Added server")), "{texts:?}");

    // The empty fleet offers the demo again; quitting the app closes its ports.
    app.click(r#"[data-testid="nav-fleet"]"#).await;
    app.click(r#"[data-testid="fleet-demo-start"]"#).await;
    wait_for_demo_servers(&app, &DEMO, "Up", Duration::from_secs(30)).await;
    let url = app.text_of(&format!(r#"{} [data-testid="server-url"]"#, row("fraud"))).await.unwrap_or_default();
    let address = url.strip_prefix("http://").expect("an http URL").to_owned();
    assert!(tokio::net::TcpStream::connect(&address).await.is_ok(), "fraud serves at {address}");
    app.session.close().await;
    vigil_tests::wait_for("the fleet's ports to close with the app", Duration::from_secs(10), || async {
        tokio::net::TcpStream::connect(&address).await.is_err().then_some(())
    })
    .await;
}

/// Waits until the chart matching `css` has drawn at least `least` points from the engine, and
/// returns how many.
async fn drawn_points(app: &DesktopApp, css: &str, least: f64) -> f64 {
    vigil_tests::wait_for(&format!("{css} to draw {least} points"), Duration::from_secs(30), || async {
        app.attribute(css, "data-points").await?.parse::<f64>().ok().filter(|points| *points >= least)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_opens_on_charts_drawn_from_the_engine_the_role_changes_what_comes_first_and_ctrl_k_jumps_to_another() {
    let app = DesktopApp::launch("model_detail", POLL_INTERVAL_SECS, &["--demo"]).await;
    let fraud = r#"[data-testid="model-row"][data-model="fraud"]"#;
    vigil_tests::wait_for("fraud measured", Duration::from_secs(40), || async {
        app.text_of(&format!(r#"{fraud} [data-testid="model-rate"]"#)).await.filter(|rate| rate.ends_with(" req/s"))
    })
    .await;
    // The role is remembered between launches (an earlier run may have left another one).
    app.click(r#"[data-testid="role-engineer"]"#).await;
    app.click(&format!(r#"{fraud} [data-testid="open-model"]"#)).await;

    // The engineer's first section is the charts, with a line per revision: stable and canary.
    app.element(r#"[data-testid="model-view"][data-model="fraud"]"#, Duration::from_secs(5)).await;
    let first_section = || async { app.attribute(r#"[data-first="true"]"#, "data-testid").await };
    assert_eq!(first_section().await.as_deref(), Some("model-section-charts"));
    let traffic = r#"[data-testid="chart-traffic"]"#;
    assert!(drawn_points(&app, traffic, 1.0).await > 0.0);
    let legend = app.text_of(&format!("{traffic} .u-legend")).await.unwrap_or_default();
    assert!(
        legend.contains("v12 (stable)") && legend.contains("v13 (canary)"),
        "the legend names both revisions: {legend}"
    );

    // Another range is read again from the engine, and drawn.
    app.click(r#"[data-testid="range-15m"]"#).await;
    app.wait_for_text(r#"[data-testid="range-words"]"#, "Last 15 m, live · every poll", Duration::from_secs(10)).await;
    // Live: each poll adds its points (six lines: p99, p50 and mean of two revisions).
    let latency = r#"[data-testid="chart-latency"]"#;
    let before = drawn_points(&app, latency, 1.0).await;
    assert!(drawn_points(&app, latency, before + 6.0).await > before);
    app.screenshot("fraud-engineer");

    // A data scientist sees the revisions first, a product manager a plain sentence.
    app.click(r#"[data-testid="role-data_scientist"]"#).await;
    vigil_tests::wait_for("revisions first", Duration::from_secs(5), || async {
        first_section().await.filter(|s| s == "model-section-revisions")
    })
    .await;
    app.click(r#"[data-testid="role-product_manager"]"#).await;
    vigil_tests::wait_for("plain words first", Duration::from_secs(5), || async {
        first_section().await.filter(|s| s == "model-section-summary")
    })
    .await;
    let sentence = app.text_of(r#"[data-testid="model-sentence"]"#).await.unwrap_or_default();
    assert!(sentence.starts_with("fraud on fraud "), "{sentence}");
    app.screenshot("fraud-product-manager");

    // Ctrl+K opens the palette anywhere; part of a model's name and Enter open that model.
    app.press(r#"[data-testid="palette-button"]"#, "\u{E009}k\u{E000}").await;
    app.press(r#"[data-testid="palette-input"]"#, "chur").await;
    let first = r#"[data-testid="palette-entry"][aria-selected="true"]"#;
    app.content_when(&format!("{first} .title"), Duration::from_secs(5), |title| title == "churn").await;
    app.screenshot("palette");
    app.press(r#"[data-testid="palette-input"]"#, "\u{E007}").await;
    app.element(r#"[data-testid="model-view"][data-model="churn"]"#, Duration::from_secs(5)).await;
    assert!(app.session.find(r#"[data-testid="palette"]"#).await.expect("look").is_none(), "the palette closed");
    app.session.close().await;
}

#[tokio::test]
async fn drift_is_reported_from_the_window_on_the_demo_fleet_and_a_reference_file_imports_with_its_summary() {
    let app = DesktopApp::launch("drift", POLL_INTERVAL_SECS, &["--demo"]).await;
    // Traffic flows, and with it the fleet's payload log into the window's ingest endpoint.
    vigil_tests::wait_for("fraud measured", Duration::from_secs(40), || async {
        app.text_of(r#"[data-testid="model-row"][data-model="fraud"] [data-testid="model-rate"]"#)
            .await
            .filter(|rate| rate.ends_with(" req/s"))
    })
    .await;
    app.click(r#"[data-testid="role-data_scientist"]"#).await;
    app.click(r#"[data-testid="nav-drift"]"#).await;
    app.element(r#"[data-testid="drift-view"]"#, Duration::from_secs(5)).await;

    // The demo imported fraud's reference: a report run now compares the live payloads with it.
    app.element(r#"[data-testid="drift-model-fraud"]"#, Duration::from_secs(20)).await;
    app.click(r#"[data-testid="drift-model-fraud"]"#).await;
    app.element(r#"[data-testid="drift-run"]"#, Duration::from_secs(5)).await;
    // Run until the live payloads are enough to judge (a verdict needs 500 values a column).
    let summary = vigil_tests::wait_for("a verdict on fraud", Duration::from_secs(150), || async {
        app.click(r#"[data-testid="drift-run"]"#).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        // "2 of 6 inputs have shifted…" or "None of the 6 inputs have shifted…".
        app.text_of(r#"[data-testid="drift-summary"]"#).await.filter(|text| text.contains("6 inputs"))
    })
    .await;
    assert!(summary.contains("over the last 24 hours"), "a plain sentence with its period: {summary}");
    app.element(r#"[data-testid="drift-column-amount"]"#, Duration::from_secs(5)).await;
    // The worst column is chosen at first, its reference and live distributions side by side.
    app.element(r#"[data-testid="drift-distributions"]"#, Duration::from_secs(5)).await;
    app.element(r#"[data-testid="drift-heatmap"]"#, Duration::from_secs(10)).await;
    app.screenshot("drift-fraud");

    // A reference file imported through the window: progress, then what each column became.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("scoring-reference.csv");
    let mut csv = String::from("customer_id,income,region,score\n");
    for i in 0..300 {
        csv += &format!("{i},{},{},{}\n", 30_000 + i * 97 % 5_000, ["north", "south"][i % 2], i % 10);
    }
    std::fs::write(&file, csv).expect("write the reference file");
    app.click(r#"[data-testid="drift-import"]"#).await;
    app.type_into(r#"[data-testid="drift-import-path"]"#, &file.display().to_string()).await;
    app.type_into(r#"[data-testid="drift-import-model"]"#, "scoring").await;
    app.type_into(r#"[data-testid="drift-import-prediction"]"#, "score").await;
    app.click(r#"[data-testid="drift-import-start"]"#).await;
    app.element(r#"[data-testid="drift-import-summary"]"#, Duration::from_secs(20)).await;
    let imported = app.text_of(r#"[data-testid="drift-import-summary"]"#).await.unwrap_or_default();
    assert!(imported.contains("Imported 300 rows"), "{imported}");
    assert!(imported.contains("identifier"), "customer_id is skipped as an identifier: {imported}");
    app.screenshot("drift-import");
    app.session.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_canary_is_signed_off_by_two_roles_promoted_and_rolled_back_with_its_reason_on_the_trail() {
    let app = DesktopApp::launch("rollout", POLL_INTERVAL_SECS, &["--demo=healthy"]).await;
    app.add_profile("Bo", "data_scientist").await;
    app.add_profile("Ada", "engineer").await;
    app.wait_for_text(r#"[data-testid="profile-chip"]"#, "Ada · Engineer", Duration::from_secs(5)).await;

    // The demo's pipeline rolls fraud 13 out; its steps pass, and promotion waits for sign-off.
    app.click(r#"[data-testid="nav-rollouts"]"#).await;
    let card = r#"[data-testid="rollout-card"][data-model="fraud"]"#;
    app.element(&format!(r#"{card}[data-state="waiting"]"#), Duration::from_secs(150)).await;
    let waiting_for = format!(r#"{card} [data-testid="rollout-waiting-for"]"#);
    app.wait_for_text(&waiting_for, "Waiting for: Engineer, Data scientist", Duration::from_secs(5)).await;
    let gates =
        app.session.find_all(&format!(r#"{card} [data-testid="gate-row"][data-verdict="pass"]"#)).await.unwrap();
    assert_eq!(gates.len(), 2, "each gate shown passing, measured against its threshold");

    // Ada approves as the engineer; the data scientist is still needed.
    app.type_into(&format!(r#"{card} [data-testid="rollout-reason"]"#), "latency and errors as v12").await;
    app.click(&format!(r#"{card} [data-testid="rollout-approve"]"#)).await;
    app.wait_for_text(&waiting_for, "Waiting for: Data scientist", Duration::from_secs(10)).await;
    app.screenshot("waiting-for-the-data-scientist");

    // Bo, the data scientist, approves: fraud 13 is promoted.
    app.click(r#"[data-testid="nav-settings"]"#).await;
    app.click(r#"[data-testid="profile-option"][data-name="Bo"]"#).await;
    app.wait_for_text(r#"[data-testid="profile-chip"]"#, "Bo · Data scientist", Duration::from_secs(5)).await;
    app.click(r#"[data-testid="nav-rollouts"]"#).await;
    app.click(&format!(r#"{card} [data-testid="rollout-approve"]"#)).await;
    app.element(r#"[data-testid="rollout-history-row"][data-state="promoted"]"#, Duration::from_secs(20)).await;
    app.screenshot("promoted");

    // Bo rolls fraud back to 12 from its model view, with a reason.
    app.click(r#"[data-testid="nav-fleet"]"#).await;
    app.click(r#"[data-testid="model-row"][data-model="fraud"] [data-testid="open-model"]"#).await;
    // A data scientist's model view opens on the Performance panel; once it has read the report
    // the page below it stops moving.
    let performance_read = r#"[data-testid="performance-revision"], [data-testid="performance-empty"]"#;
    app.element(performance_read, Duration::from_secs(10)).await;
    // The demo's reference carries fraud's outputs and truth, so CBPE estimates its accuracy
    // before any label comes (the panel reads again with the polls).
    let estimated = r#"[data-testid="performance-figure"][data-kind="estimated"][data-metric="accuracy"]"#;
    app.element(estimated, Duration::from_secs(45)).await;
    app.click(r#"[data-testid="rollback-open"][data-version="12"]"#).await;
    app.type_into(r#"[data-testid="rollback-reason"]"#, "fraud team saw more false positives").await;
    app.click(r#"[data-testid="rollback-confirm"]"#).await;
    app.element(r#"[data-testid="rollback-open"][data-version="13"]"#, Duration::from_secs(10)).await;

    // The trail has it: who, in which role, why, and the evidence the promotion was made on.
    app.click(r#"[data-testid="nav-audit"]"#).await;
    let rolled_back = vigil_tests::wait_for("the rollback on the trail", Duration::from_secs(10), || async {
        for row in app.session.find_all(r#"[data-testid="audit-row"]"#).await.ok()? {
            let text = app.session.text(&row).await.ok()?;
            if text.contains("Rolled back") {
                return Some(text);
            }
        }
        None
    })
    .await;
    for expected in ["Bo · Data scientist", "fraud team saw more false positives", "error share", "serving: 12"] {
        assert!(rolled_back.contains(expected), "{expected:?} in {rolled_back:?}");
    }
    app.click(r#"[data-testid="audit-verify"]"#).await;
    let check = app.element(r#"[data-testid="audit-check"]"#, Duration::from_secs(5)).await;
    assert!(app.session.text(&check).await.unwrap().starts_with("The trail holds"));
    app.screenshot("audit");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cost_view_places_a_server_shows_fraud_12_and_13_per_1000_and_a_load_test_runs_and_cancels() {
    let app = DesktopApp::launch("cost", POLL_INTERVAL_SECS, &["--demo=healthy"]).await;
    app.add_profile("Ada", "engineer").await;
    app.click(r#"[data-testid="nav-cost"]"#).await;

    // The demo's servers are placed by their labels; Ada moves fraud to three g5.xlarge.
    app.click(r#"[data-testid="cost-place-toggle"]"#).await;
    app.choose(r#"[data-testid="cost-place-server"]"#, "fraud").await;
    app.fill(r#"[data-testid="cost-place-search"]"#, "g5").await;
    app.choose(r#"[data-testid="cost-place-instance"]"#, "aws/us-east-1/g5.xlarge").await;
    app.fill(r#"[data-testid="cost-place-replicas"]"#, "3").await;
    app.click(r#"[data-testid="cost-place-save"]"#).await;
    let row = r#"[data-testid="cost-server-row"][data-server="fraud"]"#;
    let placed = app.text_when(row, Duration::from_secs(10), |text| text.contains("g5.xlarge × 3")).await;
    assert!(placed.contains("$2,173") || placed.contains("$3.02"), "3 × $1.006 an hour: {placed}");

    // fraud 12 (stable) and 13 (the canary the demo's pipeline rolls out), side by side.
    let comparison = r#"[data-testid="cost-comparison"][data-model="fraud"]"#;
    let priced = |text: &str| text.contains('$');
    let stable = format!(r#"{comparison} [data-testid="cost-comparison-stable"]"#);
    let candidate = format!(r#"{comparison} [data-testid="cost-comparison-candidate"]"#);
    let stable = app.text_when(&stable, Duration::from_secs(120), priced).await;
    let candidate = app.text_when(&candidate, Duration::from_secs(120), priced).await;
    assert!(stable.contains("v12") && candidate.contains("v13"), "{stable} | {candidate}");
    app.screenshot("cost");

    // A load test of price on its loopback server: progress shows, then Cancel stops it.
    app.choose(r#"[data-testid="load-test-model"]"#, "pricing/price").await;
    app.fill(r#"[data-testid="load-test-rates"]"#, "20, 40").await;
    app.fill(r#"[data-testid="load-test-step-seconds"]"#, "30").await;
    app.click(r#"[data-testid="load-test-start"]"#).await;
    let words = r#"[data-testid="load-test-progress-words"]"#;
    let going = |text: &str| text.starts_with("Step 1 of 2: 20 req/s") && !text.contains("· 0 ok");
    app.text_when(words, Duration::from_secs(20), going).await;
    let bar = r#"[data-testid="load-test-progress"] progress"#;
    let fraction = app.attribute(bar, "value").await.and_then(|v| v.parse::<f64>().ok()).unwrap_or_default();
    assert!(fraction > 0.0 && fraction < 0.5, "the bar moves through the first of two steps: {fraction}");
    app.screenshot("load-test-running");
    app.click(r#"[data-testid="load-test-cancel"]"#).await;
    let sentence =
        app.text_when(r#"[data-testid="load-test-sentence"]"#, Duration::from_secs(10), |t| !t.is_empty()).await;
    assert!(sentence.contains("load test was cancelled"), "{sentence}");
    app.element(r#"[data-testid="load-test-past"]"#, Duration::from_secs(5)).await;
    app.screenshot("load-test-cancelled");
}

/// fraud 12's golden set as the data scientist's notebook writes it: rows as fraud was trained
/// on, with the answers of the model the demo fleet trains for v12 (its seed, 42).
fn fraud_golden(rows: usize) -> String {
    let spec = vigil_fleet::models::catalog().into_iter().find(|s| s.name == "fraud" && s.version == "12");
    let spec = spec.expect("fraud 12 in the fleet's catalog");
    let model = spec.train(42).expect("train fraud 12");
    vigil_fleet::reference::reference_csv(&model, spec.truth, 42, rows)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revisions_environment_is_gathered_and_its_parity_checked_from_the_model_view() {
    let dir = tempfile::tempdir().expect("temp dir");
    let golden = dir.path().join("fraud-golden.csv");
    std::fs::write(&golden, fraud_golden(200)).expect("golden set");
    let app = DesktopApp::launch("preflight", POLL_INTERVAL_SECS, &["--demo=healthy"]).await;
    app.add_profile("Bo", "data_scientist").await;
    app.click(r#"[data-testid="nav-fleet"]"#).await;
    let fraud = r#"[data-testid="model-row"][data-model="fraud"]"#;
    app.click(&format!(r#"{fraud} [data-testid="open-model"]"#)).await;
    let card = |version: &str| format!(r#"[data-testid="revision-preflight"][data-version="{version}"]"#);

    // v12's environment, gathered from its server: the software it names, on the card. (Once
    // v13's card is there too: it comes first, and its arrival moves v12's button.)
    app.element(&card("13"), Duration::from_secs(15)).await;
    app.click(&format!(r#"{} [data-testid="preflight-gather"]"#, card("12"))).await;
    let summary = format!(r#"{} [data-testid="preflight-summary"]"#, card("12"));
    let summary = app.content_when(&summary, Duration::from_secs(15), |text| !text.is_empty()).await;
    assert!(summary.starts_with("triton "), "the demo's fraud server is Triton-like: {summary}");

    // The notebook's golden set: v12 answers as it did on every row, v13 (retrained) does not.
    for (version, passed) in [("12", "true"), ("13", "false")] {
        app.click(&format!(r#"{} [data-testid="preflight-parity"]"#, card(version))).await;
        app.fill(&format!(r#"{} [data-testid="parity-golden"]"#, card(version)), &golden.display().to_string()).await;
        app.click(&format!(r#"{} [data-testid="parity-run"]"#, card(version))).await;
        let report = format!(r#"{} [data-testid="parity-report"][data-passed="{passed}"]"#, card(version));
        app.element(&report, Duration::from_secs(30)).await;
        let line = format!(r#"{} [data-testid="preflight-parity-line"]"#, card(version));
        let line = app.content_when(&line, Duration::from_secs(10), |t| t.contains("of 200 rows")).await;
        if passed == "true" {
            assert!(line.contains("matched 200 of 200 rows"), "{line}");
        } else {
            app.element(&format!(r#"{report} [data-testid="parity-mismatch"]"#), Duration::from_secs(5)).await;
            let sentence = format!(r#"{report} [data-testid="parity-report-sentence"]"#);
            let sentence = app.content_when(&sentence, Duration::from_secs(5), |t| !t.is_empty()).await;
            assert!(sentence.starts_with("fraud v13 matched") && sentence.contains("it fails"), "{sentence}");
        }
    }
    let report = format!(r#"{} [data-testid="parity-report"]"#, card("13"));
    let script = "document.querySelector(arguments[0]).scrollIntoView({ block: 'start' });";
    app.session.execute(script, vec![report.into()]).await.expect("scroll to the report");
    app.screenshot("preflight");
}
