//! Sending a notification: to the desktop (an `AlertNotified` event, which the window shows as a
//! desktop notification), or as a POST to a webhook: Alertmanager's webhook body (version 4) for
//! a generic receiver, `{"text": …}` for a Slack-compatible one. The auth header's secret is read
//! by reference when sending; the webhook's URL stays out of error words (it often holds a secret).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::dispatch::{Notification, NotifiedAlert};
use super::receivers::ReceiverKind;
use crate::context::Context;
use crate::events::EngineEvent;
use crate::secrets::TokenRef;

/// How long one POST may take, connection included.
pub const POST_TIMEOUT: Duration = Duration::from_secs(5);

/// "[FIRING:2] error share over objective", "[RESOLVED] dataset drift".
pub fn title(notification: &Notification) -> String {
    match notification.firing.len() {
        0 => format!("[RESOLVED] {}", notification.group_key),
        firing => format!("[FIRING:{firing}] {}", notification.group_key),
    }
}

/// Each alert's sentence on its own line, firing first, with its runbook.
pub fn text(notification: &Notification) -> String {
    let line = |alert: &NotifiedAlert| match &alert.runbook {
        Some(runbook) => format!("{} — runbook: {runbook}", alert.sentence),
        None => alert.sentence.clone(),
    };
    let mut lines: Vec<String> = notification.firing.iter().map(line).collect();
    lines.extend(notification.resolved.iter().map(|a| format!("resolved: {}", line(a))));
    lines.join("\n")
}

/// Alertmanager's webhook body (version 4).
pub fn webhook_body(notification: &Notification, now: DateTime<Utc>) -> Value {
    let alert = |a: &NotifiedAlert, status: &str| {
        json!({
            "status": status,
            "labels": a.labels,
            "annotations": {"summary": a.sentence, "runbook_url": a.runbook},
            "startsAt": a.since,
            "endsAt": if status == "resolved" { json!(now) } else { json!("0001-01-01T00:00:00Z") },
        })
    };
    let mut alerts: Vec<Value> = notification.firing.iter().map(|a| alert(a, "firing")).collect();
    alerts.extend(notification.resolved.iter().map(|a| alert(a, "resolved")));
    json!({
        "version": "4",
        "receiver": notification.receiver.draft.name,
        "status": if notification.firing.is_empty() { "resolved" } else { "firing" },
        "groupKey": notification.group_key,
        "groupLabels": {"rule": notification.group_key},
        "title": title(notification),
        "alerts": alerts,
    })
}

/// A Slack incoming webhook's body.
pub fn slack_body(notification: &Notification) -> Value {
    json!({"text": slack_text(&title(notification), &text(notification))})
}

/// Slack's message text: the title in bold, then the lines, with `&`, `<` and `>` escaped as
/// Slack asks, so that a name such as `<!channel>` or `<https://x|click>` shows as written
/// instead of pinging everyone or becoming a link.
fn slack_text(title: &str, text: &str) -> String {
    let escape = |words: &str| words.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!("*{}*\n{}", escape(title), escape(text))
}

/// The model all of `alerts` are about, when they are about one (alerts of rules over the whole
/// fleet name none).
fn sole_model<'a>(mut alerts: impl Iterator<Item = &'a NotifiedAlert>) -> Option<String> {
    let first = alerts.next()?.labels.get("model")?;
    alerts.all(|alert| alert.labels.get("model") == Some(first)).then(|| first.clone())
}

/// Sends `notification`; Err holds the receiver's own words.
pub async fn send(context: &Context, notification: &Notification) -> Result<(), String> {
    let receiver = &notification.receiver.draft;
    let body = match receiver.kind {
        ReceiverKind::Desktop => {
            context.publish(EngineEvent::AlertNotified {
                title: title(notification),
                body: text(notification),
                critical: notification.firing.iter().any(|a| a.severity == super::rules::Severity::Critical),
                model: sole_model(notification.firing.iter().chain(&notification.resolved)),
            });
            return Ok(());
        }
        ReceiverKind::Webhook => webhook_body(notification, Utc::now()),
        ReceiverKind::Slack => slack_body(notification),
    };
    let url = receiver.url.as_deref().ok_or("the receiver has no URL")?;
    let mut request = context.http().post(url).timeout(POST_TIMEOUT).json(&body);
    if let Some(reference) = &receiver.auth_ref {
        let secret = TokenRef::parse(reference)?.read().await?;
        request = request.bearer_auth(secret);
    }
    let response = request.send().await.map_err(|err| err.without_url().to_string())?;
    match response.status() {
        status if status.is_success() => Ok(()),
        status => Err(format!("the receiver answered {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::dispatch::NotifiedAlert;
    use super::super::rules::Severity;

    fn about(model: Option<&str>) -> NotifiedAlert {
        let labels = model.map(|m| ("model".to_string(), m.to_string())).into_iter().collect();
        NotifiedAlert {
            rule: "errors".into(),
            subject: model.unwrap_or("fleet").into(),
            severity: Severity::Warning,
            sentence: "error share is 7.2 %".into(),
            labels,
            runbook: None,
            since: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_notification_about_one_model_names_it_and_one_about_several_or_none_names_none() {
        let model = |alerts: &[NotifiedAlert]| super::sole_model(alerts.iter());
        assert_eq!(model(&[about(Some("fraud")), about(Some("fraud"))]).as_deref(), Some("fraud"));
        assert_eq!(model(&[about(Some("fraud")), about(Some("churn"))]), None);
        assert_eq!(model(&[about(Some("fraud")), about(None)]), None);
        assert_eq!(model(&[about(None)]), None);
        assert_eq!(model(&[]), None);
    }

    #[test]
    fn names_in_a_slack_message_show_as_written_and_ping_nobody() {
        let text = super::slack_text("[FIRING:1] <!channel> & co", "model <https://evil.example|click> is down");
        assert_eq!(text, "*[FIRING:1] &lt;!channel&gt; &amp; co*\nmodel &lt;https://evil.example|click&gt; is down");
    }
}
