//! A real MLflow tracking server on loopback, with its Model Registry in a SQLite file and its
//! artifacts in a folder, both in a temporary directory. `make test-deps` installs MLflow in a
//! virtual environment under `~/.cache/vigil/` (or `VIGIL_MLFLOW_VENV`). Stopped when dropped.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::{free_port, signal_group, wait_for};

/// The pinned MLflow, as the Makefile's `MLFLOW_VERSION`.
const VERSION: &str = "3.17.2";

/// The virtual environment with MLflow.
pub fn venv() -> PathBuf {
    let venv = std::env::var_os("VIGIL_MLFLOW_VENV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(format!(".cache/vigil/mlflow-{VERSION}"))
    });
    assert!(
        venv.join("bin/mlflow").exists(),
        "MLflow is not installed at {} (set VIGIL_MLFLOW_VENV): run `make test-deps` to install it",
        venv.display()
    );
    venv
}

/// A running MLflow server.
pub struct RealMlflow {
    pub url: String,
    child: Child,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl RealMlflow {
    /// Starts MLflow on a free loopback port and waits until it answers.
    pub async fn start() -> RealMlflow {
        let venv = venv();
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("mlflow.log")).expect("log file");
        let child = Command::new(venv.join("bin/mlflow"))
            .arg("server")
            .arg("--backend-store-uri")
            .arg(format!("sqlite:///{}", dir.path().join("mlflow.db").display()))
            .arg("--artifacts-destination")
            .arg(dir.path().join("artifacts"))
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--workers", "1"])
            .env("PATH", format!("{}:{}", venv.join("bin").display(), std::env::var("PATH").unwrap_or_default()))
            .current_dir(dir.path())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start mlflow");
        let server = RealMlflow { url: format!("http://127.0.0.1:{port}"), child, dir, http: reqwest::Client::new() };
        let search = format!("{}/api/2.0/mlflow/registered-models/search", server.url);
        wait_for("MLflow to answer", Duration::from_secs(180), || async {
            let answer = server.http.get(&search).send().await.ok()?;
            answer.status().is_success().then_some(())
        })
        .await;
        server
    }

    /// Registers model `name` with `versions` versions (1, 2, ...), each from a made-up remote
    /// source (MLflow checks a local path against a run's artifacts, not a remote one).
    pub async fn register(&self, name: &str, versions: u32) {
        self.post("registered-models/create", json!({ "name": name })).await;
        for version in 1..=versions {
            let source = format!("s3://vigil-tests/registered/{version}");
            let created = self.post("model-versions/create", json!({ "name": name, "source": source })).await;
            assert_eq!(created["model_version"]["version"], version.to_string(), "{created}");
        }
    }

    /// Logs a Python model that states `requirements` (pip lines) and registers it as a new
    /// version of `name`, through MLflow's own client, as a data scientist's notebook does.
    pub fn log_model(&self, name: &str, requirements: &[&str]) {
        let script = "
import json, sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input
with mlflow.start_run():
    mlflow.pyfunc.log_model(name='model', python_model=Echo(), pip_requirements=json.loads(sys.argv[3]),
                            registered_model_name=sys.argv[2])
";
        let logged = Command::new(venv().join("bin/python"))
            .args(["-c", script, &self.url, name, &serde_json::to_string(requirements).expect("json")])
            .current_dir(self.dir.path())
            .output()
            .expect("run python");
        assert!(logged.status.success(), "logging the model failed: {}", String::from_utf8_lossy(&logged.stderr));
    }

    /// `POST {url}/api/2.0/mlflow/{path}` with `body`; panics with MLflow's answer unless it succeeds.
    async fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let answer = self.http.post(format!("{}/api/2.0/mlflow/{path}", self.url)).json(&body).send().await;
        let answer = answer.expect("MLflow answers");
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        assert!(status.is_success(), "{path} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_default()
    }

    /// The server's own log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mlflow.log")).unwrap_or_default()
    }
}

impl Drop for RealMlflow {
    fn drop(&mut self) {
        signal_group(&self.child, libc::SIGKILL);
        let _ = self.child.wait();
    }
}
