//! The window's own figures, in the real `vigil-desktop` (release build) under Xvfb, driven
//! over WebDriver as the end-to-end tests drive it, on the demo fleet unless said otherwise:
//! - the time to the first drawn fleet overview, as the page measures it (`performance.now()`
//!   from the start of its load) and as seen from outside (from launching the app to the
//!   overview found on screen, which adds starting the process and the web view);
//! - the time to the first drawn overview of a generated fleet of 50 servers serving 6 models
//!   each, 300 models in revisions v1 and v2 (issue 21), from the start of the `vigil-desktop`
//!   process: the servers (labelled by team and environment) are registered in a fresh database
//!   and polled twice, then the window opens on it. The overview is drawn when the models table
//!   reads `300 of 300 models` and shows every row it draws before any scrolling (a long list
//!   draws its first page, the rest as they scroll into sight). The figure adds the process's
//!   start (read from `/proc`) to the page's time origin (`performance.timeOrigin`), then the
//!   page's own time (`performance.now()`) to the first frame holding those rows. Beside it,
//!   when the rows were in the page's document, seen over WebDriver (asked every 50 ms from the
//!   launch call, which also starts Xvfb and the WebDriver servers);
//! - the time to draw a chart of N points (default 100,000) beside the same points drawn as a
//!   bare canvas line, the floor any chart pays (the reference of the ratio);
//! - the peak memory of `vigil-desktop` and its WebKit processes while it polls the demo fleet
//!   for M minutes (default 10), summed over it and every process it started (the WebKit web
//!   and network processes): proportional (PSS, each shared page split between the processes
//!   that map it, so counted once) and resident (RSS, shared libraries counted again in each
//!   process);
//! - the same for a blank Tauri window (`vigil-blank-window`: an empty page, the same lean web
//!   view settings), launched the same way in the same run. WebKitGTK, JavaScriptCore and Mesa
//!   put that floor under any Tauri window on Linux, so the goals hold what Vigil adds to it:
//!   its peak PSS over the blank window's, and vigil-desktop's own anonymous memory (its heap)
//!   over the blank window's main process';
//! - the slope of Vigil's PSS over the last half of the soak, in MB a minute: a leak shows as a
//!   steady climb;
//! - the same peak memory of the window on the generated fleet, read for up to 2 minutes (at
//!   most M) once it shows every model, while it keeps polling the 50 servers, held to the same
//!   goal over the blank window; then, in that window, each view from its click to its first
//!   frame (alerts, rollouts, drift, cost, audit, settings, and back to the fleet), held to the
//!   overview's goal.
//!
//! Usage: `vigil-bench window [--quick] [--out FILE] [--points N] [--minutes M] [--desktop PATH]
//! [--blank PATH]`. `--quick` soaks for half a minute; `--minutes 0` measures the overview and
//! the chart only.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_tests::desktop::DesktopApp;

use crate::goal::{self, Goal};
use crate::poller::targets::Targets;

const GOAL_OVERVIEW_MS: f64 = 1500.0;
/// The generated fleet's first drawn overview, from the process's start (issue 21).
const GOAL_FLEET_OVERVIEW_MS: f64 = 1500.0;
const GOAL_CHART_MS: f64 = 150.0;
/// At most this much more PSS than the blank window, summed over every process (issue 20).
const GOAL_PSS_OVER_BLANK_MB: f64 = 35.0;
/// vigil-desktop's own anonymous memory at most this much more than the blank window's.
const GOAL_ANON_OVER_BLANK_MB: f64 = 10.0;
/// No upward trend: the PSS slope over the last half of the soak at most this (1 MB in 5 min).
const GOAL_SLOPE_MB_PER_MINUTE: f64 = 0.2;
/// The shortest soak whose second half says anything about a trend.
const TREND_MINUTES: f64 = 4.0;
/// The blank window's memory settles within a minute; it is read for at most this long.
const BLANK_MINUTES: f64 = 2.0;
/// The window on the generated fleet is read for at most this long once it shows every model.
const FLEET_MEMORY_MINUTES: f64 = 2.0;
/// Draws of each chart; the median is reported.
const DRAWS: usize = 5;
/// The generated fleet: this many servers ...
const FLEET_SERVERS: usize = 50;
/// ... each serving this many models, in revisions v1 and v2.
const MODELS_PER_SERVER: usize = 6;
/// The generated servers' `team` labels, and their `env` labels.
const TEAMS: [&str; 5] = ["payments", "growth", "search", "risk", "logistics"];
const ENVIRONMENTS: [&str; 2] = ["prod", "staging"];
/// Seconds between polls of each server, in the window and in the generated fleet.
const POLL_SECONDS: f64 = 2.0;
/// How often the generated fleet's model rows are counted over WebDriver.
const COUNT_ROWS_EVERY: Duration = Duration::from_millis(50);
/// Run over WebDriver with the fleet's number of models N: `drawn`, the number of model rows
/// once the models table reads `N of N models` and has drawn every row it draws before any
/// scrolling (all N, or, for a long list, its first rows and a button for the rest), else 0;
/// and what the table shows now.
const FIRST_ROWS_DRAWN: &str = r#"
    const rows = document.querySelectorAll('[data-testid="model-row"]').length;
    const count = document.querySelector('[aria-label="Filter models"] .count')?.textContent.trim() ?? null;
    const all = count === `${arguments[0]} of ${arguments[0]} models`;
    const first = rows === arguments[0] || (rows > 0 && document.querySelector('[data-testid="models-more"]') !== null);
    return { rows, count, drawn: all && first ? rows : 0 };
"#;

/// The views a person switches to on the generated fleet, by their navigation's ids, back to the
/// fleet last.
const VIEWS: [&str; 7] = ["alerts", "rollouts", "drift", "cost", "audit", "settings", "fleet"];
/// Run over WebDriver with a view's id: clicks its navigation entry and notes, in
/// `window.vigilViewDrawnMs`, the time from the click to the frame after the one that drew the
/// view (two animation frames: the first runs before the frame holding the view is painted).
const SWITCH_VIEW: &str = r#"
    window.vigilViewDrawnMs = null;
    const clicked = performance.now();
    document.querySelector(`[data-testid="nav-${arguments[0]}"]`).click();
    requestAnimationFrame(() => requestAnimationFrame(() => (window.vigilViewDrawnMs = performance.now() - clicked)));
"#;

struct Options {
    out: PathBuf,
    points: u64,
    minutes: f64,
    desktop: PathBuf,
    blank: PathBuf,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let exe = std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
    let release = exe.parent().ok_or("this program has no folder")?;
    let mut options = Options {
        out: release.join("bench/window.json"),
        points: 100_000,
        minutes: if quick { 0.5 } else { 10.0 },
        desktop: release.join("vigil-desktop"),
        blank: release.join("vigil-blank-window"),
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = |text: &str| text.parse::<f64>().ok().filter(|n| *n > 0.0 && n.is_finite());
        match flag.as_str() {
            "--out" => options.out = value.into(),
            "--desktop" => options.desktop = value.into(),
            "--blank" => options.blank = value.into(),
            "--points" => options.points = number(&value).ok_or(format!("--points needs a count, not {value}"))? as u64,
            "--minutes" => {
                let minutes = value.parse::<f64>().ok().filter(|n| *n >= 0.0 && n.is_finite());
                options.minutes = minutes.ok_or(format!("--minutes needs minutes (0: no memory soak), not {value}"))?;
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    for (binary, package) in [(&options.desktop, "vigil-desktop"), (&options.blank, "vigil-blank-window")] {
        if !binary.is_file() {
            return Err(format!(
                "{} is missing: build it with `cargo build --release -p {package}` (make bench does)",
                binary.display()
            ));
        }
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
    let app = DesktopApp::launch_binary(&options.desktop, "bench-window", POLL_SECONDS, &["--demo"]).await;
    app.element(r#"[data-testid="server-row"]"#, Duration::from_secs(60)).await;
    let seen_ms = launched.elapsed().as_secs_f64() * 1000.0;
    let page_ms = poll_number(&app, "return window.vigilDiagnostics.timings.overviewDrawnMs").await?;

    let draw = |what: &str| format!("return window.vigilDiagnostics.{what}({})", options.points);
    let chart_ms = median_of(&app, &draw("drawChart")).await?;
    let canvas_ms = median_of(&app, &draw("drawCanvas")).await?;

    app.session.close().await;
    // Closed and dropped (its Xvfb and driver with it) before the next window takes its turn.
    drop(app);

    let fleet = fleet_overview(&options.desktop, options.minutes.min(FLEET_MEMORY_MINUTES)).await?;

    // Memory in windows of their own: the chart draws above leave garbage in the page's heap.
    let memory = if options.minutes > 0.0 {
        let vigil = soak(&options.desktop, "bench-window-memory", &["--demo"], options.minutes).await?;
        let blank = soak(&options.blank, "bench-window-blank", &[], options.minutes.min(BLANK_MINUTES)).await?;
        Some((vigil, blank))
    } else {
        None
    };

    println!("\nThe window: {} on the demo fleet, polled every {POLL_SECONDS} s\n", options.desktop.display());
    println!("  first drawn fleet overview     {page_ms:>8.0} ms in the page   ({seen_ms:.0} ms from launch, seen over WebDriver)");
    fleet.print();
    println!("  {:>7}-point chart             {chart_ms:>8.1} ms   (median of {DRAWS})", options.points);
    println!("  same points, bare canvas line  {canvas_ms:>8.1} ms   (reference)");
    match &memory {
        Some((vigil, blank)) => print_memory(vigil, blank),
        None => println!("  memory                         not measured (no soak: --minutes 0)"),
    }
    if let (Some(on_fleet), Some((vigil, blank))) = (&fleet.memory, &memory) {
        println!(
            "  the window on the {}-model fleet, over {} min: {:.1} MB PSS ({:+.1} over the blank window, {:+.1} over \
             the demo fleet's), own anonymous {:.1} MB ({:+.1} over the blank window)",
            fleet.models,
            on_fleet.minutes,
            on_fleet.peak.pss_mb,
            on_fleet.peak.pss_mb - blank.peak.pss_mb,
            on_fleet.peak.pss_mb - vigil.peak.pss_mb,
            on_fleet.main_anonymous_mb,
            on_fleet.main_anonymous_mb - blank.main_anonymous_mb
        );
        println!("  Vigil on the {}-model fleet at its PSS peak, MB: {}", fleet.models, on_fleet.peak_processes());
    }
    println!("\nchart / bare canvas: {:.2}x\n", chart_ms / canvas_ms);
    let mut goals = vec![
        Goal::new(
            format!("first overview under {GOAL_OVERVIEW_MS} ms"),
            page_ms < GOAL_OVERVIEW_MS,
            format!("{page_ms:.0} ms"),
        ),
        Goal::new(
            format!(
                "{}-model overview ({FLEET_SERVERS} servers) drawn under {GOAL_FLEET_OVERVIEW_MS} ms from the process's start",
                fleet.models
            ),
            fleet.drawn_from_process_ms() < GOAL_FLEET_OVERVIEW_MS,
            format!(
                "{:.0} ms; in the document, seen over WebDriver, {:.0} ms from the process's start, {:.0} ms from launch",
                fleet.drawn_from_process_ms(),
                fleet.seen_from_process_ms,
                fleet.seen_from_launch_ms
            ),
        ),
        Goal::new(
            format!("every view of the {}-model fleet drawn under {GOAL_FLEET_OVERVIEW_MS} ms from its click", fleet.models),
            fleet.slowest_view_ms() < GOAL_FLEET_OVERVIEW_MS,
            format!("the slowest {:.0} ms", fleet.slowest_view_ms()),
        ),
        Goal::new(
            format!("{}-point chart under {GOAL_CHART_MS} ms", options.points),
            chart_ms < GOAL_CHART_MS,
            format!("{chart_ms:.1} ms"),
        ),
    ];
    if let Some((vigil, blank)) = &memory {
        goals.extend(memory_goals(vigil, blank));
    }
    if let (Some(on_fleet), Some((_, blank))) = (&fleet.memory, &memory) {
        let over = on_fleet.peak.pss_mb - blank.peak.pss_mb;
        goals.push(Goal::new(
            format!(
                "the window on {} models at most a blank Tauri window's + {GOAL_PSS_OVER_BLANK_MB} MB PSS",
                fleet.models
            ),
            over <= GOAL_PSS_OVER_BLANK_MB,
            format!("{over:+.1} MB: {:.1} MB against {:.1} MB", on_fleet.peak.pss_mb, blank.peak.pss_mb),
        ));
    }
    goals.push(Goal::none("chart / bare canvas line", format!("{:.2}x", chart_ms / canvas_ms)));
    let goals = goal::print(&goals);
    let vigil = memory.as_ref().map(|(vigil, _)| vigil);
    let blank = memory.as_ref().map(|(_, blank)| blank);
    let peak = vigil.map(|memory| &memory.peak);
    Ok(json!({
        "overview_drawn_ms_in_page": page_ms,
        "overview_seen_ms_from_launch": seen_ms,
        "fleet_servers": FLEET_SERVERS,
        "fleet_models": fleet.models,
        "fleet_rows_drawn_first": fleet.rows,
        "fleet_overview_drawn_ms_from_process_start": fleet.drawn_from_process_ms(),
        "fleet_page_origin_ms_from_process_start": fleet.page_origin_from_process_ms,
        "fleet_overview_drawn_ms_in_page": fleet.drawn_in_page_ms,
        "fleet_overview_seen_ms_from_process_start": fleet.seen_from_process_ms,
        "fleet_overview_seen_ms_from_launch": fleet.seen_from_launch_ms,
        "fleet_process_start_ms_from_launch": fleet.process_from_launch_ms,
        "fleet_view_drawn_ms_from_click": fleet.views.iter().map(|(view, ms)| (view.to_string(), json!(ms))).collect::<serde_json::Map<_, _>>(),
        "chart_points": options.points,
        "chart_draw_ms_median": chart_ms,
        "bare_canvas_ms_median": canvas_ms,
        "chart_over_canvas": chart_ms / canvas_ms,
        "memory_minutes": options.minutes,
        "memory_processes": vigil.map(|memory| memory.most_processes),
        "peak_rss_mb": peak.map(|peak| peak.rss_mb),
        "peak_pss_mb": peak.map(|peak| peak.pss_mb),
        "peak_main_anonymous_mb": vigil.map(|memory| memory.main_anonymous_mb),
        "pss_slope_mb_per_minute_last_half": vigil.and_then(Memory::slope),
        "blank_peak_rss_mb": blank.map(|memory| memory.peak.rss_mb),
        "blank_peak_pss_mb": blank.map(|memory| memory.peak.pss_mb),
        "blank_peak_main_anonymous_mb": blank.map(|memory| memory.main_anonymous_mb),
        "pss_over_blank_mb": memory.as_ref().map(|(vigil, blank)| vigil.peak.pss_mb - blank.peak.pss_mb),
        "fleet_peak_pss_mb": fleet.memory.as_ref().map(|memory| memory.peak.pss_mb),
        "fleet_peak_main_anonymous_mb": fleet.memory.as_ref().map(|memory| memory.main_anonymous_mb),
        "peak_pss_processes": peak.map(|peak| peak.processes.iter().map(|p| json!({ "name": p.name, "pss_mb": p.pss_mb, "rss_mb": p.rss_mb })).collect::<Vec<_>>()),
        "goals": goals,
    }))
}

/// When the window first showed every model of the generated fleet, in ms.
struct FleetOverview {
    models: usize,
    /// The model rows the table draws before any scrolling: every model, or the first page of a
    /// long list.
    rows: u64,
    /// From the launch call to the `vigil-desktop` process's start (Xvfb, tauri-driver and
    /// WebKitWebDriver start first).
    process_from_launch_ms: f64,
    /// From the process's start to the page's time origin (`performance.timeOrigin`).
    page_origin_from_process_ms: f64,
    /// From the page's time origin to the first frame holding those rows, in the page (the start
    /// of that frame, as `markOverviewDrawn` notes the demo's overview).
    drawn_in_page_ms: f64,
    /// From the process's start, and from the launch call, to those rows seen in the page's
    /// document over WebDriver (asked every [`COUNT_ROWS_EVERY`]); WebDriver may see them a frame
    /// before they are drawn.
    seen_from_process_ms: f64,
    seen_from_launch_ms: f64,
    /// The window's memory while it shows the fleet (none without a soak).
    memory: Option<Memory>,
    /// Each of [`VIEWS`] and the ms from its click to its first frame, on this fleet.
    views: Vec<(&'static str, f64)>,
}

impl FleetOverview {
    /// From the process's start to the first frame holding the rows.
    fn drawn_from_process_ms(&self) -> f64 {
        self.page_origin_from_process_ms + self.drawn_in_page_ms
    }

    fn print(&self) {
        let label = format!("{}-model overview, drawn", self.models);
        println!(
            "  {label:<30} {:>8.0} ms from the process's start   ({FLEET_SERVERS} servers of {MODELS_PER_SERVER} models; \
             its first {} rows)",
            self.drawn_from_process_ms(),
            self.rows
        );
        println!(
            "    process start -> page start  {:>8.0} ms, then {:.0} ms to the rows drawn (in the page)",
            self.page_origin_from_process_ms, self.drawn_in_page_ms
        );
        println!(
            "    in the document, WebDriver   {:>8.0} ms from the process's start, {:.0} ms from launch (the process \
             started {:.0} ms after launch)",
            self.seen_from_process_ms, self.seen_from_launch_ms, self.process_from_launch_ms
        );
        let views: Vec<String> = self.views.iter().map(|(view, ms)| format!("{view} {ms:.0}")).collect();
        println!("    each view from its click to its first frame, ms: {}", views.join(", "));
    }

    /// The slowest of the views' switches, in ms.
    fn slowest_view_ms(&self) -> f64 {
        self.views.iter().map(|(_, ms)| *ms).fold(0.0, f64::max)
    }
}

/// Switches `app` to each of [`VIEWS`] in turn: the ms from each click to the view's first frame.
async fn switch_views(app: &DesktopApp) -> Result<Vec<(&'static str, f64)>, String> {
    let mut switched = Vec::with_capacity(VIEWS.len());
    for view in VIEWS {
        app.session
            .execute(SWITCH_VIEW, vec![json!(view)])
            .await
            .map_err(|error| format!("cannot open {view}: {error}"))?;
        switched.push((view, poll_number(app, "return window.vigilViewDrawnMs").await?));
    }
    Ok(switched)
}

/// Starts the generated fleet, registers and polls it in a fresh database, opens `desktop` on
/// that database, times the first overview of all its models, then reads the window's memory
/// for `memory_minutes` while it keeps polling the fleet.
async fn fleet_overview(desktop: &Path, memory_minutes: f64) -> Result<FleetOverview, String> {
    let models = FLEET_SERVERS * MODELS_PER_SERVER;
    println!(
        "Launching {} on {FLEET_SERVERS} generated servers of {MODELS_PER_SERVER} models each ...",
        desktop.display()
    );
    let targets = Targets::start_fleet(FLEET_SERVERS, MODELS_PER_SERVER, fleet_model_name).await?;
    let dir = tempfile::Builder::new()
        .prefix("vigil-bench-window-")
        .tempdir()
        .map_err(|error| format!("cannot make a temporary folder: {error}"))?;
    let db = dir.path().join("vigil.db");
    register_fleet(&db, &targets.addresses, models).await?;
    let db = db.to_str().ok_or("the temporary folder's path is not UTF-8")?;

    let launched = Instant::now();
    let launched_boot = boot_seconds()?;
    let app = DesktopApp::launch_binary(desktop, "bench-window-fleet", POLL_SECONDS, &["--db", db]).await;
    let deadline = launched + Duration::from_secs(60);
    let rows = loop {
        let answer = app.session.execute(FIRST_ROWS_DRAWN, vec![json!(models)]).await.unwrap_or_default();
        if let Some(rows) = answer["drawn"].as_u64().filter(|rows| *rows > 0) {
            break rows;
        }
        if Instant::now() > deadline {
            let shot = app.screenshot("fleet-overview-timeout");
            return Err(format!(
                "60 s after launch, the window had not drawn the first rows of {models} models: it shows {} model \
                 rows and reads {} (a screenshot: {})",
                answer["rows"],
                answer["count"],
                shot.display()
            ));
        }
        tokio::time::sleep(COUNT_ROWS_EVERY).await;
    };
    let seen_from_launch_ms = launched.elapsed().as_secs_f64() * 1000.0;
    let seen_boot = boot_seconds()?;
    let now_unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|error| format!("the clock is before 1970: {error}"))?
        .as_secs_f64()
        * 1000.0;
    let started_boot = process_of(desktop)
        .and_then(started_seconds)
        .ok_or(format!("cannot read when the {} process this run started began", desktop.display()))?;
    let drawn = "const drawn = window.vigilDiagnostics.timings.modelRowsDrawn.find((d) => d.count >= arguments[0]); \
                 return drawn ? [drawn.ms, performance.timeOrigin] : null;";
    let (drawn_in_page_ms, origin_unix_ms) =
        poll(&app, drawn, vec![json!(rows)], |answer| Some((answer.get(0)?.as_f64()?, answer.get(1)?.as_f64()?)))
            .await?;
    let memory = match memory_minutes > 0.0 {
        true => Some(read_memory(desktop, memory_minutes).await?),
        false => None,
    };
    // After the memory is read: each view drawn once stays in the page's heap a while.
    let views = switch_views(&app).await?;
    app.session.close().await;
    drop(app);

    let process_start_unix_ms = now_unix_ms - (seen_boot - started_boot) * 1000.0;
    Ok(FleetOverview {
        models,
        rows,
        process_from_launch_ms: (started_boot - launched_boot) * 1000.0,
        page_origin_from_process_ms: origin_unix_ms - process_start_unix_ms,
        drawn_in_page_ms,
        seen_from_process_ms: (seen_boot - started_boot) * 1000.0,
        seen_from_launch_ms,
        memory,
        views,
    })
}

/// The name of model `model` of generated server `server`: model names as fleets have them,
/// from `fraud-7` to `recsys-ranking-two-tower-candidate-generation-eu-west-017`, no two alike.
fn fleet_model_name(server: usize, model: usize) -> String {
    const FAMILIES: [&str; 7] = [
        "fraud",
        "recsys-ranking-two-tower-candidate-generation",
        "churn-propensity",
        "search-query-embedding-multilingual",
        "eta",
        "credit-risk-scorecard-gradient-boosted",
        "demand-forecast-weekly-store-sku",
    ];
    const REGIONS: [&str; 3] = ["eu-west", "us-east", "ap-south"];
    let number = server * MODELS_PER_SERVER + model;
    let family = FAMILIES[number % FAMILIES.len()];
    if number % 2 == 0 {
        format!("{family}-{number}")
    } else {
        format!("{family}-{}-{number:03}", REGIONS[server % REGIONS.len()])
    }
}

/// Registers each target as an MLServer, labelled with a team and an environment and polled
/// every [`POLL_SECONDS`], into the SQLite database at `db`; polls them all twice (a rate needs
/// two reads) and checks that the database holds `models` models.
async fn register_fleet(db: &Path, addresses: &[String], models: usize) -> Result<(), String> {
    let text = |error: vigil_core::VigilError| error.to_string();
    let engine = Engine::open(EngineOptions::new(db.to_owned())).await.map_err(text)?;
    for (number, address) in addresses.iter().enumerate() {
        let (team, env) = (TEAMS[number % TEAMS.len()], ENVIRONMENTS[number % ENVIRONMENTS.len()]);
        let server = NewServer {
            name: format!("mlserver-{team}-{env}-{number:02}"),
            base_url: format!("http://{address}"),
            kind: ServerKind::Mlserver,
            poll_interval_secs: Some(POLL_SECONDS),
            labels: [("team", team), ("env", env)].map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
            ..Default::default()
        };
        engine.servers().add(server).await.map_err(|error| format!("cannot register {address}: {error}"))?;
    }
    engine.polling().check_all().await.map_err(text)?;
    tokio::time::sleep(Duration::from_secs_f64(POLL_SECONDS)).await;
    engine.polling().check_all().await.map_err(text)?;
    let stored = engine.dashboard().model_overviews().await.map_err(text)?.len();
    if stored != models {
        return Err(format!("the generated fleet's {models} models were polled, but the database holds {stored}"));
    }
    Ok(())
}

/// Seconds since the machine booted (`/proc/uptime`, to 10 ms), the clock of a process's start.
fn boot_seconds() -> Result<f64, String> {
    let uptime =
        std::fs::read_to_string("/proc/uptime").map_err(|error| format!("cannot read /proc/uptime: {error}"))?;
    uptime
        .split_whitespace()
        .next()
        .and_then(|seconds| seconds.parse().ok())
        .ok_or(format!("/proc/uptime reads {uptime:?}"))
}

/// When process `pid` started, in seconds since the machine booted (`/proc/PID/stat`).
fn started_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22, starttime, in clock ticks; the fields from the third follow the `)`.
    let ticks: f64 = stat.rsplit_once(')')?.1.split_whitespace().nth(19)?.parse().ok()?;
    // SAFETY: sysconf only reads a setting of the system.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks_per_second > 0).then(|| ticks / ticks_per_second as f64)
}

/// How often the soak reads memory.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// The memory of a window's processes over a soak.
struct Memory {
    /// The reading with the largest PSS sum, but the largest RSS sum of any reading.
    peak: Sample,
    most_processes: usize,
    /// The largest anonymous memory (heap, stacks) of the window's own process, not WebKit's.
    main_anonymous_mb: f64,
    /// (minutes since the soak began, PSS summed) of every reading.
    readings: Vec<(f64, f64)>,
    minutes: f64,
}

impl Memory {
    /// Each process at the PSS peak with its PSS, in MB.
    fn peak_processes(&self) -> String {
        let processes = self.peak.processes.iter().map(|p| format!("{} {:.1}", p.name, p.pss_mb));
        processes.collect::<Vec<_>>().join(", ")
    }

    /// The least-squares slope of PSS over the readings of the last half of the soak, in MB a
    /// minute; none for a soak too short to show a trend.
    fn slope(&self) -> Option<f64> {
        if self.minutes < TREND_MINUTES {
            return None;
        }
        let half: Vec<&(f64, f64)> = self.readings.iter().filter(|(at, _)| *at >= self.minutes / 2.0).collect();
        let n = half.len() as f64;
        let mean_t = half.iter().map(|(t, _)| t).sum::<f64>() / n;
        let mean_p = half.iter().map(|(_, p)| p).sum::<f64>() / n;
        let covariance: f64 = half.iter().map(|(t, p)| (t - mean_t) * (p - mean_p)).sum();
        let variance: f64 = half.iter().map(|(t, _)| (t - mean_t).powi(2)).sum();
        (half.len() >= 3 && variance > 0.0).then(|| covariance / variance)
    }
}

fn print_memory(vigil: &Memory, blank: &Memory) {
    println!(
        "  peak memory, summed over the window's process and every process it started (WebKit's), \
         Vigil over {} min, the blank window over {} min:",
        vigil.minutes, blank.minutes
    );
    println!("    {:<22} {:>9} {:>9} {:>16}", "", "PSS MB", "RSS MB", "own anon. MB");
    for (name, memory) in [("Vigil on the demo fleet", vigil), ("blank Tauri window", blank)] {
        let peak = &memory.peak;
        println!("    {name:<22} {:>9.1} {:>9.1} {:>16.1}", peak.pss_mb, peak.rss_mb, memory.main_anonymous_mb);
    }
    println!(
        "    {:<22} {:>+9.1} {:>9} {:>+16.1}",
        "Vigil adds",
        vigil.peak.pss_mb - blank.peak.pss_mb,
        "",
        vigil.main_anonymous_mb - blank.main_anonymous_mb
    );
    println!("  PSS is the figure compared (a shared page counts once); RSS counts shared libraries in each process.");
    for (name, memory) in [("Vigil", vigil), ("blank", blank)] {
        println!("  {name} at its PSS peak, MB: {}", memory.peak_processes());
    }
    match vigil.slope() {
        Some(slope) => println!("  Vigil's PSS over the last {} min: {slope:+.2} MB a minute", vigil.minutes / 2.0),
        None => println!("  Vigil's PSS trend: not measured (a soak under {TREND_MINUTES} min)"),
    }
}

fn memory_goals(vigil: &Memory, blank: &Memory) -> Vec<Goal> {
    let over = vigil.peak.pss_mb - blank.peak.pss_mb;
    let anonymous_over = vigil.main_anonymous_mb - blank.main_anonymous_mb;
    let trend = match vigil.slope() {
        Some(slope) => Goal::new(
            format!("no upward trend: PSS slope over the last half at most {GOAL_SLOPE_MB_PER_MINUTE} MB a minute"),
            slope <= GOAL_SLOPE_MB_PER_MINUTE,
            format!("{slope:+.2} MB a minute over the last {} min", vigil.minutes / 2.0),
        ),
        None => Goal::none("PSS trend", format!("not measured, a soak of {} min", vigil.minutes)),
    };
    vec![
        Goal::new(
            format!("window memory at most a blank Tauri window's + {GOAL_PSS_OVER_BLANK_MB} MB PSS"),
            over <= GOAL_PSS_OVER_BLANK_MB,
            format!(
                "{over:+.1} MB: Vigil {:.1} MB after {} min, blank {:.1} MB",
                vigil.peak.pss_mb, vigil.minutes, blank.peak.pss_mb
            ),
        ),
        Goal::new(
            format!("vigil-desktop's own anonymous memory at most the blank window's + {GOAL_ANON_OVER_BLANK_MB} MB"),
            anonymous_over <= GOAL_ANON_OVER_BLANK_MB,
            format!(
                "{anonymous_over:+.1} MB: {:.1} MB against {:.1} MB",
                vigil.main_anonymous_mb, blank.main_anonymous_mb
            ),
        ),
        trend,
    ]
}

/// Launches `binary` with `args` as the window above was launched and reads the memory of its
/// process and every process it started, every [`SAMPLE_EVERY`] for `minutes`.
async fn soak(binary: &Path, name: &str, args: &[&str], minutes: f64) -> Result<Memory, String> {
    println!(
        "Launching {} {} for {minutes} min, reading its memory every {} s ...",
        binary.display(),
        args.join(" "),
        SAMPLE_EVERY.as_secs()
    );
    let app = DesktopApp::launch_binary(binary, name, 2.0, args).await;
    let memory = read_memory(binary, minutes).await?;
    app.session.close().await;
    Ok(memory)
}

/// Reads the memory of the running `binary`'s process and every process it started, every
/// [`SAMPLE_EVERY`] for `minutes`.
async fn read_memory(binary: &Path, minutes: f64) -> Result<Memory, String> {
    let window =
        process_of(binary).ok_or(format!("the {} process this run started is not running", binary.display()))?;
    let mut memory =
        Memory { peak: Sample::default(), most_processes: 0, main_anonymous_mb: 0.0, readings: Vec::new(), minutes };
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(minutes * 60.0);
    while Instant::now() < until {
        let sample = Sample::of(&with_descendants(window));
        memory.readings.push((started.elapsed().as_secs_f64() / 60.0, sample.pss_mb));
        memory.most_processes = memory.most_processes.max(sample.processes.len());
        memory.main_anonymous_mb =
            memory.main_anonymous_mb.max(kilobytes(window, "smaps_rollup", "Anonymous:") / 1024.0);
        memory.peak.rss_mb = memory.peak.rss_mb.max(sample.rss_mb);
        if sample.pss_mb > memory.peak.pss_mb {
            (memory.peak.pss_mb, memory.peak.processes) = (sample.pss_mb, sample.processes);
        }
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
    Ok(memory)
}

/// The number a script returns, once it returns one (within 10 s).
async fn poll_number(app: &DesktopApp, script: &str) -> Result<f64, String> {
    poll(app, script, Vec::new(), |answer| answer.as_f64()).await
}

/// What `read` takes from the answer of a script run with `args`, once it takes something
/// (within 10 s).
async fn poll<T>(
    app: &DesktopApp,
    script: &str,
    args: Vec<Value>,
    read: impl Fn(Value) -> Option<T>,
) -> Result<T, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = app.session.execute(script, args.clone()).await.ok().and_then(&read) {
            return Ok(found);
        }
        if Instant::now() > deadline {
            return Err(format!("the page never answered `{script}` as expected"));
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
