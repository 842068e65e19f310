//! Before a revision goes live: against a real MLServer, the model served as it was built
//! passes its parity check on the notebook's golden set, and one trained with other
//! preprocessing fails with its mismatching rows named; against a real MLflow tracking server, a
//! logged model's requirements are read back as where its revision serves and set against the
//! data scientist's uploaded `pip freeze`, the known difference marked with its risks; a
//! TorchServe revision's fingerprint names its archive and runtime, from the management API's
//! description (a response written from TorchServe's documented format).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use vigil_core::parity::{ParityRequest, Protocol};
use vigil_core::rollouts::people::{Person, Role};
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_requirements::Risk;
use vigil_tests::loopback::{metrics_fixture, MlserverLike, RecordedServer};
use vigil_tests::mlflow::RealMlflow;
use vigil_tests::mlserver::{RealMlserver, Training};

async fn engine(dir: &tempfile::TempDir) -> Engine {
    Engine::open(EngineOptions::new(vigil_tests::store(dir.path()).await)).await.expect("open the engine")
}

async fn watch(engine: &Engine, name: &str, base_url: &str, metrics_url: Option<String>) {
    let server = NewServer {
        name: name.into(),
        base_url: base_url.into(),
        kind: ServerKind::Auto,
        metrics_url,
        ..Default::default()
    };
    engine.servers().add(server).await.expect("add the server");
    engine.polling().check_all().await.expect("poll");
}

fn ana() -> Person {
    Person::here("ana", Role::DataScientist).expect("person")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_mlserver_model_passes_parity_and_one_with_other_preprocessing_fails_naming_rows() {
    let mlserver =
        RealMlserver::serving_trained(&[("iris", "v1", Training::Raw), ("iris", "v2", Training::Scaled)]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&dir).await;
    watch(&engine, "mlserver", &mlserver.http_url, Some(mlserver.metrics_url.clone())).await;
    let golden = dir.path().join("iris-golden.csv");
    mlserver.write_golden("iris", "v1", &golden);

    let request = |version: &str| ParityRequest {
        model: "iris".into(),
        version: Some(version.into()),
        golden_file: golden.display().to_string(),
        batch_rows: Some(32),
        ..Default::default()
    };
    let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
    let told = heard.clone();
    let progress = move |p: vigil_core::parity::ParityProgress| told.lock().unwrap().push((p.checked, p.rows));
    let parity = engine.parity();
    let same = parity.run(&ana(), &request("v1"), progress, Arc::new(AtomicBool::new(false))).await.expect("parity v1");
    assert_eq!((same.rows, same.checked, same.matched, same.passed), (150, 150, 150, true), "{}", same.sentence);
    assert!(same.mismatches.is_empty());
    assert_eq!(same.outputs[0].datatype, "INT64", "MLServer's scikit-learn runtime answers labels");
    assert!(same.outputs[0].rule.exact, "labels are compared exactly, and the report says so");
    assert!(
        same.sentence.contains("matched 150 of 150 golden rows") && same.sentence.contains("passes"),
        "{}",
        same.sentence
    );
    let heard = heard.lock().unwrap().clone();
    assert_eq!(heard.len(), 5, "progress after each of the 5 batches of 32 rows: {heard:?}");
    assert_eq!(heard.iter().map(|(checked, _)| *checked).max(), Some(150));

    let other = parity.run(&ana(), &request("v2"), |_| {}, Arc::new(AtomicBool::new(false))).await.expect("parity v2");
    assert!(!other.passed, "{}", other.sentence);
    assert!(other.matched < 140, "trained on other preprocessing, it must disagree on many rows: {}", other.sentence);
    assert_eq!(other.outputs[0].mismatched, other.checked - other.matched);
    let first = &other.mismatches[0];
    assert_eq!(first.output, "predict");
    assert!(first.reason.starts_with("label differs: expected"), "{}", first.reason);
    let rows: Vec<u64> = other.mismatches.iter().map(|m| m.row).collect();
    assert!(rows.windows(2).all(|w| w[0] < w[1]), "mismatching rows are listed in order: {rows:?}");
    assert!(other.sentence.contains(&format!("mismatching rows include {}", rows[0])), "{}", other.sentence);

    // The newest check of each revision is kept; v2's holds its parity gate.
    let latest = parity.latest("iris").await.expect("latest");
    let verdicts: Vec<(&str, bool)> = latest.iter().map(|r| (r.version.as_str(), r.passed)).collect();
    assert_eq!(verdicts, [("v1", true), ("v2", false)]);

    // Cancelled after its first batch: what was checked is reported, and it does not pass.
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = cancel.clone();
    let stop_after_first =
        move |_: vigil_core::parity::ParityProgress| stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let cancelled = parity.run(&ana(), &request("v1"), stop_after_first, cancel).await.expect("cancelled parity");
    assert!(cancelled.cancelled && !cancelled.passed, "{}", cancelled.sentence);
    assert!(cancelled.checked < 150 && cancelled.checked % 32 == 0, "whole batches only: {}", cancelled.checked);
    assert!(
        cancelled.sentence.contains(&format!("cancelled after {} of 150 rows", cancelled.checked)),
        "{}",
        cancelled.sentence
    );

    // KServe v1 bodies are built too: MLServer does not speak v1, and its refusal is reported
    // in its own words for every row, not as a crash.
    let v1 = ParityRequest { protocol: Some(Protocol::KserveV1), ..request("v1") };
    let refused = parity.run(&ana(), &v1, |_| {}, Arc::new(AtomicBool::new(false))).await.expect("v1 parity");
    assert_eq!((refused.matched, refused.passed), (0, false));
    assert!(refused.mismatches[0].reason.contains("HTTP 404"), "{}", refused.mismatches[0].reason);

    // Golden sets go only to loopback hosts and those allowed: the same server named by a
    // non-loopback address is refused before anything is sent.
    let elsewhere = mlserver.http_url.replace("127.0.0.1", "192.0.2.10");
    let moved =
        NewServer { name: "mlserver".into(), base_url: elsewhere, kind: ServerKind::Mlserver, ..Default::default() };
    engine.servers().update("mlserver", moved).await.expect("move the server");
    let refused =
        parity.run(&ana(), &request("v1"), |_| {}, Arc::new(AtomicBool::new(false))).await.expect_err("refused");
    assert!(refused.to_string().contains("only to loopback hosts and those allowed"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_mlflow_models_logged_requirements_are_diffed_against_an_uploaded_pip_freeze() {
    let mlflow = RealMlflow::start().await;
    mlflow.log_model("iris", &["scikit-learn==1.5.2", "numpy==1.26.4", "pandas==2.2.3"]);
    let server = MlserverLike::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&dir).await;
    watch(&engine, "serving", &server.url(), None).await;

    let environment = engine.environment();
    let source = vigil_core::environment::MlflowSource {
        url: mlflow.url.clone(),
        registered_model: "iris".into(),
        token_ref: None,
    };
    environment.set_mlflow_source(&ana(), "iris", source).await.expect("source");
    let freeze = dir.path().join("notebook-freeze.txt");
    std::fs::write(
        &freeze,
        "# pip freeze in the notebook\nmlflow==3.17.2\nnumpy==2.0.1\npandas==2.2.3\nscikit-learn==1.5.2\njupyterlab==4.2.5\n",
    )
    .unwrap();
    let built = environment.import_built(&ana(), "iris", &freeze).await.expect("import the freeze");
    assert_eq!(built.pins.len(), 5);

    let diff = environment.diff("", "iris", Some("v1"), false).await.expect("diff");
    let served = &diff.served;
    assert_eq!(served.software.as_deref(), Some("mlserver 1.7.1"), "{served:?}");
    assert_eq!(served.python.as_deref(), Some(std::str::from_utf8(&python_version()).unwrap().trim()), "{served:?}");
    assert!(
        served.sources.iter().any(|s| s.contains("requirements.txt") && s.contains("MLmodel")),
        "{:?}",
        served.sources
    );
    assert!(served.problems.is_empty(), "{:?}", served.problems);
    let numpy = diff.packages.iter().find(|p| p.name == "numpy").expect("numpy listed");
    assert_eq!((numpy.built.as_deref(), numpy.served.as_deref()), (Some("2.0.1"), Some("1.26.4")));
    assert_eq!(numpy.risks, [Risk::MajorDiffers, Risk::NumericDiffers]);
    assert_eq!(diff.packages[0].name, "numpy", "the riskiest first: {:?}", diff.packages);
    let jupyter = diff.packages.iter().find(|p| p.name == "jupyterlab").expect("the notebook's own tools listed");
    assert_eq!(jupyter.risks, [Risk::MissingWhereServed]);
    let same = diff.packages.iter().find(|p| p.name == "scikit-learn").expect("scikit-learn listed");
    assert!(same.risks.is_empty(), "{same:?}");
    assert!(
        diff.sentence.contains("numpy (built 2.0.1, serves 1.26.4: major version differs, a numeric library differs)"),
        "{}",
        diff.sentence
    );

    // Stored: the fingerprint is read back without asking the servers again.
    let fingerprints = environment.fingerprints("iris").await.expect("fingerprints");
    assert_eq!(fingerprints.len(), 1);
    assert_eq!(fingerprints[0].summary, diff.served.summary);

    // A malformed line is refused by its number, and the freeze stored before is kept.
    let broken = dir.path().join("broken.txt");
    std::fs::write(&broken, "numpy==1.26.4\nscikit-learn>=>1.3\n").unwrap();
    let refused = environment.import_built(&ana(), "iris", &broken).await.expect_err("malformed");
    assert!(refused.to_string().contains("broken.txt, line 2"), "{refused}");
    assert_eq!(environment.built("iris").await.unwrap().unwrap().file_name, "notebook-freeze.txt");
}

/// The Python the MLflow environment runs, which MLflow logs beside the model.
fn python_version() -> Vec<u8> {
    let venv = vigil_tests::mlflow::venv();
    std::process::Command::new(venv.join("bin/python"))
        .args(["-c", "import platform; print(platform.python_version())"])
        .output()
        .expect("python")
        .stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torchserve_revisions_fingerprint_names_its_archive_and_runtime() {
    let recorded = [
        ("/ping", "written/torchserve-ping.http"),
        ("/management/models", "written/torchserve-models.http"),
        ("/management/models/resnet-18/all", "written/torchserve-resnet-all.http"),
        ("/management/models/resnet-18", "written/torchserve-resnet-default.http"),
        ("/management/models/resnet-18/2.0", "written/torchserve-resnet-2.0.http"),
        ("/management/models/bert_seq_clf/all", "written/torchserve-bert-all.http"),
        ("/management/models/bert_seq_clf", "written/torchserve-bert-all.http"),
    ];
    let server = RecordedServer::start_with(&recorded, vec![metrics_fixture("/metrics", "torchserve.prom")]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&dir).await;
    let new = NewServer {
        name: "torchserve".into(),
        base_url: server.url(),
        kind: ServerKind::Torchserve,
        metrics_url: Some(format!("{}/metrics", server.url())),
        management_url: Some(format!("{}/management", server.url())),
        ..Default::default()
    };
    engine.servers().add(new).await.expect("add");
    engine.polling().check_all().await.expect("poll");

    let fingerprint = engine.environment().gather("", "resnet-18", Some("2.0")).await.expect("gather");
    assert_eq!(fingerprint.summary, "torchserve · python handler", "{fingerprint:?}");
    assert_eq!(fingerprint.sources, ["TorchServe's manifest of resnet-18-v2.mar"], "{fingerprint:?}");
    assert!(fingerprint.problems.is_empty(), "{:?}", fingerprint.problems);
}
