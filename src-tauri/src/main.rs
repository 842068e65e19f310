//! `vigil-desktop`: the desktop window over Vigil's engine.
//!
//! This shell opens the engine, starts polling, forwards engine events to the window, and
//! exposes a few commands ([`commands`]). Behaviour lives in `vigil-core`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tauri::{Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;
use vigil_core::{store, Engine, EngineOptions};

/// The name of the event that carries every engine event to the window.
const ENGINE_EVENT: &str = "engine";

#[derive(Parser)]
#[command(name = "vigil-desktop", version, about = "Vigil's desktop window.")]
struct Args {
    /// The database file [default: $VIGIL_DB, else the OS app-data folder]
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Seconds between health checks of each server
    #[arg(long, value_name = "SECONDS", env = "VIGIL_POLL_INTERVAL", default_value_t = 10.0)]
    poll_interval: f64,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_env("VIGIL_LOG")).init();
    let args = Args::parse();
    let opened = tauri::async_runtime::block_on(async {
        let options = EngineOptions::new(store::resolve_db_path(args.db.as_deref())?).poll_every(args.poll_interval)?;
        Engine::open(options).await
    });
    let engine = match opened {
        Ok(engine) => engine,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };

    let app = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::audit_log,
            commands::fleet_snapshot,
            commands::server_add,
            commands::server_remove,
            commands::server_update,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            let mut events = engine.subscribe();
            tauri::async_runtime::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
                            if let Err(err) = handle.emit(ENGINE_EVENT, &event) {
                                tracing::warn!("could not forward an engine event: {err}");
                            }
                        }
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => break,
                    }
                }
            });
            let poller = tauri::async_runtime::block_on(async { engine.start_polling() });
            app.manage(engine);
            app.manage(poller);
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
