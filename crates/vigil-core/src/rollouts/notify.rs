//! A policy's webhook for sign-offs: when a rollout starts waiting for people (or waits past its
//! limit), the engine posts what it asks, `{model, rollout, roles, late, sentence}`, to the URL
//! the model's policy names (`Policy::notify_url`, checked by `Policy::validate`), so a chat bot
//! or a pager can tell them.
//!
//! The post runs beside the driver, bounded by [`POST_TIMEOUT`]; a failure is logged and never
//! retried, and never holds a rollout back. The window's own notification comes from the
//! `ApprovalNeeded` event, not from here.

use std::time::Duration;

use serde_json::json;

use crate::events::EngineEvent;

/// How long one post may take, connection included.
pub const POST_TIMEOUT: Duration = Duration::from_secs(5);

/// Posts `event` to `url` in the background, when there is a URL and the event asks for a
/// sign-off; any other event, or no URL, posts nothing. The body is the event's fields.
pub(super) fn post_in_background(http: &reqwest::Client, url: Option<&str>, event: &EngineEvent) {
    let (Some(url), EngineEvent::ApprovalNeeded { model, rollout, roles, late, sentence }) = (url, event) else {
        return;
    };
    let body = json!({ "model": model, "rollout": rollout, "roles": roles, "late": late, "sentence": sentence });
    let request = http.post(url.trim()).timeout(POST_TIMEOUT).json(&body);
    let subject = format!("{model} rollout {rollout}");
    tokio::spawn(async move {
        if let Err(why) = send(request).await {
            tracing::warn!("the sign-off notification for {subject} was not delivered: {why}");
        }
    });
}

/// Sends the post; the receiver's status must be a success. The URL stays out of the words: a
/// webhook's URL often holds its secret.
async fn send(request: reqwest::RequestBuilder) -> std::result::Result<(), String> {
    let response = request.send().await.map_err(|err| err.without_url().to_string())?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}
