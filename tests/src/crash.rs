//! The crash loop that the crash test and `vigil-bench crash` share: `vigil collect` polls the
//! demo fleet every 200 ms into a SQLite store while another process adds servers through the
//! CLI as fast as it can, and the collector is killed with SIGKILL at a random moment, again and
//! again. After each kill the store is inspected as a plain reader finds it, and the next start
//! is timed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use vigil_core::store::Location;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_fleet::{Fleet, FleetConfig, Scenario};

/// What one kill left behind.
#[derive(Debug, Clone)]
pub struct AfterKill {
    /// `PRAGMA integrity_check`'s verdict: "ok" when sound.
    pub integrity: String,
    /// Rows polls had written before this round and after the kill (metric points and health events).
    pub polls_before: i64,
    pub polls_after: i64,
    /// Servers whose add the CLI acknowledged (exit 0) so far, and those of them now missing.
    pub acknowledged: usize,
    pub lost: Vec<String>,
    /// Whether the audit chain verified.
    pub audit_verified: bool,
    /// How long the next start took to answer (`vigil server list --no-check`), and whether it did.
    pub restart: Duration,
    pub restarted: bool,
}

/// The crash loop over one store.
pub struct CrashLoop {
    vigil: PathBuf,
    db: PathBuf,
    fleet: vigil_fleet::RunningFleet,
    _dir: tempfile::TempDir,
    acknowledged: Arc<Mutex<Vec<String>>>,
    random: u64,
}

impl CrashLoop {
    /// A store in a new folder with the demo fleet's servers registered; `vigil` is the CLI.
    pub async fn new(vigil: &Path, seed: u64) -> Result<CrashLoop, String> {
        let config = FleetConfig { scenarios: vec![Scenario::Healthy], seed, ..FleetConfig::default() };
        let fleet = Fleet::start(config).await.map_err(|err| format!("the demo fleet: {err}"))?;
        let dir = tempfile::tempdir().map_err(|err| err.to_string())?;
        let db = dir.path().join("vigil.db");
        let engine = Engine::open(EngineOptions::new(Location::Sqlite(db.clone()))).await.map_err(|e| e.to_string())?;
        for server in fleet.servers() {
            let new =
                NewServer { name: server.name, base_url: server.url, kind: ServerKind::Auto, ..Default::default() };
            engine.servers().add(new).await.map_err(|e| e.to_string())?;
        }
        Ok(CrashLoop { vigil: vigil.to_owned(), db, fleet, _dir: dir, acknowledged: Arc::default(), random: seed | 1 })
    }

    fn vigil(&self) -> Command {
        cli(&self.vigil, &self.db)
    }

    /// Runs the collector and the adder for 0.8–2 s, kills the collector, and inspects the store.
    pub async fn kill_once(&mut self, round: usize) -> Result<AfterKill, String> {
        let (_, polls_before) = self.inspect().await?;
        let mut collector = self
            .vigil()
            .args(["collect", "--poll-interval", "0.2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|err| format!("start vigil collect: {err}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let url = self.fleet.servers()[0].url.clone();
        let adder = {
            let (vigil, db) = (self.vigil.clone(), self.db.clone());
            let (stop, acknowledged) = (stop.clone(), self.acknowledged.clone());
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let name = format!("crash-{round}-{i}");
                    let added = cli(&vigil, &db).args(["server", "add", &name, &url]).output();
                    if added.is_ok_and(|out| out.status.success()) {
                        acknowledged.lock().unwrap_or_else(|e| e.into_inner()).push(name);
                    }
                }
            })
        };
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        tokio::time::sleep(Duration::from_millis(800 + self.random % 1_200)).await;
        collector.kill().map_err(|err| format!("SIGKILL: {err}"))?;
        collector.wait().map_err(|err| err.to_string())?;
        stop.store(true, Ordering::Relaxed);
        adder.join().map_err(|_| "the adder panicked".to_owned())?;

        let (integrity, polls_after) = self.inspect().await?;
        let started = Instant::now();
        let listed =
            self.vigil().args(["server", "list", "--no-check", "--json"]).output().map_err(|e| e.to_string())?;
        let restart = started.elapsed();
        let listed_text = String::from_utf8_lossy(&listed.stdout).to_string();
        let acknowledged = self.acknowledged.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let lost = acknowledged.iter().filter(|name| !listed_text.contains(&format!("\"{name}\""))).cloned().collect();
        let verified = self.vigil().args(["audit", "verify"]).output().map_err(|e| e.to_string())?;
        Ok(AfterKill {
            integrity,
            polls_before,
            polls_after,
            acknowledged: acknowledged.len(),
            lost,
            audit_verified: verified.status.success(),
            restart,
            restarted: listed.status.success(),
        })
    }

    /// How long a start takes after a clean stop: the reference for a start after a kill.
    pub fn clean_start(&self) -> Result<Duration, String> {
        let started = Instant::now();
        let listed =
            self.vigil().args(["server", "list", "--no-check", "--json"]).output().map_err(|e| e.to_string())?;
        listed.status.success().then(|| started.elapsed()).ok_or_else(|| "a clean start failed".to_owned())
    }

    /// The store as a plain reader finds it: `integrity_check`'s verdict, and the rows polls wrote.
    async fn inspect(&self) -> Result<(String, i64), String> {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=ro", self.db.display());
        let options = AnyConnectOptions::from_str(&url).map_err(|e| e.to_string())?;
        let pool = AnyPoolOptions::new().max_connections(1).connect_with(options).await.map_err(|e| e.to_string())?;
        let verdict: String =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.map_err(|e| e.to_string())?;
        let rows: i64 =
            sqlx::query_scalar("SELECT (SELECT count(*) FROM metric_points) + (SELECT count(*) FROM health_events)")
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
        pool.close().await;
        Ok((verdict, rows))
    }

    pub async fn stop(self) {
        self.fleet.stop().await;
    }
}

/// The CLI `vigil` on the store `db`, reading nothing from standard input.
fn cli(vigil: &Path, db: &Path) -> Command {
    let mut command = Command::new(vigil);
    command.arg("--db").arg(db).stdin(Stdio::null());
    command
}
