//! Bounded HTTP reads from model servers: servers are untrusted, so no answer is read past a
//! size cap, and every failure is put in words without the HTTP library's internals. Every
//! request to a server goes through its [`ServerHttp`], which adds the server's bearer token.

use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION};

/// How Vigil speaks HTTP to one server during one poll: a shared client (its connect timeout,
/// redirect limit and user agent set once, by the engine) and, for a server that needs one, the
/// `Authorization: Bearer …` value added to each request. Cheap to clone.
#[derive(Clone)]
pub struct ServerHttp {
    client: reqwest::Client,
    /// Marked sensitive, so that it never shows in debug output.
    bearer: Option<HeaderValue>,
}

impl ServerHttp {
    /// Requests through `client`, without a token.
    pub fn new(client: reqwest::Client) -> ServerHttp {
        ServerHttp { client, bearer: None }
    }

    /// Requests through `client`, each with `Authorization: Bearer TOKEN`. None when the token
    /// cannot be a header value (a control character in it, say): the caller names the token's
    /// reference, never the token.
    pub fn with_token(client: reqwest::Client, token: &str) -> Option<ServerHttp> {
        let mut bearer = HeaderValue::try_from(format!("Bearer {}", token.trim())).ok()?;
        bearer.set_sensitive(true);
        Some(ServerHttp { client, bearer: Some(bearer) })
    }

    /// A GET of `url`, with the token if there is one.
    pub fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.authorized(self.client.get(url))
    }

    /// A POST to `url`, with the token if there is one.
    pub fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.authorized(self.client.post(url))
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.bearer {
            Some(bearer) => request.header(AUTHORIZATION, bearer.clone()),
            None => request,
        }
    }
}

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
pub async fn get_capped(http: &ServerHttp, url: &str, timeout: Duration, max_bytes: usize) -> Result<Capped, String> {
    read_capped(http.get(url), url, timeout, max_bytes).await
}

/// The JSON a GET of `url` (or, with `post`, a POST of that JSON) answers with a 2xx status,
/// read up to `max_bytes`; an error says what was wrong with the answer.
pub async fn fetch_json(
    http: &ServerHttp,
    url: &str,
    post: Option<&serde_json::Value>,
    timeout: Duration,
    max_bytes: usize,
) -> Result<serde_json::Value, String> {
    fetch_json_answer(http, url, post, timeout, max_bytes).await.map(|(_, json)| json).map_err(JsonError::into_reason)
}

/// Why no JSON came back.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonError {
    /// No HTTP answer at all: refused, timed out, cut off. The reason in words.
    NoAnswer(String),
    /// An answer, but not 2xx JSON within the cap. The reason in words.
    NotJson(String),
}

impl JsonError {
    pub fn into_reason(self) -> String {
        match self {
            JsonError::NoAnswer(reason) | JsonError::NotJson(reason) => reason,
        }
    }
}

/// As [`fetch_json`], with the HTTP status of a good answer, and an error that tells whether
/// the server answered at all.
pub async fn fetch_json_answer(
    http: &ServerHttp,
    url: &str,
    post: Option<&serde_json::Value>,
    timeout: Duration,
    max_bytes: usize,
) -> Result<(u16, serde_json::Value), JsonError> {
    let request = match post {
        Some(body) => http.post(url).json(body),
        None => http.get(url),
    };
    let answer = read_capped(request, url, timeout, max_bytes).await.map_err(JsonError::NoAnswer)?;
    let path = path_of(url);
    if !(200..300).contains(&answer.status) {
        return Err(JsonError::NotJson(format!("{path} answered HTTP {}", answer.status)));
    }
    if answer.truncated {
        return Err(JsonError::NotJson(format!("{path} answered with more than {} KB", max_bytes >> 10)));
    }
    let json = serde_json::from_slice(&answer.body)
        .map_err(|_| JsonError::NotJson(format!("{path} answered with something that is not JSON")))?;
    Ok((answer.status, json))
}

fn path_of(url: &str) -> String {
    url::Url::parse(url).map(|u| u.path().to_owned()).unwrap_or_default()
}

/// Sends `request` (to `url`) and reads its answer as [`get_capped`] does.
pub(crate) async fn read_capped(
    request: reqwest::RequestBuilder,
    url: &str,
    timeout: Duration,
    max_bytes: usize,
) -> Result<Capped, String> {
    let path = path_of(url);
    let read = async {
        let mut response = request.send().await.map_err(|err| describe_failure(&err, &path, timeout))?;
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

/// Words for a request to `path` that got no HTTP answer, without the library's internals.
pub(crate) fn describe_failure(err: &reqwest::Error, path: &str, timeout: Duration) -> String {
    if err.is_timeout() {
        format!("no answer from {path} within {:.1} s", timeout.as_secs_f64())
    } else if err.is_connect() {
        if caused_by_refusal(err) {
            "connection refused".into()
        } else {
            "could not connect".into()
        }
    } else {
        "the request failed before an answer came".into()
    }
}

fn caused_by_refusal(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = err.source();
    while let Some(inner) = cause {
        if inner.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
            return true;
        }
        cause = inner.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_with_every_request_as_a_sensitive_header_and_only_when_there_is_one() {
        let client = reqwest::Client::new();
        let http = ServerHttp::with_token(client.clone(), " s3cret \n").expect("a valid token");
        for request in [http.get("http://h/v2/health/ready"), http.post("http://h/v2/repository/index")] {
            let request = request.build().expect("a request");
            let bearer = &request.headers()[AUTHORIZATION];
            assert_eq!((bearer.to_str().ok(), bearer.is_sensitive()), (Some("Bearer s3cret"), true));
        }
        let plain = ServerHttp::new(client.clone()).get("http://h/metrics").build().expect("a request");
        assert!(!plain.headers().contains_key(AUTHORIZATION));
        assert!(ServerHttp::with_token(client, "a\u{7}b").is_none(), "a control character is no header");
    }
}
