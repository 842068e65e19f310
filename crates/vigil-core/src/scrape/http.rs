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
    /// Its `Content-Type` and `Content-Encoding`, if given as short printable text.
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
}

/// A header's value as shown in an error: printable ASCII of at most 64 characters.
fn header_text(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    let value = response.headers().get(name)?.to_str().ok()?.trim();
    let printable = value.len() <= 64 && value.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    printable.then(|| value.to_owned())
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
    let json =
        serde_json::from_slice(&answer.body).map_err(|err| JsonError::NotJson(not_json(&path, &answer, &err)))?;
    Ok((answer.status, json))
}

/// Why an answer that should have been JSON is not, as the user should hear it.
fn not_json(path: &str, answer: &Capped, err: &serde_json::Error) -> String {
    if err.to_string().starts_with("recursion limit exceeded") {
        return format!("{path} answered with JSON nested deeper than 128 levels");
    }
    if std::str::from_utf8(&answer.body).is_err() {
        return format!("{path} answered with text that is not valid UTF-8");
    }
    match answer.content_type.as_deref() {
        Some(kind) if !kind.contains("json") => format!("{path} answered {kind}, not JSON"),
        _ => format!("{path} answered with something that is not JSON"),
    }
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
    // How much of the body had come when the time ran out: None before the answer's head.
    let mut received: Option<usize> = None;
    let read = async {
        let mut response = request.send().await.map_err(|err| describe_failure(&err, &path, timeout))?;
        let status = response.status().as_u16();
        let content_type = header_text(&response, reqwest::header::CONTENT_TYPE);
        let content_encoding = header_text(&response, reqwest::header::CONTENT_ENCODING);
        let mut body = Vec::new();
        let mut truncated = false;
        received = Some(0);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = max_bytes - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    received = Some(body.len());
                    if chunk.len() > room {
                        truncated = true;
                        break;
                    }
                }
                Ok(None) => break,
                Err(err) => return Err(describe_failure(&err, &path, timeout)),
            }
        }
        Ok(Capped { status, body, truncated, content_type, content_encoding })
    };
    let outcome = tokio::time::timeout(timeout, read).await;
    let seconds = timeout.as_secs_f64();
    outcome.unwrap_or_else(|_| match received {
        None => Err(format!("no answer from {path} within {seconds:.1} s")),
        Some(bytes) => Err(format!("the server was still sending {path} after {seconds:.1} s ({bytes} bytes so far)")),
    })
}

/// Words for a request to `path` that got no HTTP answer, without the library's internals.
pub(crate) fn describe_failure(err: &reqwest::Error, path: &str, timeout: Duration) -> String {
    if err.is_timeout() {
        format!("no answer from {path} within {:.1} s", timeout.as_secs_f64())
    } else if let Some(tls) = cause::<rustls::Error>(err) {
        describe_tls(tls)
    } else if err.is_connect() {
        if caused_by_refusal(err) {
            "connection refused".into()
        } else {
            "could not connect".into()
        }
    } else if err.is_redirect() {
        format!("{path} redirects more than 3 times (a redirect loop?)")
    } else if cause::<hyper::Error>(err).is_some_and(hyper::Error::is_parse_too_large) {
        format!("{path} answered with headers that never end (over hyper's limit); Vigil stopped reading")
    } else if cause::<hyper::Error>(err).is_some_and(hyper::Error::is_incomplete_message) {
        format!("the server closed the connection before it finished answering {path}")
    } else {
        "the request failed before an answer came".into()
    }
}

/// Words for a TLS failure: whose certificate was refused and what to do.
fn describe_tls(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(why) => format!(
            "the server's TLS certificate is not trusted ({why:?}): give the server its certificate authority (--tls-ca)"
        ),
        rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired) => {
            "the server requires a client certificate: give the server one (--tls-client)".into()
        }
        rustls::Error::AlertReceived(alert) => format!("the server ended the TLS handshake ({alert:?})"),
        other => format!("TLS failed: {other}"),
    }
}

fn caused_by_refusal(err: &(dyn std::error::Error + 'static)) -> bool {
    cause::<std::io::Error>(err).is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
}

/// The first `E` among the causes of `err`, looking inside I/O errors too (whose own
/// `source` skips the error they wrap).
fn cause<'e, E: std::error::Error + 'static>(err: &'e (dyn std::error::Error + 'static)) -> Option<&'e E> {
    let mut cause = err.source();
    while let Some(inner) = cause {
        if let Some(found) = inner.downcast_ref::<E>() {
            return Some(found);
        }
        cause = match inner.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(wrapped) => Some(wrapped as &(dyn std::error::Error + 'static)),
            None => inner.source(),
        };
    }
    None
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
