//! `vigil env …`: the environment a model was built in (`import` a pip freeze or lock file),
//! where its revisions' serving environment is logged (`source`), a revision's fingerprint
//! (`show`) and the difference between the two (`diff`).

use std::path::PathBuf;

use clap::Subcommand;
use vigil_core::environment::{risk_words, EnvironmentDiff, Fingerprint, MlflowSource};
use vigil_core::{Engine, VigilError};

use crate::rollout::{print_json, Actor};
use crate::table;

#[derive(Subcommand)]
pub enum EnvCommand {
    /// Upload where MODEL was built: a pip freeze, requirements file, conda.yaml,
    /// python_env.yaml, uv.lock, poetry.lock or pylock.toml
    Import { model: String, file: PathBuf },
    /// Say that MODEL's revisions are versions of a registered model on an MLflow tracking
    /// server, whose logged requirements are where they serve
    Source {
        model: String,
        /// The tracking server, e.g. http://127.0.0.1:5000
        #[arg(long)]
        mlflow: String,
        /// The registered model's name in MLflow [default: MODEL]
        #[arg(long)]
        registered: Option<String>,
        /// Where the registry's bearer token is: env:NAME or keyring:NAME
        #[arg(long, value_name = "REF")]
        token_ref: Option<String>,
    },
    /// Gather and show where a revision serves: server software, platform, Python, packages
    Show {
        model: String,
        #[command(flatten)]
        revision: RevisionArgs,
        #[arg(long)]
        json: bool,
    },
    /// Set where a revision serves against where MODEL was built, package by package, with risks
    Diff {
        model: String,
        #[command(flatten)]
        revision: RevisionArgs,
        /// Gather the serving environment again first
        #[arg(long)]
        refresh: bool,
        #[arg(long)]
        json: bool,
    },
}

/// Which revision: its server (default: the only one serving the model) and version (default:
/// the only or stable one).
#[derive(clap::Args)]
pub struct RevisionArgs {
    #[arg(long)]
    pub server: Option<String>,
    #[arg(long, alias = "version")]
    pub revision: Option<String>,
}

pub async fn run(engine: &Engine, actor: &Actor, command: EnvCommand) -> Result<(), VigilError> {
    let environment = engine.environment();
    match command {
        EnvCommand::Import { model, file } => {
            let built = environment.import_built(&actor.person()?, &model, &file).await?;
            println!(
                "Imported {} packages from {} as where {} was built.",
                built.pins.len(),
                built.file_name,
                built.model
            );
        }
        EnvCommand::Source { model, mlflow, registered, token_ref } => {
            let source =
                MlflowSource { url: mlflow, registered_model: registered.unwrap_or_else(|| model.clone()), token_ref };
            let source = environment.set_mlflow_source(&actor.person()?, &model, source).await?;
            println!("{model}'s revisions are versions of {} on {}.", source.registered_model, source.url);
        }
        EnvCommand::Show { model, revision, json } => {
            let server = revision.server.unwrap_or_default();
            let fingerprint = environment.gather(&server, &model, revision.revision.as_deref()).await?;
            match json {
                true => print_json(&fingerprint),
                false => print!("{}", fingerprint_text(&fingerprint)),
            }
        }
        EnvCommand::Diff { model, revision, refresh, json } => {
            let server = revision.server.unwrap_or_default();
            let diff = environment.diff(&server, &model, revision.revision.as_deref(), refresh).await?;
            match json {
                true => print_json(&diff),
                false => print!("{}", diff_text(&diff)),
            }
        }
    }
    Ok(())
}

fn fingerprint_text(fingerprint: &Fingerprint) -> String {
    let mut text = format!("{}\n", fingerprint.summary);
    for source in &fingerprint.sources {
        text.push_str(&format!("read: {source}\n"));
    }
    for problem in &fingerprint.problems {
        text.push_str(&format!("not read: {problem}\n"));
    }
    if fingerprint.pins.is_empty() {
        text.push_str("No package is stated where it serves.\n");
    } else {
        let rows = fingerprint.pins.iter().map(|pin| [pin.name.clone(), pin.constraint.clone()]);
        text.push_str(&table(["PACKAGE", "VERSION"], rows));
    }
    text
}

fn diff_text(diff: &EnvironmentDiff) -> String {
    let side = |version: &Option<String>| version.clone().unwrap_or_else(|| "—".into());
    let rows = diff.packages.iter().map(|package| {
        let risks: Vec<&str> = package.risks.iter().map(|risk| risk_words(*risk)).collect();
        [package.name.clone(), side(&package.built), side(&package.served), risks.join(", ")]
    });
    let mut text = String::new();
    if !diff.packages.is_empty() {
        text.push_str(&table(["PACKAGE", "BUILT", "SERVES", "RISK"], rows));
    }
    text.push_str(&diff.sentence);
    text.push('\n');
    text
}
