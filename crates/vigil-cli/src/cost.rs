//! `vigil cost …`: what the machines that serve models cost. The price catalog: `vigil cost
//! catalog list`, `export` (CSV, to standard output or a file) and `import` (CSV; one bad row
//! refuses the whole file, naming its line, and changes nothing). What runs where: `vigil cost
//! place SERVER --instance PROVIDER/REGION/TYPE --replicas N`. What it costs: `vigil cost report`.
//! A change is taken as a person (`--as NAME --role ROLE`, as for rollouts) and audited.

use std::path::PathBuf;

use clap::Subcommand;
use vigil_core::cost::catalog::{InstanceType, Price};
use vigil_core::cost::sentences::money;
use vigil_core::{Engine, VigilError};

use crate::rollout::{print_json, read_file, Actor};
use crate::table;

#[derive(Subcommand)]
pub enum CostCommand {
    /// The price catalog: instance types with their on-demand, spot and reserved prices in US
    /// dollars an hour, each with its date and source
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Say what a server runs on from now: an instance type of the catalog and how many replicas
    Place {
        server: String,
        /// PROVIDER/REGION/TYPE as in the catalog, e.g. aws/us-east-1/p3.16xlarge
        #[arg(long, value_name = "PROVIDER/REGION/TYPE")]
        instance: String,
        #[arg(long, default_value_t = 1)]
        replicas: u32,
    },
    /// What serving costs, in sentences first, then tables: each server's cost an hour, a day,
    /// over 30 days and over the window, and how much of it was idle; each model's, revision's
    /// and team's cost, and the cost per 1,000 successful predictions (--json: the whole report,
    /// with the candidate-against-stable comparisons and the hourly series)
    Report {
        /// Hours the report covers, ending now
        #[arg(long, value_name = "HOURS", default_value_t = 24.0)]
        window: f64,
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// List the instance types and their prices
    List {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// Write the catalog as CSV, in the format `import` reads
    Export {
        /// Write to this file instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Add or replace instance types from a CSV file (by provider, region and name; those the
    /// file does not name are kept). Every row is checked first: one bad row refuses the file
    Import {
        /// A CSV file with the header `vigil cost catalog export` writes
        file: PathBuf,
    },
}

pub async fn run(engine: &Engine, actor: &Actor, command: CostCommand) -> Result<(), VigilError> {
    match command {
        CostCommand::Catalog(command) => catalog(engine, actor, command).await,
        CostCommand::Place { server, instance, replicas } => {
            let parts: Vec<&str> = instance.splitn(3, '/').collect();
            let [provider, region, name] = parts[..] else {
                let message = format!("'{instance}' must be PROVIDER/REGION/TYPE, e.g. aws/us-east-1/p3.16xlarge.");
                return Err(VigilError::invalid("instance", message));
            };
            let placed = engine.cost().place(&actor.person()?, &server, (provider, region, name), replicas).await?;
            let price = placed.hourly.map_or("no price".to_owned(), |h| format!("${:.2} an hour each", h));
            println!("{server} runs {replicas} × {provider} {region} {name} from now ({price})");
            Ok(())
        }
        CostCommand::Report { window, json } => report(engine, window, json).await,
    }
}

/// `vigil cost report`.
async fn report(engine: &Engine, window_hours: f64, json: bool) -> Result<(), VigilError> {
    if !(window_hours > 0.0 && window_hours <= 24.0 * 400.0) {
        return Err(VigilError::invalid("window", "The window is between a few minutes and 400 days, in hours."));
    }
    let report = engine.cost().report(chrono::Duration::milliseconds((window_hours * 3_600_000.0) as i64)).await?;
    if json {
        print_json(&report);
        return Ok(());
    }
    if report.servers.is_empty() && report.sentences.is_empty() {
        println!("No server has a placement yet: say what one runs on with `vigil cost place SERVER --instance …`.");
        return Ok(());
    }
    for sentence in &report.sentences {
        println!("{sentence}");
    }
    println!();
    let share = |s: Option<f64>| s.map_or("-".to_owned(), |s| format!("{:.0} %", s * 100.0));
    let per_thousand = |p: Option<f64>| p.map_or("no predictions".to_owned(), |d| format!("${d:.4}"));
    let servers = report.servers.iter().map(|s| {
        [
            s.server.clone(),
            s.team.clone().unwrap_or_else(|| "-".to_owned()),
            s.placement.clone(),
            s.placed_by.clone(),
            money(s.hourly),
            money(s.monthly),
            money(s.window_cost),
            share(s.utilization),
            s.idle_cost.map_or("-".to_owned(), money),
        ]
    });
    let header = ["SERVER", "TEAM", "RUNS ON", "PLACED BY", "AN HOUR", "30 DAYS", "THIS WINDOW", "USED", "IDLE COST"];
    print!("{}", table(header, servers));
    println!();
    let models = report.models.iter().map(|m| {
        [
            m.model.clone(),
            m.server.clone(),
            format!("{:.0}", m.successful),
            money(m.window_cost),
            money(m.monthly),
            per_thousand(m.per_thousand),
            share(m.idle_share),
        ]
    });
    print!("{}", table(["MODEL", "SERVER", "PREDICTIONS", "COST", "30 DAYS", "PER 1,000", "IDLE"], models));
    println!();
    let revisions = report.revisions.iter().map(|r| {
        [
            format!("{} {}", r.model, r.version),
            r.server.clone(),
            format!("{:.0}", r.successful),
            money(r.cost),
            per_thousand(r.per_thousand),
            r.split.clone(),
        ]
    });
    print!("{}", table(["REVISION", "SERVER", "PREDICTIONS", "COST", "PER 1,000", "SPLIT BY"], revisions));
    println!();
    let teams = report.teams.iter().map(|t| [t.team.clone(), money(t.window_cost), money(t.monthly)]);
    print!("{}", table(["TEAM", "THIS WINDOW", "30 DAYS"], teams));
    Ok(())
}

/// `vigil cost catalog …`.
async fn catalog(engine: &Engine, actor: &Actor, command: CatalogCommand) -> Result<(), VigilError> {
    let cost = engine.cost();
    match command {
        CatalogCommand::List { json } => {
            let types = cost.catalog().await?;
            if json {
                print_json(&types);
            } else if types.is_empty() {
                println!("The price catalog is empty: add instance types with `vigil cost catalog import FILE`.");
            } else {
                print!("{}", catalog_table(&types));
            }
        }
        CatalogCommand::Export { out: None } => print!("{}", cost.export_catalog().await?),
        CatalogCommand::Export { out: Some(path) } => {
            let csv = cost.export_catalog().await?;
            std::fs::write(&path, csv)
                .map_err(|err| VigilError::invalid("out", format!("{} could not be written: {err}", path.display())))?;
            println!("wrote the price catalog to {}", path.display());
        }
        CatalogCommand::Import { file } => {
            let summary = cost.import_catalog(&actor.person()?, &read_file(&file)?).await?;
            println!(
                "imported {} instance types from {}: {} added, {} replaced",
                summary.rows,
                file.display(),
                summary.added,
                summary.updated
            );
        }
    }
    Ok(())
}

/// The catalog as a table: prices in dollars an hour, and where the on-demand price comes from.
fn catalog_table(types: &[InstanceType]) -> String {
    let price = |price: Option<&Price>| price.map_or_else(|| "-".to_owned(), |p| format!("{}", p.hourly));
    let rows = types.iter().map(|t| {
        let gpus = match &t.gpu_type {
            Some(gpu) => format!("{}× {gpu}", t.gpu_count),
            None => "-".to_owned(),
        };
        [
            t.provider.clone(),
            t.region.clone(),
            t.name.clone(),
            t.vcpu.to_string(),
            format!("{} GiB", t.memory_gib),
            gpus,
            price(Some(&t.on_demand)),
            price(t.spot.as_ref()),
            price(t.reserved.as_ref()),
            t.on_demand.date.to_string(),
            t.on_demand.source.clone(),
        ]
    });
    let header =
        ["PROVIDER", "REGION", "NAME", "VCPU", "MEMORY", "GPUS", "ON-DEMAND $/H", "SPOT", "RESERVED", "DATE", "SOURCE"];
    table(header, rows)
}
