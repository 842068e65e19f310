//! A server that needs a bearer token: Vigil takes the token by reference (an environment
//! variable), sends it, and never stores it.

use vigil_core::{Engine, EngineOptions, HealthState, NewServer};
use vigil_tests::loopback::GuardedServer;

const TOKEN: &str = "s3cret-7f2a9c";

#[tokio::test(flavor = "multi_thread")]
async fn a_token_named_by_an_environment_variable_is_sent_and_never_stored() {
    let server = GuardedServer::start(TOKEN).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("vigil.db");
    let engine = Engine::open(EngineOptions::new(db.clone())).await.expect("open the engine");
    let guarded = |name: &str, variable: &str| NewServer {
        name: name.into(),
        base_url: server.url(),
        token_ref: Some(format!("env:{variable}")),
        ..Default::default()
    };
    // SAFETY of the test: the variable names are used by this test alone.
    std::env::set_var("VIGIL_TEST_TOKEN_GIVEN", TOKEN);
    std::env::remove_var("VIGIL_TEST_TOKEN_MISSING");
    engine.add_server(guarded("with-token", "VIGIL_TEST_TOKEN_GIVEN")).await.expect("add");
    engine.add_server(guarded("without-token", "VIGIL_TEST_TOKEN_MISSING")).await.expect("add");
    engine
        .add_server(NewServer { name: "no-token".into(), base_url: server.url(), ..Default::default() })
        .await
        .expect("add");

    let servers = engine.check_all().await.expect("poll");
    let of = |name: &str| servers.iter().find(|s| s.name == name).cloned().expect("listed");
    assert_eq!(of("with-token").health, HealthState::Up, "{:?}", of("with-token"));
    let missing = of("without-token");
    assert_eq!(missing.health, HealthState::Down);
    assert_eq!(
        missing.health_reason.as_deref(),
        Some("the token variable VIGIL_TEST_TOKEN_MISSING is not set in Vigil's environment")
    );
    let refused = of("no-token");
    assert_eq!(refused.health, HealthState::Down, "answers 401 without the token: {refused:?}");

    drop(engine);
    let mut stored = Vec::new();
    for file in ["vigil.db", "vigil.db-wal"] {
        stored.extend(std::fs::read(dir.path().join(file)).unwrap_or_default());
    }
    assert!(!stored.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "the token is nowhere in the database");
    assert!(stored.windows(22).any(|w| w == b"VIGIL_TEST_TOKEN_GIVEN"), "its reference is");
}
