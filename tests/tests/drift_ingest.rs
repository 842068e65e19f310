//! The drift ingest endpoint on loopback, fed the way KServe's inference logger feeds it (a
//! CloudEvent for the request and one for the response, paired by id) and as plain OIP v2 JSON:
//! what it keeps reaches a drift report; without the token or with a broken payload it says why.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::json;
use vigil_core::drift::reference::ReferenceRequest;
use vigil_core::{Engine, EngineOptions};

const TOKEN: &str = "a-token-for-the-ingest-test";

/// An engine whose model `fraud` has a reference: amount around 50, channel mostly in store,
/// prediction `probability`.
async fn engine_with_reference(dir: &std::path::Path) -> Engine {
    let engine = Engine::open(EngineOptions::new(vigil_tests::store(dir).await)).await.unwrap();
    let mut text = String::from("amount,channel,probability\n");
    for i in 0..2_000 {
        let channel = if i % 4 == 0 { "online" } else { "in_store" };
        text += &format!("{},{channel},{}\n", 40 + i % 21, (i % 10) as f64 / 10.0);
    }
    let path = dir.join("reference.csv");
    std::fs::write(&path, text).unwrap();
    let request =
        ReferenceRequest { model: "fraud".into(), prediction: Some("probability".into()), ..Default::default() };
    engine.drift().import_reference(path, request, |_| {}, Arc::new(AtomicBool::new(false))).await.unwrap();
    engine
}

#[tokio::test]
async fn kserve_cloudevents_and_plain_oip_payloads_reach_the_drift_report() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with_reference(dir.path()).await;
    let ingest = engine.drift().start_ingest("127.0.0.1:0".parse().unwrap(), TOKEN.into()).await.unwrap();
    let url = format!("http://{}/ingest", ingest.addr());
    let http = reqwest::Client::new();

    // 600 inferences as KServe logs them: the response first for a third of them.
    for i in 0..600 {
        let id = format!("inference-{i}");
        let amount = 90.0 + (i % 21) as f64; // shifted well up
        let channel = if i % 4 == 0 { "online" } else { "in_store" };
        let request = json!({"inputs": [
            {"name": "amount", "shape": [1], "datatype": "FP64", "data": [amount]},
            {"name": "channel", "shape": [1], "datatype": "BYTES", "data": [channel]}]});
        let response = json!({"model_name": "fraud", "model_version": "13", "id": id,
            "outputs": [{"name": "p", "shape": [1], "datatype": "FP64", "data": [(i % 10) as f64 / 10.0]}]});
        let mut events = [("request", request), ("response", response)];
        if i % 3 == 0 {
            events.reverse();
        }
        for (part, body) in events {
            let answer = http
                .post(&url)
                .bearer_auth(TOKEN)
                .header("ce-specversion", "1.0")
                .header("ce-type", format!("org.kubeflow.serving.inference.{part}"))
                .header("ce-id", &id)
                .header("ce-source", "fraud-predictor")
                .header("ce-inferenceservicename", "fraud")
                .header("ce-endpoint", "13")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 202, "{}", answer.text().await.unwrap());
        }
    }
    // And 100 as plain OIP v2 JSON, the model in the path and the token in the query.
    for i in 0..100 {
        let body = json!({"inputs": [
            {"name": "amount", "shape": [1], "datatype": "FP64", "data": [95.0 + (i % 5) as f64]},
            {"name": "channel", "shape": [1], "datatype": "BYTES", "data": ["in_store"]}]});
        let answer = http.post(format!("{url}/fraud?token={TOKEN}")).json(&body).send().await.unwrap();
        assert_eq!(answer.status(), 202);
    }
    ingest.flush().await.unwrap();
    let stats = ingest.stats();
    assert_eq!((stats.accepted, stats.rejected, stats.rows), (1_300, 0, 700), "a pair makes one row");

    let now = Utc::now();
    let report =
        engine.drift().report("fraud", None, now - Duration::hours(1), now + Duration::minutes(1)).await.unwrap();
    let verdict = |name: &str| {
        let column = report.columns.iter().find(|column| column.column == name).unwrap();
        (column.current_count, column.test.as_ref().map(|test| test.drifted))
    };
    assert_eq!(verdict("amount"), (700, Some(true)));
    assert_eq!(verdict("channel").1, Some(false));
    assert_eq!(verdict("probability"), (600, Some(false)), "the prediction came with the 600 responses");
    let version_13 = engine.drift().report("fraud", Some("13"), now - Duration::hours(1), now + Duration::minutes(1));
    assert_eq!(version_13.await.unwrap().current_rows, 600, "KServe's endpoint named the version");

    // Ten requests whose responses never come: they wait for their other half, and a clean stop
    // stores them alone rather than dropping them.
    for i in 0..10 {
        let request = json!({"inputs": [{"name": "amount", "shape": [1], "datatype": "FP64", "data": [100.0]}]});
        let answer = http
            .post(&url)
            .bearer_auth(TOKEN)
            .header("ce-specversion", "1.0")
            .header("ce-type", "org.kubeflow.serving.inference.request")
            .header("ce-id", format!("unanswered-{i}"))
            .header("ce-inferenceservicename", "fraud")
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 202);
    }
    let amounts = || async {
        let now = Utc::now();
        let report =
            engine.drift().report("fraud", None, now - Duration::hours(1), now + Duration::minutes(1)).await.unwrap();
        report.columns.iter().find(|column| column.column == "amount").unwrap().current_count
    };
    ingest.flush().await.unwrap();
    assert_eq!(amounts().await, 700, "still waiting for their responses");
    ingest.finish().await.unwrap();
    assert_eq!(amounts().await, 710, "stored alone at a clean stop");
}

#[tokio::test]
async fn without_the_token_or_with_a_broken_payload_the_endpoint_says_why_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with_reference(dir.path()).await;
    let short = engine.drift().start_ingest("127.0.0.1:0".parse().unwrap(), "short".into()).await;
    assert_eq!(short.err().unwrap().field(), Some("token"));
    let ingest = engine.drift().start_ingest("127.0.0.1:0".parse().unwrap(), TOKEN.into()).await.unwrap();
    let url = format!("http://{}/ingest/fraud", ingest.addr());
    let http = reqwest::Client::new();
    let body = json!({"inputs": [{"name": "amount", "shape": [1], "data": [1.0]}]});

    let answer = http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(answer.status(), 401);
    assert!(answer.text().await.unwrap().contains("Authorization: Bearer"));
    let answer = http.post(&url).bearer_auth("a-wrong-token-of-some-length").json(&body).send().await.unwrap();
    assert_eq!(answer.status(), 401);

    let answer = http.post(&url).bearer_auth(TOKEN).body("{not json").send().await.unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.unwrap().contains("not valid JSON"));
    let ragged = json!({"inputs": [{"name": "amount", "shape": [2], "data": [1.0]}]});
    let answer = http.post(&url).bearer_auth(TOKEN).json(&ragged).send().await.unwrap();
    assert!(answer.text().await.unwrap().contains("shape [2] but 1 values"));
    let huge = vec![b' '; 2 << 20];
    let answer = http.post(&url).bearer_auth(TOKEN).body(huge).send().await.unwrap();
    assert_eq!(answer.status(), 413, "bodies over 1 MB are refused unread");
    assert!(answer.text().await.unwrap().contains("over 1 MB"));
    let answer = http.post(&url).body(vec![b' '; 2 << 20]).send().await.unwrap();
    assert_eq!(answer.status(), 401, "a stranger learns nothing of the body's size");

    // Each refusal is counted with its reason.
    let stats = ingest.stats();
    let reasons = (stats.unauthorized, stats.unreadable, stats.too_large, stats.rejected, stats.accepted);
    assert_eq!(reasons, (3, 2, 1, 6, 0), "{stats:?}");

    ingest.flush().await.unwrap();
    assert_eq!(ingest.stats().rows, 0);
    let now = Utc::now();
    let report = engine.drift().report("fraud", None, now - Duration::hours(1), now).await.unwrap();
    assert_eq!(report.current_rows, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_over_its_rate_is_answered_429_unread_and_counted_while_another_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with_reference(dir.path()).await;
    let ingest = engine.drift().start_ingest("127.0.0.1:0".parse().unwrap(), TOKEN.into()).await.unwrap();
    ingest.set_client_rate(50);
    let url = format!("http://{}/ingest/fraud", ingest.addr());
    let body = json!({"inputs": [{"name": "amount", "shape": [1], "datatype": "FP64", "data": [1.0]}]});
    let flooding = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..120 {
        statuses.push(flooding.post(&url).bearer_auth(TOKEN).json(&body).send().await.unwrap());
    }
    let refused: Vec<_> = statuses.into_iter().filter(|answer| answer.status() == 429).collect();
    // A second's burst of 50 passes, and what the bucket refilled while the rest were sent.
    assert!(refused.len() >= 40, "only {} of 120 refused at 50 a second", refused.len());
    assert_eq!(refused[0].headers()["retry-after"], "1");
    let why = refused.into_iter().next().unwrap().text().await.unwrap();
    assert_eq!(why, "over 50 requests a second from 127.0.0.1: slow down, or raise the limit (--ingest-rate)");

    // Another address on loopback has a bucket of its own.
    let other =
        reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    let answer = other.post(&url).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    assert_eq!(answer.status(), 202, "{}", answer.text().await.unwrap());
    let stats = ingest.stats();
    assert_eq!(stats.rate_limited + stats.accepted, 121, "{stats:?}");
    assert_eq!(stats.rejected, stats.rate_limited, "{stats:?}");

    ingest.set_client_rate(0);
    let answer = flooding.post(&url).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    assert_eq!(answer.status(), 202, "0 lifts the limit");
}
