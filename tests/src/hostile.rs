//! Hostile model servers on loopback, for the tests and the hostile soak benchmark
//! (`vigil-bench hostile`): each speaks HTTP/1.1 on a raw socket as an MLServer would, and
//! misbehaves in one way ([`Hostility`]): refuses, hangs, drips, floods, compresses what it was
//! not asked to, breaks UTF-8, sends garbage or a million series, fails with 5xx, redirects in
//! a loop, answers web pages, sends headers that never end, nests JSON 100,000 deep, or shows a
//! TLS certificate nobody trusts. A [`Hostility::Healthy`] server answers as MLServer 1.7.1 did
//! and logs when its metrics page was read, so a benchmark can measure its schedule from the
//! server's side.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One way a server misbehaves, or [`Hostility::Healthy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostility {
    Healthy,
    /// Nothing listens on its port.
    Refuses,
    /// Accepts, reads the request, never answers.
    Hangs,
    /// Answers every request one byte a second.
    Drips,
    /// A 50 MB metrics page.
    Floods,
    /// A metrics page gzip-compressed (a bomb: 100 MB of zeros), though none was asked for.
    GzipBomb,
    /// A repository index and a metrics page that are not valid UTF-8.
    InvalidUtf8,
    /// A metrics page of random bytes.
    Garbage,
    /// A metrics page of a million series.
    MillionSeries,
    /// HTTP 503 to everything.
    ServerErrors,
    /// Every path redirects to itself.
    RedirectLoop,
    /// Every answer is an HTML page, JSON asked for or not.
    WrongContentType,
    /// The headers of every answer never end.
    EndlessHeaders,
    /// Its repository index and model metadata nest arrays 100,000 deep.
    DeepJson,
    /// TLS with a self-signed certificate.
    BadCertificate,
}

impl Hostility {
    /// Every hostile kind, without [`Hostility::Healthy`].
    pub const HOSTILE: [Hostility; 14] = [
        Hostility::Refuses,
        Hostility::Hangs,
        Hostility::Drips,
        Hostility::Floods,
        Hostility::GzipBomb,
        Hostility::InvalidUtf8,
        Hostility::Garbage,
        Hostility::MillionSeries,
        Hostility::ServerErrors,
        Hostility::RedirectLoop,
        Hostility::WrongContentType,
        Hostility::EndlessHeaders,
        Hostility::DeepJson,
        Hostility::BadCertificate,
    ];

    /// A short name, for server names and reports.
    pub fn name(self) -> &'static str {
        match self {
            Hostility::Healthy => "healthy",
            Hostility::Refuses => "refuses",
            Hostility::Hangs => "hangs",
            Hostility::Drips => "drips",
            Hostility::Floods => "floods",
            Hostility::GzipBomb => "gzip-bomb",
            Hostility::InvalidUtf8 => "invalid-utf8",
            Hostility::Garbage => "garbage",
            Hostility::MillionSeries => "million-series",
            Hostility::ServerErrors => "server-errors",
            Hostility::RedirectLoop => "redirect-loop",
            Hostility::WrongContentType => "wrong-content-type",
            Hostility::EndlessHeaders => "endless-headers",
            Hostility::DeepJson => "deep-json",
            Hostility::BadCertificate => "bad-certificate",
        }
    }

    /// Words the server's state in Vigil (its health reason and metrics error, joined) must
    /// hold for a user to see what this server did.
    pub fn expected_words(self) -> &'static str {
        match self {
            Hostility::Healthy => "",
            Hostility::Refuses => "connection refused",
            Hostility::Hangs => "no answer from /v2/repository/index within",
            Hostility::Drips => "was still sending /v2/repository/index after",
            Hostility::Floods => "larger than 16 MB",
            Hostility::GzipBomb => "compressed (gzip)",
            Hostility::InvalidUtf8 => "not valid UTF-8",
            Hostility::Garbage => "not in the Prometheus text format",
            Hostility::MillionSeries => "more than 200000 lines",
            Hostility::ServerErrors => "answered HTTP 503",
            Hostility::RedirectLoop => "redirects more than 3 times",
            Hostility::WrongContentType => "(text/html)",
            Hostility::EndlessHeaders => "headers that never end",
            Hostility::DeepJson => "nested deeper than",
            Hostility::BadCertificate => "TLS certificate is not trusted",
        }
    }
}

/// A running server; it stops when dropped.
pub struct HostileServer {
    pub hostility: Hostility,
    url: String,
    /// When its metrics page was asked for (healthy servers only).
    metrics_reads: Arc<Mutex<Vec<Instant>>>,
    task: Option<JoinHandle<()>>,
}

impl HostileServer {
    /// Starts a server that misbehaves as `hostility` says.
    pub async fn start(hostility: Hostility) -> HostileServer {
        let tls = (hostility == Hostility::BadCertificate).then(self_signed_acceptor);
        HostileServer::start_with_tls(hostility, tls).await
    }

    /// As [`HostileServer::start`], speaking TLS through `tls` if given (`https://` URL).
    pub async fn start_with_tls(hostility: Hostility, tls: Option<tokio_rustls::TlsAcceptor>) -> HostileServer {
        let metrics_reads = Arc::new(Mutex::new(Vec::new()));
        if hostility == Hostility::Refuses {
            return HostileServer { hostility, url: crate::loopback::closed_port_url(), metrics_reads, task: None };
        }
        // The big answers are made before serving, not while a client waits.
        match hostility {
            Hostility::GzipBomb => drop(tokio::task::spawn_blocking(gzip_bomb).await),
            Hostility::MillionSeries => drop(tokio::task::spawn_blocking(million_series).await),
            Hostility::DeepJson => drop(deep_json()),
            _ => {}
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let port = listener.local_addr().expect("bound address").port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let reads = metrics_reads.clone();
        let served = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (reads, served, tls) = (reads.clone(), served.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        // A client that does not trust the certificate gives up in the handshake.
                        Some(tls) => {
                            if let Ok(stream) = tls.accept(stream).await {
                                converse(stream, hostility, &reads, &served).await;
                            }
                        }
                        None => converse(stream, hostility, &reads, &served).await,
                    }
                });
            }
        });
        HostileServer { hostility, url: format!("{scheme}://127.0.0.1:{port}"), metrics_reads, task: Some(task) }
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// When the metrics page was read, in order (healthy servers only).
    pub fn metrics_reads(&self) -> Vec<Instant> {
        self.metrics_reads.lock().expect("reads").clone()
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The request line's method and path; the rest of a request is read and dropped.
struct Request {
    method: String,
    path: String,
}

/// Serves requests on one connection until the peer closes it or an answer ends it.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    hostility: Hostility,
    reads: &Mutex<Vec<Instant>>,
    served: &AtomicU64,
) {
    while let Some(request) = read_request(&mut stream).await {
        if hostility == Hostility::Healthy && request.path == "/metrics" {
            reads.lock().expect("reads").push(Instant::now());
        }
        let count = served.fetch_add(1, Ordering::Relaxed);
        if answer(&mut stream, hostility, &request, count).await.is_err() {
            return;
        }
    }
}

/// Reads one request's head (at most 64 KB) and its body by `Content-Length`.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Request> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut words = head.split_whitespace();
    let (method, path) = (words.next()?.to_owned(), words.next()?.to_owned());
    let length: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length.min(1 << 20)];
    stream.read_exact(&mut body).await.ok()?;
    Some(Request { method, path })
}

/// What a healthy MLServer 1.7.1 answers (tests/fixtures/http/mlserver-1.7.1), its counters
/// growing with every metrics read.
fn healthy(request: &Request, count: u64) -> (u16, &'static str, Vec<u8>) {
    const JSON: &str = "application/json";
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v2/repository/index") => {
            (200, JSON, br#"[{"name":"iris","version":"v1","state":"READY","reason":""}]"#.to_vec())
        }
        (_, "/v2") => (200, JSON, br#"{"name":"mlserver","version":"1.7.1","extensions":[]}"#.to_vec()),
        (_, "/v2/models/iris/versions/v1") => {
            (200, JSON, br#"{"name":"iris","versions":[],"platform":"","inputs":[],"outputs":[]}"#.to_vec())
        }
        (_, "/metrics") => (200, "text/plain; version=0.0.4", mlserver_page(count).into_bytes()),
        (_, path) if path.ends_with("/ready") => (200, "text/plain", Vec::new()),
        _ => (404, JSON, br#"{"error":"not found"}"#.to_vec()),
    }
}

fn mlserver_page(count: u64) -> String {
    format!(
        "# TYPE model_infer_request_success_total counter\n\
         model_infer_request_success_total{{model=\"iris\",version=\"v1\"}} {count}\n\
         # TYPE model_infer_request_failure_total counter\n\
         model_infer_request_failure_total{{model=\"iris\",version=\"v1\"}} 0\n\
         # TYPE model_infer_request_duration summary\n\
         model_infer_request_duration_count{{model=\"iris\",version=\"v1\"}} {count}\n\
         model_infer_request_duration_sum{{model=\"iris\",version=\"v1\"}} {}\n",
        count as f64 * 0.01
    )
}

/// Answers `request` as `hostility` says; an error ends the connection.
async fn answer<S: AsyncWrite + Unpin>(
    stream: &mut S,
    hostility: Hostility,
    request: &Request,
    count: u64,
) -> std::io::Result<()> {
    let metrics = request.path == "/metrics";
    let (status, content_type, body): (u16, &str, Vec<u8>) = match hostility {
        Hostility::Healthy | Hostility::BadCertificate | Hostility::Refuses => healthy(request, count),
        Hostility::Hangs => {
            std::future::pending::<()>().await;
            unreachable!("a pending future never ends")
        }
        Hostility::Drips => return drip(stream).await,
        Hostility::EndlessHeaders => return endless_headers(stream).await,
        Hostility::Floods if metrics => return flood(stream).await,
        Hostility::GzipBomb if metrics => {
            let head = head(200, "text/plain", gzip_bomb().len(), "Content-Encoding: gzip\r\n");
            stream.write_all(head.as_bytes()).await?;
            return stream.write_all(gzip_bomb()).await;
        }
        Hostility::InvalidUtf8 if metrics => {
            (200, "text/plain", b"model_\xff\xfe_total{model=\"\xc3\x28\"} 1\n".repeat(50))
        }
        Hostility::InvalidUtf8 if request.path == "/v2/repository/index" => {
            (200, "application/json", b"[{\"name\":\"ir\xffis\",\"version\":\"v1\",\"state\":\"READY\"}]".to_vec())
        }
        Hostility::Garbage if metrics => (200, "text/plain", garbage(200_000)),
        Hostility::MillionSeries if metrics => (200, "text/plain", million_series().to_vec()),
        Hostility::ServerErrors => (503, "text/plain", b"upstream overloaded".to_vec()),
        Hostility::RedirectLoop => {
            let location = format!("Location: {}\r\n", request.path);
            return stream.write_all(head(302, "text/plain", 0, &location).as_bytes()).await;
        }
        Hostility::WrongContentType => {
            (200, "text/html", b"<html><body><h1>Welcome to nginx!</h1></body></html>".to_vec())
        }
        Hostility::DeepJson
            if request.path == "/v2/repository/index"
                || request.path.starts_with("/v2/models/iris/versions/v1") && !request.path.ends_with("/ready") =>
        {
            (200, "application/json", deep_json().to_vec())
        }
        _ => healthy(request, count),
    };
    stream.write_all(head(status, content_type, body.len(), "").as_bytes()).await?;
    stream.write_all(&body).await
}

fn head(status: u16, content_type: &str, length: usize, extra: &str) -> String {
    format!("HTTP/1.1 {status} Hostile\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n{extra}\r\n")
}

/// Headers promising 1,000 bytes, then one byte a second.
async fn drip<S: AsyncWrite + Unpin>(stream: &mut S) -> std::io::Result<()> {
    stream.write_all(head(200, "application/json", 1000, "").as_bytes()).await?;
    for _ in 0..1000 {
        stream.write_all(b" ").await?;
        stream.flush().await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}

/// A status line, then header lines for as long as the peer reads them.
async fn endless_headers<S: AsyncWrite + Unpin>(stream: &mut S) -> std::io::Result<()> {
    stream.write_all(b"HTTP/1.1 200 OK\r\n").await?;
    let line =
        b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(64);
    loop {
        stream.write_all(&line).await?;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// 50 MB of a valid-looking page, in 64 KB writes.
async fn flood<S: AsyncWrite + Unpin>(stream: &mut S) -> std::io::Result<()> {
    const TOTAL: usize = 50 << 20;
    stream.write_all(head(200, "text/plain", TOTAL, "").as_bytes()).await?;
    let chunk = b"x_total 1\n".repeat(6_554);
    let mut sent = 0;
    while sent < TOTAL {
        let part = &chunk[..chunk.len().min(TOTAL - sent)];
        stream.write_all(part).await?;
        sent += part.len();
    }
    Ok(())
}

/// Bytes from a fixed pseudo-random sequence.
pub fn garbage(length: usize) -> Vec<u8> {
    (0..length as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect()
}

/// A million short series of one counter, each a model of its own (made once).
fn million_series() -> &'static [u8] {
    static PAGE: OnceLock<Vec<u8>> = OnceLock::new();
    PAGE.get_or_init(|| {
        let mut page = Vec::with_capacity(20 << 20);
        for i in 0..1_000_000u32 {
            page.extend_from_slice(format!("m{{a=\"{i}\"}} 1\n").as_bytes());
        }
        page
    })
}

/// 100 MB of zeros, gzip-compressed (made once).
fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..100 {
            encoder.write_all(&zeros).expect("compress in memory");
        }
        encoder.finish().expect("compress in memory")
    })
}

/// A JSON array nested 100,000 deep (made once).
fn deep_json() -> &'static [u8] {
    static DEEP: OnceLock<Vec<u8>> = OnceLock::new();
    DEEP.get_or_init(|| [b"[".repeat(100_000), b"]".repeat(100_000)].concat())
}

/// A TLS acceptor with a certificate made for this run and signed by nobody.
fn self_signed_acceptor() -> tokio_rustls::TlsAcceptor {
    static ACCEPTOR: OnceLock<tokio_rustls::TlsAcceptor> = OnceLock::new();
    ACCEPTOR.get_or_init(|| crate::tls::Authority::new("Hostile CA").acceptor(None)).clone()
}
