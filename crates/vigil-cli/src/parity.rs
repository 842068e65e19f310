//! `vigil parity run MODEL --golden FILE` (send a golden set to a revision and compare its
//! answers row by row; progress on standard error, Ctrl-C cancels) and `vigil parity list MODEL`.

use std::path::PathBuf;

use clap::Subcommand;
use vigil_core::parity::{OutputRule, ParityReport, ParityRequest, Protocol, DEFAULT_RELATIVE};
use vigil_core::{Engine, VigilError};

use crate::environment::RevisionArgs;
use crate::rollout::{print_json, Actor};
use crate::table;

#[derive(Subcommand)]
pub enum ParityCommand {
    /// Send a golden set (CSV, JSON Lines or Parquet: inputs and expected outputs) to a revision
    Run {
        model: String,
        #[command(flatten)]
        revision: RevisionArgs,
        #[arg(long, value_name = "FILE")]
        golden: PathBuf,
        /// An expected output column [default: those the model's metadata lists, else predict,
        /// prediction, predictions or expected]
        #[arg(long = "output", value_name = "NAME")]
        outputs: Vec<String>,
        /// NAME=ABS[,REL]: how far a number may be from the expected one (default 1e-8, 1e-5)
        #[arg(long = "tolerance", value_name = "NAME=ABS[,REL]")]
        tolerances: Vec<String>,
        /// Compare this output exactly, as a label
        #[arg(long = "exact", value_name = "NAME")]
        exact: Vec<String>,
        /// oip-v2 (default) or kserve-v1
        #[arg(long)]
        protocol: Option<String>,
        /// Golden rows in one request (default 64)
        #[arg(long)]
        batch: Option<u32>,
        /// Requests under way at once, 1 to 64 (default 4)
        #[arg(long, value_name = "N")]
        in_flight: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// The newest parity check of each of MODEL's revisions
    List {
        model: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(engine: &Engine, actor: &Actor, command: ParityCommand) -> Result<(), VigilError> {
    match command {
        ParityCommand::Run {
            model,
            revision,
            golden,
            outputs,
            tolerances,
            exact,
            protocol,
            batch,
            in_flight,
            json,
        } => {
            let mut rules = tolerances.iter().map(|spec| tolerance(spec)).collect::<Result<Vec<_>, _>>()?;
            for name in exact {
                match rules.iter_mut().find(|rule| rule.output == name) {
                    Some(rule) => rule.exact = true,
                    None => rules.push(OutputRule { exact: true, ..OutputRule::default_for(&name) }),
                }
            }
            let protocol = protocol
                .map(|name| Protocol::parse(&name))
                .transpose()
                .map_err(|m| VigilError::invalid("protocol", m))?;
            let request = ParityRequest {
                server: revision.server.unwrap_or_default(),
                model,
                version: revision.revision,
                golden_file: golden.display().to_string(),
                outputs,
                rules,
                protocol,
                batch_rows: batch,
                in_flight,
            };
            let progress = |p: vigil_core::parity::ParityProgress| {
                eprint!("\r{} of {} rows checked, {} matched   ", p.checked, p.rows, p.matched);
            };
            let cancel = crate::drift::cancel_on_interrupt();
            let report = engine.parity().run(&actor.person()?, &request, progress, cancel).await?;
            eprintln!();
            match json {
                true => print_json(&report),
                false => print!("{}", report_text(&report)),
            }
            if !report.passed {
                return Err(VigilError::invalid("parity", "The revision did not pass its parity check."));
            }
        }
        ParityCommand::List { model, json } => {
            let reports = engine.parity().latest(&model).await?;
            if json {
                print_json(&reports);
            } else if reports.is_empty() {
                println!("No parity check of {model} yet: run one with `vigil parity run {model} --golden FILE`.");
            } else {
                for report in reports {
                    println!("{}", report.sentence);
                }
            }
        }
    }
    Ok(())
}

/// `NAME=ABS[,REL]`.
fn tolerance(spec: &str) -> Result<OutputRule, VigilError> {
    let bad = || VigilError::invalid("tolerance", format!("'{spec}' is not NAME=ABS[,REL], e.g. score=1e-6,1e-4."));
    let (name, numbers) = spec.split_once('=').ok_or_else(bad)?;
    let mut parts = numbers.split(',').map(|part| part.trim().parse::<f64>());
    let absolute = parts.next().ok_or_else(bad)?.map_err(|_| bad())?;
    let relative = parts.next().transpose().map_err(|_| bad())?.unwrap_or(DEFAULT_RELATIVE);
    if name.trim().is_empty() || !(absolute >= 0.0 && relative >= 0.0) || parts.next().is_some() {
        return Err(bad());
    }
    Ok(OutputRule { output: name.trim().to_owned(), absolute, relative, exact: false })
}

fn report_text(report: &ParityReport) -> String {
    let mut text = String::new();
    if !report.mismatches.is_empty() {
        let rows = report
            .mismatches
            .iter()
            .map(|m| [m.row.to_string(), m.output.clone(), m.expected.clone(), m.got.clone(), m.reason.clone()]);
        text.push_str(&table(["ROW", "OUTPUT", "EXPECTED", "GOT", "WHY"], rows));
    }
    text.push_str(&report.sentence);
    text.push('\n');
    text
}
