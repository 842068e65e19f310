//! Serving a router on a loopback port, stopping (the port closes, as when a server dies) and
//! serving again on the same port later (as when it comes back).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpSocket;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a stopping server lets requests in flight finish before it drops them.
const GRACE: Duration = Duration::from_secs(1);

/// A router being served on one address until [`Listener::stop`] or drop.
#[derive(Debug)]
pub struct Listener {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Listener {
    /// Serves `app` on `addr` (port 0: any free port). The address may be one a stopped
    /// listener used a moment ago.
    pub async fn serve(addr: SocketAddr, app: Router) -> std::io::Result<Listener> {
        let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        let listener = socket.listen(1024)?;
        let addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(err) = serving.await {
                tracing::warn!("serving on {addr} ended: {err}");
            }
        });
        Ok(Listener { addr, shutdown: Some(shutdown), task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting at once, closes idle connections, and lets requests in flight finish
    /// for a moment; then the port is closed.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if tokio::time::timeout(GRACE, &mut self.task).await.is_err() {
            self.task.abort();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
