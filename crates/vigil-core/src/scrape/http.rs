//! Bounded HTTP reads from model servers: servers are untrusted, so no answer is read past a
//! size cap, and every failure is put in words without the HTTP library's internals.

use std::time::Duration;

use crate::health::describe_failure;

/// An answer read up to a cap.
pub struct Capped {
    pub status: u16,
    pub body: Vec<u8>,
    /// Whether the body went on past the cap (and was cut there).
    pub truncated: bool,
}

/// GETs `url`, waiting at most `timeout` in all, and reads at most `max_bytes` of the body.
/// The error names the path and what happened ("connection refused", "no answer from /metrics
/// within 2.0 s").
pub async fn get_capped(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
    max_bytes: usize,
) -> Result<Capped, String> {
    let path = url::Url::parse(url).map(|u| u.path().to_owned()).unwrap_or_default();
    let read = async {
        let mut response = client.get(url).send().await.map_err(|err| describe_failure(&err, &path, timeout))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = max_bytes - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if chunk.len() > room {
                        truncated = true;
                        break;
                    }
                }
                Ok(None) => break,
                Err(err) => return Err(describe_failure(&err, &path, timeout)),
            }
        }
        Ok(Capped { status, body, truncated })
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| Err(format!("no answer from {path} within {:.1} s", timeout.as_secs_f64())))
}
