//! A real Seldon MLServer 1.7.1 on loopback, serving a scikit-learn iris classifier trained at
//! start from the data set scikit-learn ships (no download). `make test` installs MLServer in a
//! virtual environment under `~/.cache/vigil/` (or `VIGIL_MLSERVER_VENV`). Stopped when dropped.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::{free_port, signal_group, wait_for};

/// The virtual environment with MLServer, mlserver-sklearn and scikit-learn.
pub fn venv() -> PathBuf {
    let venv = std::env::var_os("VIGIL_MLSERVER_VENV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/vigil/mlserver-1.7.1")
    });
    assert!(
        venv.join("bin/mlserver").exists(),
        "MLServer is not installed at {} (set VIGIL_MLSERVER_VENV): `make test` installs it",
        venv.display()
    );
    venv
}

/// Trains the iris classifier into argv[1]; with argv[2] `scaled`, on standardized features
/// (another preprocessing), though it is served the raw ones.
const TRAIN: &str = "
import joblib, sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
if len(sys.argv) > 2 and sys.argv[2] == 'scaled':
    X = (X - X.mean(axis=0)) / X.std(axis=0)
joblib.dump(LogisticRegression(max_iter=500).fit(X, y), sys.argv[1])
";

/// Writes argv[2], a golden set: iris's 150 rows with the predictions of the model in argv[1].
const GOLDEN: &str = "
import csv, joblib, sys
from sklearn.datasets import load_iris
X, _ = load_iris(return_X_y=True)
predicted = joblib.load(sys.argv[1]).predict(X)
with open(sys.argv[2], 'w', newline='') as out:
    writer = csv.writer(out)
    writer.writerow(['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'predict'])
    for row, label in zip(X, predicted):
        writer.writerow([*row, int(label)])
";

/// How a served model was trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Training {
    /// On the features as they are sent.
    Raw,
    /// On standardized features: another preprocessing than the one it is served.
    Scaled,
}

/// A running MLServer with model `iris`, version `v1`.
pub struct RealMlserver {
    pub http_url: String,
    pub metrics_url: String,
    child: Child,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl RealMlserver {
    /// Trains the model, starts MLServer on free loopback ports and waits until it is ready.
    pub async fn start() -> RealMlserver {
        RealMlserver::serving(&[("iris", "v1")]).await
    }

    /// MLServer with one repository entry per `(name, version)`, each its own folder and iris
    /// model, all loaded and ready.
    pub async fn serving(entries: &[(&str, &str)]) -> RealMlserver {
        let trained: Vec<(&str, &str, Training)> = entries.iter().map(|(n, v)| (*n, *v, Training::Raw)).collect();
        RealMlserver::serving_trained(&trained).await
    }

    /// MLServer with one repository entry per `(name, version, training)`, each its own folder.
    pub async fn serving_trained(entries: &[(&str, &str, Training)]) -> RealMlserver {
        let venv = venv();
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, version, training) in entries {
            write_model(&venv, &dir.path().join(format!("{name}-{version}")), name, version, *training);
        }
        let (http_port, grpc_port, metrics_port) = (free_port(), free_port(), free_port());
        let server = json!({"host": "127.0.0.1", "http_port": http_port, "grpc_port": grpc_port,
                            "metrics_port": metrics_port, "parallel_workers": 0});
        std::fs::write(dir.path().join("settings.json"), server.to_string()).expect("settings");

        let log = std::fs::File::create(dir.path().join("mlserver.log")).expect("log file");
        let child = Command::new(venv.join("bin/mlserver"))
            .arg("start")
            .arg(dir.path())
            .env("PATH", format!("{}:{}", venv.join("bin").display(), std::env::var("PATH").unwrap_or_default()))
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start mlserver");
        let http_url = format!("http://127.0.0.1:{http_port}");
        let server = RealMlserver {
            metrics_url: format!("http://127.0.0.1:{metrics_port}/metrics"),
            http_url,
            child,
            dir,
            http: reqwest::Client::new(),
        };
        for (name, version, _) in entries {
            let ready = format!("{}/v2/models/{name}/versions/{version}/ready", server.http_url);
            wait_for("MLServer to be ready", Duration::from_secs(120), || async {
                let answer = server.http.get(&ready).send().await.ok()?;
                answer.status().is_success().then_some(())
            })
            .await;
        }
        server
    }

    /// Sends one inference request with `features` values; returns the HTTP status.
    pub async fn infer(&self, features: usize) -> u16 {
        let data: Vec<f64> = (0..features).map(|i| 1.0 + i as f64).collect();
        let body = json!({"inputs": [{"name": "x", "shape": [1, features], "datatype": "FP64", "data": data}]});
        let url = format!("{}/v2/models/iris/versions/v1/infer", self.http_url);
        self.http.post(url).json(&body).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
    }

    /// What MLServer's own metrics page counts for iris v1: (successes, failures).
    pub async fn counted(&self) -> Option<(f64, f64)> {
        use vigil_exposition::{parse, Format};
        let text = self.http.get(&self.metrics_url).send().await.ok()?.text().await.ok()?;
        let page = parse(&text, Format::Auto);
        let count = |name| page.find(name, &[("model", "iris"), ("version", "v1")]).map(|s| s.value);
        Some((count("model_infer_request_success_total")?, count("model_infer_request_failure_total")?))
    }

    /// Waits until MLServer's metrics page counts `success` and `failure` requests to iris v1:
    /// it updates its counters just after answering, so a scrape right after a request may
    /// not see it yet.
    pub async fn wait_for_counts(&self, success: f64, failure: f64) {
        let what = format!("MLServer's metrics to count {success} successes and {failure} failures");
        wait_for(&what, Duration::from_secs(10), || async {
            (self.counted().await == Some((success, failure))).then_some(())
        })
        .await;
    }

    /// Writes a golden set to `out` (CSV): iris's 150 rows and what entry `name` `version`
    /// predicts for each, as the data scientist's notebook would have.
    pub fn write_golden(&self, name: &str, version: &str, out: &std::path::Path) {
        let model = self.dir.path().join(format!("{name}-{version}")).join("model.joblib");
        let written = Command::new(venv().join("bin/python"))
            .args(["-c", GOLDEN])
            .arg(model)
            .arg(out)
            .status()
            .expect("run python");
        assert!(written.success(), "writing the golden set failed");
    }

    /// Unloads the model through the repository API.
    pub async fn unload(&self) -> u16 {
        let url = format!("{}/v2/repository/models/iris/unload", self.http_url);
        self.http.post(url).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
    }
}

/// Trains an iris model into `folder` and writes its settings: entry `name`, `version`.
fn write_model(venv: &std::path::Path, folder: &std::path::Path, name: &str, version: &str, training: Training) {
    std::fs::create_dir_all(folder).expect("model folder");
    let trained = Command::new(venv.join("bin/python"))
        .args(["-c", TRAIN])
        .arg(folder.join("model.joblib"))
        .arg(if training == Training::Scaled { "scaled" } else { "raw" })
        .status()
        .expect("run python");
    assert!(trained.success(), "training the iris model failed");
    let settings = json!({"name": name, "implementation": "mlserver_sklearn.SKLearnModel",
                          "parameters": {"uri": "./model.joblib", "version": version}});
    std::fs::write(folder.join("model-settings.json"), settings.to_string()).expect("model settings");
}

impl Drop for RealMlserver {
    fn drop(&mut self) {
        signal_group(&self.child, libc::SIGKILL);
        let _ = self.child.wait();
    }
}
