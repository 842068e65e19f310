//! `vigil performance report`, `vigil labels import` and `vigil predictions …`: a model's realized
//! performance, its ground-truth labels and its prediction log's settings, each a call to the
//! engine's performance front.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::Utc;
use clap::Subcommand;
use vigil_core::drift::table::BadRows;
use vigil_core::performance::report::{Averaging, CbpeMetric, PerformanceReport, PerformanceWindow, WindowPerformance};
use vigil_core::{Engine, VigilError};

use crate::rollout::print_json;
use crate::table;

#[derive(Subcommand)]
pub enum PerformanceCommand {
    /// A model's realized performance per revision per window, each with the count of labelled
    /// predictions it rests on
    Report {
        /// The model's name
        model: String,
        /// The width of each window: hour or day
        #[arg(long, default_value = "day", value_parser = parse_window)]
        window: PerformanceWindow,
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum LabelsCommand {
    /// Import ground-truth labels: a CSV, JSON Lines or Parquet file with columns id (or
    /// inference_id) and label, and optionally at (RFC 3339, when the truth became known)
    Import {
        /// The model's name
        model: String,
        file: PathBuf,
        /// Leave malformed rows out (counted) instead of importing nothing
        #[arg(long)]
        skip_bad_rows: bool,
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PredictionsCommand {
    /// Keep a model's predictions and labels this many days (30 unless set); older ones are
    /// deleted now
    Retention { model: String, days: u32 },
    /// Declare the class a model's precision, recall and F1 are those of (1 unless set)
    PositiveClass { model: String, class: String },
    /// Keep the requests' values beside a model's predictions (on), or not (off, the default)
    KeepInputs {
        model: String,
        #[arg(value_parser = parse_switch)]
        keep: bool,
    },
    /// Delete a model's whole prediction log and its labels
    Delete { model: String },
}

fn parse_window(text: &str) -> Result<PerformanceWindow, String> {
    match text.trim() {
        "hour" => Ok(PerformanceWindow::Hour),
        "day" => Ok(PerformanceWindow::Day),
        other => Err(format!("'{other}' is not a window; give hour or day.")),
    }
}

fn parse_switch(text: &str) -> Result<bool, String> {
    match text.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("'{other}' is neither on nor off.")),
    }
}

pub async fn report(engine: &Engine, command: PerformanceCommand) -> Result<(), VigilError> {
    let PerformanceCommand::Report { model, window, json } = command;
    let report = engine.performance().report(&model, window, window.default_since(Utc::now())).await?;
    if json {
        print_json(&report);
    } else {
        show(&report);
    }
    Ok(())
}

pub async fn labels(engine: &Engine, command: LabelsCommand) -> Result<(), VigilError> {
    let LabelsCommand::Import { model, file, skip_bad_rows, json } = command;
    let bad_rows = if skip_bad_rows { BadRows::Skip } else { BadRows::Stop };
    let imported = engine.performance().import_labels(&model, file, bad_rows).await?;
    if json {
        print_json(&imported);
        return Ok(());
    }
    println!(
        "Imported {} labels of {} from {}; {} join a logged prediction, the others join theirs when it comes.",
        imported.labels, imported.model, imported.source, imported.joined
    );
    for row in &imported.bad_rows {
        println!("  left out line {}: {}", row.line, row.message);
    }
    Ok(())
}

pub async fn predictions(engine: &Engine, command: PredictionsCommand) -> Result<(), VigilError> {
    let performance = engine.performance();
    let settings = match command {
        PredictionsCommand::Retention { model, days } => performance.set_retention(&model, days).await?,
        PredictionsCommand::PositiveClass { model, class } => performance.set_positive_class(&model, &class).await?,
        PredictionsCommand::KeepInputs { model, keep } => performance.set_keep_inputs(&model, keep).await?,
        PredictionsCommand::Delete { model } => {
            let deleted = performance.delete_log(&model).await?;
            println!("Deleted {} predictions and {} labels of {}.", deleted.predictions, deleted.labels, deleted.model);
            return Ok(());
        }
    };
    println!(
        "{}: predictions kept {} days, positive class {}, inputs {}.",
        settings.model,
        settings.retention_days,
        settings.positive_class,
        if settings.keep_inputs { "kept" } else { "not kept" }
    );
    Ok(())
}

fn show(report: &PerformanceReport) {
    println!(
        "{} since {} (positive class {}, predictions kept {} days)",
        report.model,
        report.since.format("%Y-%m-%d %H:%M UTC"),
        report.positive_class,
        report.retention_days
    );
    if report.revisions.is_empty() {
        println!("No predictions logged in that time.");
    }
    for revision in &report.revisions {
        let name = if revision.version.is_empty() { "(no version)" } else { &revision.version };
        println!("\nrevision {name}");
        if revision.windows.iter().any(|window| window.regressor.is_some()) {
            print!("{}", table(REGRESSOR, revision.windows.iter().map(regressor_row)));
        } else {
            print!("{}", table(CLASSIFIER, revision.windows.iter().map(|w| classifier_row(w, &report.positive_class))));
        }
        if let Some(why) = &revision.not_estimated {
            println!("  Not estimated before labels come: {why}.");
        }
        let reasons: BTreeSet<&String> = revision
            .windows
            .iter()
            .flat_map(|window| {
                let undefined = window.classifier.iter().flat_map(|c| &c.undefined);
                undefined.chain(window.regressor.iter().flat_map(|r| &r.undefined)).chain(&window.notes)
            })
            .collect();
        for reason in reasons {
            println!("  {reason}");
        }
    }
    for not_logged in &report.not_logged {
        println!("\n{} predictions not logged: {}", not_logged.count, not_logged.reason);
    }
    if report.labels_waiting > 0 {
        println!("\n{} labels wait for their prediction to be logged.", report.labels_waiting);
    }
    if let Some(feedback) = &report.feedback {
        let entropies: Vec<String> = feedback
            .revisions
            .iter()
            .zip(&feedback.entropies)
            .map(|(revision, entropy)| format!("{revision} {entropy:.2}"))
            .collect();
        println!("\n{}{}", if feedback.warn { "WARNING: " } else { "" }, feedback.sentence);
        println!("  entropy of the predictions by revision, bits: {}", entropies.join(", "));
    }
}

const CLASSIFIER: [&str; 11] = [
    "window",
    "predictions",
    "labelled",
    "averaging",
    "accuracy",
    "precision",
    "recall",
    "F1",
    "ROC AUC",
    "log loss",
    "estimated accuracy (band)",
];
const REGRESSOR: [&str; 7] = ["window", "predictions", "labelled", "MAE", "RMSE", "MAPE", "R²"];

fn figure(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| format!("{value:.4}"))
}

/// The window's start and counts, then `N - 3` figures (blank without labelled predictions).
fn row<const N: usize>(window: &WindowPerformance, figures: Option<Vec<String>>) -> [String; N] {
    let mut cells = vec![
        window.start.format("%Y-%m-%d %H:%M").to_string(),
        window.predictions.to_string(),
        window.labelled.to_string(),
    ];
    cells.extend(figures.unwrap_or_default());
    cells.resize(N, String::new());
    std::array::from_fn(|index| std::mem::take(&mut cells[index]))
}

fn classifier_row(window: &WindowPerformance, positive: &str) -> [String; 11] {
    let mut figures: Vec<String> = window.classifier.as_ref().map_or_else(
        || vec![String::new(); 7],
        |c| {
            let averaging = match &c.averaging {
                Averaging::Binary { .. } => format!("class {positive}"),
                Averaging::Macro { classes } => format!("macro, {classes} classes"),
            };
            std::iter::once(averaging)
                .chain([c.accuracy, c.precision, c.recall, c.f1, c.roc_auc, c.log_loss].map(figure))
                .collect()
        },
    );
    let accuracy = window.estimated.iter().find(|estimate| estimate.metric == CbpeMetric::Accuracy);
    figures.push(accuracy.map_or_else(String::new, |e| format!("{:.4} ({:.4}–{:.4})", e.value, e.lower, e.upper)));
    row(window, Some(figures))
}

fn regressor_row(window: &WindowPerformance) -> [String; 7] {
    row(window, window.regressor.as_ref().map(|r| [r.mae, r.rmse, r.mape, r.r2].map(figure).to_vec()))
}
