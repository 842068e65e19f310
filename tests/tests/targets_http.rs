//! The webhook, TorchServe and KServe deployment targets against small HTTP servers on
//! loopback, and `change()`'s retry and timeout rules.
//!
//! Real TorchServe and KServe are not run here: TorchServe needs torch, KServe a Kubernetes
//! cluster. The fakes below follow their documented APIs only: TorchServe's management API
//! (register, describe, set-default, with its JSON answers) and the Kubernetes API for a KServe
//! `InferenceService` (merge-patch, `metadata.generation`, and a status with
//! `observedGeneration` and `components.predictor.traffic` that catches up with the spec after a
//! delay, as a controller does).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::Router;
use serde_json::{json, Value};
use vigil_core::rollouts::targets::{
    change, connect, FailureKind, KserveSpec, TargetSpec, TorchServeSpec, Traffic, WebhookSpec,
};

const TIMEOUT: Duration = Duration::from_secs(2);
const SETTLE: Duration = Duration::from_secs(3);

/// Serves `app` on a free loopback port; returns `http://127.0.0.1:PORT`.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A JSON answer (the tests crate builds axum without its `json` feature).
struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        ([("content-type", "application/json")], self.0.to_string()).into_response()
    }
}

/// What a receiver saw: each request's method, path, headers and body, in order.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Request>>>);

/// One request seen: method, path, headers, body.
type Request = (String, String, HeaderMap, Bytes);

impl Seen {
    fn record(&self, method: &str, path: &str, headers: &HeaderMap, body: &Bytes) {
        self.0.lock().unwrap().push((method.to_owned(), path.to_owned(), headers.clone(), body.clone()));
    }

    fn count(&self, method: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|(m, ..)| m == method).count()
    }

    fn last(&self) -> Request {
        self.0.lock().unwrap().last().cloned().expect("a request")
    }

    fn last_of(&self, method: &str) -> Request {
        self.all().into_iter().rev().find(|(m, ..)| m == method).expect("a request with that method")
    }

    fn all(&self) -> Vec<Request> {
        self.0.lock().unwrap().clone()
    }
}

fn target(spec: &TargetSpec, timeout: Duration) -> Box<dyn vigil_core::rollouts::targets::DeploymentTarget> {
    spec.validate().expect("a valid spec");
    connect(spec, reqwest::Client::new(), timeout)
}

// ---------------------------------------------------------------------------------------------
// Webhook

const HOOK_TOKEN: &str = "s3cret-hook-token-4711";

/// A webhook receiver: POST /hook answers `status` with `answer` (the token, when it is in
/// `{token}`, echoed back as a careless server would); GET /state answers the last weights posted.
async fn hook_receiver(status: u16, answer: &'static str, delay: Duration) -> (String, Seen) {
    let seen = Seen::default();
    let state: Arc<Mutex<Value>> = Arc::new(Mutex::new(json!({"weights": {"12": 100}})));
    let posted = state.clone();
    let app = Router::new()
        .route(
            "/hook",
            post(move |State(seen): State<Seen>, headers: HeaderMap, body: Bytes| async move {
                seen.record("POST", "/hook", &headers, &body);
                tokio::time::sleep(delay).await;
                if status == 200 {
                    if let Ok(Value::Object(sent)) = serde_json::from_slice::<Value>(&body) {
                        *posted.lock().unwrap() = json!({"weights": sent.get("weights")});
                    }
                }
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                let words = answer.replace("{token}", &auth);
                (StatusCode::from_u16(status).unwrap(), [("content-type", "application/json")], words)
            }),
        )
        .route("/state", get(move || async move { Json(state.lock().unwrap().clone()) }))
        .with_state(seen.clone());
    (serve(app).await, seen)
}

fn webhook(url: &str, read_back: bool, env: &str) -> TargetSpec {
    std::env::set_var(env, HOOK_TOKEN);
    TargetSpec::Webhook(WebhookSpec {
        url: format!("{url}/hook"),
        model: "fraud".into(),
        body: r#"{"model": {{model}}, "version": {{version}}, "weights": {{weights}}, "note": "now {{traffic}}"}"#
            .into(),
        auth: Some(format!("env:{env}")),
        auth_header: None,
        read_back_url: read_back.then(|| format!("{url}/state")),
    })
}

#[tokio::test]
async fn a_webhook_posts_the_filled_body_with_the_bearer_token_and_without_read_back_cannot_confirm() {
    let (url, seen) = hook_receiver(200, "{}", Duration::ZERO).await;
    let hook = target(&webhook(&url, false, "VIGIL_TEST_HOOK_A"), TIMEOUT);

    let failure = change(hook.as_ref(), &Traffic::split("12", "13\"}", 10), SETTLE).await.unwrap_err();

    let (_, _, headers, body) = seen.last();
    let body: Value = serde_json::from_slice(&body).expect("the body is JSON");
    let expected = json!({
        "model": "fraud", "version": "12", "weights": {"12": 90, "13\"}": 10}, "note": "now 12 90 % · 13\"} 10 %"
    });
    assert_eq!(body, expected);
    assert_eq!(headers["authorization"], format!("Bearer {HOOK_TOKEN}"));
    assert_eq!(failure.kind, FailureKind::Config);
    assert!(failure.message.contains("no read_back_url"), "{failure}");
    assert!(!failure.message.contains(HOOK_TOKEN));
}

#[tokio::test]
async fn a_webhook_can_send_the_bare_token_in_a_header_it_names() {
    let (url, seen) = hook_receiver(200, "{}", Duration::ZERO).await;
    let TargetSpec::Webhook(spec) = webhook(&url, true, "VIGIL_TEST_HOOK_B") else { unreachable!() };
    let spec = TargetSpec::Webhook(WebhookSpec { auth_header: Some("X-Api-Key".into()), ..spec });
    change(target(&spec, TIMEOUT).as_ref(), &Traffic::only("13"), SETTLE).await.expect("confirmed");
    let (method, _, headers, _) = seen.all().into_iter().find(|(m, ..)| m == "POST").expect("a POST");
    assert_eq!(method, "POST");
    assert_eq!(headers["x-api-key"], HOOK_TOKEN);
    assert!(headers.get("authorization").is_none());
}

#[tokio::test]
async fn a_webhook_with_a_read_back_url_confirms() {
    let (url, seen) = hook_receiver(200, "{}", Duration::ZERO).await;
    let hook = target(&webhook(&url, true, "VIGIL_TEST_HOOK_C"), TIMEOUT);
    let served = change(hook.as_ref(), &Traffic::split("12", "13", 25), SETTLE).await.expect("confirmed");
    assert_eq!(served, Traffic::split("12", "13", 25));
    assert_eq!(seen.count("POST"), 1);
}

#[tokio::test]
async fn a_webhook_answering_500_is_refused_in_its_own_words_without_the_token_and_not_sent_again() {
    let answer = r#"{"error": "deploy queue is frozen (you sent {token})"}"#;
    let (url, seen) = hook_receiver(500, answer, Duration::ZERO).await;
    let hook = target(&webhook(&url, true, "VIGIL_TEST_HOOK_D"), TIMEOUT);
    let failure = change(hook.as_ref(), &Traffic::only("13"), SETTLE).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Refused);
    assert!(failure.message.contains("deploy queue is frozen"), "{failure}");
    assert!(!failure.message.contains(HOOK_TOKEN), "the token never reaches an error: {failure}");
    assert_eq!(seen.count("POST"), 1, "a POST is not idempotent, so it is not sent again");
}

#[tokio::test]
async fn a_webhook_missing_its_token_says_which_reference_without_calling() {
    let (url, seen) = hook_receiver(200, "{}", Duration::ZERO).await;
    let TargetSpec::Webhook(spec) = webhook(&url, true, "VIGIL_TEST_HOOK_E") else { unreachable!() };
    let spec = TargetSpec::Webhook(WebhookSpec { auth: Some("env:VIGIL_TEST_HOOK_UNSET".into()), ..spec });
    let failure = change(target(&spec, TIMEOUT).as_ref(), &Traffic::only("13"), SETTLE).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Config);
    assert!(failure.message.contains("VIGIL_TEST_HOOK_UNSET"), "{failure}");
    assert_eq!(seen.count("POST"), 0);
}

// ---------------------------------------------------------------------------------------------
// change() in general: timeouts, and retries only where repeating is safe

/// A router route (`GET`/`PUT /route`) whose first `slow_puts` PUTs wait `delay` and change nothing.
async fn slow_router(slow_puts: usize, delay: Duration) -> (String, Seen) {
    let seen = Seen::default();
    let route = Arc::new(Mutex::new(json!({"weights": {"12": 100}})));
    let read = route.clone();
    let app = Router::new()
        .route(
            "/route",
            put(move |State(seen): State<Seen>, headers: HeaderMap, body: Bytes| async move {
                seen.record("PUT", "/route", &headers, &body);
                if seen.count("PUT") <= slow_puts {
                    tokio::time::sleep(delay).await;
                    return StatusCode::OK;
                }
                *route.lock().unwrap() = serde_json::from_slice(&body).unwrap();
                StatusCode::OK
            })
            .get(move || async move { Json(read.lock().unwrap().clone()) }),
        )
        .with_state(seen.clone());
    (serve(app).await, seen)
}

#[tokio::test]
async fn a_target_slower_than_its_timeout_fails_with_timeout() {
    let (url, seen) = hook_receiver(200, "{}", Duration::from_secs(3)).await;
    let hook = target(&webhook(&url, true, "VIGIL_TEST_HOOK_F"), Duration::from_millis(300));
    let failure = change(hook.as_ref(), &Traffic::only("13"), SETTLE).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Timeout, "{failure}");
    assert_eq!(seen.count("POST"), 1, "a webhook that got no answer is not sent again");

    let (url, seen) = slow_router(usize::MAX, Duration::from_secs(3)).await;
    let router = target(&TargetSpec::Router { url: format!("{url}/route") }, Duration::from_millis(300));
    let failure = change(router.as_ref(), &Traffic::only("13"), SETTLE).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Timeout, "{failure}");
    assert_eq!(seen.count("PUT"), 3, "an idempotent target is sent the call 3 times in all");
}

#[tokio::test]
async fn an_idempotent_target_that_first_got_no_answer_is_sent_the_call_again() {
    let (url, seen) = slow_router(1, Duration::from_secs(3)).await;
    let router = target(&TargetSpec::Router { url: format!("{url}/route") }, Duration::from_millis(300));
    let served = change(router.as_ref(), &Traffic::split("12", "13", 10), SETTLE).await.expect("confirmed");
    assert_eq!(served, Traffic::split("12", "13", 10));
    assert_eq!(seen.count("PUT"), 2);
}

// ---------------------------------------------------------------------------------------------
// TorchServe

/// TorchServe's state for one model: its registered versions (version → archive) and the default.
#[derive(Default)]
struct TorchServeState {
    versions: BTreeMap<String, String>,
    default: String,
}

type Shared<T> = Arc<Mutex<T>>;

fn not_found(message: String) -> Response {
    let body = json!({"code": 404, "type": "ModelNotFoundException", "message": message});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

fn describe(name: &str, version: &str, archive: &str) -> Value {
    json!({"modelName": name, "modelVersion": version, "modelUrl": archive, "minWorkers": 1, "maxWorkers": 1, "workers": []})
}

/// `GET /models/{name}`: the default version.
async fn ts_describe_default(
    State((state, seen)): State<(Shared<TorchServeState>, Seen)>,
    Path(name): Path<String>,
) -> Response {
    seen.record("GET", &name, &HeaderMap::new(), &Bytes::new());
    let state = state.lock().unwrap();
    if name != "fraud" {
        return not_found(format!("Model not found: {name}"));
    }
    Json(json!([describe(&name, &state.default, &state.versions[&state.default])])).into_response()
}

/// `GET /models/{name}/all`: every registered version.
async fn ts_describe_all(
    State((state, seen)): State<(Shared<TorchServeState>, Seen)>,
    Path(name): Path<String>,
) -> Response {
    seen.record("GET", &format!("{name}/all"), &HeaderMap::new(), &Bytes::new());
    let state = state.lock().unwrap();
    if name != "fraud" {
        return not_found(format!("Model not found: {name}"));
    }
    Json(state.versions.iter().map(|(v, a)| describe(&name, v, a)).collect()).into_response()
}

/// `POST /models?url=…&model_name=…`: the version comes from the archive (`fraud-13.mar` → 13).
async fn ts_register(State((state, seen)): State<(Shared<TorchServeState>, Seen)>, uri: Uri) -> Response {
    let query: BTreeMap<String, String> = reqwest::Url::parse(&format!("http://torchserve{uri}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    seen.record(
        "POST",
        &format!("models?url={}&model_name={}", query["url"], query["model_name"]),
        &HeaderMap::new(),
        &Bytes::new(),
    );
    let archive = query["url"].clone();
    let version = archive.trim_start_matches("fraud-").trim_end_matches(".mar").to_owned();
    let mut state = state.lock().unwrap();
    if state.versions.contains_key(&version) {
        let message = format!("Model version {version} is already registered for model fraud");
        return (
            StatusCode::CONFLICT,
            Json(json!({"code": 409, "type": "ConflictStatusException", "message": message})),
        )
            .into_response();
    }
    state.versions.insert(version.clone(), archive);
    let status = format!("Model \"fraud\" Version: {version} registered with 1 initial workers");
    Json(json!({ "status": status })).into_response()
}

/// `PUT /models/{name}/{version}/set-default`
async fn ts_set_default(
    State((state, seen)): State<(Shared<TorchServeState>, Seen)>,
    Path((name, version)): Path<(String, String)>,
) -> Response {
    seen.record("PUT", &format!("{name}/{version}/set-default"), &HeaderMap::new(), &Bytes::new());
    let mut state = state.lock().unwrap();
    if name != "fraud" || !state.versions.contains_key(&version) {
        return not_found(format!("Model version: {version} does not exist for model: {name}"));
    }
    state.default = version.clone();
    Json(json!({"status": format!("Default vesion succsesfully updated for model \"{name}\" to \"{version}\"")}))
        .into_response()
}

async fn torchserve() -> (String, Seen) {
    let seen = Seen::default();
    let state =
        TorchServeState { versions: BTreeMap::from([("12".into(), "fraud-12.mar".into())]), default: "12".into() };
    let app = Router::new()
        .route("/models", post(ts_register))
        .route("/models/{name}/{version}/set-default", put(ts_set_default))
        .route("/models/{name}", get(ts_describe_default))
        .route("/models/{name}/all", get(ts_describe_all))
        .with_state((Arc::new(Mutex::new(state)), seen.clone()));
    (serve(app).await, seen)
}

fn torchserve_spec(url: &str) -> TargetSpec {
    let archives = BTreeMap::from([("13".into(), "fraud-13.mar".into())]);
    TargetSpec::Torchserve(TorchServeSpec { url: url.to_owned(), model: "fraud".into(), archives })
}

#[tokio::test]
async fn torchserve_registers_switches_and_rolls_back_confirmed_by_its_default_version() {
    let (url, seen) = torchserve().await;
    let ts = target(&torchserve_spec(&url), TIMEOUT);
    assert_eq!(ts.read().await.expect("read"), Traffic::only("12"));

    assert_eq!(change(ts.as_ref(), &Traffic::only("13"), SETTLE).await.expect("switch"), Traffic::only("13"));
    assert_eq!(change(ts.as_ref(), &Traffic::only("12"), SETTLE).await.expect("rollback"), Traffic::only("12"));
    assert_eq!(change(ts.as_ref(), &Traffic::only("13"), SETTLE).await.expect("again"), Traffic::only("13"));

    let calls: Vec<String> =
        seen.all().into_iter().filter(|(m, ..)| m != "GET").map(|(m, p, ..)| format!("{m} {p}")).collect();
    let expected = [
        "POST models?url=fraud-13.mar&model_name=fraud",
        "PUT fraud/13/set-default",
        "PUT fraud/12/set-default",
        "PUT fraud/13/set-default",
    ];
    assert_eq!(calls, expected, "registered once, then only switched");
}

#[tokio::test]
async fn torchserve_cannot_split_or_serve_a_version_it_has_no_archive_for() {
    let (url, _) = torchserve().await;
    let ts = target(&torchserve_spec(&url), TIMEOUT);
    let split = change(ts.as_ref(), &Traffic::split("12", "13", 10), SETTLE).await.unwrap_err();
    assert_eq!(split.kind, FailureKind::Config);
    assert!(split.message.contains("only switches all traffic to one version"), "{split}");
    let unknown = change(ts.as_ref(), &Traffic::only("14"), SETTLE).await.unwrap_err();
    assert_eq!(unknown.kind, FailureKind::Config);
    assert!(unknown.message.contains("no model archive for it"), "{unknown}");
}

// ---------------------------------------------------------------------------------------------
// KServe

const K8S_TOKEN: &str = "k8s-bearer-token-0815";
const ISVC_PATH: &str = "/apis/serving.kserve.io/v1beta1/namespaces/models/inferenceservices/fraud";

/// How the fake API server behaves.
#[derive(Clone, Copy, PartialEq)]
enum Controller {
    /// The status catches up with the spec after the delay.
    CatchesUp(Duration),
    /// The status never catches up.
    Stuck,
    /// Every request is forbidden.
    Forbidden,
}

/// The InferenceService and the revisions the controller made: (name, storage URI), oldest first,
/// and the last one rolled out to all traffic.
struct Cluster {
    resource: Value,
    revisions: Vec<(String, String)>,
    rolled_out: String,
}

/// RFC 7386 JSON merge-patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let target = target.as_object_mut().unwrap();
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// What KServe's controller does for a spec: a new revision when the storage URI changed, then
/// the traffic split between the latest and the previously rolled-out revision.
fn reconcile(cluster: &mut Cluster) {
    let spec = &cluster.resource["spec"]["predictor"];
    let uri = spec["model"]["storageUri"].as_str().unwrap().to_owned();
    let canary = spec["canaryTrafficPercent"].as_u64();
    if cluster.revisions.last().map(|(_, u)| u) != Some(&uri) {
        cluster.revisions.push((format!("fraud-predictor-{:05}", cluster.revisions.len() + 1), uri));
    }
    let latest = cluster.revisions.last().unwrap().0.clone();
    let traffic = match canary {
        Some(percent) if percent < 100 && latest != cluster.rolled_out => json!([
            {"revisionName": latest, "percent": percent, "latestRevision": true, "tag": "latest"},
            {"revisionName": cluster.rolled_out, "percent": 100 - percent, "latestRevision": false, "tag": "prev"}
        ]),
        _ => {
            cluster.rolled_out = latest.clone();
            json!([{"revisionName": latest, "percent": 100, "latestRevision": true}])
        }
    };
    let generation = cluster.resource["metadata"]["generation"].clone();
    cluster.resource["status"] = json!({
        "observedGeneration": generation,
        "conditions": [{"type": "Ready", "status": "True"}],
        "components": {"predictor": {
            "latestCreatedRevision": latest, "latestReadyRevision": latest,
            "latestRolledoutRevision": cluster.rolled_out, "traffic": traffic
        }}
    });
}

type ClusterState = (Shared<Cluster>, Seen, Controller);

fn forbidden(verb: &str) -> Response {
    let message = format!(
        "inferenceservices.serving.kserve.io \"fraud\" is forbidden: User \"system:serviceaccount:ci:vigil\" cannot {verb} \
         resource \"inferenceservices\" in API group \"serving.kserve.io\" in the namespace \"models\""
    );
    let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": "Forbidden", "code": 403});
    (StatusCode::FORBIDDEN, Json(status)).into_response()
}

async fn k8s_get(State((cluster, seen, controller)): State<ClusterState>, headers: HeaderMap) -> Response {
    seen.record("GET", ISVC_PATH, &headers, &Bytes::new());
    if controller == Controller::Forbidden {
        return forbidden("get");
    }
    Json(cluster.lock().unwrap().resource.clone()).into_response()
}

async fn k8s_patch(
    State((cluster, seen, controller)): State<ClusterState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    seen.record("PATCH", ISVC_PATH, &headers, &body);
    if controller == Controller::Forbidden {
        return forbidden("patch");
    }
    if headers["content-type"] != "application/merge-patch+json" {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "415: Unsupported Media Type").into_response();
    }
    let patch: Value = serde_json::from_slice(&body).unwrap();
    let resource = {
        let mut cluster = cluster.lock().unwrap();
        let before = cluster.resource["spec"].clone();
        merge_patch(&mut cluster.resource, &patch);
        if cluster.resource["spec"] != before {
            let generation = cluster.resource["metadata"]["generation"].as_i64().unwrap();
            cluster.resource["metadata"]["generation"] = json!(generation + 1);
        }
        cluster.resource.clone()
    };
    if let Controller::CatchesUp(delay) = controller {
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            reconcile(&mut cluster.lock().unwrap());
        });
    }
    Json(resource).into_response()
}

/// A Kubernetes API server holding the InferenceService models/fraud, serving version 12's model.
async fn kubernetes(controller: Controller) -> (String, Seen) {
    let resource = json!({
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "fraud", "namespace": "models", "generation": 1},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://models/fraud/12"}}}
    });
    let mut cluster = Cluster { resource, revisions: Vec::new(), rolled_out: String::new() };
    reconcile(&mut cluster);
    let seen = Seen::default();
    let app = Router::new()
        .route(ISVC_PATH, get(k8s_get).patch(k8s_patch))
        .fallback(any(|| async { (StatusCode::NOT_FOUND, "404 page not found") }))
        .with_state((Arc::new(Mutex::new(cluster)), seen.clone(), controller));
    (serve(app).await, seen)
}

fn kserve_spec(url: &str) -> TargetSpec {
    std::env::set_var("VIGIL_TEST_K8S_TOKEN", K8S_TOKEN);
    let storage_uris =
        BTreeMap::from([("12".into(), "s3://models/fraud/12".into()), ("13".into(), "s3://models/fraud/13".into())]);
    TargetSpec::Kserve(KserveSpec {
        api_url: Some(url.to_owned()),
        namespace: "models".into(),
        name: "fraud".into(),
        token: Some("env:VIGIL_TEST_K8S_TOKEN".into()),
        kubeconfig: None,
        storage_uris,
    })
}

#[tokio::test]
async fn kserve_canary_promotion_and_rollback_are_confirmed_once_the_status_catches_up() {
    let (url, seen) = kubernetes(Controller::CatchesUp(Duration::from_millis(300))).await;
    let isvc = target(&kserve_spec(&url), TIMEOUT);
    assert_eq!(isvc.read().await.expect("read"), Traffic::only("12"));

    let started = Instant::now();
    let canary = change(isvc.as_ref(), &Traffic::split("12", "13", 10), SETTLE).await.expect("canary");
    assert_eq!(canary, Traffic::split("12", "13", 10));
    assert!(started.elapsed() >= Duration::from_millis(300), "confirmed only after the status caught up");
    let (_, _, headers, body) = seen.last_of("PATCH");
    assert_eq!(headers["content-type"], "application/merge-patch+json");
    let patch: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        patch["spec"]["predictor"],
        json!({"canaryTrafficPercent": 10, "model": {"storageUri": "s3://models/fraud/13"}})
    );

    let half = change(isvc.as_ref(), &Traffic::split("12", "13", 50), SETTLE).await.expect("50 %");
    assert_eq!(half, Traffic::split("12", "13", 50));
    let rolled_back = change(isvc.as_ref(), &Traffic::only("12"), SETTLE).await.expect("rollback");
    assert_eq!(rolled_back, Traffic::only("12"));
    change(isvc.as_ref(), &Traffic::split("12", "13", 10), SETTLE).await.expect("canary again");
    let promoted = change(isvc.as_ref(), &Traffic::only("13"), SETTLE).await.expect("promotion");
    assert_eq!(promoted, Traffic::only("13"));

    for (method, _, headers, _) in seen.all() {
        assert_eq!(headers["authorization"], format!("Bearer {K8S_TOKEN}"), "{method} carries the bearer token");
    }
}

#[tokio::test]
async fn kserve_whose_status_never_catches_up_is_a_wrong_read_back() {
    let (url, _) = kubernetes(Controller::Stuck).await;
    let isvc = target(&kserve_spec(&url), TIMEOUT);
    let started = Instant::now();
    let failure = change(isvc.as_ref(), &Traffic::split("12", "13", 10), Duration::from_millis(800)).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::WrongReadBack, "{failure}");
    assert!(failure.message.contains("has not caught up"), "{failure}");
    assert!(started.elapsed() >= Duration::from_millis(800), "it waited its settle time");
}

#[tokio::test]
async fn kserve_forbidden_is_refused_in_the_api_servers_words() {
    let (url, _) = kubernetes(Controller::Forbidden).await;
    let isvc = target(&kserve_spec(&url), TIMEOUT);
    let failure = change(isvc.as_ref(), &Traffic::only("13"), SETTLE).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Refused, "{failure}");
    assert!(failure.message.contains("HTTP 403"), "{failure}");
    assert!(failure.message.contains("cannot patch resource \"inferenceservices\""), "{failure}");
    assert!(!failure.message.contains(K8S_TOKEN));
}
