//! The reference: Debian's Prometheus scraping the same targets at the same interval, on a
//! loopback port with its data in the bench's temporary folder; and what it reports of its own
//! punctuality.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vigil_exposition::{self as exposition, Format};

use super::process::Process;

/// A running Prometheus and where it answers.
pub struct Prometheus {
    pub process: Process,
    url: String,
    http: reqwest::Client,
}

/// How punctual Prometheus' scrapes were: quantiles of the time between two scrapes of a
/// target (`prometheus_target_interval_length_seconds`), over its whole run.
pub struct Intervals {
    pub p50_s: Option<f64>,
    pub p99_s: Option<f64>,
    pub scrapes: Option<f64>,
}

impl Prometheus {
    /// Starts `binary` scraping `targets` (`host:port`) every `interval`, with its config and
    /// data in `dir`, and waits until it is ready.
    pub async fn start(
        binary: &Path,
        dir: &Path,
        targets: &[String],
        interval: Duration,
    ) -> Result<Prometheus, String> {
        let millis = interval.as_millis();
        // Vigil waits at most 2 s for an answer by default; Prometheus the same.
        let timeout = millis.min(2000);
        let targets: Vec<String> = targets.iter().map(|target| format!("'{target}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: {millis}ms\n  scrape_timeout: {timeout}ms\n  evaluation_interval: 1m\n\
             scrape_configs:\n  - job_name: 'mlserver'\n    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        );
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config)
            .map_err(|error| format!("cannot write {}: {error}", config_path.display()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|error| format!("no free loopback port for Prometheus: {error}"))?
            .port();
        let log_path = dir.join("prometheus.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|error| format!("cannot write {}: {error}", log_path.display()))?;
        let log_for_errors = log.try_clone().map_err(|error| format!("{}: {error}", log_path.display()))?;
        let process = Process::spawn(
            "prometheus",
            Command::new(binary)
                .arg(format!("--config.file={}", config_path.display()))
                .arg(format!("--storage.tsdb.path={}", dir.join("prometheus-data").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log_for_errors),
        )
        .map_err(|error| format!("{error}; install Debian's prometheus package (make test-deps does)"))?;
        let prometheus = Prometheus { process, url: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new() };
        prometheus.wait_until_ready(Duration::from_secs(30), &log_path).await?;
        Ok(prometheus)
    }

    async fn wait_until_ready(&self, deadline: Duration, log: &Path) -> Result<(), String> {
        let ready = format!("{}/-/ready", self.url);
        let start = Instant::now();
        while start.elapsed() < deadline {
            if let Ok(answer) = self.http.get(&ready).send().await {
                if answer.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("Prometheus was not ready within {deadline:?}; see its log, {}", log.display()))
    }

    /// Its own account of the time between scrapes, read from its metrics page.
    pub async fn intervals(&self) -> Result<Intervals, String> {
        let url = format!("{}/metrics", self.url);
        let page = async { self.http.get(&url).send().await?.text().await };
        let page = page.await.map_err(|error| format!("cannot read Prometheus' own metrics: {error}"))?;
        let parsed = exposition::parse(&page, Format::Prometheus);
        let family = "prometheus_target_interval_length_seconds";
        // One job, one interval: the only series of the family.
        let quantile = |q: &str| parsed.find(family, &[("quantile", q)]).map(|sample| sample.value);
        let scrapes = parsed.find(&format!("{family}_count"), &[]).map(|sample| sample.value);
        Ok(Intervals { p50_s: quantile("0.5"), p99_s: quantile("0.99"), scrapes })
    }

    /// How many instant queries (`/api/v1/query`) it has answered, by its own metrics.
    pub async fn queries_answered(&self) -> Result<f64, String> {
        let url = format!("{}/metrics", self.url);
        let page = async { self.http.get(&url).send().await?.text().await };
        let page = page.await.map_err(|error| format!("cannot read Prometheus' own metrics: {error}"))?;
        let parsed = exposition::parse(&page, Format::Prometheus);
        let answered = parsed.samples.iter().filter(|sample| {
            sample.name == "prometheus_http_requests_total" && parsed.label(sample, "handler") == Some("/api/v1/query")
        });
        Ok(answered.map(|sample| sample.value).sum())
    }

    /// Where it answers.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many of its targets were up at their last scrape.
    pub async fn targets_up(&self) -> Result<f64, String> {
        let url = format!("{}/api/v1/query", self.url);
        let answer = async { self.http.get(&url).query(&[("query", "sum(up)")]).send().await?.json().await };
        let answer: serde_json::Value =
            answer.await.map_err(|error| format!("cannot ask Prometheus sum(up): {error}"))?;
        answer["data"]["result"][0]["value"][1]
            .as_str()
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("Prometheus answered sum(up) with {answer}"))
    }
}
