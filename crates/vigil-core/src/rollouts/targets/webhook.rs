//! A generic HTTP webhook target: each change is a `POST {url}` whose JSON body is made from a
//! template, for deployment systems Vigil has no dedicated target for.
//!
//! The template is JSON with placeholders: `{{model}}` (the model's name as the receiver knows
//! it), `{{version}}` (the version with the largest share; on a tie, the first by name),
//! `{{weights}}` (a JSON object, version → percent) and `{{traffic}}` (words: `12 90 % · 13 10 %`).
//! A placeholder where a JSON value goes is replaced by that value (`{"v": {{version}}}` becomes
//! `{"v": "13"}`); inside a JSON string it is replaced by the value's escaped text
//! (`"to {{version}}"`). Either way a version's text cannot break the JSON, and a template that
//! is not JSON once filled in is refused with the parser's words.
//!
//! `auth`, when given, is a token reference (`env:NAME` / `keyring:NAME`) read at each call and
//! sent as `Authorization: Bearer <token>`, or as the bare token in the header `auth_header`
//! names (`X-Api-Key`).
//!
//! A POST is not idempotent, so a call that got no answer is never sent again.
//!
//! Confirming: with `read_back_url`, the target reads `GET {read_back_url}` answering the
//! router's shape `{"weights": {...}}`. Without one, Vigil cannot know what the receiver serves,
//! so [`DeploymentTarget::read`] fails with [`FailureKind::Config`](super::FailureKind::Config) saying so, and a rollout
//! using the webhook stops (the driver records the failure) instead of claiming a step is done.
//! Counting the webhook's 2xx answer, or weights it echoes, as the read-back was considered and
//! not done: an echo repeats what was asked for, not what is served, and the driver's restart
//! reconciliation would believe it.

use reqwest::header::{HeaderName, AUTHORIZATION};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::{
    http_url, read_token, router, secret_header, without_secret, Answer, Capabilities, DeploymentTarget, TargetFailure,
    TargetHttp, Traffic,
};
use crate::secrets::TokenRef;
use crate::VigilError;

/// It splits by weight and switches; it has no mirror.
pub const CAPABILITIES: Capabilities = Capabilities { weights: true, switch: true, mirror: false };

/// A webhook as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WebhookSpec {
    /// Where changes are POSTed.
    pub url: String,
    /// The model's name as the receiver knows it, for `{{model}}`.
    pub model: String,
    /// The JSON body template.
    pub body: String,
    /// The token's reference, `env:NAME` or `keyring:NAME`.
    #[serde(default)]
    pub auth: Option<String>,
    /// The header the token goes in, bare; `Authorization: Bearer <token>` when not given.
    #[serde(default)]
    pub auth_header: Option<String>,
    /// Where what is served is read back, in the router's shape.
    #[serde(default)]
    pub read_back_url: Option<String>,
}

impl WebhookSpec {
    /// Checks the URLs, the token reference, the header name, and that the template makes JSON.
    pub fn validate(&self) -> crate::Result<()> {
        http_url("url", &self.url)?;
        if let Some(read_back_url) = &self.read_back_url {
            http_url("read_back_url", read_back_url)?;
        }
        if self.model.trim().is_empty() {
            return Err(VigilError::invalid("model", "Name the model as the webhook's receiver knows it, e.g. fraud."));
        }
        self.validate_auth()?;
        let sample = Traffic::split("12", "13", 10);
        render(&self.body, &self.model, &sample).map(|_| ()).map_err(|reason| VigilError::invalid("body", reason))
    }

    fn validate_auth(&self) -> crate::Result<()> {
        if let Some(auth) = &self.auth {
            TokenRef::parse(auth).map_err(|reason| VigilError::invalid("auth", reason))?;
        }
        let Some(name) = &self.auth_header else { return Ok(()) };
        if self.auth.is_none() {
            return Err(VigilError::invalid(
                "auth_header",
                "A header for the token needs a token: give auth as env:NAME or keyring:NAME.",
            ));
        }
        HeaderName::from_bytes(name.as_bytes()).map(|_| ()).map_err(|_| {
            VigilError::invalid(
                "auth_header",
                format!("'{name}' is not an HTTP header name: use letters, digits and '-', e.g. X-Api-Key."),
            )
        })
    }
}

pub struct Webhook {
    http: TargetHttp,
    spec: WebhookSpec,
}

impl Webhook {
    pub fn new(http: TargetHttp, spec: WebhookSpec) -> Webhook {
        Webhook { http, spec }
    }

    /// Sends `request` to `url` with the token, when the webhook has one, and returns the
    /// answer's JSON.
    async fn send(&self, request: reqwest::RequestBuilder, url: &str) -> Result<Value, TargetFailure> {
        let Some(reference) = &self.spec.auth else {
            return self.http.exchange(request, url).await.map(|(_, json)| json);
        };
        let token = read_token(reference).await?;
        let request = self.with_token(request, &token, reference)?;
        self.http.exchange(request, url).await.map(|(_, json)| json).map_err(|failure| without_secret(failure, &token))
    }

    /// `request` with `token` (read from `reference`) in its header.
    fn with_token(
        &self,
        request: reqwest::RequestBuilder,
        token: &str,
        reference: &str,
    ) -> Result<reqwest::RequestBuilder, TargetFailure> {
        match &self.spec.auth_header {
            None => Ok(request.header(AUTHORIZATION, secret_header(&format!("Bearer {token}"), reference)?)),
            Some(name) => {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| TargetFailure::config(format!("'{name}' is not an HTTP header name")))?;
                Ok(request.header(name, secret_header(token, reference)?))
            }
        }
    }
}

impl DeploymentTarget for Webhook {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn idempotent(&self) -> bool {
        false
    }

    fn read(&self) -> Answer<'_, Traffic> {
        Box::pin(async move {
            let Some(url) = &self.spec.read_back_url else {
                return Err(TargetFailure::config(format!(
                    "the webhook {} has no read_back_url, so Vigil cannot confirm what it serves: \
                     give read_back_url (answering {{\"weights\": {{...}}}}) to let rollouts go on",
                    self.spec.url
                )));
            };
            let json = self.send(self.http.client.get(url), url).await?;
            router::route_traffic(json, url)
        })
    }

    fn apply<'a>(&'a self, wanted: &'a Traffic) -> Answer<'a, ()> {
        Box::pin(async move {
            let body = render(&self.spec.body, &self.spec.model, wanted).map_err(TargetFailure::config)?;
            self.send(self.http.client.post(&self.spec.url).json(&body), &self.spec.url).await.map(|_| ())
        })
    }
}

/// The body `template` makes for `model` serving `traffic`, or why it is not JSON.
fn render(template: &str, model: &str, traffic: &Traffic) -> Result<Value, String> {
    let mut filled = String::with_capacity(template.len());
    let mut quotes = QuoteState::default();
    let mut rest = template;
    while let Some(next) = rest.chars().next() {
        if let Some(inside) = rest.strip_prefix("{{") {
            let end = inside.find("}}").ok_or("a placeholder opened with {{ is never closed with }}")?;
            let value = placeholder(inside[..end].trim(), model, traffic)?;
            filled.push_str(&value_text(&value, quotes.in_string));
            rest = &inside[end + 2..];
            continue;
        }
        quotes.step(next);
        filled.push(next);
        rest = &rest[next.len_utf8()..];
    }
    serde_json::from_str(&filled).map_err(|error| {
        format!(
            "the body is not JSON once its placeholders are filled in ({error}); write a placeholder where a \
             JSON value goes, e.g. {{\"version\": {{{{version}}}}}}"
        )
    })
}

/// Whether a scan of JSON text is inside a string.
#[derive(Default)]
struct QuoteState {
    in_string: bool,
    after_backslash: bool,
}

impl QuoteState {
    fn step(&mut self, c: char) {
        if !self.in_string {
            self.in_string = c == '"';
        } else if self.after_backslash {
            self.after_backslash = false;
        } else if c == '\\' {
            self.after_backslash = true;
        } else if c == '"' {
            self.in_string = false;
        }
    }
}

/// The value of the placeholder `name`.
fn placeholder(name: &str, model: &str, traffic: &Traffic) -> Result<Value, String> {
    match name {
        "model" => Ok(Value::from(model)),
        "version" => Ok(leading_version(traffic).map(Value::from).unwrap_or(Value::Null)),
        "weights" => Ok(Value::from_iter(traffic.weights.iter().map(|(v, w)| (v.clone(), Value::from(*w))))),
        "traffic" => Ok(Value::from(traffic.describe())),
        unknown => {
            let unknown: String = unknown.chars().take(40).collect();
            Err(format!(
                "the body names an unknown placeholder {{{{{unknown}}}}}: use {{{{model}}}}, {{{{version}}}}, \
                 {{{{weights}}}} or {{{{traffic}}}}"
            ))
        }
    }
}

/// The version with the largest share; on a tie, the first by name.
fn leading_version(traffic: &Traffic) -> Option<&str> {
    let by_share = |a: &(&String, &u32), b: &(&String, &u32)| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0));
    traffic.weights.iter().max_by(by_share).map(|(version, _)| version.as_str())
}

/// `value` as JSON text, or, inside a JSON string, as that string's escaped content.
fn value_text(value: &Value, in_string: bool) -> String {
    if !in_string {
        return value.to_string();
    }
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let quoted = Value::String(text).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "13\"}, \"evil\": {\"";

    fn sample() -> Traffic {
        Traffic::split("12", HOSTILE, 90)
    }

    #[test]
    fn placeholders_are_filled_as_json_values_or_escaped_text() {
        let template =
            r#"{"model": {{model}}, "to": {{version}}, "weights": {{ weights }}, "note": "now {{traffic}}"}"#;
        let body = render(template, "fraud", &Traffic::split("12", "13", 10)).unwrap();
        let expected = serde_json::json!({
            "model": "fraud", "to": "12", "weights": {"12": 90, "13": 10}, "note": "now 12 90 % · 13 10 %"
        });
        assert_eq!(body, expected);
    }

    #[test]
    fn a_version_cannot_break_the_json() {
        let body = render(r#"{"v": {{weights}}, "s": "x{{version}}"}"#, "fraud", &sample()).unwrap();
        assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
        assert_eq!(body["s"], format!("x{HOSTILE}"));
        assert_eq!(body["v"][HOSTILE], 90);
    }

    #[test]
    fn templates_that_are_not_json_are_refused_with_words() {
        let not_json = render(r#"{"v": {{version}}"#, "fraud", &sample()).unwrap_err();
        assert!(not_json.contains("not JSON once its placeholders are filled in"), "{not_json}");
        let unknown = render(r#"{"v": {{colour}}}"#, "fraud", &sample()).unwrap_err();
        assert!(unknown.contains("unknown placeholder {{colour}}"), "{unknown}");
        let unclosed = render(r#"{"v": {{version"#, "fraud", &sample()).unwrap_err();
        assert!(unclosed.contains("never closed"), "{unclosed}");
    }

    #[test]
    fn the_leading_version_is_the_largest_share_then_the_first_name() {
        assert_eq!(leading_version(&Traffic::split("12", "13", 60)), Some("13"));
        assert_eq!(leading_version(&Traffic::split("12", "13", 50)), Some("12"));
        assert_eq!(leading_version(&Traffic::default()), None);
    }

    #[test]
    fn validation_names_the_field() {
        let spec = WebhookSpec {
            url: "http://deploy.local/hook".into(),
            model: "fraud".into(),
            body: r#"{"v": {{version}}}"#.into(),
            auth: Some("env:HOOK_TOKEN".into()),
            auth_header: None,
            read_back_url: None,
        };
        assert!(spec.validate().is_ok());
        let field = |spec: WebhookSpec| match spec.validate() {
            Err(VigilError::InvalidInput { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        };
        assert_eq!(field(WebhookSpec { body: "{{version}".into(), ..spec.clone() }), "body");
        assert_eq!(field(WebhookSpec { auth: Some("s3cret".into()), ..spec.clone() }), "auth");
        assert_eq!(field(WebhookSpec { auth_header: Some("bad header".into()), ..spec.clone() }), "auth_header");
        assert_eq!(field(WebhookSpec { read_back_url: Some("ftp://x".into()), ..spec.clone() }), "read_back_url");
        assert_eq!(field(WebhookSpec { url: "deploy.local".into(), ..spec }), "url");
    }
}
