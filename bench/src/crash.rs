//! The crash-loop benchmark (issue 19): `vigil collect` polling the demo fleet every 200 ms
//! while another process adds servers through the CLI, killed with SIGKILL at a random moment,
//! K times (`vigil_tests::crash`). After each kill: SQLite's `integrity_check`, every
//! acknowledged add, the polls stored before, the audit chain, and the time the next start takes
//! to answer, beside a start after a clean stop (the reference, measured in the same run).
//!
//! Usage: `vigil-bench crash [--quick] [--out FILE] [--kills K] [--vigil PATH]`. Defaults: 20
//! kills (`--quick`: 5), the release `vigil` beside this binary.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use vigil_tests::crash::CrashLoop;

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

async fn measure(options: &Options) -> Result<(), String> {
    let mut crashes = CrashLoop::new(&options.vigil, 19).await?;
    let (mut unsound, mut polls_lost, mut unverified, mut not_restarted) = (0, 0, 0, 0);
    let (mut restarts, mut cleans, mut lost) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for round in 0..options.kills {
        cleans.push(crashes.clean_start()?);
        let after = crashes.kill_once(round).await?;
        unsound += usize::from(after.integrity != "ok");
        polls_lost += usize::from(after.polls_after < after.polls_before);
        unverified += usize::from(!after.audit_verified);
        not_restarted += usize::from(!after.restarted);
        restarts.push(after.restart);
        lost.clone_from(&after.lost);
        println!(
            "kill {:>2}: integrity {}, polls {} → {}, {} adds acknowledged, {} missing, start {:.0} ms",
            round + 1,
            after.integrity,
            after.polls_before,
            after.polls_after,
            after.acknowledged,
            after.lost.len(),
            ms(after.restart)
        );
        last = Some(after);
    }
    crashes.stop().await;
    let last = last.expect("at least one kill");
    restarts.sort();
    cleans.sort();
    let (restart_p50, clean_p50) = (restarts[restarts.len() / 2], cleans[cleans.len() / 2]);
    let worst = *restarts.last().unwrap_or(&Duration::ZERO);
    println!();
    println!(
        "start after a kill: p50 {:.0} ms, worst {:.0} ms; after a clean stop: p50 {:.0} ms; ratio {:.2}x",
        ms(restart_p50),
        ms(worst),
        ms(clean_p50),
        ms(restart_p50) / ms(clean_p50).max(1e-3)
    );
    let goals = goal::print(&[
        Goal::new(
            "integrity_check ok after every kill",
            unsound == 0,
            format!("{unsound} of {} failed", options.kills),
        ),
        Goal::new(
            "nothing acknowledged is lost (adds by the CLI, polls stored before the kill)",
            lost.is_empty() && polls_lost == 0,
            format!("{} of {} adds missing, {polls_lost} rounds lost polls", lost.len(), last.acknowledged),
        ),
        Goal::new(
            "the next start needs nothing and the audit chain verifies",
            not_restarted == 0 && unverified == 0,
            format!("{not_restarted} starts failed, {unverified} chains broken"),
        ),
        Goal::none(
            "start after a kill / after a clean stop (p50)",
            format!(
                "{:.2}x ({:.0} ms / {:.0} ms)",
                ms(restart_p50) / ms(clean_p50).max(1e-3),
                ms(restart_p50),
                ms(clean_p50)
            ),
        ),
    ]);
    if let Some(out) = &options.out {
        let report = json!({
            "benchmark": "crash: vigil collect killed with SIGKILL mid-write",
            "kills": options.kills,
            "integrity_failures": unsound,
            "acknowledged_adds": last.acknowledged,
            "adds_lost": lost.len(),
            "rounds_losing_polls": polls_lost,
            "polls_stored": last.polls_after,
            "start_after_kill_ms": { "p50": ms(restart_p50), "max": ms(worst) },
            "start_after_clean_stop_ms": { "p50": ms(clean_p50) },
            "machine": crate::machine(),
            "goals": goals,
        });
        std::fs::write(out, serde_json::to_string_pretty(&report).unwrap_or_default()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
