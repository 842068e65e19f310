//! Real HTTP servers on 127.0.0.1 that stand in for a model server's readiness endpoint.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A server answering `GET /v2/health/ready` with a status the test sets (200 at first).
/// Dropping it, or calling [`ReadinessServer::stop`], closes the port.
pub struct ReadinessServer {
    addr: SocketAddr,
    status: Arc<AtomicU16>,
    task: JoinHandle<()>,
}

impl ReadinessServer {
    /// Starts on a free loopback port.
    pub async fn start() -> Self {
        Self::start_with_delay(Duration::ZERO).await
    }

    /// Starts a server that waits `delay` before each answer (a hanging server).
    pub async fn start_with_delay(delay: Duration) -> Self {
        let status = Arc::new(AtomicU16::new(200));
        let app = Router::new()
            .route(
                "/v2/health/ready",
                get(move |State(status): State<Arc<AtomicU16>>| async move {
                    tokio::time::sleep(delay).await;
                    let status = StatusCode::from_u16(status.load(Ordering::SeqCst))
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    // No keep-alive: once stopped, the server must look stopped to every client.
                    (status, [(header::CONNECTION, "close")])
                }),
            )
            .with_state(status.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, status, task }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Makes the readiness endpoint answer `status` from now on.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Stops serving and closes the port.
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for ReadinessServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A loopback port that nothing listens on (bound, then released).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("bound address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
