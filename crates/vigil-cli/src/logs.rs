//! How `vigil collect` and the engine's warnings are written: lines for a person (`text`), or
//! one JSON object a line for a log collector (`json`: `at`, `level`, `kind` or `message`, and
//! the fields), and the signals that stop a collector (Ctrl-C, SIGTERM).

use std::fmt;

use chrono::{SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use tracing::field::{Field, Visit};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// Writes one line on standard output: `text` for a person (a change after the time it was
    /// seen; the first and last lines as they are), or `kind` and `fields` as JSON.
    pub fn line(self, kind: &str, fields: &Value, text: &str) {
        let at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        match self {
            LogFormat::Text if kind == "change" => println!("{}Z {text}", &at[..19]),
            LogFormat::Text => println!("{text}"),
            LogFormat::Json => {
                let mut line = Map::from_iter([
                    ("at".into(), json!(at)),
                    ("level".into(), json!("info")),
                    ("kind".into(), json!(kind)),
                ]);
                if let Value::Object(fields) = fields {
                    line.extend(fields.clone());
                }
                println!("{}", Value::Object(line));
            }
        }
    }

    /// Sends the engine's own log (warnings by default; `VIGIL_LOG` chooses) to standard error.
    pub fn init(self) {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("VIGIL_LOG"))
            .with_writer(std::io::stderr)
            .with_ansi(self == LogFormat::Text && std::io::IsTerminal::is_terminal(&std::io::stderr()));
        match self {
            LogFormat::Text => subscriber.init(),
            LogFormat::Json => subscriber.event_format(JsonLines).init(),
        }
    }
}

/// The engine's log events as JSON lines.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields(Map::new());
        event.record(&mut fields);
        let mut line = Map::from_iter([
            ("at".into(), json!(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true))),
            ("level".into(), json!(event.metadata().level().as_str().to_lowercase())),
            ("target".into(), json!(event.metadata().target())),
        ]);
        line.extend(fields.0);
        writeln!(writer, "{}", Value::Object(line))
    }
}

struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), json!(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), json!(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), json!(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), json!(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), json!(format!("{value:?}")));
    }
}

/// Waits for Ctrl-C or (on Unix) SIGTERM, the signal systemd stops a service with.
pub async fn stopped() {
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
