//! What a registered model server is, and how what a person gives for one is validated.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::store::values::{Json, MaybeStamp, Stamp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use ts_rs::TS;

use crate::health::HealthState;
use crate::kinds::ServerKind;
use crate::{Result, VigilError};

/// The longest server name Vigil accepts.
pub const MAX_NAME_LEN: usize = 64;
/// The longest base URL Vigil accepts.
pub const MAX_URL_LEN: usize = 2048;

/// A model server Vigil polls, with its last known health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromRow, TS)]
pub struct Server {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub base_url: String,
    /// The kind as registered (`auto` to let Vigil find out).
    pub kind: ServerKind,
    /// What probing found, for a server registered as `auto`.
    pub detected_kind: Option<ServerKind>,
    /// The metrics page, when it is not the base URL plus the kind's metrics path.
    pub metrics_url: Option<String>,
    /// The management API, when it is not on the base URL (TorchServe's port 8081).
    pub management_url: Option<String>,
    /// Why the metrics page could not be read at the last poll; None when it was.
    pub metrics_error: Option<String>,
    /// Milliseconds between polls of this server; None: Vigil's default.
    #[ts(type = "number | null")]
    pub poll_interval_ms: Option<i64>,
    /// Milliseconds one request to this server may take; None: Vigil's default.
    #[ts(type = "number | null")]
    pub timeout_ms: Option<i64>,
    /// Labels a team filters by, e.g. team and environment.
    #[ts(type = "Record<string, string>")]
    pub labels: Json<Labels>,
    /// For kind `prometheus`: the kind of the servers it scrapes, and the matchers selecting them.
    pub source_kind: Option<ServerKind>,
    pub selector: Option<String>,
    /// Where the bearer token is (`env:NAME`, `keyring:NAME` or `file:/PATH`); the token itself is
    /// never stored.
    pub token_ref: Option<String>,
    /// For TLS: where the PEM certificates of the authorities to trust are, besides the usual
    /// ones (a reference, as the token's).
    pub tls_ca: Option<String>,
    /// For TLS: where the PEM client certificate and its private key are (a reference).
    pub tls_client: Option<String>,
    pub health: HealthState,
    /// Why the server is in its current state, in words.
    pub health_reason: Option<String>,
    /// When the current state began.
    #[sqlx(try_from = "MaybeStamp")]
    pub health_since: Option<DateTime<Utc>>,
    /// When health was last checked.
    #[sqlx(try_from = "MaybeStamp")]
    pub checked_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Stamp")]
    pub created_at: DateTime<Utc>,
}

/// What a person gives to register a server. Validated by [`NewServer::validate`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct NewServer {
    pub name: String,
    pub base_url: String,
    /// `auto` unless the person says which kind it is.
    #[serde(default)]
    pub kind: ServerKind,
    /// Where the metrics page is, when it is not on the base URL (e.g. MLServer's port 8082).
    #[serde(default)]
    pub metrics_url: Option<String>,
    /// Where the management API is, when it is not on the base URL (TorchServe's port 8081).
    #[serde(default)]
    pub management_url: Option<String>,
    /// Seconds between polls of this server, when not Vigil's default.
    #[serde(default)]
    pub poll_interval_secs: Option<f64>,
    /// Seconds one request may take, when not Vigil's default.
    #[serde(default)]
    pub timeout_secs: Option<f64>,
    /// Labels such as `team` and `environment`.
    #[serde(default)]
    pub labels: Labels,
    /// For kind `prometheus`: the kind of the servers it scrapes (required), and PromQL label
    /// matchers selecting them, e.g. `job="mlserver"` (optional).
    #[serde(default)]
    pub source_kind: Option<ServerKind>,
    #[serde(default)]
    pub selector: Option<String>,
    /// Where the bearer token is: `env:NAME`, an environment variable of the collector,
    /// `keyring:NAME`, an entry in the OS keyring, or `file:/PATH`, a file.
    #[serde(default)]
    pub token_ref: Option<String>,
    /// For a server behind TLS with a certificate authority of its own: where its PEM
    /// certificate is (`file:/PATH`, or `env:` / `keyring:`).
    #[serde(default)]
    pub tls_ca: Option<String>,
    /// For a server that asks for a client certificate: where the PEM certificate and its
    /// private key are (`file:/PATH`, `env:NAME` or `keyring:NAME`).
    #[serde(default)]
    pub tls_client: Option<String>,
}

/// Labels of a server: name → value.
pub type Labels = BTreeMap<String, String>;

/// The most labels a server may carry.
pub const MAX_LABELS: usize = 16;

/// Checks `seconds` for `field` lies in `range` and gives it in whole milliseconds.
pub(super) fn millis(field: &'static str, label: &str, seconds: Option<f64>, range: (f64, f64)) -> Result<Option<i64>> {
    let Some(seconds) = seconds else { return Ok(None) };
    if !(range.0..=range.1).contains(&seconds) {
        let message = format!("{label} must be between {} and {} seconds, not {seconds}.", range.0, range.1);
        return Err(VigilError::invalid(field, message));
    }
    Ok(Some((seconds * 1000.0).round() as i64))
}

/// A reference in `field` (`env:NAME`, `keyring:NAME` or `file:/PATH`) to the secret called
/// `what`, trimmed, as it will be stored; None when empty.
fn validate_reference(field: &'static str, what: &str, reference: Option<&str>) -> Result<Option<String>> {
    let Some(reference) = reference.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    let parsed =
        crate::secrets::TokenRef::parse_as(reference, what).map_err(|message| VigilError::invalid(field, message))?;
    Ok(Some(parsed.to_string()))
}

fn validate_labels(labels: &Labels) -> Result<()> {
    if labels.len() > MAX_LABELS {
        return Err(VigilError::invalid("labels", format!("A server takes at most {MAX_LABELS} labels.")));
    }
    for (name, value) in labels {
        let name_ok = (1..=32).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !name_ok {
            let message = format!(
                "Label name '{name}' must be 1 to 32 characters of a-z, 0-9, '_' or '-', e.g. team or environment."
            );
            return Err(VigilError::invalid("labels", message));
        }
        if value.chars().count() > 128 || value.chars().any(char::is_control) {
            let message =
                format!("Label '{name}' must have a value of at most 128 characters, without control characters.");
            return Err(VigilError::invalid("labels", message));
        }
    }
    Ok(())
}

impl NewServer {
    /// Checks the input and returns it normalized (name trimmed, URL without a trailing slash).
    /// Each error names the field at fault and says what is expected.
    pub fn validate(&self) -> Result<NewServer> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(VigilError::invalid(
                "name",
                "Name must not be empty: give the server a short name, e.g. fraud-prod.",
            ));
        }
        if name.chars().count() > MAX_NAME_LEN {
            return Err(VigilError::invalid(
                "name",
                format!("Name is too long: use at most {MAX_NAME_LEN} characters."),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(VigilError::invalid(
                "name",
                "Name must not contain control characters such as tabs or newlines.",
            ));
        }
        let metrics_url = match self.metrics_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(normalize_url("metrics_url", "Metrics URL", url)?),
        };
        let management_url = match self.management_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(normalize_url("management_url", "Management URL", url)?),
        };
        let base_url = normalize_url("base_url", "Base URL", &self.base_url)?;
        millis("poll_interval", "Poll interval", self.poll_interval_secs, (0.1, 86_400.0))?;
        millis("timeout", "Timeout", self.timeout_secs, (0.1, 300.0))?;
        validate_labels(&self.labels)?;
        let (source_kind, selector) = self.validate_source()?;
        let token_ref = validate_reference("token_ref", "Token", self.token_ref.as_deref())?;
        let tls_ca = validate_reference("tls_ca", "Certificate authority", self.tls_ca.as_deref())?;
        let tls_client = validate_reference("tls_client", "Client certificate", self.tls_client.as_deref())?;
        Ok(NewServer {
            name: name.to_owned(),
            base_url,
            metrics_url,
            management_url,
            source_kind,
            selector,
            token_ref,
            tls_ca,
            tls_client,
            ..self.clone()
        })
    }

    /// For kind `prometheus`, the scraped servers' kind and selector; nothing for other kinds.
    fn validate_source(&self) -> Result<(Option<ServerKind>, Option<String>)> {
        if self.kind != ServerKind::Prometheus {
            return Ok((None, None));
        }
        let source = match self.source_kind {
            Some(kind) if kind.signal_map().is_some() => kind,
            _ => {
                let message =
                    "Source kind must say what kind of servers this Prometheus scrapes, e.g. mlserver or triton.";
                return Err(VigilError::invalid("source_kind", message));
            }
        };
        let selector = self.selector.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(selector) = selector {
            if let Err(reason) = crate::scrape::selector::parse(selector) {
                let message = format!(
                    "Selector must be PromQL label matchers without braces, e.g. instance=\"10.0.0.7:8080\" or job=\"mlserver\": {reason}."
                );
                return Err(VigilError::invalid("selector", message));
            }
        }
        Ok((Some(source), selector.map(str::to_owned)))
    }
}

/// Checks an http(s) address given for `field` (shown to people as `label`) and returns it
/// without a trailing slash.
fn normalize_url(field: &'static str, label: &str, raw: &str) -> Result<String> {
    let raw = raw.trim();
    let invalid = |why: &str| VigilError::invalid(field, format!("{label} {why}, e.g. http://127.0.0.1:8080."));
    if raw.is_empty() {
        return Err(invalid("must not be empty: give the server's http:// or https:// address"));
    }
    if raw.len() > MAX_URL_LEN {
        return Err(invalid(&format!("is too long (at most {MAX_URL_LEN} characters): give the server's address")));
    }
    let url = url::Url::parse(raw).map_err(|_| invalid("is not a valid URL: give an http:// or https:// address"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(&format!("must start with http:// or https://, not {}://", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("has no host: give the server's host and port"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "must not contain a user name or password (Vigil never stores secrets): give the address alone",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query (?…) or fragment (#…): give the server's base address"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

impl Server {
    /// How often this server is polled, given the engine's default.
    pub fn poll_interval(&self, default: Duration) -> Duration {
        self.poll_interval_ms.map_or(default, |ms| Duration::from_millis(ms.unsigned_abs()))
    }

    /// How long one request to this server may take, given the engine's default.
    pub fn timeout(&self, default: Duration) -> Duration {
        self.timeout_ms.map_or(default, |ms| Duration::from_millis(ms.unsigned_abs()))
    }
}

impl Server {
    /// The settings a person gave this server, as they would give them again to edit it.
    pub fn settings(&self) -> NewServer {
        let seconds = |ms: Option<i64>| ms.map(|ms| ms as f64 / 1000.0);
        NewServer {
            name: self.name.clone(),
            base_url: self.base_url.clone(),
            kind: self.kind,
            metrics_url: self.metrics_url.clone(),
            management_url: self.management_url.clone(),
            poll_interval_secs: seconds(self.poll_interval_ms),
            timeout_secs: seconds(self.timeout_ms),
            labels: self.labels.0.clone(),
            source_kind: self.source_kind,
            selector: self.selector.clone(),
            token_ref: self.token_ref.clone(),
            tls_ca: self.tls_ca.clone(),
            tls_client: self.tls_client.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, url: &str) -> NewServer {
        NewServer { name: name.into(), base_url: url.into(), ..Default::default() }
    }

    #[test]
    fn a_prometheus_source_needs_the_scraped_kind_and_a_selector_without_braces() {
        let prometheus = |source, selector: &str| NewServer {
            kind: ServerKind::Prometheus,
            source_kind: source,
            selector: Some(selector.into()),
            ..new("p", "http://127.0.0.1:9090")
        };
        let ok = prometheus(Some(ServerKind::Triton), r#" job="triton" "#).validate().unwrap();
        assert_eq!((ok.source_kind, ok.selector.as_deref()), (Some(ServerKind::Triton), Some(r#"job="triton""#)));
        assert_eq!(prometheus(None, "").validate().unwrap_err().field(), Some("source_kind"));
        assert_eq!(prometheus(Some(ServerKind::Auto), "").validate().unwrap_err().field(), Some("source_kind"));
        assert_eq!(
            prometheus(Some(ServerKind::Mlserver), "job=\"x\"} or up{").validate().unwrap_err().field(),
            Some("selector")
        );
        let plain = NewServer { source_kind: Some(ServerKind::Triton), ..new("a", "http://h") }.validate().unwrap();
        assert_eq!(plain.source_kind, None, "only a prometheus server keeps a source");
    }

    #[test]
    fn a_token_is_given_by_reference_to_an_environment_variable_or_a_keyring_entry_only() {
        let with = |reference: &str| NewServer { token_ref: Some(reference.into()), ..new("a", "http://h") };
        assert_eq!(with(" env:FRAUD_TOKEN ").validate().unwrap().token_ref.as_deref(), Some("env:FRAUD_TOKEN"));
        assert_eq!(with("keyring:fraud-prod").validate().unwrap().token_ref.as_deref(), Some("keyring:fraud-prod"));
        for bad in ["s3cret-token-value", "env:", "env:1X", "env:A-B", "keyring:two words"] {
            let err = with(bad).validate().unwrap_err();
            assert_eq!(err.field(), Some("token_ref"), "{bad}");
            assert!(!err.to_string().contains("s3cret"), "the error never repeats a token: {err}");
        }
    }

    #[test]
    fn poll_interval_timeout_and_labels_are_checked_naming_their_field() {
        let ok = NewServer {
            poll_interval_secs: Some(5.0),
            timeout_secs: Some(1.5),
            labels: [("team".to_owned(), "risk".to_owned()), ("environment".to_owned(), "prod".to_owned())].into(),
            ..new("a", "http://h")
        };
        assert_eq!(ok.validate().unwrap(), ok);
        for (bad, field) in [
            (NewServer { poll_interval_secs: Some(0.0), ..new("a", "http://h") }, "poll_interval"),
            (NewServer { timeout_secs: Some(600.0), ..new("a", "http://h") }, "timeout"),
            (NewServer { labels: [("Team!".to_owned(), "x".to_owned())].into(), ..new("a", "http://h") }, "labels"),
            (NewServer { labels: [("team".to_owned(), "a\nb".to_owned())].into(), ..new("a", "http://h") }, "labels"),
        ] {
            assert_eq!(bad.validate().unwrap_err().field(), Some(field), "{bad:?}");
        }
    }

    #[test]
    fn a_metrics_url_is_optional_and_checked_like_the_base_url() {
        let with = |metrics: &str| NewServer { metrics_url: Some(metrics.into()), ..new("a", "http://h:8080") };
        assert_eq!(with("  ").validate().unwrap().metrics_url, None);
        assert_eq!(
            with("http://h:8082/metrics/").validate().unwrap().metrics_url.as_deref(),
            Some("http://h:8082/metrics")
        );
        let err = with("h:8082").validate().unwrap_err();
        assert_eq!(err.field(), Some("metrics_url"));
        assert!(err.to_string().starts_with("Metrics URL must start with http"), "{err}");
    }

    #[test]
    fn accepts_and_normalizes_a_good_server() {
        let ok = new("  fraud-prod ", "http://127.0.0.1:8080/").validate().unwrap();
        assert_eq!(ok, new("fraud-prod", "http://127.0.0.1:8080"));
        let ok = new("kserve", "https://models.example.com/serving/").validate().unwrap();
        assert_eq!(ok.base_url, "https://models.example.com/serving");
    }

    #[test]
    fn rejects_bad_names_naming_the_name_field() {
        for bad in ["", "   ", "tab\there", &"x".repeat(MAX_NAME_LEN + 1)] {
            let err = new(bad, "http://localhost:1").validate().unwrap_err();
            assert_eq!(err.field(), Some("name"), "{bad:?}");
            assert!(err.to_string().starts_with("Name"), "{err}");
        }
    }

    #[test]
    fn rejects_urls_that_are_not_http_naming_the_base_url_field() {
        for (bad, says) in [
            ("", "must not be empty"),
            ("localhost:8080", "http"),
            ("ftp://host/x", "not ftp://"),
            ("file:///etc/passwd", "not file://"),
            ("http://", "not a valid URL"),
            ("not a url", "not a valid URL"),
            ("http://user:secret@host", "user name or password"),
            ("http://host/?q=1", "query"),
        ] {
            let err = new("a", bad).validate().unwrap_err();
            assert_eq!(err.field(), Some("base_url"), "{bad:?}");
            assert!(err.to_string().contains(says), "{bad:?} → {err}");
        }
    }
}
