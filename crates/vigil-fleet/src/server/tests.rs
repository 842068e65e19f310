use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::listener::Listener;
use super::*;
use crate::models::catalog;

/// Every model of the catalog, trained once for all these tests.
fn trained(name: &str, version: &str) -> Arc<Model> {
    static MODELS: std::sync::OnceLock<Vec<Arc<Model>>> = std::sync::OnceLock::new();
    let models = MODELS.get_or_init(|| catalog().iter().map(|spec| Arc::new(spec.train(7).expect("trains"))).collect());
    models.iter().find(|m| m.name == name && m.version == version).expect("in the catalog").clone()
}

fn hosted(name: &str, version: &str, faults: VersionFaults) -> Hosted {
    Hosted {
        model: trained(name, version),
        service: ServiceTime { median: Duration::from_millis(1), sigma: 0.2 },
        instances: 2,
        faults,
    }
}

fn server(style: Style, hosted: Vec<Hosted>) -> ServerState {
    let spec = ServerSpec { name: "test".into(), style, hosted, answer_delay: Duration::ZERO };
    ServerState::new(spec, 7, None)
}

fn fraud_server(style: Style, v13: VersionFaults) -> ServerState {
    server(style, vec![hosted("fraud", "12", VersionFaults::default()), hosted("fraud", "13", v13)])
}

fn request(model: &Model, rows: usize) -> Vec<u8> {
    let mut rng = Rng::new(1);
    let rows: Vec<_> = (0..rows).map(|_| model.schema.sample(&mut rng)).collect();
    json!({"inputs": model.schema.request_inputs(&rows)}).to_string().into_bytes()
}

fn fraud_request(state: &ServerState, rows: usize) -> Vec<u8> {
    request(state.model("fraud", Some("12")).expect("hosted"), rows)
}

#[tokio::test]
async fn a_valid_request_is_answered_with_the_models_outputs_and_counted() {
    let state = fraud_server(Style::Triton, VersionFaults::default());
    let answer = state.infer("fraud", Some("12"), &fraud_request(&state, 3)).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let body = answer.body.expect("a body");
    assert_eq!((body["model_name"].as_str(), body["model_version"].as_str()), (Some("fraud"), Some("12")));
    assert_eq!(body["outputs"][0]["shape"], json!([3]));
    assert_eq!(body["id"].as_str().map(str::len), Some(36), "an id is made up when the request has none");
    let stats = &state.recorder.snapshot().revisions[&("fraud".to_owned(), "12".to_owned())];
    assert_eq!((stats.success, stats.inferences, stats.executions), (1, 3, 1));
}

#[tokio::test]
async fn unversioned_requests_reach_the_default_version_and_are_labelled_as_the_style_does() {
    let triton = fraud_server(Style::Triton, VersionFaults::default());
    let answer = triton.infer("fraud", None, &fraud_request(&triton, 1)).await;
    assert_eq!(answer.body.expect("a body")["model_version"], "13", "Triton serves the highest version");

    let mlserver = server(Style::Mlserver, vec![hosted("churn", "v3", VersionFaults::default())]);
    let churn = request(mlserver.model("churn", None).expect("hosted"), 1);
    assert_eq!(mlserver.infer("churn", None, &churn).await.status, StatusCode::OK);
    let snapshot = mlserver.recorder.snapshot();
    assert_eq!(snapshot.revisions[&("churn".to_owned(), "None".to_owned())].success, 1);
}

#[tokio::test]
async fn bad_requests_get_the_protocols_error_with_each_styles_status() {
    let triton = fraud_server(Style::Triton, VersionFaults::default());
    let missing = triton.infer("fraud", Some("99"), &fraud_request(&triton, 1)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body.expect("a body")["error"], "Request for unknown model: 'fraud' version 99 is not found");

    let malformed = triton.infer("fraud", Some("12"), b"{oops").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(malformed.body.expect("a body")["error"].as_str().unwrap_or_default().contains("not valid JSON"));

    let wrong = json!({"inputs": [{"name": "amount", "shape": [1], "datatype": "FP64", "data": [3.0]}]}).to_string();
    let triton_wrong = triton.infer("fraud", Some("12"), wrong.as_bytes()).await;
    assert_eq!(triton_wrong.status, StatusCode::BAD_REQUEST);
    let mlserver = fraud_server(Style::Mlserver, VersionFaults::default());
    let mlserver_wrong = mlserver.infer("fraud", Some("12"), wrong.as_bytes()).await;
    assert_eq!(mlserver_wrong.status, StatusCode::INTERNAL_SERVER_ERROR);
    let message = mlserver_wrong.body.expect("a body")["error"].as_str().unwrap_or_default().to_owned();
    assert_eq!(message, "builtins.ValueError: input 'account_age_days' (INT64) is missing");

    // A request the model could not take is a failed inference; one that is not JSON never
    // reached the model.
    let stats = &triton.recorder.snapshot().revisions[&("fraud".to_owned(), "12".to_owned())];
    assert_eq!((stats.success, stats.bad_input, stats.model_failure), (0, 1, 0));
}

#[tokio::test]
async fn injected_faults_fail_and_slow_the_version_they_target_reproducibly() {
    let faults = VersionFaults {
        error_rate: 0.3,
        tail_share: 0.5,
        tail: (Duration::from_millis(20), Duration::from_millis(30)),
        extra: Duration::ZERO,
    };
    let mut failures = Vec::new();
    for _ in 0..2 {
        let state = fraud_server(Style::Triton, faults);
        let body = fraud_request(&state, 1);
        for _ in 0..40 {
            state.infer("fraud", Some("13"), &body).await;
            state.infer("fraud", Some("12"), &body).await;
        }
        let snapshot = state.recorder.snapshot();
        let (v12, v13) =
            (&snapshot.revisions[&("fraud".into(), "12".into())], &snapshot.revisions[&("fraud".into(), "13".into())]);
        assert_eq!(v12.model_failure, 0);
        assert!((5..=20).contains(&v13.model_failure), "{v13:?}");
        assert!(v13.infer.sum > 0.4 && v12.infer.sum < 0.4, "a tail of 20-30 ms on half of 40: {v12:?} {v13:?}");
        failures.push(v13.model_failure);
    }
    assert_eq!(failures[0], failures[1], "same seed, same failures");
}

#[tokio::test]
async fn the_http_endpoints_answer_as_the_imitated_servers_do() {
    let client = reqwest::Client::new();
    for style in [Style::Mlserver, Style::Triton, Style::Kserve] {
        let state = Arc::new(fraud_server(style, VersionFaults::default()));
        let listener = Listener::serve("127.0.0.1:0".parse().expect("an address"), routes::router(state.clone()))
            .await
            .expect("serves");
        let base = format!("http://{}", listener.addr());
        let get = |path: &str| client.get(format!("{base}{path}")).send();
        let metadata: Value = get("/v2").await.expect("answers").json().await.expect("json");
        assert_eq!(metadata["name"], style.server_metadata()["name"]);
        assert_eq!(get("/v2/health/ready").await.expect("answers").status(), 200);
        assert_eq!(get("/v2/models/fraud/versions/13/ready").await.expect("answers").status(), 200);
        assert_eq!(get("/v2/models/nope/ready").await.expect("answers").status(), 404);
        let model: Value = get("/v2/models/fraud/versions/12").await.expect("answers").json().await.expect("json");
        assert_eq!(model["inputs"][4]["name"], "merchant_category");
        assert_eq!(model["inputs"][4]["parameters"]["categories"][0], "grocery");
        let infer = client
            .post(format!("{base}/v2/models/fraud/versions/12/infer"))
            .body(fraud_request(&state, 2))
            .send()
            .await
            .expect("answers");
        assert_eq!(infer.status(), 200);
        assert_eq!(infer.headers().contains_key("ce-id"), style == Style::Mlserver);
        let listing = if style.has_repository_index() {
            client.post(format!("{base}/v2/repository/index")).body("{}").send().await.expect("answers")
        } else {
            get("/v2/models").await.expect("answers")
        };
        let listing: Value = listing.json().await.expect("json");
        match style {
            Style::Kserve => assert_eq!(listing, json!({"models": ["fraud"]})),
            _ => assert_eq!(listing[1], json!({"name": "fraud", "version": "13", "state": "READY", "reason": ""})),
        }
        let page = get("/metrics").await.expect("answers").text().await.expect("text");
        let counted = match style {
            Style::Mlserver => "model_infer_request_success_total{model=\"fraud\",version=\"12\"} 1.0",
            Style::Triton => "nv_inference_count{model=\"fraud\",version=\"12\"} 2",
            Style::Kserve => "request_predict_seconds_count{model_name=\"fraud\"} 1.0",
        };
        assert!(page.lines().any(|line| line == counted), "{style:?}: no {counted} in\n{page}");
        listener.stop().await;
        assert!(get("/v2").await.is_err(), "the port is closed once stopped");
    }
}

#[tokio::test]
async fn a_slow_server_delays_every_answer_and_its_inferences_in_the_model() {
    let delay = Duration::from_millis(200);
    let slow = VersionFaults { extra: delay, ..VersionFaults::default() };
    let spec = ServerSpec {
        name: "slow".into(),
        style: Style::Mlserver,
        hosted: vec![hosted("churn", "v3", slow)],
        answer_delay: delay,
    };
    let state = Arc::new(ServerState::new(spec, 7, None));
    let listener = Listener::serve("127.0.0.1:0".parse().expect("an address"), routes::router(state.clone()))
        .await
        .expect("serves");
    let (client, base) = (reqwest::Client::new(), format!("http://{}", listener.addr()));
    let started = std::time::Instant::now();
    assert_eq!(client.get(format!("{base}/v2/health/ready")).send().await.expect("answers").status(), 200);
    assert!(started.elapsed() >= delay, "readiness waits");
    let body = request(state.model("churn", None).expect("hosted"), 1);
    let started = std::time::Instant::now();
    let infer =
        client.post(format!("{base}/v2/models/churn/versions/v3/infer")).body(body).send().await.expect("answers");
    assert_eq!(infer.status(), 200);
    assert!(
        started.elapsed() >= delay && started.elapsed() < 2 * delay + Duration::from_millis(150),
        "once, in the model"
    );
    let stats = &state.recorder.snapshot().revisions[&("churn".to_owned(), "v3".to_owned())];
    assert!(stats.request.sum >= delay.as_secs_f64(), "the server's own latency shows it: {stats:?}");
    listener.stop().await;
}
