//! The window's ingest endpoint, where model servers' payload loggers post inferences for drift.

use std::net::SocketAddr;

use vigil_core::drift::ingest::{self, IngestServer};
use vigil_core::{Engine, VigilError};

/// Where the window listens for payloads unless told otherwise (a free port when it is taken).
pub const INGEST_ADDR: &str = "127.0.0.1:17809";

/// Starts the ingest endpoint on `addr` with `token` (a random one when None); on a free
/// loopback port when `addr` is the default and taken.
pub async fn start(engine: &Engine, addr: SocketAddr, token: Option<String>) -> Result<IngestServer, VigilError> {
    let token = match token {
        Some(token) => token,
        None => ingest::new_token()?,
    };
    match engine.drift().start_ingest(addr, token.clone()).await {
        Err(err) if addr.to_string() == INGEST_ADDR => {
            tracing::warn!("{err}; listening for payloads on a free port instead");
            engine.drift().start_ingest(SocketAddr::from(([127, 0, 0, 1], 0)), token).await
        }
        started => started,
    }
}
