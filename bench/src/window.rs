//! The window's own figures, in the real `vigil-desktop` (release build) under Xvfb, driven
//! over WebDriver as the end-to-end tests drive it, on the demo fleet:
//! - the time to the first drawn fleet overview, as the page measures it (`performance.now()`
//!   from the start of its load) and as seen from outside (from launching the app to the
//!   overview found on screen, which adds starting the process and the web view);
//! - the time to draw a chart of N points (default 100,000) beside the same points drawn as a
//!   bare canvas line, the floor any chart pays (the reference of the ratio);
//! - the peak memory of `vigil-desktop` and its WebKit processes while it polls the demo fleet
//!   for M minutes (default 10), summed over it and every process it started (the WebKit web
//!   and network processes): proportional (PSS, each shared page split between the processes
//!   that map it, so counted once) and resident (RSS, shared libraries counted again in each
//!   process). The peak PSS sum is the figure compared with the goal.
//!
//! Usage: `vigil-bench window [--quick] [--out FILE] [--points N] [--minutes M] [--desktop PATH]`.
//! `--quick` (or `--minutes 0`) measures the overview and the chart only, with no memory soak.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vigil_tests::desktop::DesktopApp;

use crate::goal::{self, Goal};

const GOAL_OVERVIEW_MS: f64 = 1500.0;
const GOAL_CHART_MS: f64 = 150.0;
const GOAL_MEMORY_MB: f64 = 200.0;
/// Draws of each chart; the median is reported.
const DRAWS: usize = 5;

struct Options {
    out: PathBuf,
    points: u64,
    minutes: f64,
    desktop: PathBuf,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let exe = std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
    let release = exe.parent().ok_or("this program has no folder")?;
    let mut options = Options {
        out: release.join("bench/window.json"),
        points: 100_000,
        minutes: if quick { 0.0 } else { 10.0 },
        desktop: release.join("vigil-desktop"),
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = |text: &str| text.parse::<f64>().ok().filter(|n| *n > 0.0 && n.is_finite());
        match flag.as_str() {
            "--out" => options.out = value.into(),
            "--desktop" => options.desktop = value.into(),
            "--points" => options.points = number(&value).ok_or(format!("--points needs a count, not {value}"))? as u64,
            "--minutes" => {
                let minutes = value.parse::<f64>().ok().filter(|n| *n >= 0.0 && n.is_finite());
                options.minutes = minutes.ok_or(format!("--minutes needs minutes (0: no memory soak), not {value}"))?;
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if !options.desktop.is_file() {
        return Err(format!(
            "{} is missing: build it with `cargo build --release -p vigil-desktop` (make bench does)",
            options.desktop.display()
        ));
    }
    Ok(options)
}

pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|error| format!("no async runtime: {error}"))?;
    let results = runtime.block_on(measure(&options))?;
    crate::write_results(&options.out, &results)
}

async fn measure(options: &Options) -> Result<Value, String> {
    println!("Launching {} on the demo fleet under Xvfb ...", options.desktop.display());
    let launched = Instant::now();
    let app = DesktopApp::launch_binary(&options.desktop, "bench-window", 2.0, &["--demo"]).await;
    app.element(r#"[data-testid="server-row"]"#, Duration::from_secs(60)).await;
    let seen_ms = launched.elapsed().as_secs_f64() * 1000.0;
    let page_ms = poll_number(&app, "return window.vigilDiagnostics.timings.overviewDrawnMs").await?;

    let draw = |what: &str| format!("return window.vigilDiagnostics.{what}({})", options.points);
    let chart_ms = median_of(&app, &draw("drawChart")).await?;
    let canvas_ms = median_of(&app, &draw("drawCanvas")).await?;

    let memory = if options.minutes > 0.0 { Some(soak(options).await?) } else { None };
    app.session.close().await;

    println!("\nThe window: vigil-desktop (release) on the demo fleet, polled every 2 s\n");
    println!("  first drawn fleet overview     {page_ms:>8.0} ms in the page   ({seen_ms:.0} ms from launch, seen over WebDriver)");
    println!("  {:>7}-point chart             {chart_ms:>8.1} ms   (median of {DRAWS})", options.points);
    println!("  same points, bare canvas line  {canvas_ms:>8.1} ms   (reference)");
    match &memory {
        Some(memory) => memory.print(options.minutes),
        None => println!("  memory                         not measured (no soak: --quick or --minutes 0)"),
    }
    println!("\nchart / bare canvas: {:.2}x\n", chart_ms / canvas_ms);
    let mut goals = vec![
        Goal::new(
            format!("first overview under {GOAL_OVERVIEW_MS} ms"),
            page_ms < GOAL_OVERVIEW_MS,
            format!("{page_ms:.0} ms"),
        ),
        Goal::new(
            format!("{}-point chart under {GOAL_CHART_MS} ms", options.points),
            chart_ms < GOAL_CHART_MS,
            format!("{chart_ms:.1} ms"),
        ),
    ];
    if let Some(memory) = &memory {
        goals.push(Goal::new(
            format!("memory under {GOAL_MEMORY_MB} MB resident, web view included"),
            memory.peak.pss_mb < GOAL_MEMORY_MB,
            format!(
                "{:.1} MB peak PSS summed; PSS is the figure compared, RSS {:.1} MB counts shared libraries once per \
                 process",
                memory.peak.pss_mb, memory.peak.rss_mb
            ),
        ));
    }
    goals.push(Goal::none("chart / bare canvas line", format!("{:.2}x", chart_ms / canvas_ms)));
    let goals = goal::print(&goals);
    let peak = memory.as_ref().map(|memory| &memory.peak);
    Ok(json!({
        "overview_drawn_ms_in_page": page_ms,
        "overview_seen_ms_from_launch": seen_ms,
        "chart_points": options.points,
        "chart_draw_ms_median": chart_ms,
        "bare_canvas_ms_median": canvas_ms,
        "chart_over_canvas": chart_ms / canvas_ms,
        "memory_minutes": options.minutes,
        "memory_processes": memory.as_ref().map(|memory| memory.most_processes),
        "peak_rss_mb": peak.map(|peak| peak.rss_mb),
        "peak_pss_mb": peak.map(|peak| peak.pss_mb),
        "memory_goal_compares": "peak_pss_mb",
        "peak_pss_processes": peak.map(|peak| peak.processes.iter().map(|p| json!({ "name": p.name, "pss_mb": p.pss_mb, "rss_mb": p.rss_mb })).collect::<Vec<_>>()),
        "goals": goals,
    }))
}

/// The peak memory of the app's processes while it polls the demo fleet.
struct Memory {
    /// The reading with the largest PSS sum, but the largest RSS sum of any reading.
    peak: Sample,
    most_processes: usize,
}

impl Memory {
    fn print(&self, minutes: f64) {
        let (peak, most_processes) = (&self.peak, self.most_processes);
        println!(
            "  peak memory over {minutes} min, vigil-desktop and every process it started ({most_processes}), summed:"
        );
        println!(
            "    PSS {:>6.1} MB   proportional: a shared page counts once, split between the processes mapping it",
            peak.pss_mb
        );
        println!(
            "    RSS {:>6.1} MB   resident: shared libraries counted again in each process (an overcount)",
            peak.rss_mb
        );
        println!("  at the PSS peak:");
        for process in &peak.processes {
            println!("    {:<16} {:>6.1} MB PSS  {:>6.1} MB RSS", process.name, process.pss_mb, process.rss_mb);
        }
    }
}

/// Reads the memory of the app and every process it started every 5 s for `--minutes`.
async fn soak(options: &Options) -> Result<Memory, String> {
    println!("Polling the demo fleet for {} min, reading memory every 5 s ...", options.minutes);
    let desktop = process_of(&options.desktop).ok_or("the vigil-desktop process this run started is not running")?;
    let mut peak = Sample::default();
    let mut most_processes = 0;
    let until = Instant::now() + Duration::from_secs_f64(options.minutes * 60.0);
    while Instant::now() < until {
        let sample = Sample::of(&with_descendants(desktop));
        most_processes = most_processes.max(sample.processes.len());
        peak.rss_mb = peak.rss_mb.max(sample.rss_mb);
        if sample.pss_mb > peak.pss_mb {
            (peak.pss_mb, peak.processes) = (sample.pss_mb, sample.processes);
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    Ok(Memory { peak, most_processes })
}

/// The number a script returns, once it returns one (within 10 s).
async fn poll_number(app: &DesktopApp, script: &str) -> Result<f64, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(number)) = app.session.execute(script, Vec::new()).await.map(|value| value.as_f64()) {
            return Ok(number);
        }
        if Instant::now() > deadline {
            return Err(format!("the page never answered `{script}` with a number"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The median of [`DRAWS`] runs of a script that returns milliseconds.
async fn median_of(app: &DesktopApp, script: &str) -> Result<f64, String> {
    let mut runs = Vec::with_capacity(DRAWS);
    for _ in 0..DRAWS {
        runs.push(poll_number(app, script).await?);
    }
    runs.sort_by(f64::total_cmp);
    Ok(runs[DRAWS / 2])
}

/// The process running `binary` that this benchmark started (through tauri-driver and
/// WebKitWebDriver), not another copy of the app running on the machine.
fn process_of(binary: &Path) -> Option<u32> {
    let wanted = binary.canonicalize().ok()?;
    with_descendants(std::process::id())
        .into_iter()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == wanted))
}

/// One reading of a family of processes' memory, in MB.
#[derive(Default)]
struct Sample {
    rss_mb: f64,
    pss_mb: f64,
    processes: Vec<ProcessMemory>,
}

struct ProcessMemory {
    name: String,
    rss_mb: f64,
    pss_mb: f64,
}

impl Sample {
    /// Each process's resident and proportional memory (`/proc/PID/smaps_rollup`), and their sums.
    fn of(pids: &[u32]) -> Sample {
        let processes: Vec<ProcessMemory> = pids
            .iter()
            .map(|pid| ProcessMemory {
                name: std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_string(),
                rss_mb: kilobytes(*pid, "smaps_rollup", "Rss:") / 1024.0,
                pss_mb: kilobytes(*pid, "smaps_rollup", "Pss:") / 1024.0,
            })
            .filter(|process| process.rss_mb > 0.0)
            .collect();
        Sample {
            rss_mb: processes.iter().map(|p| p.rss_mb).sum(),
            pss_mb: processes.iter().map(|p| p.pss_mb).sum(),
            processes,
        }
    }
}

fn pids() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc").into_iter().flatten().filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
}

/// `pid` and every process it started, and they started, and so on.
fn with_descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = pids().filter_map(|child| Some((child, parent_of(child)?))).collect();
    let mut family = vec![pid];
    let mut index = 0;
    while index < family.len() {
        let parent = family[index];
        family.extend(parents.iter().filter(|(_, p)| *p == parent).map(|(child, _)| *child));
        index += 1;
    }
    family
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// The kilobytes on the line starting `field` of `/proc/PID/FILE`; 0 when it is gone.
fn kilobytes(pid: u32, file: &str, field: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap_or_default();
    let line = text.lines().find(|line| line.starts_with(field));
    line.and_then(|line| line.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0.0)
}
