//! A real Prometheus (Debian's package, which `make test` installs) on a loopback port,
//! scraping the targets a test gives it every second. Stopped when dropped.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{signal_group, wait_for};

/// A running Prometheus.
pub struct RealPrometheus {
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl RealPrometheus {
    /// Starts Prometheus scraping `targets` (`host:port`) as job `job` every second.
    pub async fn start(job: &str, targets: &[String]) -> RealPrometheus {
        let dir = tempfile::tempdir().expect("temp dir");
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: '{job}'\n    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        );
        std::fs::write(dir.path().join("prometheus.yml"), config).expect("config");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log");
        let binary = std::env::var("PROMETHEUS").unwrap_or_else(|_| "/usr/bin/prometheus".into());
        let child = Command::new(&binary)
            .arg(format!("--config.file={}", dir.path().join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {binary} ({e}): `make test` installs Debian's prometheus"));
        let prometheus =
            RealPrometheus { url: format!("http://127.0.0.1:{port}"), child, _dir: dir, http: reqwest::Client::new() };
        let ready = format!("{}/-/ready", prometheus.url);
        wait_for("Prometheus to be ready", Duration::from_secs(30), || async {
            prometheus.http.get(&ready).send().await.ok()?.status().is_success().then_some(())
        })
        .await;
        prometheus
    }

    /// The sum of the latest values of `query`, if Prometheus has any.
    pub async fn sum(&self, query: &str) -> Option<f64> {
        let url = format!("{}/api/v1/query", self.url);
        let answer: serde_json::Value =
            self.http.get(url).query(&[("query", format!("sum({query})"))]).send().await.ok()?.json().await.ok()?;
        answer["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    }

    /// How many instant queries (`/api/v1/query`) Prometheus has answered, by its own metrics.
    pub async fn queries_answered(&self) -> f64 {
        let page = async { self.http.get(format!("{}/metrics", self.url)).send().await?.text().await };
        let page = page.await.expect("Prometheus' own metrics");
        page.lines()
            .filter(|line| {
                line.starts_with("prometheus_http_requests_total{") && line.contains(r#"handler="/api/v1/query""#)
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Waits until Prometheus has scraped `query` at `expected`.
    pub async fn wait_for_value(&self, query: &str, expected: f64) {
        wait_for(&format!("Prometheus to see {query} = {expected}"), Duration::from_secs(20), || async {
            (self.sum(query).await == Some(expected)).then_some(())
        })
        .await;
    }
}

impl Drop for RealPrometheus {
    fn drop(&mut self) {
        signal_group(&self.child, libc::SIGKILL);
        let _ = self.child.wait();
    }
}
