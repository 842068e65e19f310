//! A server behind TLS signed by a team's own certificate authority, that asks every client for
//! a certificate: Vigil trusts the authority and shows the certificate given by reference, says
//! what is missing while either is, and never stores the private key.

use std::time::Duration;

use vigil_core::{Engine, EngineOptions, HealthState, NewServer, ServerKind};
use vigil_tests::hostile::{HostileServer, Hostility};
use vigil_tests::tls::Authority;

async fn state(engine: &Engine) -> (HealthState, String) {
    let polled = engine.polling().check_all().await.expect("a round");
    let server = polled.iter().find(|s| s.name == "fraud-tls").expect("the server");
    (server.health, server.health_reason.clone().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_of_a_private_authority_asking_for_a_client_certificate_is_polled_once_both_are_given() {
    let (team, clients, strangers) = (Authority::new("Team CA"), Authority::new("Clients CA"), Authority::new("Other"));
    let server = HostileServer::start_with_tls(Hostility::Healthy, Some(team.acceptor(Some(&clients)))).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write a PEM file");
        format!("file:{}", path.display())
    };
    let (ca, client, stranger) = (
        file("team-ca.pem", team.pem()),
        file("client.pem", clients.client_identity_pem("vigil")),
        file("stranger.pem", strangers.client_identity_pem("vigil")),
    );
    let db = dir.path().join("vigil.db");
    let options = EngineOptions { request_timeout: Duration::from_secs(2), ..EngineOptions::new(db.clone()) };
    let engine = Engine::open(options).await.expect("open the engine");
    let settings = |tls_ca: Option<&str>, tls_client: Option<&str>| NewServer {
        name: "fraud-tls".into(),
        base_url: server.url(),
        kind: ServerKind::Mlserver,
        tls_ca: tls_ca.map(str::to_owned),
        tls_client: tls_client.map(str::to_owned),
        ..Default::default()
    };
    engine.servers().add(settings(None, None)).await.expect("add");

    let (health, reason) = state(&engine).await;
    assert_eq!(health, HealthState::Down);
    assert!(reason.contains("TLS certificate is not trusted (UnknownIssuer)"), "{reason}");

    engine.servers().update("fraud-tls", settings(Some(&ca), None)).await.expect("give the authority");
    let (health, reason) = state(&engine).await;
    assert_eq!(health, HealthState::Down);
    assert!(reason.contains("requires a client certificate"), "{reason}");

    engine.servers().update("fraud-tls", settings(Some(&ca), Some(&stranger))).await.expect("a stranger's");
    let (health, reason) = state(&engine).await;
    assert_eq!(health, HealthState::Down);
    assert!(reason.contains("ended the TLS handshake"), "{reason}");

    engine.servers().update("fraud-tls", settings(Some(&ca), Some(&client))).await.expect("give the certificate");
    let (health, reason) = state(&engine).await;
    assert_eq!(health, HealthState::Up, "{reason}");
    assert!(!server.metrics_reads().is_empty(), "its metrics page was read over TLS");

    // A reference that cannot be read, or holds no certificate, is named as such.
    let missing = format!("file:{}", dir.path().join("gone.pem").display());
    engine.servers().update("fraud-tls", settings(Some(&missing), Some(&client))).await.expect("a missing file");
    let (health, reason) = state(&engine).await;
    assert!(
        health == HealthState::Down && reason.contains("cannot read file") && reason.contains("gone.pem"),
        "{reason}"
    );
    let not_pem = file("not.pem", "hello".into());
    engine.servers().update("fraud-tls", settings(Some(&not_pem), Some(&client))).await.expect("not a PEM file");
    let (_, reason) = state(&engine).await;
    assert!(reason.ends_with("not.pem holds no PEM certificate"), "{reason}");
    let relative = engine.servers().update("fraud-tls", settings(Some("file:ca.pem"), None)).await.unwrap_err();
    assert_eq!(relative.field(), Some("tls_ca"), "{relative}");

    // Only where the key is was stored, never the key.
    drop(engine);
    for stored in ["vigil.db", "vigil.db-wal"].map(|name| dir.path().join(name)).iter().filter(|p| p.exists()) {
        let bytes = std::fs::read(stored).expect("read the store");
        assert!(!bytes.windows(11).any(|w| w == b"PRIVATE KEY"), "a key in {}", stored.display());
    }
}
