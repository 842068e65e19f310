//! `vigil objective …`: the bounds each model's revisions must keep (the share of requests that
//! may fail and the slowest p99 latency), the model's own or the fleet's defaults.

use clap::{ArgGroup, Subcommand};
use vigil_core::objectives::{Bound, ModelObjectives, ObjectiveDefaults, Objectives};
use vigil_core::{Engine, VigilError};

use crate::table;

#[derive(Subcommand)]
pub enum ObjectiveCommand {
    /// Set a model's own objectives, or with --default the fleet's defaults; a bound not given
    /// stays as it is
    #[command(group(ArgGroup::new("bounds").args(["error_share", "p99"]).required(true).multiple(true)))]
    Set {
        /// The model's name, as its server serves it
        #[arg(required_unless_present = "default")]
        model: Option<String>,
        /// Set the fleet's defaults, which every model keeps unless it has its own
        #[arg(long, conflicts_with = "model")]
        default: bool,
        /// The share of requests that may fail: 2% or 0.02 (`default`: the fleet default again)
        #[arg(long, value_name = "SHARE", allow_hyphen_values = true, value_parser = parse_share)]
        error_share: Option<Given>,
        /// The slowest p99 latency: 500ms or 1.5s (`default`: the fleet default again)
        #[arg(long, value_name = "LATENCY", allow_hyphen_values = true, value_parser = parse_latency)]
        p99: Option<Given>,
    },
    /// Put a model's objectives back to the fleet's defaults
    Reset {
        /// The model's name
        model: String,
    },
    /// List the fleet's defaults and the objectives of every model
    List {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
}

/// A bound as given on the command line: a value, or None for `default`.
#[derive(Debug, Clone, Copy)]
pub struct Given(Option<f64>);

fn parse_share(text: &str) -> Result<Given, String> {
    match text.trim() {
        "default" => Ok(Given(None)),
        share => crate::drift::parse_share(share).map(|share| Given(Some(share))),
    }
}

/// `500ms` or `1.5s` as seconds.
fn parse_latency(text: &str) -> Result<Given, String> {
    let text = text.trim();
    if text == "default" {
        return Ok(Given(None));
    }
    let (number, scale) = match (text.strip_suffix("ms"), text.strip_suffix('s')) {
        (Some(millis), _) => (millis, 1000.0),
        (None, Some(seconds)) => (seconds, 1.0),
        (None, None) => (text, f64::NAN),
    };
    match number.trim().parse::<f64>() {
        Ok(value) if !scale.is_nan() => Ok(Given(Some(value / scale))),
        _ => Err(format!("'{text}' is not a latency; write it with its unit, such as 500ms or 1.5s.")),
    }
}

pub async fn run(engine: &Engine, command: ObjectiveCommand) -> Result<(), VigilError> {
    match command {
        ObjectiveCommand::Set { model: Some(model), error_share, p99, .. } => {
            let list = engine.objectives().list().await?;
            let before = list.models.get(model.trim());
            let own = |given: Option<Given>, bound: fn(&Objectives) -> Bound| match given {
                Some(Given(value)) => value,
                None => before.map(bound).filter(|bound| !bound.is_default).map(|bound| bound.max),
            };
            let objectives = ModelObjectives {
                max_error_share: own(error_share, |o| o.error_share),
                max_p99_s: own(p99, |o| o.p99_s),
            };
            engine.objectives().set(&model, objectives).await?;
            print_model(engine, model.trim()).await?;
        }
        ObjectiveCommand::Set { model: None, error_share, p99, .. } => {
            let current = engine.objectives().list().await?.defaults;
            let value = |given: Option<Given>, current: f64, field: &'static str| match given {
                None => Ok(current),
                Some(Given(Some(value))) => Ok(value),
                Some(Given(None)) => {
                    Err(VigilError::invalid(field, "The fleet's default needs a value, such as 1% or 500ms."))
                }
            };
            let defaults = ObjectiveDefaults {
                max_error_share: value(error_share, current.max_error_share, "max_error_share")?,
                max_p99_s: value(p99, current.max_p99_s, "max_p99_s")?,
            };
            engine.objectives().set_defaults(defaults).await?;
            println!("fleet defaults: {}", words(defaults.max_error_share, defaults.max_p99_s));
        }
        ObjectiveCommand::Reset { model } => {
            engine.objectives().set(&model, ModelObjectives::default()).await?;
            print_model(engine, model.trim()).await?;
        }
        ObjectiveCommand::List { json } => {
            let list = engine.objectives().list().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list).expect("objectives serialize"));
                return Ok(());
            }
            let defaults = std::iter::once([
                "(fleet defaults)".to_owned(),
                percent(list.defaults.max_error_share),
                millis(list.defaults.max_p99_s),
            ]);
            let models = list.models.iter().map(|(model, objectives)| {
                [model.clone(), shown(objectives.error_share, percent), shown(objectives.p99_s, millis)]
            });
            print!("{}", table(["MODEL", "ERRORS AT MOST", "P99 AT MOST"], defaults.chain(models)));
        }
    }
    Ok(())
}

/// Prints the objectives now in force for `model`.
async fn print_model(engine: &Engine, model: &str) -> Result<(), VigilError> {
    let list = engine.objectives().list().await?;
    if let Some(objectives) = list.models.get(model) {
        let own = |bound: Bound| if bound.is_default { "fleet default" } else { "its own" };
        println!(
            "{model}: errors at most {} ({}), p99 at most {} ({})",
            percent(objectives.error_share.max),
            own(objectives.error_share),
            millis(objectives.p99_s.max),
            own(objectives.p99_s)
        );
    } else {
        let defaults = list.defaults;
        println!("{model}: the fleet defaults, {}", words(defaults.max_error_share, defaults.max_p99_s));
    }
    Ok(())
}

fn words(error_share: f64, p99_s: f64) -> String {
    format!("errors at most {}, p99 at most {}", percent(error_share), millis(p99_s))
}

/// A bound in force, marked when it is the fleet default.
fn shown(bound: Bound, unit: fn(f64) -> String) -> String {
    if bound.is_default {
        format!("{} (default)", unit(bound.max))
    } else {
        unit(bound.max)
    }
}

/// A share as a percentage to a tenth: "2 %", "0.5 %".
fn percent(share: f64) -> String {
    format!("{} %", (share * 1000.0).round() / 10.0)
}

/// A latency in whole milliseconds: "500 ms".
fn millis(seconds: f64) -> String {
    format!("{} ms", (seconds * 1000.0).round())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_read_with_their_units_or_as_the_default() {
        assert_eq!(parse_share("2%").unwrap().0, Some(0.02));
        assert_eq!(parse_share("default").unwrap().0, None);
        assert_eq!(parse_latency("500ms").unwrap().0, Some(0.5));
        assert_eq!(parse_latency("1.5s").unwrap().0, Some(1.5));
        assert_eq!(parse_latency(" default ").unwrap().0, None);
        assert!(parse_latency("500").unwrap_err().contains("such as 500ms or 1.5s"));
        assert!(parse_latency("fast").is_err());
    }
}
