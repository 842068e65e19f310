//! Against a real Seldon MLServer: registered as `auto`, it is detected, its model and version
//! discovered from its repository index before any request, and the inference requests sent to it are counted exactly; when the model is
//! unloaded through MLServer's repository API, Vigil sees it not ready within two poll
//! intervals and stores the transition with its reason. A load test sends it rows built from
//! the model's reference data, in the shape its scikit-learn runtime takes.

use std::time::Duration;

use vigil_core::{Engine, EngineOptions, HealthState, NewServer, ServerKind};
use vigil_tests::mlserver::RealMlserver;
use vigil_tests::wait_for;

const GOOD: u64 = 6;
const BAD: u64 = 3;
const POLL_INTERVAL: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread")]
async fn requests_to_a_real_mlserver_are_counted_and_an_unloaded_model_turns_not_ready() {
    let mlserver = RealMlserver::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let options = EngineOptions { poll_interval: POLL_INTERVAL, ..EngineOptions::new(dir.path().join("vigil.db")) };
    let engine = Engine::open(options).await.expect("open the engine");
    let new = NewServer {
        name: "mlserver".into(),
        base_url: mlserver.http_url.clone(),
        kind: ServerKind::Auto,
        metrics_url: Some(mlserver.metrics_url.clone()),
        ..Default::default()
    };
    engine.servers().add(new).await.expect("add");
    let servers = engine.polling().check_all().await.expect("first poll");
    assert_eq!((servers[0].health, servers[0].detected_kind), (HealthState::Up, Some(ServerKind::Mlserver)));
    // Loaded but not yet called, so not on the metrics page: the repository index names it.
    let listed = engine.dashboard().revision_signals().await.expect("revisions");
    let listed: Vec<_> = listed.iter().map(|r| (r.model.as_str(), r.version.as_str(), r.requests_seen)).collect();
    assert_eq!(listed, [("iris", "v1", 0.0)], "discovered before its first request");

    for _ in 0..GOOD {
        assert_eq!(mlserver.infer(4).await, 200, "iris takes 4 features");
    }
    mlserver.wait_for_counts(GOOD as f64, 0.0).await;
    // MLServer 1.7.1 now and then leaves a failed request out of its own failure counter (seen
    // on a loaded machine: 3 sent, 2 counted). Vigil can only store what MLServer counts, so
    // each bad request is sent until MLServer has counted it (at most twice).
    for failed in 1..=BAD {
        for attempt in 1..=2 {
            assert_ne!(mlserver.infer(3).await, 200, "3 features must fail");
            let counted = vigil_tests::wait_until(Duration::from_secs(3), || async {
                (mlserver.counted().await == Some((GOOD as f64, failed as f64))).then_some(())
            });
            if counted.await.is_some() {
                break;
            }
            assert!(attempt < 2, "MLServer did not count bad request {failed} twice in a row");
        }
    }
    mlserver.wait_for_counts(GOOD as f64, BAD as f64).await;
    engine.polling().check_all().await.expect("second poll");
    let revisions = engine.dashboard().revision_signals().await.expect("signals");
    let v1 = revisions.iter().find(|r| r.model == "iris" && r.version == "v1").expect("iris v1 discovered");
    assert_eq!(v1.requests_seen, (GOOD + BAD) as f64, "{revisions:?}");
    assert_eq!(v1.errors_seen, BAD as f64, "{revisions:?}");
    assert!(v1.latest.get("latency_mean_s").is_some_and(|&s| s > 0.0), "{revisions:?}");
    assert_eq!(v1.metadata["name"], "iris", "the model's metadata is stored: {revisions:?}");

    let _poller = engine.polling().start();
    assert_eq!(mlserver.unload().await, 200);
    let degraded =
        wait_for("the server to show its model not ready", POLL_INTERVAL * 2 + Duration::from_secs(3), || async {
            let servers = engine.servers().list().await.ok()?;
            (servers[0].health == HealthState::Degraded).then(|| servers[0].clone())
        })
        .await;
    let reason = degraded.health_reason.unwrap_or_default();
    assert_eq!(reason, "model iris v1 is not ready: the repository says UNAVAILABLE");

    let db =
        sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("vigil.db")))
            .await
            .expect("open the database");
    let stored: (String, String, String) = sqlx::query_as(
        "SELECT e.from_state, e.to_state, e.reason FROM health_events e JOIN revisions r ON r.id = e.revision_id
         WHERE r.version = 'v1' ORDER BY e.id DESC LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .expect("the model's transition is stored");
    assert_eq!((stored.0.as_str(), stored.1.as_str()), ("up", "down"));
    assert_eq!(stored.2, "the repository says UNAVAILABLE", "{stored:?}");
}

/// Iris-like rows: four measurements in centimetres and the species.
fn iris_reference(rows: usize) -> String {
    let mut csv = String::from("sepal_length,sepal_width,petal_length,petal_width,species\n");
    for row in 0..rows {
        let t = row as f64 / rows as f64;
        let species = row % 3;
        let petal = 1.4 + 2.6 * species as f64 + 0.4 * t;
        csv += &format!(
            "{:.1},{:.1},{petal:.1},{:.1},{species}\n",
            4.6 + 2.0 * t,
            2.8 + 0.6 * t,
            0.2 + 0.8 * species as f64
        );
    }
    csv
}

#[tokio::test(flavor = "multi_thread")]
async fn a_load_test_of_a_real_mlserver_sends_rows_built_from_the_reference_and_holds_a_low_rate() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use vigil_core::cost::loadtest::LoadTestRequest;
    use vigil_core::drift::reference::ReferenceRequest;
    use vigil_core::rollouts::people::{Person, Role};

    let mlserver = RealMlserver::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineOptions::new(dir.path().join("vigil.db"))).await.expect("open the engine");
    let new = NewServer { name: "mlserver".into(), base_url: mlserver.http_url.clone(), ..Default::default() };
    engine.servers().add(new).await.expect("add");
    engine.polling().check_all().await.expect("a poll");
    let csv = dir.path().join("iris.csv");
    std::fs::write(&csv, iris_reference(60)).expect("write the reference");
    let reference = ReferenceRequest { model: "iris".into(), target: Some("species".into()), ..Default::default() };
    let never = || Arc::new(AtomicBool::new(false));
    engine.drift().import_reference(csv, reference, |_| {}, never()).await.expect("import the reference");

    let request = LoadTestRequest {
        server: "mlserver".into(),
        model: "iris".into(),
        rates: Some(vec![5.0, 10.0]),
        step_seconds: Some(1.5),
        p99_objective_ms: Some(2000.0),
        ..Default::default()
    };
    let person = Person::new("ada", Role::Engineer, "tester").expect("a person");
    let result = engine.cost().load_test(&person, request, |_| {}, never()).await.expect("a load test");
    // MLServer's metadata lists no inputs: the four measurements go as one [1, 4] row, which its
    // scikit-learn runtime takes; not one request may fail.
    assert_eq!(result.sustainable_rate, Some(10.0), "{}", result.sentence);
    assert!(result.steps.iter().all(|step| step.errors == 0 && step.ok > 0), "{:?}", result.steps);
}
