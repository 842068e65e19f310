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
