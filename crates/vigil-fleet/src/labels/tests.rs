use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use serde_json::Value;

use super::*;

/// What a receiver got in one POST, and when.
#[derive(Debug, Clone)]
struct Post {
    path: String,
    authorization: Option<String>,
    body: Value,
    at: Instant,
}

type Received = Arc<Mutex<Vec<Post>>>;

/// A real labels receiver on loopback answering as Vigil's does; `hang` makes it never answer.
async fn receiver(hang: bool) -> (url::Url, Received) {
    let received = Received::default();
    let app = Router::new().fallback(post(receive)).with_state((received.clone(), hang));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let url = format!("http://{}/ingest?token=s3cret", listener.local_addr().expect("its address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url.parse().expect("a URL"), received)
}

async fn receive(
    State((received, hang)): State<(Received, bool)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    if hang {
        std::future::pending::<()>().await;
    }
    let body: Value = serde_json::from_slice(&body).expect("a JSON body");
    let accepted = body["labels"].as_array().map_or(0, Vec::len);
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    received.lock().expect("not poisoned").push(Post {
        path: uri.to_string(),
        authorization,
        body,
        at: Instant::now(),
    });
    (StatusCode::ACCEPTED, json!({ "accepted": accepted }).to_string())
}

fn label(model: &str, n: usize) -> Label {
    Label { model: model.to_owned(), id: format!("{model}-{n}"), value: (n % 2) as f64 }
}

/// Polls `done` for up to ten seconds; a bound on waiting, not a timing assertion.
async fn eventually(done: impl Fn() -> bool) -> bool {
    for _ in 0..500 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

#[test]
fn the_labels_endpoint_is_the_ingest_base_with_the_token_in_a_header() {
    let endpoint = |log_url: &str| labels_base(&log_url.parse().expect("a URL"));
    let vigil = endpoint("http://127.0.0.1:8700/ingest?token=abc");
    assert_eq!(vigil.url("fraud").as_str(), "http://127.0.0.1:8700/ingest/fraud/labels");
    assert_eq!(vigil.token.as_deref(), Some("abc"));
    let per_model = endpoint("http://127.0.0.1:8700/vigil/ingest/churn?token=a%20b&x=1");
    assert_eq!(per_model.url("price").as_str(), "http://127.0.0.1:8700/vigil/ingest/price/labels");
    assert_eq!(per_model.token.as_deref(), Some("a b"));
    let elsewhere = endpoint("http://127.0.0.1:9/events/");
    assert_eq!((elsewhere.url("recs").as_str(), elsewhere.token), ("http://127.0.0.1:9/events/recs/labels", None));
    assert_eq!(vigil.url("a b").path(), "/ingest/a%20b/labels", "a model name is one path segment");
}

#[tokio::test]
async fn labels_are_posted_in_batches_per_model_once_due_with_the_token() {
    let (url, received) = receiver(false).await;
    let sender = LabelSender::start(labels_base(&url));
    let now = Instant::now();
    let later = now + Duration::from_secs(2);
    for n in 0..1_200 {
        sender.send(now, label("fraud", n));
    }
    for n in 0..3 {
        sender.send(later, label("churn", n));
    }
    assert!(eventually(|| sender.sent() == 1_200).await, "sent {}", sender.sent());
    {
        let posts = received.lock().expect("not poisoned");
        assert!(posts.iter().all(|p| p.path == "/ingest/fraud/labels"), "churn's labels are not due yet");
        let sizes: Vec<usize> = posts.iter().map(|p| p.body["labels"].as_array().map_or(0, Vec::len)).collect();
        // Batched: a few POSTs of at most 500 (a flush may come while the queue is still filling).
        assert_eq!(sizes.iter().sum::<usize>(), 1_200, "{sizes:?}");
        assert!(sizes.len() <= 6 && sizes.iter().all(|size| *size <= MAX_BATCH), "{sizes:?}");
        assert!(posts.iter().all(|p| p.authorization.as_deref() == Some("Bearer s3cret")));
        assert_eq!(posts[0].body["labels"][1], json!({"id": "fraud-1", "label": 1.0}));
    }
    assert!(eventually(|| sender.sent() == 1_203).await, "sent {}", sender.sent());
    let posts = received.lock().expect("not poisoned");
    let churn = posts.iter().find(|p| p.path == "/ingest/churn/labels").expect("churn's labels came");
    assert!(churn.at >= later, "posted once due, not before");
    let ids: Vec<&str> =
        churn.body["labels"].as_array().expect("labels").iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(ids, ["churn-0", "churn-1", "churn-2"]);
    assert_eq!((sender.dropped(), sender.failed()), (0, 0));
}

#[tokio::test]
async fn a_hanging_receiver_never_blocks_sending_and_overflow_is_counted() {
    let (url, _received) = receiver(true).await;
    let sender = LabelSender::start_with_capacity(labels_base(&url), 4);
    // `send` is not async, and on this single-threaded runtime the task cannot run until the
    // test awaits: the queue takes 4 labels, the other 996 are dropped.
    let now = Instant::now();
    for n in 0..1_000 {
        sender.send(now, label("fraud", n));
    }
    assert_eq!(sender.dropped(), 996);
    // The one POST of the 4 queued labels times out, without a retry.
    assert!(eventually(|| sender.failed() == 4).await, "failed {}", sender.failed());
    assert_eq!(sender.sent(), 0);
}

#[tokio::test]
async fn labels_still_waiting_when_the_fleet_stops_are_counted_as_dropped() {
    let (url, received) = receiver(false).await;
    let sender = LabelSender::start(labels_base(&url));
    let counters = Arc::clone(&sender.counters);
    for n in 0..5 {
        sender.send(Instant::now() + Duration::from_secs(3600), label("price", n));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(sender);
    assert!(eventually(|| counters.dropped.load(Ordering::Relaxed) == 5).await);
    assert!(received.lock().expect("not poisoned").is_empty());
}
