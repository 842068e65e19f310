//! Model performance end to end, on a real SQLite file: predictions logged from payloads posted
//! to the real ingest endpoint on loopback (the outputs told apart by the metadata Vigil read
//! from the demo fleet's servers) and from imported inference logs; labels posted to the ingest
//! endpoint or imported, before or after their predictions, days late; the realized figures per
//! revision per window; alert rules on realized and estimated figures; retention, deletion and
//! the CLI.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use vigil_core::alerts::lifecycle::AlertState;
use vigil_core::alerts::rules::{Condition, RuleDraft, Scope, Severity, Signal};
use vigil_core::drift::logs::LogRequest;
use vigil_core::drift::reference::ReferenceRequest;
use vigil_core::drift::table::BadRows;
use vigil_core::performance::report::{
    CbpeMetric, PerformanceMetric, PerformanceReport, PerformanceWindow, WindowPerformance,
};
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_fleet::config::TrafficConfig;
use vigil_fleet::{Fleet, FleetConfig};
use vigil_tests::cli::vigil;

const TOKEN: &str = "a-token-for-the-performance-test";

/// An engine on a fresh database in `dir` that has polled the demo fleet's servers once, so it
/// holds each model's metadata (fraud: `fraud_probability` FP64 and `is_fraud` INT64; price:
/// `price_keur` FP64). The fleet sends no traffic of its own.
async fn engine_knowing_the_fleet(dir: &Path) -> Engine {
    let config =
        FleetConfig { traffic: TrafficConfig { enabled: false, ..TrafficConfig::default() }, ..FleetConfig::default() };
    let fleet = Fleet::start(config).await.expect("the demo fleet starts");
    let engine = Engine::open(EngineOptions::new(dir.join("vigil.db"))).await.unwrap();
    for server in fleet.servers() {
        let new = NewServer { name: server.name, base_url: server.url, kind: ServerKind::Auto, ..Default::default() };
        engine.servers().add(new).await.unwrap();
    }
    engine.polling().check_all().await.unwrap();
    fleet.stop().await;
    engine
}

/// Posts one inference of `model` as KServe's logger does: the request and the response as
/// CloudEvents sharing the inference id.
async fn post_inference(http: &reqwest::Client, url: &str, model: &str, id: &str, inputs: Value, outputs: Value) {
    let response = json!({"model_name": model, "model_version": "12", "id": id, "outputs": outputs});
    for (part, body) in [("request", json!({ "inputs": inputs })), ("response", response)] {
        let answer = http
            .post(url)
            .bearer_auth(TOKEN)
            .header("ce-type", format!("org.kubeflow.serving.inference.{part}"))
            .header("ce-id", id)
            .header("ce-inferenceservicename", model)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 202, "{}", answer.text().await.unwrap());
    }
}

async fn post_labels(http: &reqwest::Client, url: &str, body: &Value) -> (u16, String) {
    let answer = http.post(url).bearer_auth(TOKEN).json(body).send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

fn only_window(report: &PerformanceReport, version: &str) -> WindowPerformance {
    let revision = report.revisions.iter().find(|r| r.version == version).unwrap_or_else(|| panic!("{report:#?}"));
    assert_eq!(revision.windows.len(), 1, "{report:#?}");
    revision.windows[0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn predictions_from_the_ingest_endpoint_join_labels_posted_before_or_after_them() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_knowing_the_fleet(dir.path()).await;
    engine.performance().set_keep_inputs("price", true).await.unwrap();
    // fraud's reference, with its outputs and the truth, calibrates CBPE: at 0.8 (predicted 1)
    // the truth is 1 four times in five, at 0.2 (predicted 0) once in five.
    let mut reference = String::from("amount,fraud_probability,is_fraud,truth\n");
    for i in 0..1_000 {
        let (p, predicted) = if i % 2 == 0 { (0.8, 1) } else { (0.2, 0) };
        let truth = if (i / 2) % 5 == 0 { 1 - predicted } else { predicted };
        reference += &format!("{},{p},{predicted},{truth}\n", i % 50);
    }
    std::fs::write(dir.path().join("fraud.csv"), reference).unwrap();
    let request = ReferenceRequest {
        model: "fraud".into(),
        prediction: Some("fraud_probability".into()),
        target: Some("truth".into()),
        ..Default::default()
    };
    let cancel = Arc::new(AtomicBool::new(false));
    engine.drift().import_reference(dir.path().join("fraud.csv"), request, |_| {}, cancel).await.unwrap();
    let ingest = engine.drift().start_ingest("127.0.0.1:0".parse().unwrap(), TOKEN.into()).await.unwrap();
    let url = format!("http://{}/ingest", ingest.addr());
    let http = reqwest::Client::new();

    // fraud predicts 1 for odd i; the truth is 1 for i % 4 == 1 only: 30 of 40 right, every
    // fraud found (recall 1), half the alarms false (precision 0.5).
    let truth = |i: usize| i64::from(i % 4 == 1);
    let labels = |range: std::ops::Range<usize>| json!({"labels": range.map(|i| json!({"id": format!("f-{i}"), "label": truth(i)})).collect::<Vec<_>>()});
    let early = post_labels(&http, &format!("{url}/fraud/labels"), &labels(0..20)).await;
    assert_eq!(early, (202, json!({"accepted": 20}).to_string()), "labels before their predictions are kept");
    for i in 0..40 {
        let predicted = (i % 2) as i64;
        let probability = if predicted == 1 { 0.8 } else { 0.2 };
        let inputs = json!([{"name": "amount", "shape": [1], "datatype": "FP64", "data": [i as f64]}]);
        let outputs = json!([
            {"name": "fraud_probability", "shape": [1], "datatype": "FP64", "data": [probability]},
            {"name": "is_fraud", "shape": [1], "datatype": "INT64", "data": [predicted]}]);
        post_inference(&http, &url, "fraud", &format!("f-{i}"), inputs, outputs).await;
    }
    // price keeps its inputs; predicted 100 + i against a truth of 100.
    for i in 0..4 {
        let inputs = json!([{"name": "area_m2", "shape": [1], "datatype": "FP64", "data": [50.0 + i as f64]}]);
        let outputs = json!([{"name": "price_keur", "shape": [1], "datatype": "FP64", "data": [100.0 + i as f64]}]);
        post_inference(&http, &url, "price", &format!("p-{i}"), inputs, outputs).await;
    }
    // A model Vigil knows nothing of: its predictions are not logged, and the report says why.
    let outputs = json!([{"name": "score", "shape": [1], "datatype": "FP64", "data": [0.5]}]);
    post_inference(&http, &url, "mystery", "m-0", json!([{"name": "x", "shape": [1], "data": [1]}]), outputs).await;
    ingest.flush().await.unwrap();
    let late = post_labels(&http, &format!("{url}/fraud/labels"), &labels(20..40)).await;
    assert_eq!(late.0, 202);
    let prices = json!({"labels": (0..4).map(|i| json!({"id": format!("p-{i}"), "label": 100})).collect::<Vec<_>>()});
    assert_eq!(post_labels(&http, &format!("{url}/price/labels"), &prices).await.0, 202);
    ingest.flush().await.unwrap();
    let stats = ingest.stats();
    assert_eq!((stats.predictions, stats.labels), (44, 44));

    let since = Utc::now() - Duration::hours(1);
    let report = engine.performance().report("fraud", PerformanceWindow::Hour, since).await.unwrap();
    let window = only_window(&report, "12");
    assert_eq!((window.predictions, window.labelled), (40, 40));
    let figures = window.classifier.clone().expect("a classifier's figures");
    assert_eq!(
        (figures.count, figures.accuracy, figures.precision, figures.recall),
        (40, Some(0.75), Some(0.5), Some(1.0))
    );
    // Positives all at 0.8; of the negatives, 10 tie at 0.8 (half right) and 20 are at 0.2.
    let auc = figures.roc_auc.unwrap();
    assert!((auc - 250.0 / 300.0).abs() < 1e-12, "{auc}");
    assert_eq!((report.labels_waiting, report.not_logged.len()), (0, 0));
    // Estimated beside the realized: calibrated, each prediction is right with chance 0.8.
    let estimate = |name: &str| {
        let found = window.estimated.iter().find(|e| serde_json::to_value(e.metric).unwrap() == name);
        found.unwrap_or_else(|| panic!("no {name} in {:#?}", window))
    };
    for metric in ["accuracy", "precision", "recall", "f1"] {
        let estimate = estimate(metric);
        assert!((estimate.value - 0.8).abs() < 1e-9, "{metric}: {estimate:?}");
        assert!(estimate.lower < estimate.value && estimate.value < estimate.upper, "{metric}: {estimate:?}");
        assert_eq!(estimate.count, 40);
    }
    let price = engine.performance().report("price", PerformanceWindow::Hour, since).await.unwrap();
    assert!(price.revisions[0].not_estimated.as_deref().unwrap().contains("no labelled reference"));

    let report = engine.performance().report("price", PerformanceWindow::Hour, since).await.unwrap();
    let figures = only_window(&report, "12").regressor.expect("a regressor's figures");
    assert_eq!((figures.count, figures.mae), (4, Some(1.5)));

    let mystery = engine.performance().report("mystery", PerformanceWindow::Hour, since).await.unwrap();
    assert!(mystery.revisions.is_empty());
    let reason = &mystery.not_logged[0];
    assert_eq!(reason.count, 1);
    assert!(reason.reason.contains("neither the model's metadata nor its reference"), "{}", reason.reason);

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("vigil.db").display())).await.unwrap();
    let inputs: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT model, inputs FROM predictions WHERE inference_id IN ('f-1', 'p-1') ORDER BY model")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(inputs[0], ("fraud".into(), None), "no raw inputs unless the model keeps them");
    assert_eq!(
        inputs[1].1.as_deref().map(|json| serde_json::from_str::<Value>(json).unwrap()),
        Some(json!({"area_m2": 51.0}))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_label_body_that_is_wrong_is_refused_naming_what_is_wrong_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions::new(dir.path().join("vigil.db"))).await.unwrap();
    let ingest = engine.drift().start_ingest("127.0.0.1:0".parse().unwrap(), TOKEN.into()).await.unwrap();
    let url = format!("http://{}/ingest/fraud/labels", ingest.addr());
    let http = reqwest::Client::new();
    let body = json!({"labels": [{"id": "a", "label": 1}]});
    assert_eq!(http.post(&url).json(&body).send().await.unwrap().status(), 401, "the ingest token is needed");
    let wrong = json!({"labels": [{"id": "a", "label": 1}, {"id": "b", "label": {"class": 1}}]});
    let (status, why) = post_labels(&http, &url, &wrong).await;
    assert_eq!((status, why.as_str()), (400, r#"labels[1]: label is {"class":1}, not a number or a string"#));
    let (status, why) =
        post_labels(&http, &url, &json!({"labels": [{"id": "a", "label": 1, "at": "yesterday"}]})).await;
    assert!(status == 400 && why.contains("not an RFC 3339 time"), "{why}");
    ingest.flush().await.unwrap();
    assert_eq!(ingest.stats().labels, 0);
    let report = engine.performance().report("fraud", PerformanceWindow::Day, Utc::now() - Duration::days(1)).await;
    assert_eq!(report.unwrap().labels_waiting, 0, "nothing of a refused post was kept");
}

/// An engine whose model `churn` has a reference with a binary prediction column `churned` (so
/// its label), and an inference log of 20 predictions at each of `times`, ids `t{k}-{i}`,
/// predicting 1 for odd i.
async fn engine_with_logged_predictions(dir: &Path, times: &[DateTime<Utc>]) -> Engine {
    let engine = Engine::open(EngineOptions::new(dir.join("vigil.db"))).await.unwrap();
    let mut reference = String::from("tenure,churned\n");
    for i in 0..200 {
        reference += &format!("{},{}\n", i % 37, i % 2);
    }
    std::fs::write(dir.join("reference.csv"), reference).unwrap();
    let request = ReferenceRequest { model: "churn".into(), prediction: Some("churned".into()), ..Default::default() };
    let cancel = Arc::new(AtomicBool::new(false));
    engine.drift().import_reference(dir.join("reference.csv"), request, |_| {}, cancel.clone()).await.unwrap();
    let mut log = String::from("inference_id,at,tenure,churned\n");
    for (k, at) in times.iter().enumerate() {
        for i in 0..20 {
            log += &format!("t{k}-{i},{},{},{}\n", at.to_rfc3339(), i, i % 2);
        }
    }
    std::fs::write(dir.join("log.csv"), log).unwrap();
    let request = LogRequest {
        model: "churn".into(),
        version: Some("v3".into()),
        time_column: Some("at".into()),
        bad_rows: BadRows::Stop,
    };
    engine.drift().import_inference_log(dir.join("log.csv"), request, |_| {}, cancel).await.unwrap();
    engine
}

/// Labels for the predictions made at time `k`: right for i < `right`, wrong after.
fn label_file(dir: &Path, k: usize, right: usize) -> std::path::PathBuf {
    let mut text = String::from("id,label\n");
    for i in 0..20 {
        let truth = if i < right { i % 2 } else { 1 - i % 2 };
        text += &format!("t{k}-{i},{truth}\n");
    }
    let path = dir.join(format!("labels-{k}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn labels_three_days_late_change_the_window_of_their_predictions_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let engine = engine_with_logged_predictions(dir.path(), &[now - Duration::days(3), now]).await;
    let performance = engine.performance();
    let today = performance.import_labels("churn", label_file(dir.path(), 1, 20), BadRows::Stop).await.unwrap();
    assert_eq!((today.labels, today.joined), (20, 20));

    let since = now - Duration::days(5);
    let before = performance.report("churn", PerformanceWindow::Day, since).await.unwrap();
    let windows = &before.revisions[0].windows;
    assert_eq!(windows.iter().map(|w| (w.predictions, w.labelled)).collect::<Vec<_>>(), [(20, 0), (20, 20)]);
    assert_eq!(windows[1].classifier.as_ref().unwrap().accuracy, Some(1.0));

    // Now, three days late, the labels of the older predictions: 15 of 20 right.
    performance.import_labels("churn", label_file(dir.path(), 0, 15), BadRows::Stop).await.unwrap();
    let after = performance.report("churn", PerformanceWindow::Day, since).await.unwrap();
    let late = &after.revisions[0].windows;
    assert_eq!((late[0].labelled, late[0].classifier.as_ref().unwrap().accuracy), (20, Some(0.75)));
    assert_eq!(late[0].start, windows[0].start, "the window of the predictions' day");
    assert_eq!(late[1], windows[1], "today's window is as it was");
}

#[tokio::test]
async fn a_bad_label_file_names_its_line_and_column_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with_logged_predictions(dir.path(), &[Utc::now()]).await;
    let path = dir.path().join("labels.csv");
    std::fs::write(&path, "inference_id,label\nt0-0,0\nt0-1,\nt0-2,0\n").unwrap();
    let err = engine.performance().import_labels("churn", path.clone(), BadRows::Stop).await.unwrap_err();
    assert_eq!(err.field(), Some("file"));
    assert!(err.to_string().contains("line 3 of") && err.to_string().contains("column label is missing"), "{err}");
    let report = engine.performance().report("churn", PerformanceWindow::Day, Utc::now() - Duration::days(1)).await;
    assert_eq!(report.unwrap().revisions[0].windows[0].labelled, 0, "nothing was stored");

    let skipped = engine.performance().import_labels("churn", path, BadRows::Skip).await.unwrap();
    assert_eq!((skipped.labels, skipped.skipped_rows, skipped.bad_rows[0].line), (2, 1, 3));
    let jsonl = dir.path().join("labels.jsonl");
    std::fs::write(&jsonl, "{\"id\": \"t0-5\", \"label\": 1}\n{\"id\": \"t0-6\"}\n").unwrap();
    let err = engine.performance().import_labels("churn", jsonl, BadRows::Stop).await.unwrap_err();
    assert!(err.to_string().contains("line 2 of"), "{err}");
    let no_id = dir.path().join("no-id.csv");
    std::fs::write(&no_id, "row,label\n1,0\n").unwrap();
    let err = engine.performance().import_labels("churn", no_id, BadRows::Stop).await.unwrap_err();
    assert!(err.to_string().contains("no id (or inference_id) column"), "{err}");
}

#[tokio::test]
async fn retention_prunes_old_predictions_and_the_cli_reports_sets_and_deletes_audited() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let engine = engine_with_logged_predictions(dir.path(), &[now - Duration::days(3), now]).await;
    engine.performance().import_labels("churn", label_file(dir.path(), 1, 10), BadRows::Stop).await.unwrap();
    drop(engine);
    let db = dir.path().join("vigil.db");

    let shown = vigil(&db, &["performance", "report", "churn", "--json"]).await;
    assert!(shown.success(), "{shown:?}");
    let report: Value = serde_json::from_str(&shown.stdout).unwrap();
    let windows = &report["revisions"][0]["windows"];
    assert_eq!((windows[1]["labelled"].clone(), windows[1]["classifier"]["accuracy"].clone()), (json!(20), json!(0.5)));
    let text = vigil(&db, &["performance", "report", "churn", "--window", "hour"]).await;
    assert!(text.success() && text.stdout.contains("revision v3") && text.stdout.contains("class 1"), "{text:?}");

    let kept = vigil(&db, &["predictions", "retention", "churn", "2"]).await;
    assert!(kept.success() && kept.stdout.contains("kept 2 days"), "{kept:?}");
    let report: Value =
        serde_json::from_str(&vigil(&db, &["performance", "report", "churn", "--json"]).await.stdout).unwrap();
    assert_eq!(
        report["revisions"][0]["windows"].as_array().unwrap().len(),
        1,
        "the predictions of 3 days ago are gone"
    );
    let refused = vigil(&db, &["predictions", "retention", "churn", "0"]).await;
    assert!(!refused.success() && refused.stderr.contains("from 1 to"), "{refused:?}");

    let deleted = vigil(&db, &["predictions", "delete", "churn"]).await;
    assert!(
        deleted.success() && deleted.stdout.contains("Deleted 20 predictions and 20 labels of churn"),
        "{deleted:?}"
    );
    let engine = Engine::open(EngineOptions::new(db)).await.unwrap();
    let report = engine.performance().report("churn", PerformanceWindow::Day, now - Duration::days(5)).await.unwrap();
    assert!(report.revisions.is_empty());
    let actions: Vec<String> = engine.audit_log(10).await.unwrap().into_iter().map(|entry| entry.action).collect();
    for action in ["predictions.delete", "predictions.settings", "labels.import"] {
        assert!(actions.iter().any(|a| a == action), "{action} audited: {actions:?}");
    }
}

/// Writes `text` to `name` in `dir`.
fn file(dir: &Path, name: &str, text: String) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_rules_watch_a_models_realized_and_estimated_performance() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_knowing_the_fleet(dir.path()).await;
    let cancel = Arc::new(AtomicBool::new(false));
    // A calibrated reference: every other row says 0.9 and predicts 1, the rest 0.1 and 0;
    // nine in ten of each are right, so CBPE expects an accuracy of 0.9.
    let mut reference = String::from("tenure,churn_probability,will_churn,target\n");
    for i in 0..200 {
        let (p, predicted) = if i % 2 == 0 { (0.9, 1) } else { (0.1, 0) };
        let truth = if i % 20 < 2 { 1 - predicted } else { predicted };
        reference += &format!("{},{p},{predicted},{truth}\n", i % 37);
    }
    let request = ReferenceRequest {
        model: "churn".into(),
        prediction: Some("churn_probability".into()),
        target: Some("target".into()),
        ..Default::default()
    };
    let path = file(dir.path(), "reference.csv", reference);
    engine.drift().import_reference(path, request, |_| {}, cancel.clone()).await.unwrap();
    // 40 predictions of v3 now, shaped as the reference; their labels right for 24 of them.
    let now = Utc::now();
    let (mut log, mut labels) =
        (String::from("inference_id,at,tenure,churn_probability,will_churn\n"), String::from("id,label\n"));
    for i in 0..40 {
        let (p, predicted) = if i % 2 == 0 { (0.9, 1) } else { (0.1, 0) };
        log += &format!("c-{i},{},{},{p},{predicted}\n", now.to_rfc3339(), i % 37);
        labels += &format!("c-{i},{}\n", if i < 24 { predicted } else { 1 - predicted });
    }
    let request = LogRequest {
        model: "churn".into(),
        version: Some("v3".into()),
        time_column: Some("at".into()),
        bad_rows: BadRows::Stop,
    };
    engine.drift().import_inference_log(file(dir.path(), "log.csv", log), request, |_| {}, cancel).await.unwrap();
    engine.performance().import_labels("churn", file(dir.path(), "labels.csv", labels), BadRows::Stop).await.unwrap();

    let rule = |name: &str, signal: Signal, bound: f64| RuleDraft {
        name: name.into(),
        signal,
        condition: Condition::Below { bound },
        for_secs: 0,
        keep_firing_secs: 0,
        severity: Severity::Warning,
        scope: Scope::Model { model: "churn".into() },
        runbook: None,
        enabled: true,
    };
    let alerts = engine.alerts();
    alerts
        .save_rule(
            None,
            rule("churn accuracy", Signal::RealizedPerformance { metric: PerformanceMetric::Accuracy }, 0.8),
        )
        .await
        .unwrap();
    let estimated = Signal::EstimatedPerformance { metric: CbpeMetric::Accuracy };
    alerts.save_rule(None, rule("churn expected accuracy", estimated.clone(), 0.95)).await.unwrap();
    alerts.save_rule(None, rule("churn expected accuracy, loose", estimated, 0.5)).await.unwrap();
    alerts.evaluate(Utc::now()).await.unwrap();

    let shown: Vec<(String, AlertState, Option<String>)> = alerts
        .alerts()
        .await
        .unwrap()
        .into_iter()
        .filter(|alert| alert.rule.starts_with("churn"))
        .map(|alert| (alert.rule, alert.state, alert.value))
        .collect();
    assert_eq!(
        shown,
        [
            ("churn accuracy".to_owned(), AlertState::Firing, Some("0.600".to_owned())),
            ("churn expected accuracy".to_owned(), AlertState::Firing, Some("0.900".to_owned())),
        ],
        "24 of 40 right is below 0.8; CBPE expects 0.9, below 0.95 and not below 0.5"
    );
    let history = alerts.history(10).await.unwrap();
    let fired = history.iter().find(|entry| entry.rule == "churn accuracy").expect("the firing is in the history");
    assert_eq!(
        fired.evidence.0["sentence"],
        json!("churn on churn: realized accuracy is 0.600, past 0.800 (churn accuracy)")
    );
}
