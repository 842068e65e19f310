//! `vigil cost …`: what the machines that serve models cost. So far the price catalog:
//! `vigil cost catalog list`, `export` (CSV, to standard output or a file) and `import` (CSV; one
//! bad row refuses the whole file, naming its line, and changes nothing). An import is taken as
//! a person (`--as NAME --role ROLE`, as for rollouts) and goes on the audit trail.

use std::path::PathBuf;

use clap::Subcommand;
use vigil_core::cost::catalog::{InstanceType, Price};
use vigil_core::{Engine, VigilError};

use crate::rollout::{read_file, Actor};
use crate::table;

#[derive(Subcommand)]
pub enum CostCommand {
    /// The price catalog: instance types with their on-demand, spot and reserved prices in US
    /// dollars an hour, each with its date and source
    #[command(subcommand)]
    Catalog(CatalogCommand),
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
    let CostCommand::Catalog(command) = command;
    let cost = engine.cost();
    match command {
        CatalogCommand::List { json } => {
            let types = cost.catalog().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&types).expect("the catalog serializes"));
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
