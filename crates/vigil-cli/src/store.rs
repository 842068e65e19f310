//! The store's own commands. `vigil store copy --from A --to B`: moves a store's whole history
//! into a new one (a desktop's SQLite file into the team's PostgreSQL, or back), every table's
//! rows counted on both sides and the audit chain verified where it landed. `vigil backup FILE`
//! and `vigil restore FILE`: a checked copy of a SQLite store, and putting one back.

use std::path::Path;

use clap::Subcommand;
use vigil_core::secrets::TokenRef;
use vigil_core::store::Location;
use vigil_core::VigilError;

use crate::rollout::print_json;

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Copy every table of one store into a new, empty one
    Copy {
        /// The store copied from: a SQLite file or postgres://USER@HOST:PORT/DATABASE
        #[arg(long, value_name = "PATH|URL")]
        from: String,
        /// The new store copied into (it must hold nothing yet)
        #[arg(long, value_name = "PATH|URL")]
        to: String,
        /// The password of --from, by reference: env:NAME or keyring:NAME
        #[arg(long, value_name = "REF")]
        from_password: Option<String>,
        /// The password of --to, by reference: env:NAME or keyring:NAME
        #[arg(long, value_name = "REF")]
        to_password: Option<String>,
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(command: StoreCommand) -> Result<(), VigilError> {
    let StoreCommand::Copy { from, to, from_password, to_password, json } = command;
    let from = Location::parse(&from)?.with_password(password("from_password", from_password.as_deref())?);
    let to = Location::parse(&to)?.with_password(password("to_password", to_password.as_deref())?);
    let report = vigil_core::store_copy::copy(&from, &to).await?;
    if json {
        print_json(&report);
        return Ok(());
    }
    let rows: i64 = report.tables.iter().map(|(_, rows)| rows).sum();
    for (table, count) in report.tables.iter().filter(|(_, count)| *count > 0) {
        println!("{table:<28} {count:>12}");
    }
    println!(
        "copied {rows} rows in {} tables from {from} to {to}; counts match on both sides; audit chain of {} entries verified",
        report.tables.len(),
        report.audit.entries
    );
    Ok(())
}

/// `vigil backup FILE`.
pub async fn backup(db: Option<&str>, password: Option<&str>, file: &Path, json: bool) -> Result<(), VigilError> {
    let report = vigil_core::backup::backup(&vigil_core::store::resolve(db, password)?, file).await?;
    if json {
        print_json(&report);
    } else {
        println!(
            "backed up {} rows to {} ({} bytes); integrity checked, audit chain verified ({} entries)",
            report.rows, report.file, report.bytes, report.audit_entries
        );
    }
    Ok(())
}

/// `vigil restore FILE`.
pub async fn restore(db: Option<&str>, password: Option<&str>, file: &Path, json: bool) -> Result<(), VigilError> {
    let location = vigil_core::store::resolve(db, password)?;
    let report = vigil_core::backup::restore(&location, file, None).await?;
    if json {
        print_json(&report);
    } else {
        let rows: i64 = report.tables.iter().map(|(_, rows)| rows).sum();
        println!(
            "restored {rows} rows from {} into {location}; counts match, audit chain verified ({} entries)",
            file.display(),
            report.audit.entries
        );
    }
    Ok(())
}

fn password(field: &'static str, reference: Option<&str>) -> Result<Option<TokenRef>, VigilError> {
    reference.map(|text| TokenRef::parse(text).map_err(|err| VigilError::invalid(field, err))).transpose()
}
