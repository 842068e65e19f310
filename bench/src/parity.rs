//! The parity check's throughput (issue 17): golden rows checked per second against a fast
//! local Open Inference Protocol server, beside the load generator's saturation rate on the same
//! server in the same run.
//!
//! The server (an axum app on its own thread and current-thread runtime, on loopback) answers
//! the repository index, readiness and metadata as MLServer does, and every `infer` with a
//! `predict` label for each row it is sent. Vigil's engine (a temporary database) polls it once,
//! then checks a generated golden set (N rows of 4 features, every expected label 1) in batches
//! of 64 rows (4 under way, the default), one row a request, and one row a request with 64 under
//! way (as many as the generator); then the load generator sends one-row requests at an
//! unreachable rate for S seconds, at most 64 under way. Printed: rows/s of each parity run, requests/s at saturation,
//! and their ratios (one row a request against the generator is the like-for-like figure: each
//! parity request is also parsed and compared row by row).
//!
//! Usage: `vigil-bench parity [--quick] [--out FILE] [--rows N] [--seconds S]`. Defaults:
//! 200,000 rows, 10 s of saturation (`--quick`: 20,000 rows, 3 s).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use vigil_core::loadgen::{self, LoadPlan};
use vigil_core::parity::ParityRequest;
use vigil_core::rollouts::people::{Person, Role};
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};

use crate::goal::{self, Goal};

const BODY: &str = r#"{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2]}]}"#;

struct Options {
    out: Option<PathBuf>,
    rows: usize,
    seconds: f64,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let mut options =
        Options { out: None, rows: if quick { 20_000 } else { 200_000 }, seconds: if quick { 3.0 } else { 10.0 } };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => options.out = Some(PathBuf::from(value()?)),
            "--rows" => {
                options.rows =
                    value()?.parse().ok().filter(|n| (1..=200_000).contains(n)).ok_or("--rows: 1 to 200000")?
            }
            "--seconds" => {
                options.seconds =
                    value()?.parse().ok().filter(|s: &f64| *s > 0.0).ok_or("--seconds: a positive number")?
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(options)
}

/// Runs the benchmark with the arguments that follow `parity`.
pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let url = serve()?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(measure(&options, &url))
}

/// Starts the fast server on its own thread; its base URL.
fn serve() -> Result<String, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let index = r#"[{"name":"iris","version":"v1","state":"READY","reason":""}]"#;
            let metadata =
                r#"{"name":"iris","versions":[],"platform":"sklearn","inputs":[],"outputs":[],"parameters":{}}"#;
            let app = Router::new()
                .route("/v2", get(|| async { r#"{"name":"mlserver","version":"1.7.1","extensions":[]}"# }))
                .route("/v2/health/ready", get(|| async { "" }))
                .route("/v2/repository/index", post(move || async move { index }))
                .route("/v2/models/iris/versions/v1", get(move || async move { metadata }))
                .route("/v2/models/iris/versions/v1/ready", get(|| async { "" }))
                .route("/metrics", get(|| async { "" }))
                .route("/v2/models/iris/versions/v1/infer", post(infer));
            axum::serve(listener, app).await.expect("serve");
        });
    });
    Ok(url)
}

/// A label 1 for every row of the first input tensor.
async fn infer(body: axum::body::Bytes) -> String {
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    let rows = request["inputs"][0]["shape"][0].as_u64().unwrap_or(1) as usize;
    json!({"model_name": "iris", "outputs": [{"name": "predict", "shape": [rows], "datatype": "INT64", "data": vec![1; rows]}]})
        .to_string()
}

async fn measure(options: &Options, url: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let golden = dir.path().join("golden.csv");
    let mut text = String::from("sepal_length,sepal_width,petal_length,petal_width,predict\n");
    for row in 0..options.rows {
        let x = (row % 50) as f64 / 10.0;
        text.push_str(&format!("{:.1},{:.1},{:.1},{:.1},1\n", 4.3 + x, 2.0 + x / 2.0, 1.0 + x, 0.1 + x / 5.0));
    }
    std::fs::write(&golden, text).map_err(|e| e.to_string())?;
    let engine = Engine::open(EngineOptions::new(dir.path().join("vigil.db"))).await.map_err(|e| e.to_string())?;
    let server =
        NewServer { name: "fast".into(), base_url: url.into(), kind: ServerKind::Mlserver, ..Default::default() };
    engine.servers().add(server).await.map_err(|e| e.to_string())?;
    engine.polling().check_all().await.map_err(|e| e.to_string())?;
    let person = Person::here("bench", Role::Engineer).map_err(|e| e.to_string())?;

    let parity = |batch: u32, in_flight: u32, rows: usize| {
        let request = ParityRequest {
            model: "iris".into(),
            version: Some("v1".into()),
            golden_file: golden.display().to_string(),
            batch_rows: Some(batch),
            in_flight: Some(in_flight),
            ..Default::default()
        };
        let (engine, person) = (engine.clone(), person.clone());
        async move {
            let started = Instant::now();
            let report = engine.parity().run(&person, &request, |_| {}, Arc::new(AtomicBool::new(false))).await;
            let report = report.map_err(|e| e.to_string())?;
            if report.matched as usize != rows {
                return Err(format!("parity matched {} of {rows} rows: {}", report.matched, report.sentence));
            }
            Ok::<f64, String>(rows as f64 / started.elapsed().as_secs_f64())
        }
    };
    let batched = parity(64, 4, options.rows).await?;
    let single = parity(1, 4, options.rows).await?;
    let single_wide = parity(1, 64, options.rows).await?;

    let plan = LoadPlan {
        url: url::Url::parse(&format!("{url}/v2/models/iris/versions/v1/infer")).map_err(|e| e.to_string())?,
        bodies: vec![bytes::Bytes::from_static(BODY.as_bytes())],
        content_type: "application/json".into(),
        rate: 1_000_000.0,
        duration: Duration::from_secs_f64(options.seconds),
        max_requests: u64::MAX,
        timeout: Duration::from_secs(5),
        max_in_flight: 64,
    };
    let saturation =
        loadgen::run(&plan, &[], |_| {}, Arc::new(AtomicBool::new(false))).await.map_err(|e| e.to_string())?;
    let generator = saturation.achieved_rate;

    println!("Parity against a fast local OIP server ({} golden rows), beside the load generator on it:", options.rows);
    println!("  parity, 64 rows a request   {batched:>12.0} rows/s");
    println!("  parity, 1 row a request     {single:>12.0} rows/s");
    println!("  parity, 1 row, 64 under way {single_wide:>12.0} rows/s");
    println!("  load generator, saturation  {generator:>12.0} requests/s ({} s, 64 under way)", options.seconds);
    println!(
        "Ratios: batched parity {:.2}× the generator's requests/s; one row a request {:.2}×",
        batched / generator,
        single / generator
    );
    let goals = goal::print(&[
        Goal::none(
            "parity rows/s, 64 a request, against the generator's saturation",
            format!("{batched:.0} rows/s vs {generator:.0} req/s ({:.2}×)", batched / generator),
        ),
        Goal::none(
            "parity rows/s, one a request, against the generator's saturation",
            format!("{single:.0} rows/s vs {generator:.0} req/s ({:.2}×)", single / generator),
        ),
    ]);
    if let Some(out) = &options.out {
        let figures = json!({
            "rows": options.rows, "parity_batched_rows_per_s": batched, "parity_single_rows_per_s": single, "parity_single_64_in_flight_rows_per_s": single_wide,
            "generator_requests_per_s": generator, "goals": goals, "machine": crate::machine(),
        });
        std::fs::write(out, serde_json::to_string_pretty(&figures).unwrap_or_default()).map_err(|e| e.to_string())?;
    }
    Ok(())
}
