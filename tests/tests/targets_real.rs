//! The deployment targets against the real servers they drive: a real MLServer's OIP model
//! repository (two versions, each its own repository entry, switched by load and unload) and a
//! real MLflow Model Registry (an alias moved between two versions). Each change is confirmed by
//! reading the server back through the target, and a version the server does not have fails
//! with the server's own words.

use std::collections::BTreeMap;
use std::time::Duration;

use vigil_core::rollouts::targets::{change, connect, DeploymentTarget, FailureKind, TargetSpec, Traffic};
use vigil_tests::mlflow::RealMlflow;
use vigil_tests::mlserver::RealMlserver;

const TIMEOUT: Duration = Duration::from_secs(30);
const SETTLE: Duration = Duration::from_secs(10);

fn connected(spec: &TargetSpec) -> Box<dyn DeploymentTarget> {
    spec.validate().expect("a valid target");
    connect(spec, reqwest::Client::new(), TIMEOUT)
}

/// What a real MLServer's repository says about `entry`: its state in the index.
async fn state_of(mlserver: &RealMlserver, entry: &str) -> String {
    let url = format!("{}/v2/repository/index", mlserver.http_url);
    let index: serde_json::Value =
        reqwest::Client::new().post(url).json(&serde_json::json!({})).send().await.unwrap().json().await.unwrap();
    let line = index.as_array().unwrap().iter().find(|line| line["name"] == entry).cloned().unwrap_or_default();
    line["state"].as_str().unwrap_or("absent").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_mlserver_repository_switches_to_the_new_version_and_back() {
    let mlserver = RealMlserver::serving(&[("iris-v1", "v1"), ("iris-v2", "v2")]).await;
    let versions = [("v1", "iris-v1"), ("v2", "iris-v2"), ("v3", "iris-v3")];
    let spec = TargetSpec::OipRepository {
        url: format!("{}/", mlserver.http_url),
        versions: versions.iter().map(|(v, e)| (v.to_string(), e.to_string())).collect(),
    };
    let target = connected(&spec);
    let both = Traffic { weights: BTreeMap::from([("v1".into(), 100), ("v2".into(), 100)]), mirror: None };
    assert_eq!(target.read().await.unwrap(), both, "both loaded at start, both read as serving");

    let confirmed = change(target.as_ref(), &Traffic::only("v2"), SETTLE).await.expect("switch to v2");
    assert_eq!(confirmed, Traffic::only("v2"));
    assert_eq!(
        (state_of(&mlserver, "iris-v2").await, state_of(&mlserver, "iris-v1").await),
        ("READY".into(), "UNAVAILABLE".into())
    );
    let again = change(target.as_ref(), &Traffic::only("v2"), SETTLE).await.expect("asking twice is asking once");
    assert_eq!(again, Traffic::only("v2"));

    let rolled_back = change(target.as_ref(), &Traffic::only("v1"), SETTLE).await.expect("roll back to v1");
    assert_eq!(rolled_back, Traffic::only("v1"));
    assert_eq!(
        (state_of(&mlserver, "iris-v1").await, state_of(&mlserver, "iris-v2").await),
        ("READY".into(), "UNAVAILABLE".into())
    );

    let missing =
        change(target.as_ref(), &Traffic::only("v3"), SETTLE).await.expect_err("iris-v3 is not in the repository");
    assert_eq!(missing.kind, FailureKind::Refused, "{missing}");
    assert!(missing.message.contains("Model iris-v3 not found"), "MLServer's own words: {missing}");
    let unmapped = change(target.as_ref(), &Traffic::only("v9"), SETTLE).await.expect_err("v9 has no entry");
    assert_eq!(unmapped.kind, FailureKind::Config, "{unmapped}");
    assert!(unmapped.message.contains("version v9 has no repository entry"), "{unmapped}");
    let split = change(target.as_ref(), &Traffic::split("v1", "v2", 10), SETTLE).await.expect_err("no weights");
    assert_eq!(split.kind, FailureKind::Config, "{split}");
    assert_eq!(target.read().await.unwrap(), Traffic::only("v1"), "the failed changes changed nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_mlflow_alias_moves_to_v1_then_v2_then_back() {
    let mlflow = RealMlflow::start().await;
    mlflow.register("fraud detector", 2).await;
    // This MLflow has no authentication and ignores the bearer token; a variable that is always
    // set stands in for one (setting a variable here would race the other test's threads).
    let spec = TargetSpec::Mlflow {
        url: mlflow.url.clone(),
        model: "fraud detector".into(),
        alias: "champion".into(),
        token_ref: Some("env:HOME".into()),
    };
    let target = connected(&spec);
    let unset = target.read().await.expect_err("champion points nowhere yet");
    assert_eq!(unset.kind, FailureKind::Refused, "{unset}");
    assert!(unset.message.contains("champion"), "MLflow's own words: {unset}");

    for version in ["1", "2", "1"] {
        let confirmed = change(target.as_ref(), &Traffic::only(version), SETTLE).await;
        assert_eq!(confirmed, Ok(Traffic::only(version)), "{}", mlflow.log());
        assert_eq!(target.read().await.unwrap(), Traffic::only(version));
    }

    let missing = change(target.as_ref(), &Traffic::only("7"), SETTLE).await.expect_err("there is no version 7");
    assert_eq!(missing.kind, FailureKind::Refused, "{missing}");
    assert!(missing.message.contains("version=7"), "MLflow's own words: {missing}");
    assert_eq!(target.read().await.unwrap(), Traffic::only("1"), "the failed change changed nothing");

    let unset_token = TargetSpec::Mlflow {
        url: mlflow.url.clone(),
        model: "fraud detector".into(),
        alias: "champion".into(),
        token_ref: Some("env:VIGIL_TEST_NO_SUCH_TOKEN".into()),
    };
    let failure = connected(&unset_token).read().await.expect_err("no token, no call");
    assert_eq!(failure.kind, FailureKind::Config, "{failure}");
    assert!(failure.message.contains("VIGIL_TEST_NO_SUCH_TOKEN"), "names the reference: {failure}");
}
