//! The versions a model's drift can be looked at by, through the engine on a real SQLite file:
//! those with live windows (the newest first) or a reference of their own, never the empty
//! version that stands for every version, and only the model's own.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::Utc;
use vigil_core::drift::logs::LogRequest;
use vigil_core::drift::reference::ReferenceRequest;
use vigil_core::drift::table::ImportProgress;
use vigil_core::{Engine, EngineOptions};

fn no_progress(_: ImportProgress) {}

/// A small CSV of `rows` rows of two columns; with `hours_ago`, each row carries that time.
fn write(dir: &Path, name: &str, rows: usize, hours_ago: Option<i64>) -> PathBuf {
    let mut text = String::from(if hours_ago.is_some() { "at,income,plan\n" } else { "income,plan\n" });
    for i in 0..rows {
        if let Some(hours) = hours_ago {
            text += &format!("{},", Utc::now().timestamp() - hours * 3_600 + (i % 60) as i64);
        }
        text += &format!("{},{}\n", 40_000 + (i * 37) % 20_000, ["basic", "premium", "family"][i % 3]);
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn reference(engine: &Engine, dir: &Path, model: &str, version: Option<&str>) {
    let path = write(dir, &format!("{model}-{}.csv", version.unwrap_or("all")), 200, None);
    let request = ReferenceRequest { model: model.into(), version: version.map(Into::into), ..Default::default() };
    engine.drift().import_reference(path, request, no_progress, Arc::new(AtomicBool::new(false))).await.unwrap();
}

async fn log(engine: &Engine, dir: &Path, model: &str, version: Option<&str>, hours_ago: i64) {
    let path = write(dir, &format!("{model}-{}-{hours_ago}-live.csv", version.unwrap_or("none")), 50, Some(hours_ago));
    let request = LogRequest {
        model: model.into(),
        version: version.map(Into::into),
        time_column: Some("at".into()),
        ..Default::default()
    };
    engine.drift().import_inference_log(path, request, no_progress, Arc::new(AtomicBool::new(false))).await.unwrap();
}

#[tokio::test]
async fn a_models_versions_are_those_with_live_windows_newest_first_then_those_with_only_a_reference() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions::new(vigil_tests::store(dir.path()).await)).await.unwrap();
    assert!(engine.drift().versions("churn").await.unwrap().is_empty(), "nothing stored yet");

    reference(&engine, dir.path(), "churn", None).await;
    assert!(engine.drift().versions("churn").await.unwrap().is_empty(), "a reference for every version names none");

    log(&engine, dir.path(), "churn", Some("v1"), 5).await;
    log(&engine, dir.path(), "churn", Some("v2"), 1).await;
    log(&engine, dir.path(), "churn", None, 0).await; // rows of no known version
    reference(&engine, dir.path(), "churn", Some("v1")).await; // v1 has both: listed once
    reference(&engine, dir.path(), "churn", Some("v4")).await; // only a reference: after the live ones
    reference(&engine, dir.path(), "churn", Some("v3")).await;
    log(&engine, dir.path(), "fraud", Some("v9"), 0).await; // another model's

    assert_eq!(engine.drift().versions("churn").await.unwrap(), ["v2", "v1", "v3", "v4"]);
    assert_eq!(engine.drift().versions(" churn ").await.unwrap(), ["v2", "v1", "v3", "v4"], "the name is trimmed");
    assert_eq!(engine.drift().versions("fraud").await.unwrap(), ["v9"]);
    assert!(engine.drift().versions("nope").await.unwrap().is_empty());
}
