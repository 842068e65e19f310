//! `vigil alert …`: what is firing, the rules, the history of changes, and silences (a model, a
//! server, a rule or labels quiet for a time, with a reason).

use clap::Subcommand;
use vigil_core::alerts::silences::{Matcher, SilenceDraft};
use vigil_core::{Engine, VigilError};

use crate::rollout::print_json;

#[derive(Subcommand)]
pub enum AlertCommand {
    /// Alerts not at rest: firing first (most severe first), then pending, no data, resolved
    List {
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// The alert rules, each in one sentence
    Rules {
        #[arg(long)]
        json: bool,
    },
    /// The newest changes people were told of, with the evidence at that moment
    History {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Silence alerts for a time: those of a rule, a model, a server or labels (every one given
    /// must match); a maintenance window when --from is later than now
    Silence {
        #[arg(long)]
        rule: Option<String>,
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        server: Option<String>,
        /// A label the alerts carry, NAME=VALUE (repeatable)
        #[arg(long = "label", value_name = "NAME=VALUE", value_parser = crate::parse_label)]
        labels: Vec<(String, String)>,
        /// How long from its start: 30m, 2h, 1d
        #[arg(long = "for", value_name = "SPAN", value_parser = crate::drift::parse_span)]
        span: chrono::Duration,
        /// When it starts (RFC 3339, e.g. 2026-12-24T22:00:00Z) [default: now]
        #[arg(long)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// Why, for the team
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// Silences that have not ended
    Silences {
        #[arg(long)]
        json: bool,
    },
    /// End a silence now
    Unsilence {
        /// The silence's number, as `vigil alert silences` shows it
        id: i64,
    },
}

pub async fn run(engine: &Engine, command: AlertCommand) -> Result<(), VigilError> {
    let alerts = engine.alerts();
    match command {
        AlertCommand::List { json: true } => print_json(&alerts.alerts().await?),
        AlertCommand::List { json: false } => {
            let shown = alerts.alerts().await?;
            if shown.is_empty() {
                println!("No alert is firing, pending or resolved.");
            }
            for alert in shown {
                let silenced = alert.silenced.map(|s| format!(" [silenced {s}]")).unwrap_or_default();
                println!("{:<8} {:<8} {}{silenced}", key(&alert.state), alert.severity.key(), alert.sentence);
            }
        }
        AlertCommand::Rules { json: true } => print_json(&alerts.rules().await?),
        AlertCommand::Rules { json: false } => {
            for rule in alerts.rules().await? {
                let off = if rule.draft.enabled { "" } else { " (off)" };
                println!("{:<28} {:<8} {}{off}", rule.draft.name, rule.draft.severity.key(), rule.summary);
            }
        }
        AlertCommand::History { limit, json: true } => print_json(&alerts.history(limit).await?),
        AlertCommand::History { limit, json: false } => {
            for entry in alerts.history(limit).await? {
                let sentence = entry.evidence.0["sentence"].as_str().unwrap_or_default().to_owned();
                let silenced = if entry.silenced { " (silenced)" } else { "" };
                println!("{} {:<9} {sentence}{silenced}", entry.at.format("%Y-%m-%d %H:%M:%S"), entry.change);
            }
        }
        AlertCommand::Silence { rule, model, server, labels, span, from, reason, json } => {
            let matcher = Matcher { rule, model, server, labels: labels.into_iter().collect() };
            let starts = from.unwrap_or_else(chrono::Utc::now);
            let draft = SilenceDraft { matcher, starts_at: Some(starts), ends_at: starts + span, reason };
            let silence = alerts.silence(draft).await?;
            match json {
                true => print_json(&silence),
                false => println!(
                    "Silence {} quiets {} until {}.",
                    silence.id,
                    silence.matcher.words(),
                    silence.ends_at.format("%Y-%m-%d %H:%M UTC")
                ),
            }
        }
        AlertCommand::Silences { json: true } => print_json(&alerts.silences().await?),
        AlertCommand::Silences { json: false } => {
            for silence in alerts.silences().await? {
                println!(
                    "{:>4}  {} → {}  {}  ({}, by {})",
                    silence.id,
                    silence.starts_at.format("%Y-%m-%d %H:%M"),
                    silence.ends_at.format("%Y-%m-%d %H:%M UTC"),
                    silence.matcher.words(),
                    silence.reason,
                    silence.created_by
                );
            }
        }
        AlertCommand::Unsilence { id } => {
            let silence = alerts.end_silence(id).await?;
            println!("Silence {id} on {} has ended.", silence.matcher.words());
        }
    }
    Ok(())
}

fn key(state: &vigil_core::alerts::lifecycle::AlertState) -> String {
    serde_json::to_value(state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
