//! Editing the price catalog one instance type at a time through the engine's cost front, as the
//! window's catalog panel does: a row checked as an imported one is (the error names the field,
//! nothing is stored), saved and replaced with an audit entry, and removal refused while a
//! server is placed on the instance type.

use chrono::NaiveDate;
use vigil_core::cost::catalog::{InstanceType, Price};
use vigil_core::rollouts::people::{Person, Role};
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind, VigilError};

async fn engine(dir: &tempfile::TempDir) -> Engine {
    Engine::open(EngineOptions::new(vigil_tests::store(dir.path()).await)).await.expect("open the engine")
}

fn ana() -> Person {
    Person::here("ana", Role::Engineer).expect("a person")
}

fn dgx(hourly: f64) -> InstanceType {
    let date = NaiveDate::from_ymd_opt(2026, 11, 1).expect("a date");
    InstanceType {
        provider: " onprem ".into(),
        region: "rack-7".into(),
        name: "dgx-a100".into(),
        vcpu: 128,
        memory_gib: 1024.0,
        gpu_type: Some("NVIDIA A100 80GB".into()),
        gpu_count: 8,
        on_demand: Price { hourly, date, source: "Finance rate card".into() },
        spot: None,
        reserved: None,
    }
}

fn find(types: &[InstanceType], name: &str) -> Option<InstanceType> {
    types.iter().find(|t| t.name == name).cloned()
}

#[tokio::test]
async fn a_saved_row_is_checked_like_an_imported_one_then_stored_replaced_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&dir).await;
    let before = engine.cost().catalog().await.unwrap();

    let mut bad = dgx(19.5);
    bad.gpu_count = 0;
    match engine.cost().save_instance_type(&ana(), bad).await {
        Err(VigilError::InvalidInput { field, message }) => {
            assert_eq!(field, "gpu_count");
            assert!(message.contains("gpu_count is 0 but gpu_type is 'NVIDIA A100 80GB'"), "{message}");
            assert!(!message.starts_with("line"), "a form's error names no line: {message}");
        }
        other => panic!("expected the gpu count refused, got {other:?}"),
    }
    let mut unsourced = dgx(19.5);
    unsourced.on_demand.source = "  ".into();
    let err = engine.cost().save_instance_type(&ana(), unsourced).await.unwrap_err();
    assert!(matches!(err, VigilError::InvalidInput { field: "on_demand_source", .. }), "{err:?}");
    let err = engine.cost().save_instance_type(&ana(), dgx(-1.0)).await.unwrap_err();
    assert!(matches!(err, VigilError::InvalidInput { field: "on_demand_hourly", .. }), "{err:?}");
    assert_eq!(engine.cost().catalog().await.unwrap(), before, "nothing stored for a refused row");

    let saved = engine.cost().save_instance_type(&ana(), dgx(19.5)).await.unwrap();
    assert_eq!(saved.provider, "onprem", "names are trimmed");
    engine.cost().save_instance_type(&ana(), dgx(21.0)).await.unwrap();
    let types = engine.cost().catalog().await.unwrap();
    assert_eq!(types.len(), before.len() + 1, "the second save replaced the first");
    assert_eq!(find(&types, "dgx-a100").unwrap().on_demand.hourly, 21.0);

    let saves: Vec<_> = engine
        .audit_log(50)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "cost.catalog.save" && e.subject == "onprem rack-7 dgx-a100")
        .collect();
    assert_eq!(saves.len(), 2, "{saves:?}");
    assert!(saves.iter().all(|e| e.actor == "ana"));
    assert!(saves.iter().any(|e| e.detail.contains("\"added\":true") && e.detail.contains("19.5")), "{saves:?}");
}

#[tokio::test]
async fn removal_is_refused_while_a_server_is_placed_on_it_and_otherwise_audited() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&dir).await;
    engine.cost().save_instance_type(&ana(), dgx(19.5)).await.unwrap();
    let spare = InstanceType { name: "dgx-h100".into(), ..dgx(30.0) };
    engine.cost().save_instance_type(&ana(), spare).await.unwrap();
    let server = NewServer {
        name: "fraud-prod".into(),
        base_url: "http://127.0.0.1:9".into(),
        kind: ServerKind::Mlserver,
        ..Default::default()
    };
    engine.servers().add(server).await.unwrap();
    engine.cost().place(&ana(), "fraud-prod", ("onprem", "rack-7", "dgx-a100"), 2).await.unwrap();

    match engine.cost().remove_instance_type(&ana(), "onprem", "rack-7", "dgx-a100").await {
        Err(VigilError::Conflict { message, .. }) => {
            assert!(message.contains("fraud-prod is (or was) placed on it"), "{message}");
            assert!(message.contains("Place that server on another instance type first"), "{message}");
        }
        other => panic!("expected the removal refused, got {other:?}"),
    }
    assert!(find(&engine.cost().catalog().await.unwrap(), "dgx-a100").is_some(), "still in the catalog");

    engine.cost().remove_instance_type(&ana(), "onprem", "rack-7", "dgx-h100").await.unwrap();
    assert!(find(&engine.cost().catalog().await.unwrap(), "dgx-h100").is_none());
    let log = engine.audit_log(50).await.unwrap();
    assert!(log.iter().any(|e| e.action == "cost.catalog.remove" && e.subject == "onprem rack-7 dgx-h100"));
    let err = engine.cost().remove_instance_type(&ana(), "onprem", "rack-7", "dgx-h100").await.unwrap_err();
    assert!(err.to_string().contains("has no onprem rack-7 dgx-h100"), "{err}");
}
