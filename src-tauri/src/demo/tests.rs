//! The demo against a real engine and a real fleet (no traffic, to stay quick): what it
//! registers, how a later start finds its servers again, and what it never touches.

use std::time::Duration;

use vigil_core::{EngineOptions, HealthState};

use super::*;

/// An engine on a fresh database in `dir`.
async fn engine(dir: &tempfile::TempDir) -> Engine {
    let options =
        EngineOptions { request_timeout: Duration::from_secs(1), ..EngineOptions::new(dir.path().join("v.db")) };
    Engine::open(options).await.expect("open the engine")
}

/// A demo of the healthy fleet without traffic, on `port_base` (None: free ports).
fn quiet_demo(port_base: Option<u16>) -> Demo {
    let mut config = config(vec![Scenario::Healthy], None);
    config.port_base = port_base;
    config.traffic.enabled = false;
    Demo::new(config)
}

async fn demo_servers(engine: &Engine) -> Vec<Server> {
    engine.servers().list().await.expect("list").into_iter().filter(is_demo).collect()
}

fn settings(servers: &[Server]) -> Vec<NewServer> {
    servers.iter().map(Server::settings).collect()
}

async fn audit_actions(engine: &Engine) -> Vec<(String, String)> {
    let entries = engine.audit_log(100).await.expect("audit");
    entries.into_iter().rev().map(|e| (e.action, e.subject)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn start_registers_the_fleet_servers_labelled_and_a_later_start_points_them_at_the_new_ports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&dir).await;
    let demo = quiet_demo(None);

    demo.start(&engine).await.expect("start");
    let status = demo.status(&engine).await.expect("status");
    assert_eq!(status.state, DemoState::Running);
    assert_eq!(status.scenarios, ["healthy"]);
    assert_eq!(status.registered, ["churn", "fraud", "pricing"], "the router is not registered");
    let servers = demo_servers(&engine).await;
    for server in &servers {
        let info = status.servers.iter().find(|s| s.name == server.name).expect("a fleet server");
        assert_eq!((server.base_url.as_str(), server.kind), (info.url.as_str(), ServerKind::Auto));
        assert_eq!(server.poll_interval_ms, Some(2000));
    }
    let checked = engine.polling().check_all().await.expect("poll");
    assert!(checked.iter().all(|s| s.health == HealthState::Up), "{checked:#?}");

    // Starting again while it runs changes nothing.
    demo.start(&engine).await.expect("second start");
    assert_eq!(settings(&demo_servers(&engine).await), settings(&servers));

    // Stopped, its servers stay registered and go down.
    demo.stop().await;
    assert_eq!(demo.status(&engine).await.expect("status").state, DemoState::Stopped);
    let checked = engine.polling().check_all().await.expect("poll");
    assert!(checked.iter().all(|s| s.health == HealthState::Down), "{checked:#?}");

    // A person's edit of a demo server survives the next start, which only moves its URL.
    let mut edit = servers[0].settings();
    edit.timeout_secs = Some(1.5);
    engine.servers().update(&servers[0].name, edit).await.expect("edit");
    demo.start(&engine).await.expect("restart");
    let urls: Vec<String> = demo.status(&engine).await.expect("status").servers.into_iter().map(|s| s.url).collect();
    let restarted = demo_servers(&engine).await;
    assert_eq!(restarted.len(), 3, "no duplicates: {restarted:#?}");
    assert!(restarted.iter().all(|s| urls.contains(&s.base_url)), "{restarted:#?} vs {urls:?}");
    assert_eq!(restarted[0].timeout_ms, Some(1500));
    demo.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_persons_server_of_a_demo_servers_name_is_never_touched_and_nothing_starts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&dir).await;
    let own = NewServer { name: "churn".into(), base_url: "http://127.0.0.1:9".into(), ..NewServer::default() };
    let own = engine.servers().add(own).await.expect("the person's server").settings();
    let demo = quiet_demo(None);

    let err = demo.start(&engine).await.expect_err("refused");
    assert!(err.to_string().starts_with("A server named 'churn' is already registered and is not the demo's"));
    let status = demo.status(&engine).await.expect("status");
    assert_eq!((status.state, status.registered.len()), (DemoState::Stopped, 0));
    assert_eq!(status.error, Some(err.to_string()), "Settings shows why");
    assert_eq!(settings(&engine.servers().list().await.expect("list")), std::slice::from_ref(&own));

    // Remove demo servers leaves it alone too.
    demo.remove_servers(&engine).await.expect("remove");
    assert_eq!(settings(&engine.servers().list().await.expect("list")), [own]);
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_stops_the_fleet_and_removes_only_demo_servers_each_on_the_audit_trail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&dir).await;
    let own = NewServer { name: "mine".into(), base_url: "http://127.0.0.1:9".into(), ..NewServer::default() };
    engine.servers().add(own).await.expect("the person's server");
    // The fixed ports are taken: the demo starts on free ones.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let demo = quiet_demo(Some(taken.local_addr().expect("addr").port()));

    demo.start(&engine).await.expect("start on free ports");
    let running = demo.status(&engine).await.expect("status");
    let fraud = running.servers[0].url.clone();
    let changes = demo.changes();
    demo.remove_servers(&engine).await.expect("remove");

    let status = demo.status(&engine).await.expect("status");
    assert_eq!(status.revision, running.revision + 2, "one for the stop, one after the removals");
    assert!(changes.has_changed().expect("open"), "the window hears of it");
    assert_eq!((status.state, status.registered.len(), status.servers.len()), (DemoState::Stopped, 0, 0));
    let names: Vec<String> = engine.servers().list().await.expect("list").into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["mine"]);
    let http = connect(&fraud).await;
    assert!(http.is_err(), "the fleet's ports are closed: {http:?}");
    let actions = audit_actions(&engine).await;
    let removed: Vec<&str> =
        actions.iter().filter(|(action, _)| action == "server.remove").map(|(_, t)| t.as_str()).collect();
    assert_eq!(removed, ["churn", "fraud", "pricing"]);
}

/// Connects to the host and port of `url`.
async fn connect(url: &str) -> std::io::Result<tokio::net::TcpStream> {
    tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await
}
