//! The crash-loop benchmark (issue 19): `vigil collect`, then the desktop window, polling the
//! demo fleet every 200 ms, driving fraud's rollouts and taking labels on its ingest endpoint
//! while CLI processes add servers and start, sign off, promote and abort rollouts, killed with
//! SIGKILL at a random moment, K times each (`vigil_tests::crash`). After each kill: SQLite's
//! `integrity_check`, every acknowledged add and rollout action, the polls stored before, the labels answered 202 held against the load generator's log and
//! the promised window, the audit chain, and the time the next start takes to answer, beside a
//! start after a clean stop (the reference, measured in the same run).
//!
//! Usage: `vigil-bench crash [--quick] [--out FILE] [--kills K] [--vigil PATH]`. Defaults: 20
//! kills (`--quick`: 5), the release `vigil` beside this binary.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use vigil_tests::crash::{CrashLoop, Victim, INGEST_WINDOW};

use crate::goal::{self, Goal};

struct Options {
    out: Option<PathBuf>,
    kills: usize,
    vigil: PathBuf,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let beside = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("vigil");
    let mut options = Options { out: None, kills: if quick { 5 } else { 20 }, vigil: beside };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => options.out = Some(PathBuf::from(value()?)),
            "--kills" => options.kills = value()?.parse().map_err(|_| "--kills takes a number")?,
            "--vigil" => options.vigil = PathBuf::from(value()?),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if options.kills == 0 {
        return Err("--kills must be at least 1".into());
    }
    Ok(options)
}

pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|error| format!("cannot start tokio: {error}"))?;
    runtime.block_on(measure(&options))
}

/// What K kills of one victim left.
struct Figures {
    victim: Victim,
    unsound: usize,
    polls_lost: usize,
    unverified: usize,
    not_restarted: usize,
    acknowledged: usize,
    adds_lost: usize,
    actions: usize,
    actions_lost: usize,
    ingested: usize,
    ingest_lost_outside: usize,
    ingest_lost_inside: usize,
    restart_p50: Duration,
    restart_max: Duration,
    clean_p50: Duration,
}

async fn measure(options: &Options) -> Result<(), String> {
    let mut figures = Vec::new();
    for victim in [Victim::Collector, Victim::Desktop] {
        println!("{victim:?}: {} kills with SIGKILL", options.kills);
        figures.push(kill(victim, options).await?);
    }
    println!();
    println!(
        "{:<10} {:>9} {:>11} {:>13} {:>16} {:>22} {:>18} {:>16}",
        "",
        "unsound",
        "adds lost",
        "actions lost",
        "labels answered",
        "lost outside / inside",
        "start p50 / max",
        "clean start p50"
    );
    for f in &figures {
        println!(
            "{:<10} {:>9} {:>11} {:>13} {:>16} {:>12} / {:>7} {:>9.0} / {:>4.0} ms {:>13.0} ms",
            format!("{:?}", f.victim),
            f.unsound,
            format!("{} of {}", f.adds_lost, f.acknowledged),
            format!("{} of {}", f.actions_lost, f.actions),
            f.ingested,
            f.ingest_lost_outside,
            f.ingest_lost_inside,
            ms(f.restart_p50),
            ms(f.restart_max),
            ms(f.clean_p50)
        );
    }
    let mut goals = Vec::new();
    for f in &figures {
        let victim = format!("{:?}", f.victim);
        goals.extend([
            Goal::new(
                format!("{victim}: integrity_check ok after every kill"),
                f.unsound == 0,
                format!("{} of {} failed", f.unsound, options.kills),
            ),
            Goal::new(
                format!("{victim}: nothing acknowledged is lost (CLI adds, rollout actions on the trail, polls)"),
                f.adds_lost == 0 && f.actions_lost == 0 && f.polls_lost == 0,
                format!(
                    "{} of {} adds and {} of {} rollout actions missing, {} rounds lost polls",
                    f.adds_lost, f.acknowledged, f.actions_lost, f.actions, f.polls_lost
                ),
            ),
            Goal::new(
                format!("{victim}: no ingested label lost outside the promised {:.0} s", INGEST_WINDOW.as_secs_f64()),
                f.ingest_lost_outside == 0,
                format!(
                    "{} lost outside, {} inside the window, of {} answered 202",
                    f.ingest_lost_outside, f.ingest_lost_inside, f.ingested
                ),
            ),
            Goal::new(
                format!("{victim}: the next start needs nothing and the audit chain verifies"),
                f.not_restarted == 0 && f.unverified == 0,
                format!("{} starts failed, {} chains broken", f.not_restarted, f.unverified),
            ),
            Goal::none(
                format!("{victim}: start after a kill / after a clean stop (p50)"),
                format!(
                    "{:.2}x ({:.0} ms / {:.0} ms)",
                    ms(f.restart_p50) / ms(f.clean_p50).max(1e-3),
                    ms(f.restart_p50),
                    ms(f.clean_p50)
                ),
            ),
        ]);
    }
    let goals = goal::print(&goals);
    if let Some(out) = &options.out {
        let victims: Vec<_> = figures
            .iter()
            .map(|f| {
                json!({
                    "victim": format!("{:?}", f.victim),
                    "integrity_failures": f.unsound,
                    "acknowledged_adds": f.acknowledged,
                    "adds_lost": f.adds_lost,
                    "acknowledged_rollout_actions": f.actions,
                    "rollout_actions_lost": f.actions_lost,
                    "rounds_losing_polls": f.polls_lost,
                    "labels_answered": f.ingested,
                    "labels_lost_outside_window": f.ingest_lost_outside,
                    "labels_lost_inside_window": f.ingest_lost_inside,
                    "start_after_kill_ms": { "p50": ms(f.restart_p50), "max": ms(f.restart_max) },
                    "start_after_clean_stop_ms": { "p50": ms(f.clean_p50) },
                })
            })
            .collect();
        let report = json!({
            "benchmark": "crash: vigil collect and the desktop window killed with SIGKILL mid-write",
            "kills": options.kills,
            "ingest_window_s": INGEST_WINDOW.as_secs_f64(),
            "victims": victims,
            "machine": crate::machine(),
            "goals": goals,
        });
        crate::write_results(out, &report)?;
    }
    Ok(())
}

/// Kills `victim` `options.kills` times, each after a clean start is timed.
async fn kill(victim: Victim, options: &Options) -> Result<Figures, String> {
    let mut crashes = CrashLoop::new(victim, &options.vigil, 19).await?;
    let mut f = Figures {
        victim,
        unsound: 0,
        polls_lost: 0,
        unverified: 0,
        not_restarted: 0,
        acknowledged: 0,
        adds_lost: 0,
        actions: 0,
        actions_lost: 0,
        ingested: 0,
        ingest_lost_outside: 0,
        ingest_lost_inside: 0,
        restart_p50: Duration::ZERO,
        restart_max: Duration::ZERO,
        clean_p50: Duration::ZERO,
    };
    let (mut restarts, mut cleans) = (Vec::new(), Vec::new());
    for round in 0..options.kills {
        cleans.push(crashes.clean_start()?);
        let after = crashes.kill_once(round).await?;
        f.unsound += usize::from(after.integrity != "ok");
        f.polls_lost += usize::from(after.polls_after < after.polls_before);
        f.unverified += usize::from(!after.audit_verified);
        f.not_restarted += usize::from(!after.restarted);
        (f.acknowledged, f.adds_lost) = (after.acknowledged, after.lost.len());
        (f.actions, f.actions_lost) = (after.actions, after.actions_lost.len());
        f.ingested += after.ingested;
        let outside = after.ingest_lost_outside(INGEST_WINDOW);
        f.ingest_lost_outside += outside;
        f.ingest_lost_inside += after.ingest_lost.len() - outside;
        restarts.push(after.restart);
        println!(
            "kill {:>2}: integrity {}, polls {} → {}, {} adds and {} rollout actions acknowledged, {} and {} missing, \
             {} labels answered, {} lost outside the window, {} inside, start {:.0} ms",
            round + 1,
            after.integrity,
            after.polls_before,
            after.polls_after,
            after.acknowledged,
            after.actions,
            after.lost.len(),
            after.actions_lost.len(),
            after.ingested,
            outside,
            after.ingest_lost.len() - outside,
            ms(after.restart)
        );
    }
    crashes.stop().await;
    restarts.sort();
    cleans.sort();
    f.restart_p50 = restarts[restarts.len() / 2];
    f.restart_max = *restarts.last().unwrap_or(&Duration::ZERO);
    f.clean_p50 = cleans[cleans.len() / 2];
    Ok(f)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
