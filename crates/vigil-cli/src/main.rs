//! `vigil`: Vigil's engine without a window, for servers, scripts and CI pipelines.
//!
//! Each subcommand parses its arguments, calls one engine function and prints the result.

mod alert;
mod cost;
mod drift;
mod environment;
mod loadtest;
mod logs;
mod objective;
mod parity;
mod performance;
mod rollout;
mod status;
mod store;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use logs::LogFormat;
use serde_json::json;
use vigil_core::{Engine, EngineEvent, EngineOptions, HealthState, NewServer, ServerKind, VigilError};

/// How often `vigil collect` reports drift of models that received live data.
const DRIFT_EVERY: Duration = Duration::from_secs(300);

#[derive(Parser)]
#[command(name = "vigil", version, about = "Watch the model servers your team runs: health, traffic, deployments.")]
struct Cli {
    /// The store: a SQLite file, or a team's PostgreSQL as postgres://USER@HOST:PORT/DATABASE
    /// [default: $VIGIL_DB, else a file in the OS app-data folder]
    #[arg(long, global = true, value_name = "PATH|URL")]
    db: Option<String>,
    /// The team database's password by reference: env:NAME or keyring:NAME [default: $VIGIL_DB_PASSWORD]
    #[arg(long, global = true, value_name = "REF")]
    db_password: Option<String>,
    /// How logs are written: lines for a person, or JSON a line for a log collector
    #[arg(long, global = true, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(flatten)]
    actor: rollout::Actor,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run; the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Register, list and remove model servers
    #[command(subcommand)]
    Server(ServerCommand),
    /// Show the fleet: each server's health, each model's status, combined figures and the
    /// objectives its revisions break, and each revision's role, traffic share and golden
    /// signals, read now
    Status {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// Write one model's report as a self-contained HTML file to share (no script, no network):
    /// its health, revisions, drift, rollout, cost and performance, in plain words first
    Report {
        /// The model, as `vigil status` names it
        model: String,
        /// Where to write the report
        #[arg(long, value_name = "FILE")]
        html: std::path::PathBuf,
    },
    /// Poll every registered server on its schedule and store what it learns, printing each
    /// change, until interrupted (Ctrl-C) or for a set time: the collector without a window
    Collect {
        /// Seconds between polls of each server
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        poll_interval: f64,
        /// Stop after this many seconds
        #[arg(long = "for", value_name = "SECONDS")]
        duration: Option<f64>,
        /// Also listen here for payload loggers' inferences (drift), e.g. 127.0.0.1:17809
        #[arg(long, value_name = "ADDR", env = "VIGIL_INGEST")]
        ingest: Option<std::net::SocketAddr>,
        /// The token payload loggers must send [default: a new random one, printed]
        #[arg(long, value_name = "TOKEN", env = "VIGIL_INGEST_TOKEN", hide_env_values = true)]
        ingest_token: Option<String>,
        /// Requests a second each client address may send to the ingest endpoint; more are
        /// answered 429 (0: no limit)
        #[arg(long, value_name = "N", env = "VIGIL_INGEST_RATE", default_value_t = vigil_core::drift::ingest::DEFAULT_CLIENT_RATE)]
        ingest_rate: u32,
        /// Answer GET /health here (200 while the store answers and this collector's heartbeat
        /// is current, else 503 with the reason), e.g. 127.0.0.1:9465
        #[arg(long, value_name = "ADDR")]
        health: Option<std::net::SocketAddr>,
    },
    /// Store or remove a server's bearer token in the OS keyring, for --token-ref keyring:NAME
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Drift: import reference data and inference logs, and report how far live data moved
    #[command(subcommand)]
    Drift(drift::DriftCommand),
    /// Objectives: the share of requests each model may fail and its slowest p99, its own or
    /// the fleet's defaults (1% and 1s until changed)
    #[command(subcommand)]
    Objective(objective::ObjectiveCommand),
    /// Alerts: what is firing, the rules, the history, silences
    #[command(subcommand)]
    Alert(alert::AlertCommand),
    /// Model performance: realized figures per revision per window from logged predictions and
    /// their labels
    #[command(subcommand)]
    Performance(performance::PerformanceCommand),
    /// Ground-truth labels: import them from a file (the ingest endpoint takes them too)
    #[command(subcommand)]
    Labels(performance::LabelsCommand),
    /// The prediction log: each model's retention, positive class, kept inputs; delete a log
    #[command(subcommand)]
    Predictions(performance::PredictionsCommand),
    /// Rollouts: start, sign off, promote, pause, resume, abort, roll back, wait, report
    Rollout(rollout::RolloutArgs),
    /// Deployment targets: where each model's rollouts take effect
    #[command(subcommand)]
    Target(rollout::TargetCommand),
    /// A model's deployment history: revisions, traffic over time, rollouts and rollbacks
    History {
        model: String,
        #[arg(long)]
        json: bool,
    },
    /// Profiles: the people who act, each with a role
    #[command(subcommand)]
    Profile(rollout::ProfileCommand),
    /// Cost: the price catalog of instance types (list, import and export CSV), what runs where,
    /// and what it costs
    #[command(subcommand)]
    Cost(cost::CostCommand),
    /// Load-test a model revision in steps of rising rate (open loop), until its p99 or errors
    /// pass their bounds; `list` the results; `hosts` allowed outside loopback
    Loadtest(loadtest::LoadTestArgs),
    /// Plan capacity from load tests: replicas and monthly cost per instance type for a peak rate
    #[command(subcommand)]
    Capacity(loadtest::CapacityCommand),
    /// Environments: where a model was built (import a pip freeze or lock file), where a
    /// revision serves (show), and what differs (diff)
    #[command(subcommand)]
    Env(environment::EnvCommand),
    /// Parity: send a golden set to a revision and compare its answers row by row
    #[command(subcommand)]
    Parity(parity::ParityCommand),
    /// The store itself: copy a desktop's history into the team's PostgreSQL, or back
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Write a consistent copy of the store (a SQLite file) to a new FILE, safe while a
    /// collector runs; the copy is checked (integrity, counts, audit chain)
    Backup {
        file: std::path::PathBuf,
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// Replace the store's contents with a backup FILE, in one transaction (stop the collector
    /// first); into a damaged store's place: `vigil restore FILE --db NEW_FILE`
    Restore {
        file: std::path::PathBuf,
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// Show the audit trail: who changed what, and when, newest first; `vigil audit verify`
    /// checks that no entry was edited, removed or reordered
    #[command(args_conflicts_with_subcommands = true)]
    Audit {
        #[command(subcommand)]
        check: Option<AuditCommand>,
        /// How many entries to show
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Print the whole trail, oldest first, with each entry's hashes, so a copy can be checked:
    /// CSV with a header row, or a JSON array
    Export {
        /// csv or json
        #[arg(long, default_value = "csv", value_parser = parse_export_format)]
        format: vigil_core::audit::ExportFormat,
    },
    /// Check the trail's hash chain from its first entry; exits 1 naming the first entry that
    /// was edited, removed, reordered or written around Vigil
    Verify {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ServerCommand {
    /// Register a model server
    Add {
        /// A short name for the server, e.g. fraud-prod
        name: String,
        /// Its base URL, e.g. http://127.0.0.1:8080
        url: String,
        #[command(flatten)]
        settings: ServerSettings,
    },
    /// Change a registered server's settings; polling follows at once, and what was polled is
    /// kept. Settings not given stay as they are; an empty value (--metrics-url '') clears one.
    Edit {
        /// The server's current name
        name: String,
        /// A new name
        #[arg(long = "name", value_name = "NAME")]
        new_name: Option<String>,
        /// A new base URL
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        #[command(flatten)]
        settings: ServerSettings,
    },
    /// List registered servers with their health, checked now
    List {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
        /// Show the health last stored instead of checking now
        #[arg(long)]
        no_check: bool,
    },
    /// Remove a server and everything polled from it
    Remove {
        /// The server's name
        name: String,
    },
}

#[derive(Subcommand)]
enum SecretCommand {
    /// Store a token, read from standard input, as keyring entry NAME (replacing any), e.g.
    /// `printf %s "$TOKEN" | vigil secret set fraud-prod`
    Set {
        /// The entry's name, as in --token-ref keyring:NAME
        name: String,
    },
    /// Remove keyring entry NAME
    Remove {
        /// The entry's name
        name: String,
    },
}

/// A server's optional settings, the same for `server add` and `server edit`.
#[derive(Args)]
struct ServerSettings {
    /// What kind of server it is: auto, oip-v2, triton, mlserver, torchserve, tfserving,
    /// bentoml, vllm, tgi, ray or prometheus [default: auto]
    #[arg(long, value_parser = ServerKind::parse)]
    kind: Option<ServerKind>,
    /// Its metrics page, when not on the base URL (e.g. http://127.0.0.1:8082/metrics)
    #[arg(long, value_name = "URL")]
    metrics_url: Option<String>,
    /// Its management API, when not on the base URL (TorchServe: http://127.0.0.1:8081)
    #[arg(long, value_name = "URL")]
    management_url: Option<String>,
    /// Seconds between polls of this server [default: the collector's interval]
    #[arg(long, value_name = "SECONDS")]
    every: Option<f64>,
    /// Seconds one request to this server may take [default: 2]
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// A label to filter by, e.g. --label team=risk --label environment=prod (NAME= removes one)
    #[arg(long = "label", value_name = "NAME=VALUE", value_parser = parse_label)]
    labels: Vec<(String, String)>,
    /// With --kind prometheus: the kind of the servers that Prometheus scrapes
    #[arg(long, value_name = "KIND", value_parser = ServerKind::parse)]
    source_kind: Option<ServerKind>,
    /// With --kind prometheus: label matchers selecting them, e.g. 'job="mlserver"'
    #[arg(long, value_name = "MATCHERS")]
    selector: Option<String>,
    /// Where its bearer token is: env:NAME (an environment variable of the collector),
    /// keyring:NAME (an entry `vigil secret set NAME` stored in the OS keyring) or file:/PATH;
    /// the token itself is never stored in Vigil's database
    #[arg(long, value_name = "REFERENCE")]
    token_ref: Option<String>,
    /// For a server behind TLS whose certificate is signed by an authority of your own: where
    /// that authority's PEM certificate is, e.g. file:/etc/vigil/ca.pem (or env:NAME, keyring:NAME)
    #[arg(long, value_name = "REFERENCE")]
    tls_ca: Option<String>,
    /// For a server that asks for a client certificate: where the PEM certificate and its
    /// private key are, e.g. file:/etc/vigil/fraud-prod.pem, keyring:NAME or env:NAME
    #[arg(long, value_name = "REFERENCE")]
    tls_client: Option<String>,
}

impl ServerSettings {
    /// `server` with the settings given here in place of its own.
    fn apply_to(self, server: NewServer) -> NewServer {
        let mut labels = server.labels;
        for (name, value) in self.labels {
            if value.is_empty() {
                labels.remove(&name);
            } else {
                labels.insert(name, value);
            }
        }
        NewServer {
            kind: self.kind.unwrap_or(server.kind),
            metrics_url: self.metrics_url.or(server.metrics_url),
            management_url: self.management_url.or(server.management_url),
            poll_interval_secs: self.every.or(server.poll_interval_secs),
            timeout_secs: self.timeout.or(server.timeout_secs),
            labels,
            source_kind: self.source_kind.or(server.source_kind),
            selector: self.selector.or(server.selector),
            token_ref: self.token_ref.or(server.token_ref),
            tls_ca: self.tls_ca.or(server.tls_ca),
            tls_client: self.tls_client.or(server.tls_client),
            ..server
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr so that stdout stays clean for scripts (`--json`).
    cli.log_format.init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            if let Some(detail) = err.payload().detail {
                eprintln!("  the database said: {detail}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), VigilError> {
    // The store's own commands open it themselves (copying opens two), not through an engine.
    let command = match cli.command {
        Command::Store(command) => return store::run(command).await,
        Command::Backup { file, json } => {
            return store::backup(cli.db.as_deref(), cli.db_password.as_deref(), &file, json).await
        }
        Command::Restore { file, json } => {
            return store::restore(cli.db.as_deref(), cli.db_password.as_deref(), &file, json).await
        }
        Command::Drift(command @ drift::DriftCommand::Compare { .. }) => return drift::compare(command).await,
        command => command,
    };
    let mut options = EngineOptions::new(vigil_core::store::resolve(cli.db.as_deref(), cli.db_password.as_deref())?);
    if let Command::Collect { poll_interval, .. } = command {
        options = options.poll_every(poll_interval)?;
    }
    let engine = Engine::open(options).await?;
    match command {
        Command::Store(_) | Command::Backup { .. } | Command::Restore { .. } => {
            unreachable!("store commands return before the engine opens")
        }
        Command::Server(command) => server(&engine, command).await,
        Command::Status { json } => status::run(&engine, json).await,
        Command::Report { model, html } => {
            let bytes = vigil_core::share::write(&engine, &model, &html).await?;
            println!("Wrote {model}'s report to {} ({} KB).", html.display(), bytes.div_ceil(1024));
            Ok(())
        }
        Command::Collect { duration, ingest, ingest_token, ingest_rate, health, .. } => {
            let ingest = match ingest {
                Some(addr) => {
                    let token = match ingest_token {
                        Some(token) => token,
                        None => vigil_core::drift::ingest::new_token()?,
                    };
                    let server = engine.drift().start_ingest(addr, token).await?;
                    server.set_client_rate(ingest_rate);
                    println!("listening for payloads; point payload loggers at {}", server.logger_url());
                    Some(server)
                }
                None => None,
            };
            let _reports = engine.drift().start_reports(DRIFT_EVERY);
            let _rollouts = engine.rollouts().start_driver();
            let _alerts = engine.alerts().start();
            let _environments = engine.environment().start();
            collect(&engine, duration, health, cli.log_format).await?;
            if let Some(server) = ingest {
                server.finish().await?;
                let stats = server.stats();
                println!(
                    "payloads: {} accepted, {} refused ({} without the token, {} unreadable, {} too large, {} over the \
                     rate, {} while busy storing), {} rows kept",
                    stats.accepted,
                    stats.rejected,
                    stats.unauthorized,
                    stats.unreadable,
                    stats.too_large,
                    stats.rate_limited,
                    stats.busy,
                    stats.rows
                );
            }
            Ok(())
        }
        Command::Drift(command) => drift::run(&engine, command).await,
        Command::Objective(command) => objective::run(&engine, command).await,
        Command::Alert(command) => alert::run(&engine, command).await,
        Command::Performance(command) => performance::report(&engine, command).await,
        Command::Labels(command) => performance::labels(&engine, command).await,
        Command::Predictions(command) => performance::predictions(&engine, command).await,
        Command::Secret(command) => secret(&engine, command).await,
        Command::Rollout(command) => rollout::run(&engine, &cli.actor, command).await,
        Command::Target(command) => rollout::target(&engine, &cli.actor, command).await,
        Command::History { model, json } => rollout::history(&engine, &model, json).await,
        Command::Profile(command) => rollout::profile(&engine, &cli.actor, command).await,
        Command::Cost(command) => cost::run(&engine, &cli.actor, command).await,
        Command::Loadtest(args) => loadtest::run(&engine, &cli.actor, args).await,
        Command::Capacity(command) => loadtest::capacity(&engine, command).await,
        Command::Env(command) => environment::run(&engine, &cli.actor, command).await,
        Command::Parity(command) => parity::run(&engine, &cli.actor, command).await,
        Command::Audit { check: Some(AuditCommand::Verify { json }), .. } => verify_audit(&engine, json).await,
        Command::Audit { check: Some(AuditCommand::Export { format }), .. } => {
            print!("{}", engine.export_audit(format).await?);
            Ok(())
        }
        Command::Audit { check: None, limit, json } => audit(&engine, limit, json).await,
    }
}

/// `vigil server …`: registers, edits, lists or removes a server.
async fn server(engine: &Engine, command: ServerCommand) -> Result<(), VigilError> {
    match command {
        ServerCommand::Add { name, url, settings } => {
            let new = settings.apply_to(NewServer { name, base_url: url, ..Default::default() });
            let server = engine.servers().add(new).await?;
            println!("added server '{}' ({}) at {}", server.name, server.kind.as_str(), server.base_url);
        }
        ServerCommand::Edit { name, new_name, url, settings } => {
            let current = engine.servers().get(&name).await?.settings();
            let edit = NewServer {
                name: new_name.unwrap_or(current.name.clone()),
                base_url: url.unwrap_or(current.base_url.clone()),
                ..current
            };
            let server = engine.servers().update(&name, settings.apply_to(edit)).await?;
            println!("updated server '{}' ({}) at {}", server.name, server.kind.as_str(), server.base_url);
        }
        ServerCommand::List { json, no_check } => {
            let servers = if no_check { engine.servers().list().await? } else { engine.polling().check_all().await? };
            if json {
                crate::rollout::print_json(&servers);
            } else {
                print!("{}", status::server_table(&servers));
            }
        }
        ServerCommand::Remove { name } => {
            engine.servers().remove(&name).await?;
            println!("removed server '{name}'");
        }
    }
    Ok(())
}

/// `vigil secret …`: keeps a token in the OS keyring, or removes it.
async fn secret(engine: &Engine, command: SecretCommand) -> Result<(), VigilError> {
    match command {
        SecretCommand::Set { name } => {
            let mut token = String::new();
            std::io::Read::read_to_string(&mut std::io::Read::take(std::io::stdin(), 64 * 1024), &mut token)
                .map_err(|_| VigilError::invalid("token", "The token must be UTF-8 text on standard input."))?;
            engine.servers().store_secret(&name, &token).await?;
            println!("stored the token as keyring entry '{name}'; use it with --token-ref keyring:{name}");
        }
        SecretCommand::Remove { name } => {
            engine.servers().remove_secret(&name).await?;
            println!("removed keyring entry '{name}'");
        }
    }
    Ok(())
}

/// `vigil audit`: the newest decisions on the audit trail.
async fn audit(engine: &Engine, limit: u32, json: bool) -> Result<(), VigilError> {
    let entries = engine.audit_log(limit).await?;
    if json {
        crate::rollout::print_json(&entries);
    } else if entries.is_empty() {
        println!("The audit trail is empty: nothing has been changed yet.");
    } else {
        let rows = entries.iter().map(|e| {
            let at = e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
            [at, e.actor.clone(), e.action.clone(), e.subject.clone()]
        });
        print!("{}", table(["TIME", "ACTOR", "ACTION", "SUBJECT"], rows));
    }
    Ok(())
}

/// `vigil audit verify`: the chain holds, or which entry breaks it (an error, so the exit is 1).
async fn verify_audit(engine: &Engine, json: bool) -> Result<(), VigilError> {
    let check = engine.verify_audit().await?;
    if json {
        crate::rollout::print_json(&check);
    }
    match check.first_broken {
        None => {
            if !json {
                println!("the audit trail holds: {} entries, each chained to the one before it", check.entries);
            }
            Ok(())
        }
        Some(broken) => Err(VigilError::invalid(
            "audit",
            format!(
                "The audit trail is broken at entry {}: {}. Entries from there on cannot be trusted.",
                broken.id, broken.reason
            ),
        )),
    }
}

/// `csv` or `json`.
fn parse_export_format(text: &str) -> Result<vigil_core::audit::ExportFormat, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "csv" => Ok(vigil_core::audit::ExportFormat::Csv),
        "json" => Ok(vigil_core::audit::ExportFormat::Json),
        other => Err(format!("'{other}' is not an export format: use csv or json.")),
    }
}

/// `name=value` as a label.
pub(crate) fn parse_label(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .ok_or_else(|| format!("Label '{text}' must be NAME=VALUE, e.g. team=risk."))
}

/// Runs the poller, printing each change as a line, until Ctrl-C or `duration` seconds; then
/// how many polls it made and the worst schedule lag (how late a poll started).
async fn collect(
    engine: &Engine,
    duration: Option<f64>,
    health: Option<std::net::SocketAddr>,
    format: LogFormat,
) -> Result<(), VigilError> {
    let servers = engine.servers().list().await?;
    let every = engine.options().poll_interval.as_secs_f64();
    let mut events = engine.subscribe();
    let started = std::time::Instant::now();
    let poller = engine.polling().start();
    let _health = match health {
        Some(addr) => Some(poller.serve_health(addr).await?),
        None => None,
    };
    let at = health.map(|_| _health.as_ref().map(|(addr, _)| addr.to_string()).unwrap_or_default());
    format.line(
        "collecting",
        &json!({
            "servers": servers.len(), "every_s": every, "store": engine.info().db_path,
            "collector": poller.collector(), "health": at,
        }),
        &format!(
            "collecting from {} servers every {every} s into {} as {}{}; Ctrl-C or SIGTERM stops",
            servers.len(),
            engine.info().db_path,
            poller.collector(),
            at.map(|at| format!(", health at http://{at}/health")).unwrap_or_default()
        ),
    );
    print_changes(&mut events, duration, format).await;
    let (polls, held, lag) = (poller.stats().polls(), poller.stats().servers(), poller.stats().worst_lag());
    // The polls under way finish and are written; this collector's servers go to the others.
    poller.stop().await;
    format.line(
        "stopped",
        &json!({ "polls": polls, "servers": held, "seconds": started.elapsed().as_secs_f64(), "worst_lag_ms": lag.as_millis() }),
        &format!(
            "collected {polls} polls of {held} servers in {:.1} s; worst schedule lag {} ms",
            started.elapsed().as_secs_f64(),
            lag.as_millis()
        ),
    );
    Ok(())
}

/// Prints each change worth telling as a line until Ctrl-C, SIGTERM or `duration` seconds.
async fn print_changes(
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    duration: Option<f64>,
    format: LogFormat,
) {
    let stop = async {
        match duration {
            Some(seconds) => tokio::time::sleep(Duration::from_secs_f64(seconds.max(0.0))).await,
            None => logs::stopped().await,
        }
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            event = events.recv() => match event {
                Ok(event) => {
                    if let Some(line) = describe(&event) {
                        format.line("change", &json!({ "event": event }), &line);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    format.line("missed", &json!({ "changes": missed }), &format!("({missed} changes not shown)"));
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

/// One line for a change worth telling; None for routine ones.
fn describe(event: &EngineEvent) -> Option<String> {
    let word = |state: HealthState| format!("{state:?}").to_lowercase();
    match event {
        EngineEvent::HealthChanged { server, from, to } => Some(format!(
            "{} {} → {}: {}",
            server.name,
            word(*from),
            word(*to),
            server.health_reason.as_deref().unwrap_or("")
        )),
        EngineEvent::ServerAdded { server } => Some(format!("{} added at {}", server.name, server.base_url)),
        EngineEvent::ServerRemoved { name } => Some(format!("{name} removed")),
        EngineEvent::ServerUpdated { server } => Some(match &server.metrics_error {
            Some(error) => format!("{} metrics unreadable: {error}", server.name),
            None => format!("{} metrics readable", server.name),
        }),
        EngineEvent::DriftReported { model, dataset_drift, drifted_features, features, .. } => Some(format!(
            "{model} drift report: {drifted_features} of {features} features drifted{}",
            if *dataset_drift { " (dataset drift)" } else { "" }
        )),
        EngineEvent::ApprovalNeeded { model, roles, late, .. } => Some(format!(
            "{model} rollout waits for {}{}",
            roles.iter().map(|r| r.words()).collect::<Vec<_>>().join(" and "),
            if *late { " (late)" } else { "" }
        )),
        EngineEvent::AlertNotified { title, body, .. } => Some(format!("{title}\n{body}")),
        EngineEvent::Audited { .. }
        | EngineEvent::AlertsChanged
        | EngineEvent::Polled { .. }
        | EngineEvent::ObjectivesChanged { .. }
        | EngineEvent::RolloutChanged { .. }
        | EngineEvent::PreflightChanged { .. } => None,
    }
}

/// Rows of cells as left-aligned columns under a header.
fn table<const N: usize>(header: [&str; N], rows: impl Iterator<Item = [String; N]>) -> String {
    let header = header.map(String::from);
    let rows: Vec<[String; N]> = std::iter::once(header).chain(rows).collect();
    let widths: Vec<usize> = (0..N).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
