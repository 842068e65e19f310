//! The engine against a real SQLite file and real HTTP servers on loopback: what a person
//! would notice about health, events, polling, validation, removal and persistence.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::SqlitePool;
use tempfile::TempDir;
use tokio::sync::broadcast;
use vigil_core::{Engine, EngineEvent, EngineOptions, ErrorCode, HealthState, NewServer, Server, ServerKind};
use vigil_tests::loopback::{closed_port_url, ReadinessServer};
use vigil_tests::wait_for;

const ACTOR: &str = "integration-test";

/// A fresh database file in its own temporary folder (kept alive by the returned guard).
fn temp_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vigil.db");
    (dir, path)
}

fn options(path: &Path, request_timeout: Duration) -> EngineOptions {
    EngineOptions {
        poll_interval: Duration::from_millis(200),
        request_timeout,
        actor: ACTOR.into(),
        ..EngineOptions::new(path.to_owned())
    }
}

async fn open(path: &Path) -> Engine {
    Engine::open(options(path, Duration::from_secs(2))).await.expect("open the engine")
}

/// A separate connection to the database file, to read what the engine stored.
async fn inspect(path: &Path) -> SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(path))
        .await
        .expect("open the database file for inspection")
}

async fn add(engine: &Engine, name: &str, base_url: &str) -> Server {
    engine
        .servers()
        .add(NewServer { name: name.into(), base_url: base_url.into(), kind: ServerKind::OipV2, ..Default::default() })
        .await
        .unwrap_or_else(|err| panic!("add {name}: {err}"))
}

/// Checks every server now and returns the one called `name`.
async fn check(engine: &Engine, name: &str) -> Server {
    let servers = engine.polling().check_all().await.expect("check all servers");
    find(&servers, name)
}

fn find(servers: &[Server], name: &str) -> Server {
    servers.iter().find(|s| s.name == name).cloned().unwrap_or_else(|| panic!("no server {name} in {servers:?}"))
}

/// The stored health events of the server `id`, oldest first, as (from, to, reason).
async fn health_events(db: &SqlitePool, server_id: i64) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT from_state, to_state, reason FROM health_events WHERE server_id = ? ORDER BY id")
        .bind(server_id)
        .fetch_all(db)
        .await
        .expect("read health_events")
}

async fn audit_count(db: &SqlitePool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(db).await.expect("count audit_log")
}

/// Stops `server` and waits until its port refuses connections (aborting its task is not
/// instantaneous).
async fn stop_and_wait(server: &ReadinessServer) {
    server.stop();
    let addr = server.url().trim_start_matches("http://").to_owned();
    wait_for("the stopped server's port to refuse connections", Duration::from_secs(5), || {
        let addr = addr.clone();
        async move { tokio::net::TcpStream::connect(&addr).await.is_err().then_some(()) }
    })
    .await;
}

/// The next event that is not a `Polled` round marker, failing after a few seconds.
async fn next_event(events: &mut broadcast::Receiver<EngineEvent>) -> EngineEvent {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("an event within 5 s")
            .expect("the event channel is open and not lagging");
        if !matches!(event, EngineEvent::Polled { .. }) {
            return event;
        }
    }
}

#[tokio::test]
async fn a_server_answering_200_is_up_and_the_transition_is_stored() {
    let (_dir, path) = temp_db();
    let engine = open(&path).await;
    let model_server = ReadinessServer::start().await;
    let added = add(&engine, "fraud-prod", &model_server.url()).await;
    assert_eq!(added.health, HealthState::Unknown, "a new server is unknown until checked");

    let server = check(&engine, "fraud-prod").await;
    assert_eq!(server.health, HealthState::Up, "{server:?}");
    let reason = server.health_reason.clone().unwrap_or_default();
    assert!(reason.contains("HTTP 200"), "reason should mention HTTP 200: {reason:?}");
    assert!(server.checked_at.is_some() && server.health_since.is_some(), "{server:?}");

    let db = inspect(&path).await;
    let events = health_events(&db, added.id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let (from, to, stored_reason) = &events[0];
    assert_eq!((from.as_str(), to.as_str()), ("unknown", "up"));
    assert_eq!(stored_reason, &reason);
}

#[tokio::test]
async fn a_server_answering_503_is_down_with_the_status_as_reason() {
    let (_dir, path) = temp_db();
    let engine = open(&path).await;
    let model_server = ReadinessServer::start().await;
    let added = add(&engine, "triton", &model_server.url()).await;
    assert_eq!(check(&engine, "triton").await.health, HealthState::Up);

    model_server.answer(503);
    let server = check(&engine, "triton").await;
    assert_eq!(server.health, HealthState::Down, "{server:?}");
    let reason = server.health_reason.unwrap_or_default();
    assert!(reason.contains("503"), "reason should mention 503: {reason:?}");

    let events = health_events(&inspect(&path).await, added.id).await;
    let transitions: Vec<(&str, &str)> = events.iter().map(|(f, t, _)| (f.as_str(), t.as_str())).collect();
    assert_eq!(transitions, [("unknown", "up"), ("up", "down")]);
    assert!(events[1].2.contains("503"), "{events:?}");
}

#[tokio::test]
async fn a_stopped_server_is_down_because_the_connection_is_refused() {
    let (_dir, path) = temp_db();
    let engine = open(&path).await;
    let model_server = ReadinessServer::start().await;
    add(&engine, "mlserver", &model_server.url()).await;
    assert_eq!(check(&engine, "mlserver").await.health, HealthState::Up);

    stop_and_wait(&model_server).await;
    let server = check(&engine, "mlserver").await;
    assert_eq!(server.health, HealthState::Down, "{server:?}");
    assert_eq!(server.health_reason.as_deref(), Some("connection refused"));
}

#[tokio::test]
async fn a_server_on_a_closed_port_is_down_because_the_connection_is_refused() {
    let (_dir, path) = temp_db();
    let engine = open(&path).await;
    add(&engine, "nobody-home", &closed_port_url()).await;

    let server = check(&engine, "nobody-home").await;
    assert_eq!(server.health, HealthState::Down, "{server:?}");
    assert_eq!(server.health_reason.as_deref(), Some("connection refused"));
}

#[tokio::test]
async fn hanging_servers_are_down_after_the_timeout_without_delaying_a_healthy_one() {
    let (_dir, path) = temp_db();
    let timeout = Duration::from_millis(300);
    let engine = Engine::open(options(&path, timeout)).await.expect("open the engine");
    // Several hanging servers: checked one after another they would take 4 × the timeout.
    let mut hanging = Vec::new();
    for i in 0..4 {
        let server = ReadinessServer::start_with_delay(Duration::from_secs(10)).await;
        add(&engine, &format!("hanging-{i}"), &server.url()).await;
        hanging.push(server);
    }
    let healthy = ReadinessServer::start().await;
    add(&engine, "healthy", &healthy.url()).await;

    let started = Instant::now();
    let servers = engine.polling().check_all().await.expect("check all servers");
    let took = started.elapsed();

    for i in 0..hanging.len() {
        let hung = find(&servers, &format!("hanging-{i}"));
        assert_eq!(hung.health, HealthState::Down, "{hung:?}");
        let reason = hung.health_reason.unwrap_or_default();
        assert!(reason.starts_with("no answer") && reason.contains("within"), "reason: {reason:?}");
        assert!(reason.contains("0.3 s"), "the reason should state the timeout: {reason:?}");
    }
    assert_eq!(find(&servers, "healthy").health, HealthState::Up, "the healthy server must not be held up");
    assert!(took < timeout * 3, "hanging servers held the round for {took:?} (timeout {timeout:?})");
}

#[tokio::test]
async fn only_transitions_are_stored_not_every_check() {
    let (_dir, path) = temp_db();
    let engine = open(&path).await;
    let model_server = ReadinessServer::start().await;
    let added = add(&engine, "steady", &model_server.url()).await;

    let first = check(&engine, "steady").await;
    let second = check(&engine, "steady").await;
    assert_eq!(second.health, HealthState::Up);
    assert_eq!(second.health_since, first.health_since, "health_since marks when Up began, not the last check");
    assert!(second.checked_at >= first.checked_at);

    let events = health_events(&inspect(&path).await, added.id).await;
    assert_eq!(events.len(), 1, "two checks of an Up server store one transition: {events:?}");
}

#[tokio::test]
async fn listeners_hear_about_additions_health_changes_removals_and_audit_entries() {
    let (_dir, path) = temp_db();
    let engine = open(&path).await;
    let model_server = ReadinessServer::start().await;
    let mut events = engine.subscribe();

    let added = add(&engine, "kserve", &model_server.url()).await;
    match next_event(&mut events).await {
        EngineEvent::ServerAdded { server } => assert_eq!(server, added),
        other => panic!("expected ServerAdded, got {other:?}"),
    }
    match next_event(&mut events).await {
        EngineEvent::Audited { entry } => {
            assert_eq!(
                (entry.action.as_str(), entry.subject.as_str(), entry.actor.as_str()),
                ("server.add", "kserve", ACTOR)
            );
        }
        other => panic!("expected Audited, got {other:?}"),
    }

    engine.polling().check_all().await.expect("check all servers");
    match next_event(&mut events).await {
        EngineEvent::HealthChanged { server, from, to } => {
            assert_eq!((from, to), (HealthState::Unknown, HealthState::Up));
            assert_eq!(server.name, "kserve");
            assert_eq!(server.health, HealthState::Up, "the event carries the server after the change");
        }
        other => panic!("expected HealthChanged, got {other:?}"),
    }

    engine.servers().remove("kserve").await.expect("remove kserve");
    match next_event(&mut events).await {
        EngineEvent::ServerRemoved { name } => assert_eq!(name, "kserve"),
        other => panic!("expected ServerRemoved, got {other:?}"),
    }
    match next_event(&mut events).await {
        EngineEvent::Audited { entry } => {
            assert_eq!((entry.action.as_str(), entry.subject.as_str()), ("server.remove", "kserve"))
        }
        other => panic!("expected Audited, got {other:?}"),
    }
}

#[tokio::test]
async fn the_background_poller_notices_a_server_going_down_on_its_own() {
    let (_dir, path) = temp_db();
    let engine = open(&path).await;
    let model_server = ReadinessServer::start().await;
    let _poller = engine.polling().start();
    add(&engine, "watched", &model_server.url()).await;

    let health_of = |wanted: HealthState| {
        let engine = engine.clone();
        move || {
            let engine = engine.clone();
            async move {
                let servers = engine.servers().list().await.ok()?;
                let server = servers.into_iter().find(|s| s.name == "watched")?;
                (server.health == wanted).then_some(server)
            }
        }
    };
    wait_for("the poller to see the new server Up", Duration::from_secs(5), health_of(HealthState::Up)).await;

    model_server.answer(503);
    let down =
        wait_for("the poller to see the server Down", Duration::from_secs(5), health_of(HealthState::Down)).await;
    assert!(down.health_reason.unwrap_or_default().contains("503"));
}

#[tokio::test]
async fn invalid_or_conflicting_servers_are_rejected_naming_the_field_and_nothing_is_stored() {
    let (_dir, path) = temp_db();
    let engine = open(&path).await;
    add(&engine, "fraud-prod", "http://127.0.0.1:8080").await;
    let db = inspect(&path).await;
    let servers_before = engine.servers().list().await.expect("list");
    let audit_before = audit_count(&db).await;

    for (name, base_url, field, code) in [
        ("", "http://127.0.0.1:8081", "name", ErrorCode::InvalidInput),
        ("   ", "http://127.0.0.1:8081", "name", ErrorCode::InvalidInput),
        ("fraud-prod", "http://127.0.0.1:9999", "name", ErrorCode::Conflict),
        (" fraud-prod ", "http://127.0.0.1:9999", "name", ErrorCode::Conflict),
        ("ftp-one", "ftp://127.0.0.1/models", "base_url", ErrorCode::InvalidInput),
    ] {
        let err = engine
            .servers()
            .add(NewServer {
                name: name.into(),
                base_url: base_url.into(),
                kind: ServerKind::OipV2,
                ..Default::default()
            })
            .await
            .expect_err(&format!("{name:?} at {base_url:?} must be rejected"));
        assert_eq!(err.field(), Some(field), "{name:?} {base_url:?}: {err}");
        assert_eq!(err.code(), code, "{name:?} {base_url:?}: {err}");
        assert!(!err.to_string().is_empty());
    }

    assert_eq!(engine.servers().list().await.expect("list"), servers_before, "rejected input must store nothing");
    assert_eq!(audit_count(&db).await, audit_before, "rejected input must not be audited as a change");
}

#[tokio::test]
async fn removing_an_unknown_server_is_not_found_and_names_it() {
    let (_dir, path) = temp_db();
    let engine = open(&path).await;
    let audit_before = audit_count(&inspect(&path).await).await;

    let err = engine.servers().remove("ghost").await.expect_err("there is no ghost");
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(err.to_string().contains("'ghost'"), "{err}");
    assert_eq!(audit_count(&inspect(&path).await).await, audit_before);
}

#[tokio::test]
async fn removing_a_server_deletes_its_history_but_the_audit_log_remembers() {
    let (_dir, path) = temp_db();
    let engine = open(&path).await;
    let model_server = ReadinessServer::start().await;
    let added = add(&engine, "retired", &model_server.url()).await;
    let kept = add(&engine, "kept", &model_server.url()).await;
    engine.polling().check_all().await.expect("check all servers");
    let db = inspect(&path).await;
    assert_eq!(health_events(&db, added.id).await.len(), 1);

    engine.servers().remove("retired").await.expect("remove retired");

    let names: Vec<String> = engine.servers().list().await.expect("list").into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["kept"]);
    assert!(health_events(&db, added.id).await.is_empty(), "the removed server's health history is deleted");
    assert_eq!(health_events(&db, kept.id).await.len(), 1, "other servers keep their history");

    let audit: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT action, subject, actor, detail FROM audit_log WHERE subject = 'retired' ORDER BY id")
            .fetch_all(&db)
            .await
            .expect("read audit_log");
    let entries: Vec<(&str, &str, &str)> =
        audit.iter().map(|(a, s, who, _)| (a.as_str(), s.as_str(), who.as_str())).collect();
    assert_eq!(entries, [("server.add", "retired", ACTOR), ("server.remove", "retired", ACTOR)]);
    for (_, _, _, detail) in &audit {
        let detail: serde_json::Value = serde_json::from_str(detail).expect("detail is JSON");
        assert_eq!(detail["base_url"], model_server.url(), "{detail}");
    }
}

#[tokio::test]
async fn servers_and_their_health_survive_reopening_the_database() {
    let (_dir, path) = temp_db();
    let model_server = ReadinessServer::start().await;
    let before = {
        let engine = open(&path).await;
        add(&engine, "durable", &model_server.url()).await;
        check(&engine, "durable").await
    };

    let reopened = open(&path).await;
    let servers = reopened.servers().list().await.expect("list after reopening");
    assert_eq!(servers, std::slice::from_ref(&before), "the reopened engine sees exactly what was stored");
    assert_eq!(servers[0].health, HealthState::Up);
    assert_eq!(health_events(&inspect(&path).await, before.id).await.len(), 1);
}
