//! Endpoints for load tests, as axum routers (`POST /infer`): one that answers at once, one that
//! stalls for a while at regular times, one that always fails, one that refuses beyond a rate.
//! The tests serve them with [`serve`]; the benchmark serves them on a core of its own.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The path every router here answers.
pub const PATH: &str = "/infer";

/// Answers 200 `{"ok":true}` at once.
pub fn fast() -> Router {
    Router::new().route(PATH, post(|| async { r#"{"ok":true}"# }))
}

/// Always answers `status`.
pub fn answering(status: StatusCode) -> Router {
    Router::new().route(PATH, post(move || async move { (status, "no") }))
}

/// Answers after `delay` (to make requests time out).
pub fn slow(delay: Duration) -> Router {
    Router::new().route(
        PATH,
        post(move || async move {
            tokio::time::sleep(delay).await;
            "late"
        }),
    )
}

/// Stalls for `stall` at the end of every `period` from when it is built (a pause such as a
/// garbage collection): a request arriving during a stall is answered when the stall ends;
/// any other at once.
pub fn stalling(period: Duration, stall: Duration) -> Router {
    let epoch = Instant::now();
    Router::new().route(
        PATH,
        post(move || async move {
            if let Some(wait) = stall_left(epoch.elapsed(), period, stall) {
                tokio::time::sleep(wait).await;
            }
            r#"{"ok":true}"#
        }),
    )
}

/// How much of a stall is left at `since_epoch`, if one is under way.
pub fn stall_left(since_epoch: Duration, period: Duration, stall: Duration) -> Option<Duration> {
    let into_period = Duration::from_nanos((since_epoch.as_nanos() % period.as_nanos().max(1)) as u64);
    let stall_starts = period.saturating_sub(stall);
    (into_period >= stall_starts).then(|| period - into_period)
}

/// Answers 200 to the first `per_second` requests of each second from when it is built, and
/// 503 to the rest (a server that cannot go faster).
pub fn rate_limited(per_second: u64) -> Router {
    let epoch = Instant::now();
    let window = Arc::new(Mutex::new((0u64, 0u64)));
    Router::new().route(
        PATH,
        post(move || async move {
            let second = epoch.elapsed().as_secs();
            let mut window = window.lock().expect("the window lock");
            if window.0 != second {
                *window = (second, 0);
            }
            window.1 += 1;
            if window.1 > per_second {
                (StatusCode::SERVICE_UNAVAILABLE, "busy")
            } else {
                (StatusCode::OK, "ok")
            }
        }),
    )
}

/// A router served on a free loopback port until dropped.
pub struct Served {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Served {
    /// `http://127.0.0.1:PORT/infer`
    pub fn url(&self) -> String {
        format!("http://{}{PATH}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `router` on a free loopback port on the current runtime.
pub async fn serve(router: Router) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("bound address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Served { addr, task }
}
