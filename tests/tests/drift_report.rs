//! Drift reports through the engine on a real SQLite file: a reference and an inference log in
//! which some features were shifted; the report finds those and only those, keeps the
//! prediction apart, is stored, and tells listeners.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::{Duration, Utc};
use vigil_core::drift::logs::LogRequest;
use vigil_core::drift::reference::ReferenceRequest;
use vigil_core::drift::report::{ColumnChoice, ColumnRole};
use vigil_core::drift::stats::Method;
use vigil_core::{Engine, EngineEvent, EngineOptions, ErrorCode};

/// Deterministic pseudo-random numbers in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// `rows` rows of income (normal), tenure (normal), plan (3 labels), churn score (the
/// prediction); `shift` moves income by 1.5 standard deviations and makes "premium" the most
/// common plan. With `time`, each row carries a time in the current hour, up to now: all in one
/// window, so that a window's verdicts do not hang on the minute a test runs at.
fn write(dir: &Path, name: &str, rows: usize, shift: bool, time: bool, seed: u64) -> PathBuf {
    let now = Utc::now().timestamp();
    let hour_start = now - now.rem_euclid(3_600);
    let this_hour = move |i: usize| hour_start + (i as i64 % (now - hour_start + 1));
    write_at(dir, name, rows, shift, time.then_some(&this_hour), seed)
}

/// As [`write`], each row `i` at the Unix time `at(i)` when given.
fn write_at(dir: &Path, name: &str, rows: usize, shift: bool, at: Option<&dyn Fn(usize) -> i64>, seed: u64) -> PathBuf {
    let mut rng = Lcg(seed);
    let mut text =
        String::from(if at.is_some() { "at,income,tenure,plan,score\n" } else { "income,tenure,plan,score\n" });
    for i in 0..rows {
        let income = 50_000.0 + 10_000.0 * (rng.normal() + if shift { 1.5 } else { 0.0 });
        let tenure = 24.0 + 6.0 * rng.normal();
        let plans = if shift { ["premium", "premium", "basic"] } else { ["basic", "basic", "premium"] };
        let plan = if rng.next() < 0.1 { "family" } else { plans[(rng.next() * 3.0) as usize] };
        let score = rng.next();
        if let Some(at) = at {
            text += &format!("{},", at(i));
        }
        text += &format!("{income:.2},{tenure:.2},{plan},{score:.4}\n");
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn engine(dir: &Path) -> Engine {
    Engine::open(EngineOptions::new(vigil_tests::store(dir).await)).await.unwrap()
}

fn no_progress(_: vigil_core::drift::table::ImportProgress) {}

#[tokio::test]
async fn shifted_features_drift_and_only_they_and_the_report_is_stored_and_announced() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let cancel = Arc::new(AtomicBool::new(false));
    let reference = write(dir.path(), "train.csv", 20_000, false, false, 1);
    let request = ReferenceRequest { model: "churn".into(), prediction: Some("score".into()), ..Default::default() };
    engine.drift().import_reference(reference, request, no_progress, cancel.clone()).await.unwrap();
    let live = write(dir.path(), "live.csv", 5_000, true, true, 2);
    let log = LogRequest { model: "churn".into(), time_column: Some("at".into()), ..Default::default() };
    let imported = engine.drift().import_inference_log(live, log, no_progress, cancel).await.unwrap();
    assert_eq!(imported.rows, 5_000);

    let mut events = engine.subscribe();
    let now = Utc::now();
    let report = engine.drift().report("churn", None, now - Duration::hours(2), now).await.unwrap();
    let verdicts: Vec<(&str, bool)> =
        report.columns.iter().map(|column| (column.column.as_str(), column.test.as_ref().unwrap().drifted)).collect();
    assert_eq!(verdicts, [("income", true), ("tenure", false), ("plan", true), ("score", false)]);
    let income = &report.columns[0];
    let test = income.test.as_ref().unwrap();
    // More than 1000 reference rows: Evidently's normed Wasserstein; a 1.5σ shift scores ~1.5.
    assert_eq!(test.method, Method::Wasserstein);
    assert!((test.statistic - 1.5).abs() < 0.1, "income moved 1.5 sd: {}", test.statistic);
    assert_eq!(report.columns[2].test.as_ref().unwrap().method, Method::JensenShannon);
    assert_eq!(report.columns[3].role, ColumnRole::Prediction);
    assert_eq!((report.features, report.drifted_features, report.dataset_drift), (3, 2, true));
    assert_eq!((report.prediction_drift, report.current_rows, report.reference_rows), (Some(false), 5_000, 20_000));
    let distributions = income.distributions.as_ref().unwrap();
    let mean_bar = |shares: &[f64]| shares.iter().enumerate().map(|(i, s)| i as f64 * s).sum::<f64>();
    assert!(mean_bar(&distributions.current) > mean_bar(&distributions.reference) + 2.0, "{distributions:?}");

    match events.recv().await.unwrap() {
        EngineEvent::DriftReported { model, dataset_drift, drifted_features, features, .. } => {
            assert_eq!((model.as_str(), dataset_drift, drifted_features, features), ("churn", true, 2, 3))
        }
        other => panic!("expected a drift report event, got {other:?}"),
    }
    let stored = engine.drift().latest_reports().await.unwrap();
    assert_eq!(stored, vec![report]);

    // Window by window, income drifts wherever there is live data, tenure nowhere.
    let timeline = engine.drift().timeline("churn", None, now - Duration::hours(3), now).await.unwrap();
    assert_eq!((timeline.columns.len(), timeline.windows.len(), timeline.window_secs), (4, 4, 3600));
    let seen =
        |row: usize| timeline.cells[row].iter().flatten().filter(|cell| cell.problem.is_none()).collect::<Vec<_>>();
    assert!(!seen(0).is_empty() && seen(0).iter().all(|cell| cell.drifted), "{:?}", timeline.cells[0]);
    assert!(seen(1).iter().all(|cell| !cell.drifted), "{:?}", timeline.cells[1]);
    assert!(timeline.cells[0][0].is_none(), "no live data three hours ago");

    // The share of drifted features at which the data set counts as drifted is the model's to choose.
    engine.drift().set_share("churn", Some(0.8)).await.unwrap();
    let strict = engine.drift().report("churn", None, now - Duration::hours(2), now).await.unwrap();
    assert_eq!((strict.drifted_features, strict.share_threshold, strict.dataset_drift), (2, 0.8, false));
    for bad in [0.0, 1.5, f64::NAN] {
        let err = engine.drift().set_share("churn", Some(bad)).await.unwrap_err();
        assert_eq!(err.field(), Some("share"), "{bad}: {err}");
    }
    engine.drift().set_share("churn", None).await.unwrap();
    let again = engine.drift().report("churn", None, now - Duration::hours(2), now).await.unwrap();
    assert_eq!((again.share_threshold, again.dataset_drift), (0.5, true));
    let audited: Vec<String> = engine.audit_log(50).await.unwrap().into_iter().map(|entry| entry.action).collect();
    assert_eq!(audited.iter().filter(|action| *action == "drift.share").count(), 2, "{audited:?}");

    // A column's chosen test replaces the default, and survives a new import of the reference.
    let psi = ColumnChoice { method: Some(Method::Psi), threshold: Some(0.0001), learned: false };
    engine.drift().set_choice("churn", None, "tenure", psi).await.unwrap();
    let reference = write(dir.path(), "train.csv", 20_000, false, false, 1);
    let request = ReferenceRequest { model: "churn".into(), prediction: Some("score".into()), ..Default::default() };
    let cancel = Arc::new(AtomicBool::new(false));
    engine.drift().import_reference(reference, request, no_progress, cancel).await.unwrap();
    let chosen = engine.drift().report("churn", None, now - Duration::hours(2), now).await.unwrap();
    let tenure = chosen.columns[1].test.as_ref().unwrap();
    assert_eq!((tenure.method, tenure.threshold, tenure.drifted), (Method::Psi, 0.0001, true));
    let ks = ColumnChoice { method: Some(Method::Ks), threshold: None, learned: false };
    let err = engine.drift().set_choice("churn", None, "plan", ks).await.unwrap_err();
    assert!(err.to_string().contains("holds labels"), "{err}");
    let err = engine.drift().set_choice("churn", None, "nope", ColumnChoice::default()).await.unwrap_err();
    assert_eq!(err.field(), Some("column"));

    // A threshold learned from the reference (NannyML's mean + 3σ of its chunks, drawn at the
    // live sample's size) sits far below Evidently's fixed 0.1 on 5,000 rows: income still drifts.
    let learned = ColumnChoice { method: Some(Method::Wasserstein), threshold: None, learned: true };
    engine.drift().set_choice("churn", None, "income", learned).await.unwrap();
    let report = engine.drift().report("churn", None, now - Duration::hours(2), now).await.unwrap();
    assert_eq!(report.columns[0].chosen, learned);
    let income = report.columns[0].test.as_ref().unwrap();
    assert!(income.drifted && income.threshold > 0.0 && income.threshold < 0.05, "{income:?}");
    for bad in [
        ColumnChoice { method: Some(Method::Ks), threshold: None, learned: true },
        ColumnChoice { method: None, threshold: None, learned: true },
        ColumnChoice { method: Some(Method::Psi), threshold: Some(0.2), learned: true },
    ] {
        let err = engine.drift().set_choice("churn", None, "income", bad).await.unwrap_err();
        assert_eq!(err.field(), Some("method"), "{bad:?}: {err}");
    }
    while let Ok(event) = events.try_recv() {
        drop(event); // the choice's audit entry and the report above
    }

    // The scheduled round reports the model, which had live data since the last round.
    assert_eq!(engine.drift().round(now - Duration::minutes(5), Utc::now()).await.unwrap(), 1);
    assert!(matches!(events.recv().await.unwrap(), EngineEvent::DriftReported { .. }));
}

#[tokio::test]
async fn a_calm_day_whose_newest_hour_shifted_is_told_as_both_as_the_heatmap_shows() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let cancel = Arc::new(AtomicBool::new(false));
    let reference = write(dir.path(), "train.csv", 20_000, false, false, 5);
    let request = ReferenceRequest { model: "churn".into(), prediction: Some("score".into()), ..Default::default() };
    engine.drift().import_reference(reference, request, no_progress, cancel.clone()).await.unwrap();
    // 20,000 calm rows over the 23 hours before the current hour, then 1,000 shifted ones in it.
    let now = Utc::now().timestamp();
    let hour_start = now - now.rem_euclid(3_600);
    let calm = move |i: usize| hour_start - 23 * 3_600 + (i as i64 * 23 * 3_600 / 20_000);
    let shifted = move |i: usize| hour_start + (i as i64 % (now - hour_start + 1));
    let log = || LogRequest { model: "churn".into(), time_column: Some("at".into()), ..Default::default() };
    for (name, rows, shift, at, seed) in
        [("calm.csv", 20_000, false, &calm as &dyn Fn(usize) -> i64, 6), ("shifted.csv", 1_000, true, &shifted, 7)]
    {
        let live = write_at(dir.path(), name, rows, shift, Some(at), seed);
        engine.drift().import_inference_log(live, log(), no_progress, cancel.clone()).await.unwrap();
    }

    // To the second after the newest row, so that the newest hour is the one written however
    // the clock moves meanwhile.
    let to = chrono::DateTime::from_timestamp(now + 1, 0).unwrap();
    let report = engine.drift().report("churn", None, to - Duration::hours(24), to).await.unwrap();
    assert_eq!((report.features, report.drifted_features, report.current_rows), (3, 0, 21_000));
    let newest_hour = chrono::DateTime::from_timestamp(hour_start, 0).unwrap().format("%H:%M");
    assert_eq!(
        report.summary,
        format!(
            "None of the 3 inputs have shifted over the last 24 hours; nor have predictions. In the newest hour \
             (from {newest_hour} UTC), though, income and plan shifted."
        )
    );
    // The heatmap's newest window says the same of each column.
    let timeline = engine.drift().timeline("churn", None, to - Duration::hours(24), to).await.unwrap();
    let last = (0..timeline.windows.len()).rev().find(|&window| timeline.cells[0][window].is_some()).unwrap();
    assert_eq!(timeline.windows[last].timestamp(), hour_start);
    let newest: Vec<bool> = timeline.cells.iter().map(|row| row[last].as_ref().unwrap().drifted).collect();
    assert_eq!(timeline.columns, ["income", "tenure", "plan", "score"]);
    assert_eq!(newest, [true, false, true, false]);
    assert_eq!(engine.drift().latest_reports().await.unwrap()[0].summary, report.summary, "stored with its sentence");
}

#[tokio::test]
async fn a_report_needs_a_reference_and_a_range_and_says_which_columns_had_no_live_data() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let now = Utc::now();
    let err = engine.drift().report("churn", None, now - Duration::hours(1), now).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(err.to_string().contains("vigil drift reference --model churn"), "{err}");

    let reference = write(dir.path(), "train.csv", 500, false, false, 3);
    let request = ReferenceRequest { model: "churn".into(), ..Default::default() };
    engine.drift().import_reference(reference, request, no_progress, Arc::new(AtomicBool::new(false))).await.unwrap();
    let err = engine.drift().report("churn", None, now, now - Duration::hours(1)).await.unwrap_err();
    assert_eq!(err.field(), Some("range"));
    let report = engine.drift().report("churn", None, now - Duration::hours(1), now).await.unwrap();
    assert!(report.columns.iter().all(|column| column.problem.as_deref() == Some("no live values in this range")));
    assert_eq!((report.features, report.dataset_drift), (0, false));
    assert_eq!(engine.drift().round(now - Duration::minutes(5), now).await.unwrap(), 0, "no live data: no report");

    // A handful of live rows is too few to judge: the columns say so, with their bars shown.
    let live = write(dir.path(), "live.csv", 50, true, true, 4);
    let log = LogRequest { model: "churn".into(), time_column: Some("at".into()), ..Default::default() };
    engine.drift().import_inference_log(live, log, no_progress, Arc::new(AtomicBool::new(false))).await.unwrap();
    let report = engine.drift().report("churn", None, Utc::now() - Duration::hours(2), Utc::now()).await.unwrap();
    let income = &report.columns[0];
    assert_eq!(income.problem.as_deref(), Some("only 50 live values; a verdict needs at least 500"));
    assert!(income.test.is_none() && income.distributions.is_some());
    assert_eq!((report.features, report.current_rows, report.dataset_drift), (0, 50, false));
    assert_eq!(report.summary, "Only 50 live rows over the last 2 hours: too few to judge yet.");
    // On the heatmap, the windows holding those rows say how many they had and why no verdict.
    let timeline = engine.drift().timeline("churn", None, Utc::now() - Duration::hours(2), Utc::now()).await.unwrap();
    let cells: Vec<_> = timeline.cells[0].iter().flatten().collect();
    assert_eq!(cells.iter().map(|cell| cell.values).sum::<u64>(), 50, "{cells:?}");
    assert!(cells.iter().all(|cell| !cell.drifted && cell.problem.as_deref().is_some_and(|why| why.contains("500"))));
}

#[tokio::test]
async fn two_files_compared_at_once_get_the_stored_reports_verdicts_and_scores_and_a_pipeline_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let reference = write(dir.path(), "train.csv", 20_000, false, false, 1);
    let live = write(dir.path(), "live.csv", 5_000, true, true, 2);
    let cancel = Arc::new(AtomicBool::new(false));
    let request = ReferenceRequest { model: "churn".into(), prediction: Some("score".into()), ..Default::default() };
    engine.drift().import_reference(reference.clone(), request, no_progress, cancel.clone()).await.unwrap();
    let log = LogRequest { model: "churn".into(), time_column: Some("at".into()), ..Default::default() };
    engine.drift().import_inference_log(live.clone(), log, no_progress, cancel).await.unwrap();
    let now = Utc::now();
    let stored = engine.drift().report("churn", None, now - Duration::hours(2), now).await.unwrap();

    let vigil = vigil_tests::workspace_binary("vigil");
    let compare = |extra: &[&str]| {
        std::process::Command::new(&vigil)
            .arg("--db")
            .arg(dir.path().join("untouched.db"))
            .args(["drift", "compare"])
            .args([&reference, &live])
            .args(["--prediction", "score"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = compare(&["--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let compared: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let columns = compared["columns"].as_array().unwrap();
    assert_eq!(columns.len(), stored.columns.len());
    for (column, kept) in columns.iter().zip(&stored.columns) {
        let test = kept.test.as_ref().unwrap();
        assert_eq!(column["column"], kept.column.as_str());
        assert_eq!(column["test"]["drifted"], test.drifted, "{}", kept.column);
        let statistic = column["test"]["statistic"].as_f64().unwrap();
        assert!((statistic - test.statistic).abs() <= 1e-9 * test.statistic.abs().max(1.0), "{column} vs {test:?}");
    }
    assert_eq!((compared["dataset_drift"].as_bool(), compared["current_rows"].as_u64()), (Some(true), Some(5_000)));
    assert!(!dir.path().join("untouched.db").exists(), "a comparison stores nothing");

    let text = compare(&[]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("2 of 3 features drifted"), "{text:?}");
    let gate = compare(&["--fail-on-drift"]);
    assert_eq!(gate.status.code(), Some(1), "a pipeline's check fails on dataset drift");
    assert!(String::from_utf8_lossy(&gate.stderr).contains("the data set has drifted"), "{gate:?}");
    let missing =
        std::process::Command::new(&vigil).args(["drift", "compare", "nope.csv"]).arg(&live).output().unwrap();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.csv"), "{missing:?}");
}
