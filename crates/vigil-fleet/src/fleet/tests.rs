use std::time::Instant;

use serde_json::{json, Value};

use super::*;
use crate::config::TrafficConfig;

fn quiet() -> FleetConfig {
    FleetConfig { traffic: TrafficConfig { enabled: false, ..TrafficConfig::default() }, ..FleetConfig::default() }
}

#[tokio::test]
async fn a_fleet_lists_its_servers_on_loopback_and_closes_them_when_stopped() {
    let fleet = Fleet::start(quiet()).await.expect("starts");
    let servers = fleet.servers();
    let kinds: Vec<(&str, &str)> = servers.iter().map(|s| (s.name.as_str(), s.kind.as_str())).collect();
    assert_eq!(kinds, [("fraud", "triton"), ("churn", "mlserver"), ("pricing", "kserve")]);
    assert_eq!(servers[0].models, ["fraud:12", "fraud:13"]);
    let client = reqwest::Client::new();
    for server in &servers {
        assert!(server.url.starts_with("http://127.0.0.1:"), "{server:?}");
        assert_eq!(server.metrics_url, format!("{}/metrics", server.url));
        assert_eq!(client.get(format!("{}/v2/health/ready", server.url)).send().await.expect("up").status(), 200);
    }
    fleet.stop().await;
    assert!(client.get(format!("{}/v2", servers[0].url)).send().await.is_err(), "closed once stopped");
}

#[tokio::test]
async fn the_router_splits_fraud_by_its_admin_endpoint_and_refuses_bad_splits() {
    let fleet = Fleet::start(FleetConfig { canary_percent: 25, ..quiet() }).await.expect("starts");
    let (client, admin) = (reqwest::Client::new(), format!("{}/admin/routes/fraud", fleet.router_url()));
    let route: Value = client.get(&admin).send().await.expect("answers").json().await.expect("json");
    assert_eq!(route["weights"], json!({"12": 75, "13": 25}));
    assert_eq!(route["backends"][1]["url"], fleet.servers()[0].url);

    let refused = client.put(&admin).json(&json!({"weights": {"12": 50, "13": 60}})).send().await.expect("answers");
    assert_eq!(refused.status(), 400);
    let error: Value = refused.json().await.expect("json");
    assert_eq!(error["error"], "weights are whole percentages that add up to 100; these add up to 110");
    let unknown = client.get(format!("{}/admin/routes/nope", fleet.router_url())).send().await.expect("answers");
    assert_eq!(unknown.status(), 404);

    let set = client.put(&admin).json(&json!({"weights": {"13": 100}})).send().await.expect("answers");
    assert_eq!(set.status(), 200);
    let schema = crate::models::fraud_schema();
    let rows = vec![schema.sample(&mut crate::rng::Rng::new(1))];
    let body = json!({"inputs": schema.request_inputs(&rows)});
    let infer = format!("{}/v2/models/fraud/infer", fleet.router_url());
    let answer = client.post(&infer).json(&body).send().await.expect("answers");
    assert_eq!(answer.headers()["x-vigil-fleet-version"], "13");
    let answer: Value = answer.json().await.expect("json");
    assert_eq!((answer["model_name"].as_str(), answer["model_version"].as_str()), (Some("fraud"), Some("13")));
    fleet.stop().await;
}

#[tokio::test]
async fn traffic_reaches_every_model_through_the_router() {
    let traffic =
        TrafficConfig { peak_rps: 300.0, max_requests: Some(60), start_hour: 16.0, ..TrafficConfig::default() };
    let fleet = Fleet::start(FleetConfig { traffic, ..FleetConfig::default() }).await.expect("starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while fleet.traffic().is_some_and(|t| t.ok + t.errors + t.unanswered < 60) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = fleet.traffic().expect("traffic on");
    assert_eq!((stats.sent, stats.unanswered, stats.skipped), (60, 0, 0), "{stats:?}");
    assert!(stats.ok >= 55, "{stats:?}");
    let client = reqwest::Client::new();
    for (server, counted) in [
        ("fraud", "nv_inference_request_success"),
        ("churn", "model_infer_request_success_total"),
        ("pricing", "request_predict_seconds_count"),
    ] {
        let url = fleet.servers().into_iter().find(|s| s.name == server).expect("listed").metrics_url;
        let page = client.get(url).send().await.expect("answers").text().await.expect("text");
        assert!(page.lines().any(|l| l.starts_with(counted) && !l.ends_with(" 0")), "{server}: {page}");
    }
    fleet.stop().await;
}

#[tokio::test]
async fn an_outage_closes_the_port_then_serves_again_on_it_with_fresh_counters() {
    let config = FleetConfig {
        scenarios: vec![Scenario::Outage],
        outage: crate::config::OutageConfig {
            server: "pricing".into(),
            at: Duration::from_millis(300),
            lasting: Duration::from_millis(700),
        },
        ..quiet()
    };
    let fleet = Fleet::start(config).await.expect("starts");
    let url = fleet.servers()[2].url.clone();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().expect("a client");
    let ready = || async { client.get(format!("{url}/v2/health/ready")).send().await.is_ok_and(|a| a.status() == 200) };
    assert!(ready().await);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!ready().await, "down during the outage");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(ready().await, "back on the same port");
    fleet.stop().await;
}

#[tokio::test]
async fn with_a_log_url_every_inference_is_posted_as_request_and_response_events() {
    use std::sync::Mutex;

    let received: Arc<Mutex<Vec<(String, String, Value)>>> = Arc::default();
    let sink = received.clone();
    let receiver = axum::Router::new().route(
        "/events",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                sink.lock().expect("events").push((header("ce-source"), header("ce-type"), body));
            }
        }),
    );
    let listener = Listener::serve("127.0.0.1:0".parse().expect("an address"), receiver).await.expect("serves");
    let log_url = url::Url::parse(&format!("http://{}/events", listener.addr())).expect("a URL");
    let traffic =
        TrafficConfig { peak_rps: 200.0, max_requests: Some(20), start_hour: 16.0, ..TrafficConfig::default() };
    let fleet =
        Fleet::start(FleetConfig { log_url: Some(log_url), traffic, ..FleetConfig::default() }).await.expect("starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.lock().expect("events").len() < 40 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events = received.lock().expect("events").clone();
    assert_eq!(events.len(), 40, "a request and a response event per inference");
    let names: Vec<String> = fleet.servers().into_iter().map(|s| s.name).collect();
    assert!(events.iter().all(|(source, ..)| names.contains(source)), "sources are server names: {events:?}");
    let responses = events.iter().filter(|(_, kind, _)| kind.ends_with(".response")).count();
    assert_eq!(responses, 20);
    assert!(events.iter().any(|(_, kind, body)| kind.ends_with(".request") && body["inputs"].is_array()));
    fleet.stop().await;
    listener.stop().await;
}

/// What a stand-in for Vigil's ingest endpoint received: each inference's response by id, and
/// each label as (model, id, label); and how the traffic went.
#[derive(Debug, Default)]
struct Ingested {
    responses: std::collections::HashMap<String, Value>,
    labels: Vec<(String, String, f64)>,
    traffic: TrafficStats,
}

/// A stand-in for Vigil's ingest endpoint on loopback: events at `/ingest`, labels at
/// `/ingest/{model}/labels`, with the token `t`. Returns the payload log URL to give the fleet.
async fn ingest() -> (Listener, url::Url, Arc<std::sync::Mutex<Ingested>>) {
    use axum::extract::Path;
    use axum::http::{HeaderMap, StatusCode};

    let ingested: Arc<std::sync::Mutex<Ingested>> = Arc::default();
    let (events, labels) = (ingested.clone(), ingested.clone());
    let app = axum::Router::new()
        .route(
            "/ingest",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                if header("ce-type").ends_with(".response") {
                    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    events.lock().expect("ingested").responses.insert(header("ce-id"), body);
                }
                StatusCode::ACCEPTED
            }),
        )
        .route(
            "/ingest/{model}/labels",
            axum::routing::post(
                move |Path(model): Path<String>, headers: HeaderMap, body: axum::body::Bytes| async move {
                    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer t") {
                        return (StatusCode::UNAUTHORIZED, String::new());
                    }
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let posted = body["labels"].as_array().cloned().unwrap_or_default();
                    let mut ingested = labels.lock().expect("ingested");
                    for label in &posted {
                        let (id, value) = (label["id"].as_str().unwrap_or("").to_owned(), label["label"].as_f64());
                        ingested.labels.push((model.clone(), id, value.unwrap_or(f64::NAN)));
                    }
                    (StatusCode::ACCEPTED, json!({"accepted": posted.len()}).to_string())
                },
            ),
        );
    let listener = Listener::serve("127.0.0.1:0".parse().expect("an address"), app).await.expect("serves");
    let log_url = url::Url::parse(&format!("http://{}/ingest?token=t", listener.addr())).expect("a URL");
    (listener, log_url, ingested)
}

/// Runs `requests` requests of traffic with labels due at once, and waits for the last label.
async fn labelled_run(scenarios: Vec<Scenario>, requests: u64) -> Ingested {
    let (listener, log_url, ingested) = ingest().await;
    let traffic =
        TrafficConfig { peak_rps: 200.0, max_requests: Some(requests), start_hour: 16.0, ..TrafficConfig::default() };
    let labels = crate::config::LabelsConfig { delay: Duration::ZERO, late_share: 0.0, ..Default::default() };
    let drift = crate::config::DriftConfig { at: Duration::ZERO };
    let config = FleetConfig { scenarios, log_url: Some(log_url), traffic, labels, drift, ..FleetConfig::default() };
    let fleet = Fleet::start(config).await.expect("starts");
    let deadline = Instant::now() + Duration::from_secs(90);
    let settled = |fleet: &RunningFleet| {
        let stats = fleet.traffic().expect("traffic on");
        let sender = fleet.labels().expect("labels on");
        (stats.ok + stats.errors + stats.unanswered + stats.skipped, sender.sent() + sender.dropped() + sender.failed())
    };
    let mut last = settled(&fleet);
    loop {
        tokio::time::sleep(crate::labels::FLUSH_EVERY * 3).await;
        let now = settled(&fleet);
        if (now.0 == requests && now == last) || Instant::now() > deadline {
            break;
        }
        last = now;
    }
    let sender = fleet.labels().expect("labels on");
    assert_eq!((sender.dropped(), sender.failed()), (0, 0), "every label delivered");
    let traffic = fleet.traffic().expect("traffic on");
    fleet.stop().await;
    listener.stop().await;
    let mut ingested = Arc::try_unwrap(ingested).expect("the receiver stopped").into_inner().expect("ingested");
    ingested.traffic = traffic;
    ingested
}

/// Accuracy of the served classifiers' predicted labels against the labels the fleet sent.
fn accuracy(ingested: &Ingested) -> (f64, usize) {
    let (mut right, mut scored) = (0, 0);
    for (model, id, label) in &ingested.labels {
        let output = match model.as_str() {
            "fraud" => "is_fraud",
            "churn" => "will_churn",
            _ => continue,
        };
        let response = ingested.responses.get(id).expect("every label names a logged inference");
        let predicted = crate::traffic::output(response, output).expect("a predicted label");
        right += usize::from(predicted == *label);
        scored += 1;
    }
    (right as f64 / scored as f64, scored)
}

#[tokio::test]
async fn labels_name_logged_inferences_and_drift_makes_the_served_models_wrong_more_often() {
    let healthy = labelled_run(vec![Scenario::Healthy], 800).await;
    let models: std::collections::BTreeSet<&str> = healthy.labels.iter().map(|(model, ..)| model.as_str()).collect();
    assert_eq!(models, ["churn", "fraud", "price"].into(), "every model gets labels");
    // Valid one-row requests are labelled: 0.7 of those answered well.
    let (labelled, answered) = (healthy.labels.len() as f64, healthy.traffic.ok as f64);
    assert!((0.6..0.8).contains(&(labelled / answered)), "{labelled} labels for {:?}", healthy.traffic);
    for (model, id, label) in &healthy.labels {
        assert!(healthy.responses.contains_key(id), "label {id} names a logged inference");
        assert!(model == "price" || *label == 0.0 || *label == 1.0, "{model} labels are 0 or 1: {label}");
    }
    let drifted = labelled_run(vec![Scenario::Drift], 800).await;
    let ((before, n_before), (after, n_after)) = (accuracy(&healthy), accuracy(&drifted));
    // 0.85 on 457 labels without drift and 0.75 on 471 with it, seed 42 (on 20,000 rows: fraud
    // 0.92 → 0.76, churn 0.76 → 0.60); a drop of at least 0.05 is twice the standard error of
    // the difference on so many labels.
    assert!(
        after < before - 0.05,
        "accuracy {before:.3} on {n_before} labels without drift, {after:.3} on {n_after} with it"
    );
}

#[tokio::test]
async fn the_feedback_loop_serves_recs_revisions_one_after_the_other() {
    let feedback_loop = crate::config::FeedbackLoopConfig { every: Duration::from_secs(1), ..Default::default() };
    let config = FleetConfig { scenarios: vec![Scenario::FeedbackLoop], feedback_loop, ..quiet() };
    let fleet = Fleet::start(config).await.expect("starts");
    assert_eq!(fleet.servers()[0].models, ["fraud:12", "fraud:13", "recs:1", "recs:2", "recs:3"]);
    let serving = || {
        let split = fleet.router().split("recs").expect("a route for recs");
        split.weights.iter().find(|(_, weight)| **weight == 100).map(|(version, _)| version.clone())
    };
    let mut seen = vec![serving().expect("one revision serves")];
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.len() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = serving().expect("one revision serves");
        if seen.last() != Some(&now) {
            seen.push(now);
        }
    }
    assert_eq!(seen, ["1", "2", "3"], "each revision in turn takes all of recs' traffic");
    assert!(fleet.references(5).iter().any(|reference| reference.model == "recs"), "recs has reference data");
    fleet.stop().await;
    let healthy = Fleet::start(quiet()).await.expect("starts");
    assert_eq!(healthy.servers()[0].models, ["fraud:12", "fraud:13"], "recs only in its scenario");
    healthy.stop().await;
}
