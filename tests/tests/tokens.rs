//! A server that needs a bearer token: Vigil takes the token by reference (an environment
//! variable, or an entry in a real OS keyring), sends it, and never stores it.

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
    engine.servers().add(guarded("with-token", "VIGIL_TEST_TOKEN_GIVEN")).await.expect("add");
    engine.servers().add(guarded("without-token", "VIGIL_TEST_TOKEN_MISSING")).await.expect("add");
    engine
        .servers()
        .add(NewServer { name: "no-token".into(), base_url: server.url(), ..Default::default() })
        .await
        .expect("add");

    let servers = engine.polling().check_all().await.expect("poll");
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

/// Runs the real `vigil` with `env`, feeding `stdin`; returns (success, stdout, stderr).
fn vigil(env: &[(&'static str, String)], args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(vigil_tests::workspace_binary("vigil"))
        .args(args)
        .envs(env.iter().cloned())
        .env_remove("VIGIL_LOG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run vigil");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("vigil finishes");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8");
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_in_the_os_keyring_is_sent_and_a_removed_one_says_how_to_store_it() {
    let keyring = vigil_tests::keyring::SecretService::start();
    let server = GuardedServer::start(TOKEN).await;
    let db = keyring.home().join("vigil.db");
    let db = db.to_str().expect("UTF-8 path");
    let env = keyring.env();
    let status = |env: &[(&'static str, String)]| {
        let (ok, out, err) = vigil(env, &["--db", db, "status", "--json"], "");
        assert!(ok, "{err}");
        let status: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        (status["servers"][0]["health"].as_str().map(str::to_owned), status["servers"][0]["health_reason"].clone())
    };

    let (ok, out, err) = vigil(&env, &["--db", db, "secret", "set", "fraud-prod"], &format!("{TOKEN}\n"));
    assert!(ok && out.contains("keyring:fraud-prod"), "{out}{err}");
    let url = server.url();
    let add = ["--db", db, "server", "add", "fraud", &url, "--kind", "oip-v2", "--token-ref", "keyring:fraud-prod"];
    assert!(vigil(&env, &add, "").0);
    // (The test's loopback server runs on the runtime's worker threads while `vigil` runs.)
    assert_eq!(status(&env).0.as_deref(), Some("up"), "the keyring's token was sent");

    let env = keyring.env();
    assert!(vigil(&env, &["--db", db, "secret", "remove", "fraud-prod"], "").0);
    let (health, reason) = status(&env);
    assert_eq!(health.as_deref(), Some("down"));
    assert_eq!(reason, "the keyring has no entry 'fraud-prod': store the token with `vigil secret set fraud-prod`");

    // No Secret Service at all: the reason says what must run.
    let unreachable = vec![("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus".to_owned())];
    let (health, reason) = status(&unreachable);
    assert_eq!(health.as_deref(), Some("down"));
    assert!(reason.as_str().is_some_and(|r| r.contains("GNOME Keyring must be running")), "{reason}");

    let stored = std::fs::read(keyring.home().join("vigil.db")).unwrap_or_default();
    let wal = std::fs::read(keyring.home().join("vigil.db-wal")).unwrap_or_default();
    let everything = [stored, wal].concat();
    assert!(!everything.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "the token is nowhere in the database");
    let (_, audit, _) = vigil(&keyring.env(), &["--db", db, "audit"], "");
    assert!(audit.contains("secret.set") && audit.contains("secret.remove"), "{audit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_token_or_a_bad_entry_name_is_refused_before_the_keyring_is_touched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("vigil.db");
    let db = db.to_str().expect("UTF-8 path");
    let (ok, _, err) = vigil(&[], &["--db", db, "secret", "set", "fraud"], "  \n");
    assert!(!ok && err.contains("The token is empty"), "{err}");
    let (ok, _, err) = vigil(&[], &["--db", db, "secret", "set", "two words"], "tok");
    assert!(!ok && err.contains("Keyring entry 'two words' must be"), "{err}");
}
