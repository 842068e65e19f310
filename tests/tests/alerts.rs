//! Alert rules on a controlled clock, with real servers on loopback and a real webhook receiver:
//! two servers of team payments stop being ready; the built-in "server down" rule (for 60 s)
//! makes both alerts pending, then firing; the pager webhook (routed by `team=payments`) hears
//! them once, grouped, after its group wait, in Alertmanager's body with the runbook; nothing new
//! is not told again until the repeat interval; a silence stops the repeats; a server back up
//! stays firing through `keep_firing_for`, then resolves, and the pager hears that. The growth
//! team's Slack receiver hears nothing. Every change is in the history with its evidence.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::routing::post;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use vigil_core::alerts::lifecycle::AlertState;
use vigil_core::alerts::receivers::{ReceiverDraft, ReceiverKind};
use vigil_core::alerts::silences::{Matcher, SilenceDraft};
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_tests::loopback::ReadinessServer;

/// Bodies posted, by path.
type Posted = Arc<Mutex<Vec<(String, Value)>>>;

async fn receiver() -> (String, Posted) {
    let posted = Posted::default();
    let app = axum::Router::new()
        .route(
            "/{hook}",
            post(|Path(hook): Path<String>, State(posted): State<Posted>, body: String| async move {
                posted.lock().unwrap().push((hook, serde_json::from_str(&body).unwrap_or(Value::String(body))));
                "ok"
            }),
        )
        .with_state(posted.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, posted)
}

fn hook(name: &str, kind: ReceiverKind, url: String, team: &str) -> ReceiverDraft {
    ReceiverDraft {
        name: name.into(),
        kind,
        url: Some(url),
        auth_ref: None,
        labels: BTreeMap::from([("team".into(), team.into())]),
        group_wait_secs: 30,
        group_interval_secs: 300,
        repeat_interval_secs: 3600,
    }
}

async fn states(engine: &Engine) -> Vec<(String, AlertState)> {
    engine.alerts().alerts().await.unwrap().into_iter().map(|a| (a.subject, a.state)).collect()
}

fn taken(posted: &Posted) -> Vec<(String, Value)> {
    std::mem::take(&mut *posted.lock().unwrap())
}

#[tokio::test]
async fn a_down_server_fires_is_told_once_grouped_silenced_and_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions {
        actor: "tester".into(),
        ..EngineOptions::new(vigil_tests::store(dir.path()).await)
    })
    .await
    .unwrap();
    let (a, b) = (ReadinessServer::start().await, ReadinessServer::start().await);
    for (name, server) in [("a", &a), ("b", &b)] {
        let labels = BTreeMap::from([("team".into(), "payments".into())]);
        let new = NewServer {
            name: name.into(),
            base_url: server.url(),
            kind: ServerKind::OipV2,
            labels,
            ..NewServer::default()
        };
        engine.servers().add(new).await.unwrap();
    }
    let rule = engine.alerts().rules().await.unwrap().into_iter().find(|r| r.draft.name == "server down").unwrap();
    assert!(rule.builtin, "server down is one of the defaults");
    let mut draft = rule.draft.clone();
    (draft.keep_firing_secs, draft.runbook) = (120, Some("https://runbooks.example/server-down".into()));
    engine.alerts().save_rule(Some(rule.id), draft).await.unwrap();
    let (url, posted) = receiver().await;
    // The desktop's own receiver is checked in the window's test; here only the webhooks count.
    engine.alerts().remove_receiver("desktop").await.unwrap();
    engine
        .alerts()
        .save_receiver(hook("pager", ReceiverKind::Webhook, format!("{url}/pager"), "payments"))
        .await
        .unwrap();
    engine
        .alerts()
        .save_receiver(hook("growth", ReceiverKind::Slack, format!("{url}/growth"), "growth"))
        .await
        .unwrap();

    // Both servers stop being ready.
    a.answer(503);
    b.answer(503);
    engine.polling().check_all().await.unwrap();
    let t0: DateTime<Utc> = Utc::now();
    let at = |secs: i64| t0 + Duration::seconds(secs);
    engine.alerts().evaluate(t0).await.unwrap();
    let pending = vec![("server a".to_owned(), AlertState::Pending), ("server b".to_owned(), AlertState::Pending)];
    assert_eq!(states(&engine).await, pending, "a breach waits for its `for`");
    assert_eq!(engine.alerts().dispatch(t0).await.unwrap(), 0, "nothing is told of a pending alert");

    let fired = engine.alerts().evaluate(at(61)).await.unwrap();
    assert_eq!((fired.firing, fired.changes.len()), (2, 2), "both fire once the breach held 60 s");
    assert!(fired.changes[0].evidence.0["sentence"].as_str().unwrap().contains("server a"), "{:?}", fired.changes[0]);
    assert_eq!(engine.alerts().dispatch(at(61)).await.unwrap(), 0, "the group waits to gather its alerts");
    assert_eq!(engine.alerts().dispatch(at(91)).await.unwrap(), 1, "after the group wait, one notification for both");
    let told = taken(&posted);
    assert_eq!(told.len(), 1, "{told:?}");
    let (path, body) = &told[0];
    assert_eq!(path, "pager", "routed by team=payments only");
    assert_eq!((body["version"].as_str(), body["status"].as_str()), (Some("4"), Some("firing")));
    assert_eq!(body["title"], "[FIRING:2] server down");
    let alerts = body["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0]["labels"]["server"], "a");
    assert_eq!(alerts[0]["labels"]["severity"], "critical");
    assert_eq!(alerts[0]["annotations"]["runbook_url"], "https://runbooks.example/server-down");

    engine.alerts().evaluate(at(120)).await.unwrap();
    assert_eq!(engine.alerts().dispatch(at(400)).await.unwrap(), 0, "nothing new: not told again before the repeat");
    assert_eq!(engine.alerts().dispatch(at(91 + 3600)).await.unwrap(), 1, "still firing after the repeat interval");
    assert_eq!(taken(&posted)[0].1["title"], "[FIRING:2] server down");

    // A silence on the rule stops the repeats, and the alerts still show, marked silenced.
    let matcher = Matcher { rule: Some("server down".into()), ..Matcher::default() };
    let silence = SilenceDraft { matcher, starts_at: None, ends_at: at(20 * 3600), reason: "datacenter move".into() };
    let silence = engine.alerts().silence(silence).await.unwrap();
    assert_eq!(engine.alerts().dispatch(at(91 + 2 * 3600)).await.unwrap(), 0, "silenced: no repeat");
    let shown = engine.alerts().alerts().await.unwrap();
    assert!(shown[0].silenced.as_deref().unwrap().contains("datacenter move"), "{shown:?}");
    engine.alerts().end_silence(silence.id).await.unwrap();

    // Server a comes back: it stays firing through keep_firing_for after its last breach, then resolves.
    let t1 = at(91 + 2 * 3600);
    engine.alerts().evaluate(t1).await.unwrap();
    a.answer(200);
    engine.polling().check_all().await.unwrap();
    let kept = engine.alerts().evaluate(t1 + Duration::seconds(60)).await.unwrap();
    assert_eq!((kept.firing, kept.changes.len()), (2, 0), "kept firing for 120 s after the breach ended");
    let resolved = engine.alerts().evaluate(t1 + Duration::seconds(121)).await.unwrap();
    assert_eq!(resolved.firing, 1);
    assert_eq!(
        resolved.changes.iter().map(|c| (c.subject.as_str(), c.change.as_str())).collect::<Vec<_>>(),
        [("server a", "resolved")]
    );
    assert_eq!(
        engine.alerts().dispatch(t1 + Duration::seconds(121)).await.unwrap(),
        1,
        "news after the silence: one notification"
    );
    let told = taken(&posted);
    let alerts = told[0].1["alerts"].as_array().unwrap();
    let statuses: Vec<(&str, &str)> =
        alerts.iter().map(|a| (a["labels"]["server"].as_str().unwrap(), a["status"].as_str().unwrap())).collect();
    assert_eq!(statuses, [("b", "firing"), ("a", "resolved")]);

    let history = engine.alerts().history(10).await.unwrap();
    let changes: Vec<(&str, &str)> = history.iter().map(|h| (h.subject.as_str(), h.change.as_str())).collect();
    assert_eq!(changes, [("server a", "resolved"), ("server b", "fired"), ("server a", "fired")]);
    let deliveries = engine.alerts().deliveries(10).await.unwrap();
    assert!(deliveries.iter().all(|d| d.receiver == "pager" && d.error.is_none()), "{deliveries:?}");
}

#[tokio::test]
async fn a_rule_or_receiver_that_cannot_work_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions::new(vigil_tests::store(dir.path()).await)).await.unwrap();
    let rules = engine.alerts().rules().await.unwrap();
    let names: Vec<&str> = rules.iter().map(|r| r.draft.name.as_str()).collect();
    for default in [
        "server down",
        "error share over objective",
        "p99 over objective",
        "dataset drift",
        "no traffic",
        "cost jump",
        "feedback loop",
    ] {
        assert!(names.contains(&default), "{default} is built in: {names:?}");
    }
    let mut taken = rules[0].draft.clone();
    taken.name = rules[1].draft.name.clone();
    let refused = engine.alerts().save_rule(None, taken).await.unwrap_err().to_string();
    assert!(refused.contains("exists"), "{refused}");
    let webhook = ReceiverDraft { url: Some("ftp://x".into()), ..hook("x", ReceiverKind::Webhook, String::new(), "t") };
    let refused = engine.alerts().save_receiver(webhook).await.unwrap_err().to_string();
    assert!(refused.contains("http"), "{refused}");
    let secret = ReceiverDraft {
        auth_ref: Some("plain-secret".into()),
        ..hook("x", ReceiverKind::Webhook, "http://127.0.0.1:1/".into(), "t")
    };
    assert!(engine.alerts().save_receiver(secret).await.is_err(), "a secret must be given by reference");
    assert_eq!(engine.alerts().rules().await.unwrap().len(), rules.len());
    assert_eq!(engine.alerts().receivers().await.unwrap().len(), 1, "only the desktop");
}
