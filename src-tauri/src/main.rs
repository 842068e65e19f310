//! `vigil-desktop`: the desktop window over Vigil's engine.
//!
//! This shell opens the engine, starts polling, forwards engine events to the window
//! ([`forward`]), exposes a few commands ([`commands`]) and runs the demo fleet when asked
//! ([`demo`]). Behaviour lives in `vigil-core`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod bindings;
mod commands;
mod demo;
mod forward;
mod lean;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tauri::Manager;
use vigil_core::{store, Engine, EngineOptions};
use vigil_fleet::Scenario;

use crate::demo::Demo;

/// How often the window reports drift of models that received live data.
const DRIFT_EVERY: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Parser)]
#[command(name = "vigil-desktop", version, about = "Vigil's desktop window.")]
struct Args {
    /// The database file [default: $VIGIL_DB, else the OS app-data folder]
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Seconds between health checks of each server
    #[arg(long, value_name = "SECONDS", env = "VIGIL_POLL_INTERVAL", default_value_t = 10.0)]
    poll_interval: f64,
    /// Start the demo fleet on loopback and watch it. SCENARIOS, comma-separated, from healthy,
    /// drift, bad-canary, outage, slow [default: healthy,drift,bad-canary]
    #[arg(long, value_name = "SCENARIOS", num_args = 0..=1, require_equals = true, value_delimiter = ',')]
    demo: Option<Vec<Scenario>>,
    /// Where model servers' payload loggers post inferences for drift (loopback by default)
    #[arg(long, value_name = "ADDR", env = "VIGIL_INGEST", default_value = demo::INGEST_ADDR)]
    ingest: std::net::SocketAddr,
    /// The token payload loggers must send [default: a new random one each run]
    #[arg(long, value_name = "TOKEN", env = "VIGIL_INGEST_TOKEN", hide_env_values = true)]
    ingest_token: Option<String>,
}

fn main() -> ExitCode {
    lean::limit_malloc_arenas();
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_env("VIGIL_LOG")).init();
    let args = Args::parse();
    let opened = tauri::async_runtime::block_on(async {
        let options = EngineOptions::new(store::resolve_db_path(args.db.as_deref())?).poll_every(args.poll_interval)?;
        let engine = Engine::open(options).await?;
        let ingest = demo::start_ingest(&engine, args.ingest, args.ingest_token.clone()).await?;
        Ok::<_, vigil_core::VigilError>((engine, ingest))
    });
    let (engine, ingest) = match opened {
        Ok(opened) => opened,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let start_demo = args.demo.is_some();
    let scenarios = args.demo.filter(|s| !s.is_empty()).unwrap_or_else(|| demo::DEFAULT_SCENARIOS.to_vec());
    let demo = Demo::new(demo::config(scenarios, Some(&ingest)));

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::audit_log,
            commands::demo_remove_servers,
            commands::demo_start,
            commands::demo_status,
            commands::demo_stop,
            commands::drift_cancel_import,
            commands::drift_import_reference,
            commands::drift_latest,
            commands::drift_reference,
            commands::drift_report,
            commands::drift_set_choice,
            commands::drift_set_share,
            commands::drift_timeline,
            commands::drift_versions,
            commands::fleet_snapshot,
            commands::model_chart,
            commands::model_overviews,
            commands::objective_set,
            commands::server_add,
            commands::server_remove,
            commands::server_update,
        ])
        .setup(move |app| {
            lean::apply(app);
            app.manage(engine.clone());
            app.manage(demo);
            app.manage(commands::RunningImport::default());
            app.manage(ingest);
            forward::start(app.handle());
            app.manage(tauri::async_runtime::block_on(async { engine.start_polling() }));
            app.manage(tauri::async_runtime::block_on(async { engine.start_drift_reports(DRIFT_EVERY) }));
            if start_demo {
                let handle = app.handle().clone();
                tauri::async_runtime::spawn(async move {
                    if let Err(err) = handle.state::<Demo>().start(&handle.state::<Engine>()).await {
                        eprintln!("error: {err}");
                    }
                });
            }
            Ok(())
        })
        .run(tauri::generate_context!());
    match app {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: the window could not start: {err}");
            ExitCode::FAILURE
        }
    }
}
