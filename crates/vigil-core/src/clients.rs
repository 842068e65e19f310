//! One HTTP client per server, built once: when the poller first polls the server, and again
//! when the server's token reference changes.
//!
//! Every server shares the engine's `reqwest::Client` (one connection pool; its connect timeout,
//! redirect limit of 3 and user agent set once in `Engine::open`); answers are read through the
//! capped reader of `scrape::http`. A server with a token adds it to each request: the token is
//! read from its reference (`env:` or `keyring:`, see `secrets`) once at the start of each poll,
//! never stored.

use std::collections::{HashMap, HashSet};

use crate::scrape::http::ServerHttp;
use crate::secrets::TokenRef;
use crate::servers::Server;

/// How Vigil reaches one server: the shared client and where the server's token is, if it
/// needs one. Cheap to clone.
#[derive(Clone)]
pub struct ServerClient {
    http: reqwest::Client,
    /// Where the token is; the error when the stored reference is not one.
    token: Option<Result<TokenRef, String>>,
}

impl ServerClient {
    /// The client for `server`, through the shared client `http`.
    pub fn new(http: reqwest::Client, server: &Server) -> ServerClient {
        ServerClient { http, token: server.token_ref.as_deref().map(TokenRef::parse) }
    }

    /// What one poll sends its requests through, with the token read now. The error names the
    /// token's reference, never the token.
    pub async fn authorize(&self) -> Result<ServerHttp, String> {
        let reference = match &self.token {
            None => return Ok(ServerHttp::new(self.http.clone())),
            Some(Err(reason)) => return Err(reason.clone()),
            Some(Ok(reference)) => reference,
        };
        let token = reference.read().await?;
        ServerHttp::with_token(self.http.clone(), &token)
            .ok_or_else(|| format!("the token in {reference} is not a valid header value"))
    }
}

/// The poller's clients, by server id.
pub struct Clients {
    http: reqwest::Client,
    /// Each server's client, and the token reference it was built with.
    by_server: HashMap<i64, (Option<String>, ServerClient)>,
}

impl Clients {
    /// No clients yet; each will share `http`.
    pub fn new(http: reqwest::Client) -> Clients {
        Clients { http, by_server: HashMap::new() }
    }

    /// The client of `server`: the one built before, unless its token reference changed since.
    pub fn for_server(&mut self, server: &Server) -> ServerClient {
        match self.by_server.get(&server.id) {
            Some((token_ref, client)) if *token_ref == server.token_ref => client.clone(),
            _ => {
                let client = ServerClient::new(self.http.clone(), server);
                self.by_server.insert(server.id, (server.token_ref.clone(), client.clone()));
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
