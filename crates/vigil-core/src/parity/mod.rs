//! The parity domain: does a revision answer as the model did where it was built? A golden set
//! (inputs with the outputs the data scientist's notebook gave, `golden.rs`) is sent to the
//! revision through its inference API (`protocol.rs`: the Open Inference Protocol v2 or KServe
//! v1), row by row compared with a tolerance per output (`compare.rs`), by `run.rs`. The report
//! names the mismatching rows, the largest difference and the share that matched; it is stored,
//! audited, and read by the rollouts' parity gate. Only loopback hosts and those allowed for load
//! tests are sent to.

pub(crate) mod compare;
pub(crate) mod golden;
pub(crate) mod protocol;
pub mod queries;
mod run;
pub mod share;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use compare::{OutputRule, DEFAULT_ABSOLUTE, DEFAULT_RELATIVE};
pub use protocol::Protocol;
pub use share::share_words;

use crate::context::Context;
use crate::events::EngineEvent;
use crate::revisions::version_name;
use crate::rollouts::people::Person;
use crate::{Result, VigilError};

/// The share of golden rows that must match for a check to pass, unless a gate asks another.
pub const REQUIRED_SHARE: f64 = 0.999;
/// Golden rows in one request, unless asked otherwise.
pub const BATCH_ROWS: u32 = 64;
/// Requests under way at once, unless asked otherwise: gentle on a server that may be serving.
pub const IN_FLIGHT: u32 = 4;
/// The most requests under way at once that may be asked for.
pub const MAX_IN_FLIGHT: u32 = 64;

/// A parity check to run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ParityRequest {
    /// "" for the only server serving the model.
    pub server: String,
    pub model: String,
    /// None: the model's only revision, else its stable one.
    pub version: Option<String>,
    /// A CSV, JSON Lines or Parquet file of inputs and expected outputs.
    pub golden_file: String,
    /// The expected output columns; empty: those the model's metadata lists, else a usual name.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// How outputs are compared, where not by numpy's `isclose` defaults.
    #[serde(default)]
    pub rules: Vec<OutputRule>,
    /// None: the Open Inference Protocol v2.
    pub protocol: Option<Protocol>,
    pub batch_rows: Option<u32>,
    /// Requests under way at once (1 to 64; None: 4).
    #[serde(default)]
    pub in_flight: Option<u32>,
}

/// How one output compared over the golden set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OutputSummary {
    pub rule: OutputRule,
    /// The datatype the server gave it ("" when it named none).
    pub datatype: String,
    #[ts(type = "number")]
    pub mismatched: u64,
    /// The largest difference between two numbers, and its row.
    pub largest_difference: Option<f64>,
    #[ts(type = "number | null")]
    pub largest_row: Option<u64>,
}

/// One output of one row that did not match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Mismatch {
    /// The row, from 0, as a pandas DataFrame's default index.
    #[ts(type = "number")]
    pub row: u64,
    pub output: String,
    pub expected: String,
    pub got: String,
    pub reason: String,
    pub difference: Option<f64>,
}

/// How far a parity check got.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ParityProgress {
    pub model: String,
    pub version: String,
    #[ts(type = "number")]
    pub checked: u64,
    #[ts(type = "number")]
    pub matched: u64,
    #[ts(type = "number")]
    pub rows: u64,
}

/// A parity check's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ParityReport {
    #[ts(type = "number")]
    pub id: i64,
    pub server: String,
    pub model: String,
    pub version: String,
    pub golden_file: String,
    pub protocol: Protocol,
    pub started_at: DateTime<Utc>,
    pub seconds: f64,
    pub person: String,
    #[ts(type = "number")]
    pub rows: u64,
    #[ts(type = "number")]
    pub checked: u64,
    #[ts(type = "number")]
    pub matched: u64,
    /// matched / checked; None when no row was checked.
    pub matched_share: Option<f64>,
    pub required_share: f64,
    /// Every row checked, and at least the required share matched.
    pub passed: bool,
    pub cancelled: bool,
    pub outputs: Vec<OutputSummary>,
    /// The first mismatches, by row (all are counted in `outputs`).
    pub mismatches: Vec<Mismatch>,
    pub sentence: String,
}

/// The parity front. Cheap to clone.
#[derive(Clone)]
pub struct Parity {
    context: Context,
}

impl Parity {
    pub(crate) fn new(context: Context) -> Parity {
        Parity { context }
    }

    /// Checks `request`'s revision against its golden set as `person`: `progress` hears after
    /// each batch; `cancel` stops it (what was checked is reported). Stored and audited.
    pub async fn run(
        &self,
        person: &Person,
        request: &ParityRequest,
        progress: impl Fn(ParityProgress) + Send + Sync + 'static,
        cancel: Arc<AtomicBool>,
    ) -> Result<ParityReport> {
        let pool = self.context.pool();
        let server = crate::chosen::server_of(pool, &request.server, &request.model).await?;
        let allowed_hosts = crate::cost::loadtest::allowed_hosts(&mut *pool.acquire().await?).await?;
        let base = url::Url::parse(&server.base_url).map_err(|err| VigilError::invalid("url", err.to_string()))?;
        crate::loadgen::check_host(&base, &allowed_hosts).map_err(|_| {
            VigilError::invalid(
                "server",
                format!(
                    "Vigil sends golden sets only to loopback hosts and those allowed for load tests; {} is neither: \
                     allow it in Settings (or: vigil loadtest hosts --allow HOST).",
                    server.base_url
                ),
            )
        })?;
        let revision =
            crate::chosen::revision_on(pool, server, &request.model, request.version.as_deref(), "check").await?;
        let server = &revision.server;
        let protocol = request.protocol.unwrap_or_default();
        let kind = server.detected_kind.unwrap_or(server.kind);
        let url = protocol.url(kind, &server.base_url, &revision.model, &revision.version).ok_or_else(|| {
            VigilError::invalid(
                "server",
                format!(
                    "Parity checks speak the Open Inference Protocol (Triton, MLServer, KServe) or KServe v1 \
                     (--protocol kserve-v1); server {} is {}.",
                    server.name,
                    kind.as_str()
                ),
            )
        })?;
        let batch_rows = request.batch_rows.unwrap_or(BATCH_ROWS).clamp(1, 10_000) as usize;
        let metadata_outputs: Vec<String> = crate::oip::outputs_of(&revision.metadata)
            .unwrap_or_default()
            .into_iter()
            .map(|tensor| tensor.name)
            .collect();
        let path = std::path::PathBuf::from(&request.golden_file);
        let named = request.outputs.clone();
        let read_cancel = cancel.clone();
        let golden = tokio::task::spawn_blocking(move || golden::read(&path, &named, &metadata_outputs, &read_cancel))
            .await
            .map_err(|err| VigilError::Internal(format!("reading the golden set stopped: {err}")))??;
        let rules: Vec<OutputRule> = golden
            .outputs
            .iter()
            .map(|output| {
                request
                    .rules
                    .iter()
                    .find(|rule| rule.output == *output)
                    .cloned()
                    .unwrap_or_else(|| OutputRule::default_for(output))
            })
            .collect();
        let http = crate::clients::ServerClient::new(self.context.http().clone(), server)
            .authorize()
            .await
            .map_err(|reason| VigilError::invalid("server", format!("{} cannot be asked: {reason}", server.name)))?;
        let rows = golden.input_rows.len() as u64;
        let target = run::Target {
            http,
            url,
            protocol,
            listed_inputs: crate::oip::inputs_of(&revision.metadata),
            rules,
            batch_rows,
            in_flight: request.in_flight.unwrap_or(IN_FLIGHT).clamp(1, MAX_IN_FLIGHT) as usize,
        };
        let (model, version) = (revision.model.clone(), revision.version.clone());
        let told = move |checked, matched| {
            progress(ParityProgress { model: model.clone(), version: version.clone(), checked, matched, rows })
        };
        let started_at = Utc::now();
        let clock = std::time::Instant::now();
        let checked = run::run(Arc::new(golden), Arc::new(target), Arc::new(told), cancel).await;
        let matched_share = (checked.checked > 0).then(|| checked.matched as f64 / checked.checked as f64);
        let mut report = ParityReport {
            id: 0,
            server: server.name.clone(),
            model: revision.model.clone(),
            version: revision.version.clone(),
            golden_file: Path::new(&request.golden_file)
                .file_name()
                .map_or_else(|| request.golden_file.clone(), |name| name.to_string_lossy().into_owned()),
            protocol,
            started_at,
            seconds: clock.elapsed().as_secs_f64(),
            person: person.name.clone(),
            rows,
            checked: checked.checked,
            matched: checked.matched,
            matched_share,
            required_share: REQUIRED_SHARE,
            passed: !checked.cancelled && checked.checked == rows && matched_share.is_some_and(|s| s >= REQUIRED_SHARE),
            cancelled: checked.cancelled,
            outputs: checked.outputs,
            mismatches: checked.mismatches,
            sentence: String::new(),
        };
        report.sentence = sentence(&report);
        let mut write = self.context.write().await?;
        let (_, revision_id) =
            crate::revisions::find(&mut write, (&server.name, &revision.model, &revision.version)).await?;
        report.id = queries::insert(&mut write, revision_id, &report).await?;
        let detail = serde_json::json!({
            "golden_file": report.golden_file, "rows": report.rows, "matched": report.matched,
            "passed": report.passed, "cancelled": report.cancelled,
        });
        let subject = format!("{} {}", report.model, version_name(&report.version));
        write.audit_by(Some(person), "parity.run", &subject, detail).await?;
        write.announce(EngineEvent::PreflightChanged { model: report.model.clone() });
        write.commit().await?;
        Ok(report)
    }

    /// The newest check of each revision of `model` that has one.
    pub async fn latest(&self, model: &str) -> Result<Vec<ParityReport>> {
        queries::latest_of_model(&mut *self.context.pool().acquire().await?, model.trim()).await
    }
}

/// The newest parity check of revision `(server, model, version)`, if any (for the gate).
pub async fn latest_of(
    conn: &mut sqlx::AnyConnection,
    (server, model, version): (&str, &str, &str),
) -> Result<Option<ParityReport>> {
    let (_, revision_id) = crate::revisions::find(conn, (server, model, version)).await?;
    queries::latest(conn, revision_id).await
}

/// The check in plain words.
fn sentence(report: &ParityReport) -> String {
    let revision = format!("{} {}", report.model, version_name(&report.version));
    let percent = share_words;
    let Some(share) = report.matched_share else {
        return format!(
            "{revision} was not checked: no row of {} was sent before it was cancelled.",
            report.golden_file
        );
    };
    let head = format!(
        "{revision} matched {} of {} golden rows from {} ({})",
        report.matched,
        report.checked,
        report.golden_file,
        percent(share)
    );
    let largest = report
        .outputs
        .iter()
        .filter_map(|output| Some((output, output.largest_difference?, output.largest_row?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(output, difference, row)| {
            format!("; the largest difference is {difference:.3e} in {} at row {row}", output.rule.output)
        })
        .unwrap_or_default();
    let rows: std::collections::BTreeSet<u64> = report.mismatches.iter().map(|m| m.row).take(5).collect();
    let rows: Vec<String> = rows.iter().map(u64::to_string).collect();
    let named = match rows.is_empty() {
        true => String::new(),
        false => format!("; mismatching rows include {}", rows.join(", ")),
    };
    let verdict = match (report.cancelled, report.passed) {
        (true, _) => format!(" — cancelled after {} of {} rows", report.checked, report.rows),
        (false, true) => format!(": it passes (at least {} must match)", percent(report.required_share)),
        (false, false) => format!(": it fails (at least {} must match)", percent(report.required_share)),
    };
    format!("{head}{verdict}{named}{largest}.")
}
