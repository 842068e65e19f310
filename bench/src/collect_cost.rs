//! What a feature costs `vigil collect`: the poller benchmark's loopback targets polled from two
//! databases that differ only by the feature (rollouts under way, alert rules), in alternating
//! runs without / with it, a fresh `vigil collect` each. CPU is counted as the poller benchmark
//! counts it: utime + stime from `/proc/PID/stat` between the end of the warm-up and the end of
//! the measured window, over its wall time. The rollouts and alerts benchmarks use it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::poller::process::{Measured, Process};

/// Time a `vigil collect` is given beyond its warm-up and measured window (start-up, taking a
/// lease over), so it is still running when measured.
const SPARE: Duration = Duration::from_secs(60);

pub struct Options {
    pub targets: usize,
    pub interval: Duration,
    pub warmup: Duration,
    pub measured: Duration,
    /// Runs of each kind, alternating without / with.
    pub runs: usize,
    pub vigil: PathBuf,
}

/// One measured run.
pub struct Run {
    pub with: bool,
    pub cpu_seconds: f64,
    pub window: Duration,
    /// How many of the feature's subjects this run served (with the feature).
    pub served: usize,
}

impl Run {
    pub fn share(&self) -> f64 {
        self.cpu_seconds / self.window.as_secs_f64()
    }
}

/// The feature measured: what to wait for once a `vigil collect` with it has started, and how
/// many of its subjects a run served.
pub trait Feature {
    /// Its name in the runs' lines: "rollouts", "rules".
    fn noun(&self) -> &'static str;
    async fn started(&mut self, db: &Path, collect: &mut Process) -> Result<(), String>;
    async fn served(&mut self, db: &Path, since_ms: i64) -> Result<usize, String>;
}

/// Runs without / with in turn on `without` and `with`, and returns them in order.
pub async fn alternate(
    options: &Options,
    (without, with): (&Path, &Path),
    dir: &Path,
    feature: &mut impl Feature,
) -> Result<Vec<Run>, String> {
    let mut runs = Vec::with_capacity(options.runs * 2);
    for round in 0..options.runs * 2 {
        let has = round % 2 == 1;
        let db = if has { with } else { without };
        let mut collect = spawn_collect(options, db, dir, round)?;
        let spawned_ms = chrono::Utc::now().timestamp_millis();
        if has {
            feature.started(db, &mut collect).await?;
        }
        tokio::time::sleep(options.warmup).await;
        let before = collect.cpu_seconds()?;
        let start = Instant::now();
        tokio::time::sleep(options.measured).await;
        let (after, window) = (collect.cpu_seconds()?, start.elapsed());
        if !collect.running() {
            return Err(format!(
                "vigil collect stopped early; see {}",
                dir.join(format!("collect-{round}.err")).display()
            ));
        }
        collect.stop();
        let served = if has { feature.served(db, spawned_ms).await? } else { 0 };
        let run = Run { with: has, cpu_seconds: after - before, window, served };
        let noun = feature.noun();
        println!(
            "  run {} {}: vigil collect {:.1} % of one core over {:.0} s{}",
            round + 1,
            if has { format!("with {noun}   ") } else { format!("without {noun}") },
            run.share() * 100.0,
            window.as_secs_f64(),
            if has { format!(" ({served} {noun} served by this run)") } else { String::new() }
        );
        runs.push(run);
    }
    Ok(runs)
}

/// The mean share of one core of the runs with or without the feature.
pub fn mean_share(runs: &[Run], with: bool) -> f64 {
    let shares: Vec<f64> = runs.iter().filter(|run| run.with == with).map(Run::share).collect();
    shares.iter().sum::<f64>() / shares.len().max(1) as f64
}

/// Starts `vigil --db DB collect` for long enough, its output in `dir`.
fn spawn_collect(options: &Options, db: &Path, dir: &Path, round: usize) -> Result<Process, String> {
    let file = |name: String| {
        let path = dir.join(name);
        std::fs::File::create(&path).map_err(|error| format!("cannot write {}: {error}", path.display()))
    };
    let seconds = options.warmup + options.measured + SPARE;
    let mut command = Command::new(&options.vigil);
    command
        .arg("--db")
        .arg(db)
        .args(["collect", "--poll-interval", &options.interval.as_secs_f64().to_string()])
        .args(["--for", &seconds.as_secs_f64().to_string()])
        .env("VIGIL_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(file(format!("collect-{round}.out"))?)
        .stderr(file(format!("collect-{round}.err"))?);
    Process::spawn("vigil collect", &mut command)
}
