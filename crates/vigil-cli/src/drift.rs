//! `vigil drift …`: import reference data and inference logs, and report drift.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Args, Subcommand};
use vigil_core::drift::compare::{compare_files, CompareRequest};
use vigil_core::drift::logs::LogRequest;
use vigil_core::drift::reference::ReferenceRequest;
use vigil_core::drift::report::{ColumnChoice, ColumnRole, DriftReport};
use vigil_core::drift::schema::{self, ColumnUse};
use vigil_core::drift::stats::Method;
use vigil_core::drift::table::{BadRows, ImportProgress, SkippedRow};
use vigil_core::{Engine, VigilError};

use crate::table;

#[derive(Subcommand)]
pub enum DriftCommand {
    /// Import a model's reference data (its training set, say) from CSV, JSON Lines or Parquet, replacing
    /// the reference it had. Each column's kind is inferred; free text and identifiers are skipped.
    Reference {
        /// The file: .csv with a header line, .jsonl or .parquet
        file: PathBuf,
        #[command(flatten)]
        target: ModelArgs,
        /// The column holding the model's prediction
        #[arg(long, value_name = "COLUMN")]
        prediction: Option<String>,
        /// The column holding the true outcome
        #[arg(long = "target", value_name = "COLUMN")]
        outcome: Option<String>,
        /// Choose a column's kind: numeric, categorical, binary or skip (repeatable)
        #[arg(long = "column", value_name = "NAME=KIND", value_parser = parse_column)]
        columns: Vec<(String, ColumnUse)>,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Import an inference log (CSV, JSON Lines or Parquet, one row a prediction) as the model's live data
    Import {
        /// The file: .csv with a header line, .jsonl or .parquet
        file: PathBuf,
        #[command(flatten)]
        target: ModelArgs,
        /// The column with each row's time (RFC 3339, or Unix seconds or ms) [default: now]
        #[arg(long, value_name = "COLUMN")]
        time_column: Option<String>,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Compare the model's live data with its reference: each column's test and verdict, the
    /// share of drifted features, and whether the prediction moved. The report is stored.
    Report {
        #[command(flatten)]
        target: ModelArgs,
        /// How far back to look, e.g. 30m, 24h, 7d
        #[arg(long, value_name = "SPAN", default_value = "24h", value_parser = parse_span)]
        window: chrono::Duration,
        /// Print JSON for scripts
        #[arg(long)]
        json: bool,
    },
    /// Compare two files at once, nothing stored: CURRENT against REFERENCE (CSV, JSON Lines or
    /// Parquet each), read in parallel, each column tested as Evidently's preset would
    Compare {
        /// The reference file (the training set, say)
        reference: PathBuf,
        /// The file to compare with it (today's inputs, say)
        current: PathBuf,
        /// The column holding the model's prediction
        #[arg(long, value_name = "COLUMN")]
        prediction: Option<String>,
        /// Choose a column's kind: numeric, categorical, binary or skip (repeatable)
        #[arg(long = "column", value_name = "NAME=KIND", value_parser = parse_column)]
        columns: Vec<(String, ColumnUse)>,
        /// The share of drifted features at which the data set counts as drifted [default: 0.5]
        #[arg(long, value_name = "SHARE", value_parser = parse_share)]
        share: Option<f64>,
        /// Exit 1 when the data set has drifted, for a pipeline's check
        #[arg(long)]
        fail_on_drift: bool,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Choose the test for one column instead of Evidently's default: a method, a threshold or
    /// both (kept when the reference is imported again); --default goes back to the default
    Column {
        /// The column's name
        column: String,
        #[command(flatten)]
        target: ModelArgs,
        /// ks, chi_square, z_test, psi, jensen_shannon, wasserstein or hellinger
        #[arg(long, value_parser = parse_method)]
        method: Option<Method>,
        /// Drift when the p-value is below it (ks, chi_square, z_test) or the distance reaches it
        #[arg(long)]
        threshold: Option<f64>,
        /// Learn the threshold from the reference for each report (NannyML's mean + 3σ of
        /// reference chunks, drawn at the live data's size); needs a distance --method
        #[arg(long, conflicts_with = "threshold", requires = "method")]
        learned: bool,
        /// Use Evidently's default test and threshold again
        #[arg(long, conflicts_with_all = ["method", "threshold", "learned"])]
        default: bool,
    },
    /// Set the share of drifted features at which the model's data set counts as drifted
    /// (Evidently's 0.5 by default); --default goes back to it
    Share {
        /// The share: 0.3 or 30%
        #[arg(value_parser = parse_share, required_unless_present = "default")]
        share: Option<f64>,
        /// The model's name, as its server serves it
        #[arg(long)]
        model: String,
        /// Use the default share, 0.5, again
        #[arg(long, conflicts_with = "share")]
        default: bool,
    },
}

/// A share: `0.3` or `30%`.
pub(crate) fn parse_share(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, scale) = match text.strip_suffix('%') {
        Some(percent) => (percent.trim(), 100.0),
        None => (text, 1.0),
    };
    number.parse::<f64>().map(|share| share / scale).map_err(|_| format!("'{text}' is not a share; write 0.3 or 30%."))
}

fn parse_method(text: &str) -> Result<Method, String> {
    Method::ALL.into_iter().find(|method| method.name() == text.trim()).ok_or_else(|| {
        let names: Vec<&str> = Method::ALL.iter().map(|method| method.name()).collect();
        format!("'{text}' is not a test; use one of {}.", names.join(", "))
    })
}

/// `30m`, `24h`, `7d` as a span of time.
pub(crate) fn parse_span(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| format!("'{text}' must be a number and a unit, e.g. 24h."))?;
    match unit {
        "m" => Ok(chrono::Duration::minutes(number)),
        "h" => Ok(chrono::Duration::hours(number)),
        "d" => Ok(chrono::Duration::days(number)),
        _ => Err(format!("'{text}': the unit must be m (minutes), h (hours) or d (days), e.g. 24h.")),
    }
    .and_then(|span| if number > 0 { Ok(span) } else { Err("The window must be longer than zero.".into()) })
}

#[derive(Args)]
pub struct ModelArgs {
    /// The model's name, as its server serves it
    #[arg(long)]
    model: String,
    /// The model version it is for [default: every version]
    #[arg(long)]
    version: Option<String>,
}

#[derive(Args)]
pub struct ImportArgs {
    /// Leave malformed rows out (counted and listed) instead of stopping with nothing imported
    #[arg(long)]
    skip_bad_rows: bool,
    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
}

impl ImportArgs {
    fn bad_rows(&self) -> BadRows {
        if self.skip_bad_rows {
            BadRows::Skip
        } else {
            BadRows::Stop
        }
    }
}

/// `NAME=KIND` as a column's chosen use.
fn parse_column(text: &str) -> Result<(String, ColumnUse), String> {
    let (name, kind) =
        text.split_once('=').ok_or_else(|| format!("'{text}' must be NAME=KIND, e.g. zip=categorical."))?;
    let name = name.trim().to_owned();
    schema::parse_choice(&name, kind).map(|column_use| (name, column_use)).map_err(|err| err.to_string())
}

/// `vigil drift compare`: needs no store, so it runs before one is opened.
pub async fn compare(command: DriftCommand) -> Result<(), VigilError> {
    let DriftCommand::Compare { reference, current, prediction, columns, share, fail_on_drift, import } = command
    else {
        return Err(VigilError::Internal("not a comparison".into()));
    };
    let request = CompareRequest {
        prediction,
        columns: columns.into_iter().collect(),
        drift_share: share,
        bad_rows: import.bad_rows(),
    };
    let cancel = cancel_on_interrupt();
    let report = tokio::task::spawn_blocking(move || compare_files(&reference, &current, &request, &cancel))
        .await
        .map_err(|err| VigilError::Internal(format!("the comparison stopped: {err}")))??;
    if import.json {
        crate::rollout::print_json(&report);
    } else {
        print!("{}", report_text(&report));
    }
    if report.dataset_drift && fail_on_drift {
        return Err(VigilError::invalid(
            "drift",
            format!("{} of {} features drifted: the data set has drifted.", report.drifted_features, report.features),
        ));
    }
    Ok(())
}

pub async fn run(engine: &Engine, command: DriftCommand) -> Result<(), VigilError> {
    match command {
        DriftCommand::Compare { .. } => compare(command).await,
        DriftCommand::Reference { file, target, prediction, outcome, columns, import } => {
            let request = ReferenceRequest {
                model: target.model,
                version: target.version,
                prediction,
                target: outcome,
                columns: columns.into_iter().collect::<BTreeMap<_, _>>(),
                bad_rows: import.bad_rows(),
            };
            import_reference(engine, file, request, import.json).await
        }
        DriftCommand::Import { file, target, time_column, import } => {
            let request =
                LogRequest { model: target.model, version: target.version, time_column, bad_rows: import.bad_rows() };
            import_log(engine, file, request, import.json).await
        }
        DriftCommand::Column { column, target, method, threshold, learned, default } => {
            if !default && method.is_none() && threshold.is_none() {
                return Err(VigilError::invalid("column", "Give --method, --threshold or both, or --default."));
            }
            choose_test(engine, &target, &column, ColumnChoice { method, threshold, learned }).await
        }
        DriftCommand::Share { share, model, .. } => {
            engine.drift().set_share(&model, share).await?;
            let share = share.unwrap_or(vigil_core::drift::report::DATASET_DRIFT_SHARE);
            println!(
                "{model}'s data set counts as drifted when {} % of its features have drifted",
                (share * 100.0 * 10.0).round() / 10.0
            );
            Ok(())
        }
        DriftCommand::Report { target, window, json } => {
            let to = chrono::Utc::now();
            let report = engine.drift().report(&target.model, target.version.as_deref(), to - window, to).await?;
            if json {
                crate::rollout::print_json(&report);
            } else {
                print!("{}", report_text(&report));
            }
            Ok(())
        }
    }
}

/// A flag that Ctrl-C sets, so an import stops with nothing stored.
pub(crate) fn cancel_on_interrupt() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_interrupt.store(true, Ordering::Relaxed);
        }
    });
    cancel
}

/// `vigil drift reference`: imports the file and prints each column's kind.
async fn import_reference(
    engine: &Engine,
    file: PathBuf,
    request: ReferenceRequest,
    json: bool,
) -> Result<(), VigilError> {
    let summary = engine.drift().import_reference(file, request, progress_line(json), cancel_on_interrupt()).await?;
    clear_progress(json);
    if json {
        crate::rollout::print_json(&summary);
        return Ok(());
    }
    println!(
        "imported {} rows of {} as the reference of {}{}",
        summary.rows,
        summary.source,
        summary.model,
        summary.version.as_deref().map(|v| format!(" version {v}")).unwrap_or_default()
    );
    print_skipped(summary.skipped_rows, &summary.bad_rows);
    let rows = summary.columns.iter().map(|column| {
        let role = if summary.prediction.as_ref() == Some(&column.name) {
            " (prediction)"
        } else if summary.target.as_ref() == Some(&column.name) {
            " (target)"
        } else {
            ""
        };
        let (kind, note) = match &column.column_use {
            ColumnUse::Test { kind } => (format!("{kind:?}").to_lowercase(), format!("{} missing", column.missing)),
            ColumnUse::Skip { reason } => ("skipped".to_owned(), reason.clone()),
        };
        [format!("{}{role}", column.name), kind, note]
    });
    print!("{}", table(["COLUMN", "KIND", "NOTE"], rows));
    Ok(())
}

/// `vigil drift import`: imports an inference log as live data.
async fn import_log(engine: &Engine, file: PathBuf, request: LogRequest, json: bool) -> Result<(), VigilError> {
    let summary =
        engine.drift().import_inference_log(file, request, progress_line(json), cancel_on_interrupt()).await?;
    clear_progress(json);
    if json {
        crate::rollout::print_json(&summary);
        return Ok(());
    }
    let span = match (summary.first_at, summary.last_at) {
        (Some(first), Some(last)) => format!(" from {} to {}", first.to_rfc3339(), last.to_rfc3339()),
        _ => String::new(),
    };
    println!("imported {} rows of {} as live data of {}{span}", summary.rows, summary.source, summary.model);
    print_skipped(summary.skipped_rows, &summary.bad_rows);
    Ok(())
}

/// `vigil drift column`: chooses a column's test and says what it is now.
async fn choose_test(
    engine: &Engine,
    target: &ModelArgs,
    column: &str,
    choice: ColumnChoice,
) -> Result<(), VigilError> {
    engine.drift().set_choice(&target.model, target.version.as_deref(), column, choice).await?;
    match (choice.method, choice.threshold) {
        (None, None) => println!("{column} of {} uses the default test again", target.model),
        (method, threshold) => println!(
            "{column} of {} is tested with {} at threshold {}",
            target.model,
            method.map_or("the default test", Method::name),
            match (choice.learned, threshold) {
                (true, _) => "learned from the reference".to_owned(),
                (false, Some(threshold)) => threshold.to_string(),
                (false, None) => "(the test's default)".to_owned(),
            }
        ),
    }
    Ok(())
}

/// A report as a person reads it: the verdict, then a row per column, most drifted first.
fn report_text(report: &DriftReport) -> String {
    let mut text = format!(
        "{}: {} of {} features drifted ({:.0}%; dataset drift at {:.0}%): {}\n",
        report.model,
        report.drifted_features,
        report.features,
        report.drifted_share * 100.0,
        report.share_threshold * 100.0,
        if report.dataset_drift { "DRIFT" } else { "no dataset drift" }
    );
    if let Some(moved) = report.prediction_drift {
        text += if moved { "The prediction drifted.\n" } else { "The prediction did not drift.\n" };
    }
    text += &format!(
        "{} live rows from {} to {} against {} reference rows ({})\n\n",
        report.current_rows,
        report.from.format("%Y-%m-%d %H:%M"),
        report.to.format("%Y-%m-%d %H:%M UTC"),
        report.reference_rows,
        report.reference_source
    );
    let mut columns: Vec<_> = report.columns.iter().collect();
    columns.sort_by(|a, b| b.severity.total_cmp(&a.severity));
    let rows = columns.into_iter().map(|column| {
        let name = match column.role {
            ColumnRole::Feature => column.column.clone(),
            ColumnRole::Prediction => format!("{} (prediction)", column.column),
            ColumnRole::Target => format!("{} (target)", column.column),
        };
        match &column.test {
            Some(test) => {
                let score = match test.p_value {
                    Some(p) => format!("p = {p:.3e}"),
                    None => format!("{:.4}", test.statistic),
                };
                let verdict = if test.drifted { "DRIFT" } else { "ok" };
                let sampled = if column.sampled { " (sampled)" } else { "" };
                [
                    name,
                    test.method.name().to_owned(),
                    format!("{score}{sampled}"),
                    format!("{}", test.threshold),
                    verdict.into(),
                ]
            }
            None => [name, "-".into(), column.problem.clone().unwrap_or_default(), "-".into(), "-".into()],
        }
    });
    text += &table(["COLUMN", "TEST", "SCORE", "THRESHOLD", "VERDICT"], rows);
    for skipped in &report.skipped {
        text += &format!("not tested: {} ({})\n", skipped.column, skipped.reason);
    }
    text
}

/// Prints how far an import got on one line of a terminal's stderr (nothing for scripts).
fn progress_line(json: bool) -> impl Fn(ImportProgress) + Send + Sync + 'static {
    let shown = !json && std::io::stderr().is_terminal();
    move |step: ImportProgress| {
        if shown {
            let percent = step.bytes_read as f64 * 100.0 / step.bytes_total.max(1) as f64;
            eprint!("\r  {percent:5.1}%  {} rows read, {} left out  (Ctrl-C cancels)", step.rows, step.skipped_rows);
            let _ = std::io::stderr().flush();
        }
    }
}

fn clear_progress(json: bool) {
    if !json && std::io::stderr().is_terminal() {
        eprint!("\r{:78}\r", "");
    }
}

fn print_skipped(count: u64, listed: &[SkippedRow]) {
    if count > 0 {
        println!("left out {count} malformed row(s); the first:");
        for row in listed {
            println!("  line {}: {}", row.line, row.message);
        }
    }
}
