//! One HTTP client per server, built once: when the poller first polls the server, and again
//! when the server's token or TLS references change.
//!
//! Every server shares the engine's `reqwest::Client` (one connection pool; its connect timeout,
//! redirect limit of 3 and user agent set once by [`http_client`]), unless it speaks TLS with a
//! certificate authority or a client certificate of its own: then it has a client of its own,
//! built the same way with them, at its first poll (and again at the next poll while building
//! fails). Answers are read through the capped reader of `scrape::http`. A server with a token
//! adds it to each request: the token is read from its reference (see `secrets`) once at the
//! start of each poll, never stored.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::scrape::http::ServerHttp;
use crate::secrets::TokenRef;
use crate::servers::Server;

/// A server's own TLS settings, as references (see `secrets`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsRefs {
    /// PEM certificates of the authorities to trust besides the usual ones.
    pub ca: Option<String>,
    /// A PEM client certificate chain and its private key.
    pub client: Option<String>,
}

impl TlsRefs {
    fn of(server: &Server) -> Option<TlsRefs> {
        let refs = TlsRefs { ca: server.tls_ca.clone(), client: server.tls_client.clone() };
        (refs != TlsRefs::default()).then_some(refs)
    }

    /// A client trusting the authorities and showing the certificate, read now. The error
    /// names the reference and what was wrong with it, never the key.
    async fn build(&self, connect_timeout: Duration) -> Result<reqwest::Client, String> {
        let read = |reference: &str, what: &str| {
            let parsed = TokenRef::parse_as(reference, what);
            async move { parsed?.read().await }
        };
        let mut tls = Tls::default();
        if let Some(reference) = &self.ca {
            let pem = read(reference, "Certificate authority").await?;
            tls.authorities = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .ok()
                .filter(|found| !found.is_empty())
                .ok_or_else(|| format!("{reference} holds no PEM certificate"))?;
        }
        if let Some(reference) = &self.client {
            let pem = read(reference, "Client certificate").await?;
            tls.identity = Some(reqwest::Identity::from_pem(pem.as_bytes()).map_err(|_| {
                format!("{reference} does not hold a PEM client certificate followed by its private key")
            })?);
        }
        http_client(connect_timeout, tls)
    }
}

/// Certificate authorities to trust besides the usual ones, and a client certificate to show.
#[derive(Default)]
pub(crate) struct Tls {
    pub authorities: Vec<reqwest::Certificate>,
    pub identity: Option<reqwest::Identity>,
}

/// The HTTP client Vigil reaches servers with: its user agent, `connect_timeout`, at most 3
/// redirects, and `tls`.
pub(crate) fn http_client(connect_timeout: Duration, tls: Tls) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::limited(3));
    for authority in tls.authorities {
        builder = builder.add_root_certificate(authority);
    }
    if let Some(identity) = tls.identity {
        builder = builder.identity(identity);
    }
    builder.build().map_err(|err| format!("the HTTP client could not be built: {err}"))
}

/// How Vigil reaches one server: the shared client or its own, and where the server's token
/// is, if it needs one. Cheap to clone.
#[derive(Clone)]
pub struct ServerClient {
    http: reqwest::Client,
    /// Where the token is; the error when the stored reference is not one.
    token: Option<Result<TokenRef, String>>,
    /// The server's own TLS settings, and its client once built from them.
    tls: Option<(TlsRefs, Arc<tokio::sync::Mutex<Option<reqwest::Client>>>)>,
    connect_timeout: Duration,
}

impl ServerClient {
    /// The client for `server`, through the shared client `http` unless it has TLS settings.
    pub fn new(http: reqwest::Client, server: &Server) -> ServerClient {
        let connect_timeout = server
            .timeout_ms
            .map_or(crate::options::DEFAULT_REQUEST_TIMEOUT, |ms| Duration::from_millis(ms.max(1) as u64));
        ServerClient {
            http,
            token: server.token_ref.as_deref().map(TokenRef::parse),
            tls: TlsRefs::of(server).map(|refs| (refs, Arc::default())),
            connect_timeout,
        }
    }

    /// What one poll sends its requests through, with the token read now. The error names the
    /// token's reference, never the token.
    pub async fn authorize(&self) -> Result<ServerHttp, String> {
        let http = match &self.tls {
            None => self.http.clone(),
            Some((refs, built)) => {
                let mut built = built.lock().await;
                match &*built {
                    Some(client) => client.clone(),
                    None => built.insert(refs.build(self.connect_timeout).await?).clone(),
                }
            }
        };
        let reference = match &self.token {
            None => return Ok(ServerHttp::new(http)),
            Some(Err(reason)) => return Err(reason.clone()),
            Some(Ok(reference)) => reference,
        };
        let token = reference.read().await?;
        ServerHttp::with_token(http, &token)
            .ok_or_else(|| format!("the token in {reference} is not a valid header value"))
    }
}

/// A server's token reference and TLS settings.
type References = (Option<String>, Option<TlsRefs>);

/// The poller's clients, by server id.
pub struct Clients {
    http: reqwest::Client,
    /// Each server's client, and the references it was built with.
    by_server: HashMap<i64, (References, ServerClient)>,
}

impl Clients {
    /// No clients yet; each will share `http`.
    pub fn new(http: reqwest::Client) -> Clients {
        Clients { http, by_server: HashMap::new() }
    }

    /// The client of `server`: the one built before, unless its token or TLS references changed
    /// since.
    pub fn for_server(&mut self, server: &Server) -> ServerClient {
        let references = (server.token_ref.clone(), TlsRefs::of(server));
        match self.by_server.get(&server.id) {
            Some((built_with, client)) if *built_with == references => client.clone(),
            _ => {
                let client = ServerClient::new(self.http.clone(), server);
                self.by_server.insert(server.id, (references, client.clone()));
                client
            }
        }
    }

    /// Forgets the clients of servers that are no longer registered.
    pub fn retain(&mut self, registered: &[Server]) {
        let ids: HashSet<i64> = registered.iter().map(|server| server.id).collect();
        self.by_server.retain(|id, _| ids.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(id: i64, token_ref: Option<&str>) -> Server {
        Server {
            id,
            name: format!("s{id}"),
            base_url: "http://h".into(),
            kind: crate::ServerKind::OipV2,
            detected_kind: None,
            metrics_url: None,
            management_url: None,
            metrics_error: None,
            poll_interval_ms: None,
            timeout_ms: None,
            labels: Default::default(),
            source_kind: None,
            selector: None,
            token_ref: token_ref.map(str::to_owned),
            tls_ca: None,
            tls_client: None,
            health: crate::HealthState::Unknown,
            health_reason: None,
            health_since: None,
            checked_at: None,
            created_at: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn a_client_is_built_once_and_again_when_its_token_reference_changes() {
        let mut clients = Clients::new(reqwest::Client::new());
        let plain = clients.for_server(&server(1, None));
        assert!(plain.token.is_none() && clients.for_server(&server(1, None)).token.is_none());
        let tokened = clients.for_server(&server(1, Some("env:VIGIL_CLIENTS_TEST_UNSET")));
        let reason = tokened.authorize().await.err().expect("the variable is not set");
        assert_eq!(reason, "the token variable VIGIL_CLIENTS_TEST_UNSET is not set in Vigil's environment");
        clients.for_server(&server(2, None));
        clients.retain(&[server(2, None)]);
        assert_eq!(clients.by_server.keys().collect::<Vec<_>>(), [&2]);
    }
}
