//! `vigil-desktop`: the desktop window over Vigil's engine.
//!
//! This shell opens the engine and its ingest endpoint ([`ingest`]), starts polling, forwards
//! engine events to the window ([`forward`]), exposes a few commands ([`commands`]) and, with
//! the cargo feature `demo` (on by default), runs the demo fleet when asked (`demo`). A launch
//! on a database whose window is already open hands that window its place instead
//! ([`open_place`]). Behaviour lives in `vigil-core`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// First, so that its macros are in scope in the modules below.
/// The commands the window may call, declared once.
#[macro_use]
mod command_list;
mod alerts;
#[cfg(all(test, feature = "demo"))]
mod bindings;
mod commands;
mod cost;
#[cfg(feature = "demo")]
mod demo;
mod forward;
mod ingest;
mod lean;
mod open_place;
mod performance;
mod preflight;
mod store_settings;
mod trouble;

use std::process::ExitCode;

use clap::Parser;
use tauri::Manager;
use vigil_core::window_link::{self, Knock, Place};
use vigil_core::{store, Engine, EngineOptions};

/// `tauri::generate_handler!` over `command_list!`: each command with its gate.
macro_rules! invoke_handler {
    ($($(#[$gate:meta])* $name:ident,)*) => {
        tauri::generate_handler![$($(#[$gate])* commands::$name),*]
    };
}

/// How often the window reports drift of models that received live data.
const DRIFT_EVERY: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Parser)]
#[command(name = "vigil-desktop", version, about = "Vigil's desktop window.")]
struct Args {
    /// The store: a SQLite file, or a team's PostgreSQL as postgres://USER@HOST:PORT/DATABASE
    /// [default: $VIGIL_DB, else a file in the OS app-data folder]
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,
    /// The team database's password by reference: env:NAME or keyring:NAME [default: $VIGIL_DB_PASSWORD]
    #[arg(long, value_name = "REF")]
    db_password: Option<String>,
    /// Seconds between health checks of each server
    #[arg(long, value_name = "SECONDS", env = "VIGIL_POLL_INTERVAL", default_value_t = 10.0)]
    poll_interval: f64,
    /// Start the demo fleet on loopback and watch it. SCENARIOS, comma-separated, from healthy,
    /// drift, bad-canary, outage, slow, feedback-loop [default: healthy,drift,bad-canary]
    #[cfg(feature = "demo")]
    #[arg(long, value_name = "SCENARIOS", num_args = 0..=1, require_equals = true, value_delimiter = ',')]
    demo: Option<Vec<vigil_fleet::Scenario>>,
    /// Where model servers' payload loggers post inferences for drift (loopback by default)
    #[arg(long, value_name = "ADDR", env = "VIGIL_INGEST", default_value = ingest::INGEST_ADDR)]
    ingest: std::net::SocketAddr,
    /// The token payload loggers must send [default: a new random one each run]
    #[arg(long, value_name = "TOKEN", env = "VIGIL_INGEST_TOKEN", hide_env_values = true)]
    ingest_token: Option<String>,
    /// Requests a second each client address may send to the ingest endpoint; more are answered
    /// 429 (0: no limit)
    #[arg(long, value_name = "N", env = "VIGIL_INGEST_RATE", default_value_t = vigil_core::drift::ingest::DEFAULT_CLIENT_RATE)]
    ingest_rate: u32,
    /// Open the window on a place: model/NAME, drift/NAME or a view (fleet, alerts, rollouts,
    /// drift, cost, audit, settings). When a window is already open on this database, it shows
    /// the place and this launch ends.
    #[arg(long, value_name = "PLACE", value_parser = parse_place)]
    open: Option<Place>,
    /// A vigil:// link, as a desktop hands one over: the same as --open
    #[arg(value_name = "LINK", value_parser = parse_place, conflicts_with = "open")]
    link: Option<Place>,
}

fn parse_place(text: &str) -> Result<Place, String> {
    Place::parse(text).map_err(|err| err.to_string())
}

/// What a launch does: open the window on its engine, or hand its place to the window already
/// open on the database.
enum Launch {
    Here { engine: Engine, ingest: vigil_core::drift::ingest::IngestServer, door: window_link::Door },
    Elsewhere,
}

fn main() -> ExitCode {
    lean::limit_malloc_arenas();
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_env("VIGIL_LOG")).init();
    let args = Args::parse();
    let chosen_elsewhere = store_settings::ChosenElsewhere(vigil_core::store::chosen_elsewhere(args.db.as_deref()));
    let place = args.open.clone().or(args.link.clone());
    let launch = tauri::async_runtime::block_on(async {
        let location = store::resolve(args.db.as_deref(), args.db_password.as_deref())?;
        // Never a second engine on one database: a window open there takes the place instead.
        let Knock::Alone(door) = window_link::knock(&location, place.as_ref()).await? else {
            println!("Vigil is already open on {location}: its window came to the front.");
            return Ok(Launch::Elsewhere);
        };
        let engine = Engine::open(EngineOptions::new(location).poll_every(args.poll_interval)?).await?;
        let ingest = ingest::start(&engine, args.ingest, args.ingest_token.clone()).await?;
        ingest.set_client_rate(args.ingest_rate);
        Ok::<_, vigil_core::VigilError>(Launch::Here { engine, ingest, door })
    });
    // A store that cannot be opened still gets a window, which says what happened and what to do.
    let (opened, trouble) = match launch {
        Ok(Launch::Elsewhere) => return ExitCode::SUCCESS,
        Ok(Launch::Here { engine, ingest, door }) => (Some((engine, ingest, door)), None),
        Err(err) => {
            eprintln!("error: {err}");
            (None, Some(err.payload()))
        }
    };
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(command_list!(invoke_handler))
        .setup(move |app| {
            lean::apply(app);
            app.manage(trouble::StartupTrouble(trouble));
            app.manage(chosen_elsewhere);
            app.manage(open_place::Opening(std::sync::Mutex::new(place)));
            let Some((engine, ingest, door)) = opened else { return Ok(()) };
            open_place::hold(app.handle(), door);
            app.manage(engine.clone());
            app.manage(commands::RunningImport::default());
            app.manage(cost::RunningLoadTest::default());
            app.manage(preflight::RunningParity::default());
            app.manage(ingest);
            forward::start(app.handle());
            // On a team's PostgreSQL the collectors poll, drive rollouts and evaluate alerts;
            // this desktop reads, acts through the store and hears of changes by events.
            if !engine.is_team() {
                app.manage(tauri::async_runtime::block_on(async { engine.polling().start() }));
                app.manage(tauri::async_runtime::block_on(async { engine.drift().start_reports(DRIFT_EVERY) }));
                app.manage(tauri::async_runtime::block_on(async { engine.rollouts().start_driver() }));
                app.manage(tauri::async_runtime::block_on(async { engine.alerts().start() }));
                app.manage(tauri::async_runtime::block_on(async { engine.environment().start() }));
            }
            #[cfg(feature = "demo")]
            demo::setup(app, args.demo);
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => {
            app.run(|handle, event| {
                // A clean quit stores every payload the ingest endpoint answered 202 for.
                if let tauri::RunEvent::Exit = event {
                    if let Some(ingest) = handle.try_state::<vigil_core::drift::ingest::IngestServer>() {
                        if let Err(err) = tauri::async_runtime::block_on(ingest.finish()) {
                            eprintln!("error: payloads received last could not be stored: {err}");
                        }
                    }
                }
            });
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: the window could not start: {err}");
            ExitCode::FAILURE
        }
    }
}
