//! A policy's webhook for sign-offs, against a receiver on loopback: when a rollout of fraud on
//! the demo fleet starts waiting for the engineer and the data scientist, the engine posts the
//! `ApprovalNeeded` event's fields to the policy's `notify_url`, and again (`late`) once it waited
//! past the policy's limit. The receiver never answers, yet the driver goes on: the late post
//! arrives while the first is still unanswered. A URL that is not http or https is refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use serde_json::Value;
use tokio::sync::broadcast::Receiver;
use vigil_core::events::EngineEvent;
use vigil_core::rollouts::people::{Person, Policy, Role};
use vigil_core::rollouts::plan::{Gate, Metric, OnFailure, Plan, Step};
use vigil_core::rollouts::targets::TargetSpec;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_fleet::config::TrafficConfig;
use vigil_fleet::{Fleet, FleetConfig, RunningFleet, Scenario};
use vigil_tests::wait_for;

/// The bodies posted to the receiver, in the order they arrived.
type Posted = Arc<Mutex<Vec<Value>>>;

/// A webhook receiver on loopback that records each body and then never answers.
struct SilentReceiver {
    url: String,
    posted: Posted,
    _task: tokio::task::JoinHandle<()>,
}

impl SilentReceiver {
    async fn start() -> SilentReceiver {
        let posted = Posted::default();
        let app = axum::Router::new().route("/sign-off", post(record_and_hang)).with_state(posted.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/sign-off", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        SilentReceiver { url, posted, _task: task }
    }

    fn bodies(&self) -> Vec<Value> {
        self.posted.lock().expect("lock").clone()
    }
}

async fn record_and_hang(State(posted): State<Posted>, body: String) -> &'static str {
    posted.lock().expect("lock").push(serde_json::from_str(&body).unwrap_or(Value::String(body)));
    tokio::time::sleep(Duration::from_secs(60)).await;
    "too late"
}

fn engineer() -> Person {
    Person::new("ada", Role::Engineer, "tester").expect("a person")
}

/// The demo fleet's healthy fraud, all traffic on v12 and v13 beside it, no invalid requests.
async fn healthy_fleet() -> RunningFleet {
    let traffic = TrafficConfig { invalid_share: 0.0, max_requests: Some(20_000), ..TrafficConfig::default() };
    let config = FleetConfig {
        scenarios: vec![Scenario::Healthy],
        canary_percent: 0,
        traffic,
        seed: 3,
        ..FleetConfig::default()
    };
    Fleet::start(config).await.expect("start the fleet")
}

/// An engine watching fraud, whose rollouts go to the fleet's router in one step to 25 %, then
/// wait for sign-off before 100 %.
async fn engine_for(fleet: &RunningFleet, db: &std::path::Path) -> Engine {
    let options = EngineOptions { poll_interval: Duration::from_millis(200), ..EngineOptions::new(db.to_path_buf()) };
    let engine = Engine::open(options).await.expect("open the engine");
    let fraud = fleet.servers().into_iter().find(|s| s.name == "fraud").expect("fraud");
    let new = NewServer { name: fraud.name, base_url: fraud.url, kind: ServerKind::Auto, ..Default::default() };
    engine.servers().add(new).await.expect("register fraud");
    let route = TargetSpec::Router { url: format!("{}/admin/routes/fraud", fleet.router_url()) };
    engine.rollouts().set_target(&engineer(), "fraud", route, None).await.expect("target");
    let steps = [25, 100].map(|weight| Step { weight, min_duration_s: 1, approval: false, shadow: false }).to_vec();
    let gates = vec![Gate { metric: Metric::ErrorShare, max: Some(0.05), max_vs_stable: None, min: None }];
    let plan = Plan { steps, gates, min_requests: 10, failure_limit: 1, on_failure: OnFailure::Rollback };
    engine.rollouts().set_plan(&engineer(), "fraud", plan).await.expect("plan");
    engine
}

/// The next `ApprovalNeeded` event's sentence.
async fn next_sentence_asked(events: &mut Receiver<EngineEvent>) -> String {
    let asked = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(EngineEvent::ApprovalNeeded { sentence, .. }) = events.recv().await {
                return sentence;
            }
        }
    });
    asked.await.expect("an ApprovalNeeded event within 60 s")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_rollout_posts_the_sign_off_request_to_the_policys_url_and_again_when_late() {
    let fleet = healthy_fleet().await;
    let receiver = SilentReceiver::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine_for(&fleet, &dir.path().join("vigil.db")).await;
    let policy = Policy { approval_timeout_s: Some(2), notify_url: Some(receiver.url.clone()), ..Policy::default() };
    engine.rollouts().set_policy(&engineer(), "fraud", policy).await.expect("policy");
    let mut events = engine.subscribe();
    let _poller = engine.polling().start();
    let _driver = engine.rollouts().start_driver();
    wait_for("fraud v13 seen", Duration::from_secs(20), || async {
        let history = engine.rollouts().history("fraud").await.ok()?;
        history.revisions.iter().any(|r| r.version == "13").then_some(())
    })
    .await;

    let id = engine.rollouts().start(&engineer(), "fraud", "13", None, None).await.expect("start").rollout.id;
    let sentence = next_sentence_asked(&mut events).await;
    assert!(sentence.contains("waits for the engineer and data scientist"), "{sentence}");
    let bodies = wait_for("the first post and the late one", Duration::from_secs(20), || async {
        let bodies = receiver.bodies();
        (bodies.len() >= 2).then_some(bodies)
    })
    .await;
    let expected = |late: bool| {
        serde_json::json!({
            "model": "fraud", "rollout": id, "roles": ["engineer", "data_scientist"], "late": late, "sentence": sentence,
        })
    };
    assert_eq!(bodies[0], expected(false), "the post is the event's fields");
    assert_eq!(bodies[1]["late"], true, "asked again once late, though the first post was never answered");
    assert_eq!(bodies[1]["rollout"], id);
    assert!(bodies[1]["sentence"].as_str().unwrap_or_default().contains("waits for the engineer and data scientist"));
    fleet.stop().await;
}

#[tokio::test]
async fn a_notification_url_that_is_not_http_or_https_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineOptions::new(vigil_tests::store(dir.path()).await)).await.expect("open the engine");
    for url in ["file:///etc/passwd", "chat.example.com/hook", "ftp://example.com/"] {
        let policy = Policy { notify_url: Some(url.into()), ..Policy::default() };
        let refused = engine.rollouts().set_policy(&engineer(), "fraud", policy).await.unwrap_err();
        assert!(refused.to_string().contains("http or https"), "{url}: {refused}");
    }
    let accepted = Policy { notify_url: Some("https://chat.example.com/hooks/sign-off".into()), ..Policy::default() };
    engine.rollouts().set_policy(&engineer(), "fraud", accepted.clone()).await.expect("an https URL");
    assert_eq!(engine.rollouts().policy("fraud").await.expect("policy"), accepted);
}
