//! Secrets stay where they were put. A run with a server's bearer token, an alert webhook's
//! secret, a deployment webhook's token, a kubeconfig holding a cluster token, and a team
//! database's password — every one given by reference, and the servers that receive them careless
//! enough to echo them back in their errors — leaves none of them in the database file, its WAL,
//! the collector's logs (text and JSON), the events the engine emitted, the audit exports, or any
//! error shown.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use axum::Router;
use chrono::{Duration, Utc};
use vigil_core::alerts::receivers::{ReceiverDraft, ReceiverKind};
use vigil_core::audit::ExportFormat;
use vigil_core::rollouts::people::{Person, Role};
use vigil_core::rollouts::targets::{KserveSpec, TargetSpec, WebhookSpec};
use vigil_core::{Engine, EngineOptions, HealthState, NewServer};
use vigil_tests::loopback::GuardedServer;

const SECRETS: [(&str, &str); 4] = [
    ("VIGIL_SECRETS_SERVER_TOKEN", "srv-4b7e1c9a0d"),
    ("VIGIL_SECRETS_HOOK_TOKEN", "hook-93f0aa21e5"),
    ("VIGIL_SECRETS_ALERT_TOKEN", "alert-5d11c07f8e"),
    ("VIGIL_SECRETS_DB_PASSWORD", "dbpw-e27c44b9f1"),
];
/// The cluster token, written only in the kubeconfig file.
const KUBE_TOKEN: &str = "kube-0c9d7a3b52";

/// A careless server: every request is answered 500 with the Authorization header it got, which
/// it also notes, so the test knows each secret was really sent.
async fn echoing_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let noted = got.clone();
    let app = Router::new().fallback(any(move |headers: HeaderMap| {
        let noted = noted.clone();
        async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            noted.lock().unwrap().push(auth.clone());
            (StatusCode::INTERNAL_SERVER_ERROR, format!("denied for {auth}"))
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

fn every_secret() -> Vec<&'static str> {
    SECRETS.iter().map(|(_, secret)| *secret).chain([KUBE_TOKEN]).collect()
}

/// The secrets found in `text`, which should be none.
fn leaked(what: &str, text: &str) -> Vec<String> {
    every_secret().into_iter().filter(|secret| text.contains(secret)).map(|s| format!("{s} in {what}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_given_by_reference_reaches_the_database_its_wal_the_logs_the_events_or_the_exports() {
    for (name, secret) in SECRETS {
        // SAFETY of the test: these variables are this test's alone.
        std::env::set_var(name, secret);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("vigil.db");
    let engine = Engine::open(EngineOptions::new(db.clone())).await.expect("open");
    let mut events = engine.subscribe();
    let heard = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let hearing = heard.clone();
    tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            hearing.lock().unwrap().push_str(&serde_json::to_string(&event).unwrap_or_default());
        }
    });
    let (guarded, (careless, echoed)) = (GuardedServer::start(SECRETS[0].1).await, echoing_server().await);
    let mut shown = Vec::new();

    // A server polled with its token, and one that is down, for an alert to fire.
    let server = NewServer {
        name: "fraud".into(),
        base_url: guarded.url(),
        token_ref: Some(format!("env:{}", SECRETS[0].0)),
        ..Default::default()
    };
    engine.servers().add(server).await.expect("add");
    let down = NewServer { name: "churn".into(), base_url: format!("{careless}/down"), ..Default::default() };
    engine.servers().add(down).await.expect("add");
    let polled = engine.polling().check_all().await.expect("poll");
    assert!(polled.iter().any(|s| s.name == "fraud" && s.health == HealthState::Up), "the token was sent: {polled:?}");

    // Deployment targets: a webhook with a token, a KServe reached through a kubeconfig.
    let ada = Person::new("ada", Role::Engineer, "tester").expect("person");
    let hook = TargetSpec::Webhook(WebhookSpec {
        url: format!("{careless}/hook"),
        model: "fraud".into(),
        body: r#"{"weights": {{weights}}}"#.into(),
        auth: Some(format!("env:{}", SECRETS[1].0)),
        auth_header: None,
        read_back_url: Some(format!("{careless}/state")),
    });
    engine.rollouts().set_target(&ada, "fraud", hook, None).await.expect("webhook target");
    let kubeconfig = dir.path().join("kubeconfig.json");
    let config = serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "prod",
        "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "vigil"}}],
        "clusters": [{"name": "prod", "cluster": {"server": careless}}],
        "users": [{"name": "vigil", "user": {"token": KUBE_TOKEN}}],
    });
    std::fs::write(&kubeconfig, config.to_string()).expect("kubeconfig");
    let kserve = TargetSpec::Kserve(KserveSpec {
        api_url: None,
        namespace: "models".into(),
        name: "churn".into(),
        token: None,
        kubeconfig: Some(kubeconfig.display().to_string()),
        storage_uris: BTreeMap::from([("3".into(), "s3://models/churn/3".into())]),
    });
    engine.rollouts().set_target(&ada, "churn", kserve, None).await.expect("kserve target");
    for model in ["fraud", "churn"] {
        let refused = engine.rollouts().read_target(model).await.expect_err("the careless server refuses");
        shown.push(refused.message);
    }

    // An alert receiver with a secret: the server down fires, the webhook is told and refuses.
    let receiver = ReceiverDraft {
        name: "pager".into(),
        kind: ReceiverKind::Webhook,
        url: Some(format!("{careless}/alerts")),
        auth_ref: Some(format!("env:{}", SECRETS[2].0)),
        labels: BTreeMap::new(),
        group_wait_secs: 0,
        group_interval_secs: 60,
        repeat_interval_secs: 3600,
    };
    engine.alerts().save_receiver(receiver).await.expect("receiver");
    let t0 = Utc::now();
    engine.alerts().evaluate(t0).await.expect("evaluate");
    engine.alerts().evaluate(t0 + Duration::seconds(61)).await.expect("evaluate");
    engine.alerts().dispatch(t0 + Duration::seconds(62)).await.expect("dispatch");
    let deliveries = engine.alerts().deliveries(10).await.expect("deliveries");
    assert!(!deliveries.is_empty(), "the webhook was called");
    shown.push(serde_json::to_string(&deliveries).expect("json"));

    // The collector, with its logs, in text and in JSON.
    let vigil = vigil_tests::workspace_binary("vigil");
    let mut logs = String::new();
    for format in ["text", "json"] {
        let out = Command::new(&vigil)
            .args([
                "--db",
                db.to_str().unwrap(),
                "--log-format",
                format,
                "collect",
                "--for",
                "2",
                "--poll-interval",
                "0.5",
            ])
            .env("VIGIL_LOG", "debug")
            .output()
            .expect("run vigil collect");
        logs.push_str(&String::from_utf8_lossy(&out.stdout));
        logs.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    // A team store that does not answer, its password given by reference.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = Command::new(&vigil)
        .args(["--db", &format!("postgres://ada@127.0.0.1:{closed}/vigil"), "status"])
        .args(["--db-password", &format!("env:{}", SECRETS[3].0)])
        .output()
        .expect("run vigil status");
    let refused = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() && refused.contains("could not connect"), "{refused}");
    logs.push_str(&refused);

    let csv = engine.export_audit(ExportFormat::Csv).await.expect("csv");
    let json = engine.export_audit(ExportFormat::Json).await.expect("json");
    let heard = heard.lock().unwrap().clone();
    assert!(heard.contains("server_added") && heard.contains("audited"), "the events were heard: {heard}");

    let echoed = echoed.lock().unwrap().join(" ");
    for secret in [SECRETS[1].1, SECRETS[2].1, KUBE_TOKEN] {
        assert!(echoed.contains(secret), "{secret} was sent, and echoed back in an error: {echoed}");
    }
    let mut found = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&file) {
            found.extend(leaked(&file, &String::from_utf8_lossy(&bytes)));
        }
    }
    found.extend(leaked("the logs", &logs));
    found.extend(leaked("the audit export (CSV)", &csv));
    found.extend(leaked("the audit export (JSON)", &json));
    found.extend(leaked("the errors shown", &shown.join("\n")));
    found.extend(leaked("the events", &heard));
    assert!(found.is_empty(), "secrets leaked: {found:?}");
    assert!(logs.contains("\"level\""), "the JSON logs were read: {logs}");
}
