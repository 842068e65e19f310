//! The team benchmark (issue 18): N desktops' engines on one PostgreSQL, one of them making M
//! audited changes one after another; for each change, the time from the call until each of
//! the other desktops' event streams carries it (through `NOTIFY`), beside the time until the
//! acting desktop's own stream carries it (in-process, the reference), and the PostgreSQL
//! server's CPU share over the run.
//!
//! The change is an objective set (`engine.objectives().set`): one write, its audit entry and
//! `Audited` event, the path an approval takes too (a rollout sign-off adds `RolloutChanged`).
//!
//! Usage: `vigil-bench team [--quick] [--out FILE] [--desktops N] [--changes M]`, beside a
//! PostgreSQL server named by `VIGIL_TEST_POSTGRES` (the Makefile runs it through
//! `scripts/with-postgres`). Defaults: 20 desktops, 300 changes (`--quick`: 20 desktops, 60).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use vigil_core::objectives::ModelObjectives;
use vigil_core::{Engine, EngineEvent, EngineOptions};

use crate::goal::{self, Goal};
use crate::poller::process;

/// The goal: every other desktop sees a change within a second.
const MAX_P99: Duration = Duration::from_secs(1);

struct Options {
    out: Option<PathBuf>,
    desktops: usize,
    changes: usize,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let mut options = Options { out: None, desktops: 20, changes: if quick { 60 } else { 300 } };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => options.out = Some(PathBuf::from(value()?)),
            "--desktops" => options.desktops = value()?.parse().map_err(|_| "--desktops takes a number")?,
            "--changes" => options.changes = value()?.parse().map_err(|_| "--changes takes a number")?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if options.desktops < 2 {
        return Err("--desktops must be at least 2".into());
    }
    Ok(options)
}

pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let server = std::env::var(vigil_core::store::testing::POSTGRES_ENV).map_err(|_| {
        "the team benchmark needs a PostgreSQL server in VIGIL_TEST_POSTGRES: run it through scripts/with-postgres"
            .to_owned()
    })?;
    let runtime = tokio::runtime::Runtime::new().map_err(|error| format!("cannot start tokio: {error}"))?;
    runtime.block_on(measure(&options, &server))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn measure(options: &Options, server: &str) -> Result<(), String> {
    let team = vigil_core::store::testing::new_database(server).await;
    println!("Opening {} desktops' engines on {team} ...", options.desktops);
    let mut desktops = Vec::new();
    for _ in 0..options.desktops {
        desktops.push(Engine::open(EngineOptions::new(team.clone())).await.map_err(|e| e.to_string())?);
    }
    let mut streams: Vec<_> = desktops.iter().map(Engine::subscribe).collect();
    // Let every listener connect before the first change.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (cpu_before, started) = (process::cpu_by_name("postgres"), Instant::now());
    let (mut own, mut others) = (Vec::new(), Vec::new());
    for change in 0..options.changes {
        let objectives = ModelObjectives { max_error_share: Some(0.01 + change as f64 * 1e-6), max_p99_s: None };
        let asked = Instant::now();
        desktops[0].objectives().set(&format!("model-{}", change % 10), objectives).await.map_err(|e| e.to_string())?;
        let id = loop {
            match streams[0].recv().await {
                Ok(EngineEvent::Audited { entry }) if entry.action == "objective.set" => break entry.id,
                Ok(_) => continue,
                Err(error) => return Err(format!("the acting desktop's events: {error}")),
            }
        };
        own.push(asked.elapsed());
        for stream in streams.iter_mut().skip(1) {
            let seen = tokio::time::timeout(Duration::from_secs(5), async {
                loop {
                    match stream.recv().await {
                        Ok(EngineEvent::Audited { entry }) if entry.id == id => return Ok(()),
                        Ok(_) => continue,
                        Err(error) => return Err(format!("a desktop's events: {error}")),
                    }
                }
            })
            .await
            .map_err(|_| format!("a desktop did not hear of change {id} within 5 s"))?;
            seen?;
            others.push(asked.elapsed());
        }
    }
    let window = started.elapsed();
    let database_cpu = process::cpu_since("postgres", &cpu_before);
    own.sort();
    others.sort();
    let (p50, p99) = (percentile(&others, 0.5), percentile(&others, 0.99));
    let (own_p50, own_p99) = (percentile(&own, 0.5), percentile(&own, 0.99));
    let share = database_cpu / window.as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!();
    println!("{:<44} {:>10} {:>10}", "from the call until the change is seen", "p50 ms", "p99 ms");
    println!("{:<44} {:>10.1} {:>10.1}", "on the acting desktop (in-process)", ms(own_p50), ms(own_p99));
    println!(
        "{:<44} {:>10.1} {:>10.1}",
        format!("on the {} other desktops (NOTIFY)", options.desktops - 1),
        ms(p50),
        ms(p99)
    );
    println!(
        "ratio other/own: p50 {:.2}x, p99 {:.2}x; {} changes, {} deliveries in {:.1} s",
        ms(p50) / ms(own_p50).max(1e-3),
        ms(p99) / ms(own_p99).max(1e-3),
        options.changes,
        others.len(),
        window.as_secs_f64()
    );
    println!(
        "PostgreSQL's CPU: {database_cpu:.2} s over {:.1} s = {:.1} % of one core",
        window.as_secs_f64(),
        share * 100.0
    );
    println!();
    let goals = goal::print(&[
        Goal::new(
            format!("every other desktop sees a change within {} s (p99)", MAX_P99.as_secs()),
            p99 <= MAX_P99,
            format!("p50 {:.1} ms, p99 {:.1} ms over {} deliveries", ms(p50), ms(p99), others.len()),
        ),
        Goal::none("PostgreSQL's CPU share while the changes go out", format!("{:.1} % of one core", share * 100.0)),
    ]);
    if let Some(out) = &options.out {
        let report = json!({
            "benchmark": "team: changes seen across desktops on one PostgreSQL",
            "desktops": options.desktops,
            "changes": options.changes,
            "others_ms": { "p50": ms(p50), "p99": ms(p99), "max": ms(*others.last().unwrap_or(&Duration::ZERO)) },
            "own_ms": { "p50": ms(own_p50), "p99": ms(own_p99) },
            "postgres_cpu_share": share,
            "seconds": window.as_secs_f64(),
            "machine": crate::machine(),
            "goals": goals,
        });
        std::fs::write(out, serde_json::to_string_pretty(&report).unwrap_or_default()).map_err(|e| e.to_string())?;
    }
    Ok(())
}
