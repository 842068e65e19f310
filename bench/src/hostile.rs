//! The hostile soak (issue 19): `vigil collect` polling 10 healthy servers beside 100 hostile
//! ones (`vigil_tests::hostile`, the 14 kinds in turn) for 10 minutes, beside the same 10
//! healthy servers polled alone (the reference, measured first in the same run). The healthy
//! servers' schedule lag is read from their own logs (when each metrics read arrived, less the
//! interval); beside it, `vigil collect`'s CPU share and peak resident memory, whether it
//! panicked, and whether each hostile server's state names what it did.
//!
//! Usage: `vigil-bench hostile [--quick] [--out FILE] [--seconds S] [--vigil PATH]`. Defaults:
//! 600 s with the hostile crowd and 120 s alone, polling every 5 s (`--quick`: 20 s and 20 s,
//! every 2 s), the release `vigil` beside this binary.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_tests::hostile::{HostileServer, Hostility};

use crate::goal::{self, Goal};
use crate::poller::process::Measured;

const HEALTHY: usize = 10;
const HOSTILE: usize = 100;
/// The most resident memory `vigil collect` may reach among the hostile servers: its own
/// ~30 MB, and for each hostile page read at once its 16 MB cap — 14 kinds send big or
/// unending answers, a few of them at any moment (see the README).
const PEAK_BOUND_MB: f64 = 400.0;

struct Options {
    out: Option<PathBuf>,
    crowd: Duration,
    alone: Duration,
    interval: Duration,
    vigil: PathBuf,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let beside = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("vigil");
    let (crowd, alone, interval) = if quick { (20, 20, 2) } else { (600, 120, 5) };
    let mut options = Options {
        out: None,
        crowd: Duration::from_secs(crowd),
        alone: Duration::from_secs(alone),
        interval: Duration::from_secs(interval),
        vigil: beside,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => options.out = Some(PathBuf::from(value()?)),
            "--seconds" => {
                options.crowd = Duration::from_secs(value()?.parse().map_err(|_| "--seconds takes a number")?)
            }
            "--vigil" => options.vigil = PathBuf::from(value()?),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(options)
}

pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|error| format!("cannot start tokio: {error}"))?;
    runtime.block_on(measure(&options))
}

/// What one run of `vigil collect` did.
struct Side {
    servers: usize,
    seconds: f64,
    cpu_share: f64,
    peak_mb: f64,
    /// Each healthy server's lateness between metrics reads, in ms, sorted.
    lags_ms: Vec<f64>,
    panicked: bool,
    /// Hostile servers whose state did not name what they did, with what it said.
    unnamed: Vec<String>,
}

impl Side {
    fn lag(&self, quantile: f64) -> f64 {
        let index = ((self.lags_ms.len() as f64 - 1.0) * quantile).round() as usize;
        self.lags_ms.get(index).copied().unwrap_or(f64::NAN)
    }
}

async fn measure(options: &Options) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    println!("10 healthy servers alone for {:.0} s ...", options.alone.as_secs_f64());
    let alone = soak(options, dir.path(), "alone", 0, options.alone).await?;
    println!("10 healthy beside 100 hostile servers for {:.0} s ...", options.crowd.as_secs_f64());
    let crowd = soak(options, dir.path(), "crowd", HOSTILE, options.crowd).await?;

    let interval_ms = options.interval.as_secs_f64() * 1e3;
    println!();
    println!("{:<28} {:>8} {:>16} {:>14} {:>10} {:>10}", "", "servers", "healthy lag p99", "worst", "CPU", "peak");
    for (name, side) in [("10 healthy alone", &alone), ("10 healthy + 100 hostile", &crowd)] {
        println!(
            "{name:<28} {:>8} {:>13.0} ms {:>11.0} ms {:>8.1} % {:>7.0} MB",
            side.servers,
            side.lag(0.99),
            side.lag(1.0),
            side.cpu_share * 100.0,
            side.peak_mb
        );
    }
    println!(
        "ratios with the hostile crowd: CPU {:.1}x, peak memory {:.1}x",
        crowd.cpu_share / alone.cpu_share.max(1e-6),
        crowd.peak_mb / alone.peak_mb.max(1e-6)
    );
    for unnamed in crowd.unnamed.iter().take(5) {
        println!("  not named: {unnamed}");
    }
    let goals = goal::print(&[
        Goal::new(
            format!("healthy servers' worst lag under one interval ({interval_ms:.0} ms) among the hostile"),
            crowd.lag(1.0) < interval_ms,
            format!("{:.0} ms (p99 {:.0} ms; alone {:.0} ms)", crowd.lag(1.0), crowd.lag(0.99), alone.lag(1.0)),
        ),
        Goal::new("nothing panics", !crowd.panicked && !alone.panicked, format!("panicked: {}", crowd.panicked)),
        Goal::new(
            format!("peak resident memory under {PEAK_BOUND_MB:.0} MB among the hostile"),
            crowd.peak_mb < PEAK_BOUND_MB,
            format!("{:.0} MB (alone {:.0} MB)", crowd.peak_mb, alone.peak_mb),
        ),
        Goal::new(
            "every hostile server's state names what it did",
            crowd.unnamed.is_empty(),
            format!("{} of {HOSTILE} named", HOSTILE - crowd.unnamed.len()),
        ),
    ]);
    if let Some(out) = &options.out {
        let side = |side: &Side| {
            json!({ "servers": side.servers, "seconds": side.seconds, "healthy_lag_ms": { "p99": side.lag(0.99),
                "max": side.lag(1.0) }, "cpu_share": side.cpu_share, "peak_mb": side.peak_mb, "panicked": side.panicked })
        };
        let results = json!({
            "benchmark": "hostile: 10 healthy servers beside 100 hostile ones, beside the 10 alone",
            "interval_s": options.interval.as_secs_f64(),
            "alone": side(&alone),
            "crowd": side(&crowd),
            "hostile_unnamed": crowd.unnamed,
            "machine": crate::machine(),
            "goals": goals,
        });
        crate::write_results(out, &results)?;
    }
    Ok(())
}

/// Polls 10 healthy and `hostile` hostile servers with `vigil collect` for `length`.
async fn soak(options: &Options, dir: &Path, name: &str, hostile: usize, length: Duration) -> Result<Side, String> {
    let mut servers = Vec::new();
    for index in 0..HEALTHY + hostile {
        let hostility = match index.checked_sub(HEALTHY) {
            None => Hostility::Healthy,
            Some(n) => Hostility::HOSTILE[n % Hostility::HOSTILE.len()],
        };
        servers.push(HostileServer::start(hostility).await);
    }
    let db = dir.join(format!("{name}.db"));
    let engine = Engine::open(EngineOptions::new(db.clone())).await.map_err(|e| e.to_string())?;
    for (index, server) in servers.iter().enumerate() {
        let new = NewServer {
            name: format!("{}-{index:03}", server.hostility.name()),
            base_url: server.url(),
            kind: ServerKind::Mlserver,
            poll_interval_secs: Some(options.interval.as_secs_f64()),
            ..Default::default()
        };
        engine.servers().add(new).await.map_err(|e| e.to_string())?;
    }
    let stdout = dir.join(format!("{name}.out"));
    let mut vigil = crate::poller::spawn_collect(
        (&options.vigil, options.interval),
        &db.clone().into(),
        &stdout,
        dir,
        length + Duration::from_secs(5),
    )?;
    let started = Instant::now();
    let cpu_before = vigil.cpu_seconds()?;
    tokio::time::sleep(length).await;
    let cpu = vigil.cpu_seconds()? - cpu_before;
    let seconds = started.elapsed().as_secs_f64();
    let peak_mb = vigil.peak_memory_bytes()? as f64 / (1 << 20) as f64;
    let running = vigil.running();
    vigil.stop();
    let stderr = std::fs::read_to_string(dir.join("vigil-collect.err")).unwrap_or_default();
    let panicked = !running || stderr.contains("panicked");

    // Lateness from the servers' side, after the first interval (start-up).
    let warm = started + options.interval;
    let mut lags_ms: Vec<f64> = servers
        .iter()
        .filter(|s| s.hostility == Hostility::Healthy)
        .flat_map(|s| {
            let reads: Vec<Instant> = s.metrics_reads().into_iter().filter(|at| *at > warm).collect();
            reads
                .windows(2)
                .map(|pair| (pair[1] - pair[0]).saturating_sub(options.interval).as_secs_f64() * 1e3)
                .collect::<Vec<_>>()
        })
        .collect();
    lags_ms.sort_by(f64::total_cmp);
    let stored = engine.servers().list().await.map_err(|e| e.to_string())?;
    let unnamed = servers
        .iter()
        .zip(&stored_in_order(&stored, &servers))
        .filter(|(server, _)| server.hostility != Hostility::Healthy)
        .filter(|(server, said)| !said.contains(server.hostility.expected_words()))
        .map(|(server, said)| format!("{}: {said}", server.hostility.name()))
        .collect();
    Ok(Side { servers: servers.len(), seconds, cpu_share: cpu / seconds, peak_mb, lags_ms, panicked, unnamed })
}

/// What Vigil stored about each of `servers` (by its URL): health reason and metrics error.
fn stored_in_order(stored: &[vigil_core::Server], servers: &[HostileServer]) -> Vec<String> {
    servers
        .iter()
        .map(|server| {
            stored.iter().find(|s| s.base_url == server.url()).map_or_else(
                || "not stored".to_owned(),
                |s| {
                    format!(
                        "{} {}",
                        s.health_reason.as_deref().unwrap_or_default(),
                        s.metrics_error.as_deref().unwrap_or_default()
                    )
                },
            )
        })
        .collect()
}
