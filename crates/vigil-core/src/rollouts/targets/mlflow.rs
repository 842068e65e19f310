//! An MLflow Model Registry alias as a deployment target: whatever resolves `models:/{model}@{alias}`
//! (e.g. `champion`) serves the version the alias points at, so switching is pointing it elsewhere.
//!
//! - Apply: `POST {url}/api/2.0/mlflow/registered-models/alias` with `{name, alias, version}`;
//!   pointing an alias where it already points changes nothing.
//! - Read: `GET {url}/api/2.0/mlflow/registered-models/alias?name=..&alias=..`, whose
//!   `model_version.version` is the version served, at 100 %.
//!
//! A registry that needs a bearer token names it by reference (`env:NAME` or `keyring:NAME`);
//! the token is read for each call and sent with that call only.

use serde::Deserialize;
use serde_json::json;

use super::{
    endpoint, switched_to, Answer, Capabilities, DeploymentTarget, FailureKind, TargetFailure, TargetHttp, Traffic,
};
use crate::secrets::TokenRef;
use crate::VigilError;

/// It switches all traffic from one version to another; no weights, no mirror.
pub const CAPABILITIES: Capabilities = Capabilities { weights: false, switch: true, mirror: false };

/// The registry's alias endpoint, below the target's URL.
const ALIAS_PATH: [&str; 5] = ["api", "2.0", "mlflow", "registered-models", "alias"];
/// The longest version read back that is kept whole (the registry's strings are untrusted).
const MAX_VERSION: usize = 64;

/// Checks a target's registered model name, alias and token reference.
pub fn validate(model: &str, alias: &str, token_ref: Option<&str>) -> crate::Result<()> {
    validate_registered(model, token_ref)?;
    let plain =
        (1..=255).contains(&alias.len()) && alias.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if !plain || reserved_alias(alias) {
        return Err(VigilError::invalid(
            "alias",
            format!("'{alias}' cannot be an MLflow alias: use letters, digits, '_' or '-' (not 'latest' nor v<number>), e.g. champion."),
        ));
    }
    Ok(())
}

/// Checks a registered model's name and the registry's token reference.
pub fn validate_registered(model: &str, token_ref: Option<&str>) -> crate::Result<()> {
    if model.trim().is_empty() || model.len() > 256 || model.chars().any(char::is_control) {
        return Err(VigilError::invalid(
            "model",
            "Give the registered model's name as MLflow shows it (1 to 256 characters).",
        ));
    }
    match token_ref.map(TokenRef::parse) {
        Some(Err(message)) => Err(VigilError::invalid("token_ref", message)),
        _ => Ok(()),
    }
}

/// The names MLflow keeps for itself: `latest` and `v` followed by digits.
fn reserved_alias(alias: &str) -> bool {
    let lower = alias.to_ascii_lowercase();
    lower == "latest" || lower.strip_prefix('v').is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

pub struct MlflowAlias {
    http: TargetHttp,
    url: String,
    model: String,
    alias: String,
    /// Where the token is; the error when the stored reference is not one.
    token: Option<Result<TokenRef, String>>,
}

#[derive(Deserialize)]
struct AliasAnswer {
    model_version: ModelVersion,
}

#[derive(Deserialize)]
struct ModelVersion {
    version: serde_json::Value,
}

impl MlflowAlias {
    pub fn new(http: TargetHttp, url: String, model: String, alias: String, token_ref: Option<&str>) -> MlflowAlias {
        MlflowAlias { http, url, model, alias, token: token_ref.map(TokenRef::parse) }
    }

    /// `request` with the token read now, when the target has one.
    async fn authorized(&self, request: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, TargetFailure> {
        match &self.token {
            None => Ok(request),
            Some(Err(reason)) => Err(TargetFailure::config(reason.clone())),
            Some(Ok(reference)) => Ok(request.bearer_auth(reference.read().await.map_err(TargetFailure::config)?)),
        }
    }
}

/// The version an alias answer names, kept short and printable: a string, or a number as text.
pub(crate) fn version_in(answer: serde_json::Value) -> Option<String> {
    let version = match serde_json::from_value::<AliasAnswer>(answer).ok()?.model_version.version {
        serde_json::Value::String(text) => text,
        serde_json::Value::Number(number) => number.to_string(),
        _ => return None,
    };
    let version: String = version.chars().filter(|c| !c.is_control()).take(MAX_VERSION).collect();
    (!version.trim().is_empty()).then_some(version)
}

impl DeploymentTarget for MlflowAlias {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn idempotent(&self) -> bool {
        true
    }

    fn read(&self) -> Answer<'_, Traffic> {
        Box::pin(async move {
            let mut url = endpoint(&self.url, &ALIAS_PATH)?;
            url.query_pairs_mut().append_pair("name", &self.model).append_pair("alias", &self.alias);
            let request = self.authorized(self.http.client.get(url.clone())).await?;
            let (_, answer) = self.http.exchange(request, url.as_str()).await?;
            let version = version_in(answer).ok_or_else(|| {
                TargetFailure::new(FailureKind::Refused, format!("{url} did not answer a model version for the alias"))
            })?;
            Ok(Traffic::only(&version))
        })
    }

    fn apply<'a>(&'a self, wanted: &'a Traffic) -> Answer<'a, ()> {
        Box::pin(async move {
            let version = switched_to(wanted)?;
            let url = endpoint(&self.url, &ALIAS_PATH)?;
            let body = json!({ "name": self.model, "alias": self.alias, "version": version });
            let request = self.authorized(self.http.client.post(url.clone()).json(&body)).await?;
            self.http.exchange(request, url.as_str()).await.map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_read_back_is_a_short_printable_string() {
        let answer = |version| json!({"model_version": {"name": "fraud", "version": version, "aliases": ["champion"]}});
        assert_eq!(version_in(answer(json!("2"))), Some("2".to_owned()));
        assert_eq!(version_in(answer(json!(3))), Some("3".to_owned()), "a number is taken as text");
        assert_eq!(version_in(answer(json!("1\n\u{1b}[31m"))), Some("1[31m".to_owned()), "control characters dropped");
        assert_eq!(version_in(answer(json!("9".repeat(500)))).map(|v| v.len()), Some(MAX_VERSION));
        for bad in [answer(json!(null)), answer(json!("  ")), json!({}), json!({"model_version": {}}), json!([])] {
            assert_eq!(version_in(bad.clone()), None, "{bad}");
        }
    }

    #[test]
    fn model_alias_and_token_reference_are_checked_naming_the_field() {
        assert!(validate("fraud detector", "champion", Some("env:MLFLOW_TOKEN")).is_ok());
        assert!(validate("fraud", "prod_2-b", None).is_ok());
        let field = |result: crate::Result<()>| match result {
            Err(VigilError::InvalidInput { field, .. }) => field,
            other => panic!("not refused: {other:?}"),
        };
        assert_eq!(field(validate(" ", "champion", None)), "model");
        for alias in ["", "champ ion", "latest", "V12", "a/b"] {
            assert_eq!(field(validate("fraud", alias, None)), "alias", "{alias}");
        }
        assert!(validate("fraud", "v12a", None).is_ok(), "only v<number> is reserved");
        assert_eq!(field(validate("fraud", "champion", Some("s3cr3t"))), "token_ref");
    }

    #[tokio::test]
    async fn a_reference_that_is_not_one_fails_as_configuration_without_calling() {
        let http = TargetHttp { client: reqwest::Client::new(), timeout: std::time::Duration::from_secs(1) };
        let target =
            MlflowAlias::new(http, "http://127.0.0.1:9".into(), "fraud".into(), "champion".into(), Some("oops"));
        let failure = target.read().await.unwrap_err();
        assert_eq!(failure.kind, FailureKind::Config, "{failure}");
        assert!(failure.message.contains("by reference"), "{failure}");
    }

    #[test]
    fn a_stored_spec_is_tagged_mlflow_and_needs_no_token() {
        use super::super::{capabilities_of, TargetSpec};
        let stored = json!({"kind": "mlflow", "url": "https://mlflow.internal", "model": "fraud", "alias": "champion"});
        let spec: TargetSpec = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(serde_json::to_value(&spec).unwrap(), stored, "no token_ref when there is none");
        assert!(spec.validate().is_ok());
        assert_eq!(capabilities_of(&spec), CAPABILITIES);
    }
}
