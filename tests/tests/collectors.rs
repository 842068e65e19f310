//! Two collectors on one store (make test runs this on SQLite and again on PostgreSQL): each
//! server is polled by exactly one of them, they share the fleet, and when one dies (its
//! poller aborted, no goodbye) the other takes its servers within two poll intervals; one that
//! stops cleanly hands its servers over at once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::get;
use vigil_core::{Engine, EngineOptions, NewServer, ServerKind};
use vigil_tests::wait_for;

const INTERVAL: Duration = Duration::from_secs(3);
const SERVERS: usize = 6;

/// A model server on loopback that notes when each readiness check came.
struct Counted {
    url: String,
    hits: Arc<Mutex<Vec<Instant>>>,
}

async fn counted() -> Counted {
    let hits: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let noted = hits.clone();
    let app = axum::Router::new().route(
        "/v2/health/ready",
        get(move || {
            let noted = noted.clone();
            async move {
                noted.lock().unwrap().push(Instant::now());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Counted { url, hits }
}

async fn collector(store: &vigil_core::store::Location) -> Engine {
    let options = EngineOptions { poll_interval: INTERVAL, ..EngineOptions::new(store.clone()) };
    Engine::open(options).await.expect("open the engine")
}

/// The shortest time between two polls of any one server within `from..to`.
fn closest_polls(servers: &[Counted], from: Instant, to: Instant) -> Duration {
    servers
        .iter()
        .flat_map(|server| {
            let hits: Vec<Instant> =
                server.hits.lock().unwrap().iter().copied().filter(|at| *at >= from && *at <= to).collect();
            hits.windows(2).map(|pair| pair[1] - pair[0]).collect::<Vec<_>>()
        })
        .min()
        .unwrap_or(Duration::MAX)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_collectors_share_the_servers_each_polled_by_one_and_the_survivor_takes_over_within_two_intervals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = vigil_tests::store(dir.path()).await;
    let mut servers = Vec::new();
    for _ in 0..SERVERS {
        servers.push(counted().await);
    }
    let (a, b) = (collector(&store).await, collector(&store).await);
    for (i, server) in servers.iter().enumerate() {
        let new = NewServer {
            name: format!("model-server-{i}"),
            base_url: server.url.clone(),
            kind: ServerKind::OipV2,
            ..Default::default()
        };
        a.servers().add(new).await.expect("register");
    }
    let poller_a = a.polling().start();
    let poller_b = b.polling().start();

    // They settle on half each, every server held by one live collector.
    let shares = wait_for("the collectors to share the fleet", Duration::from_secs(15), || async {
        let shares = a.polling().collectors().await.expect("collectors");
        let held: Vec<usize> = shares.iter().filter(|s| s.alive).map(|s| s.servers.len()).collect();
        (held == [SERVERS / 2, SERVERS / 2]).then_some(shares)
    })
    .await;
    let mut all: Vec<&String> = shares.iter().flat_map(|s| &s.servers).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), SERVERS, "no server held twice: {shares:?}");

    // Exactly one polls each: two collectors on one server would poll it twice an interval.
    let settled = Instant::now();
    tokio::time::sleep(INTERVAL * 3).await;
    let closest = closest_polls(&servers, settled, Instant::now());
    assert!(closest > INTERVAL.mul_f64(0.7), "a server was polled twice within {closest:?}");

    // Collector a dies: its poller stops without giving its servers back.
    let a_servers = shares.iter().find(|s| s.holder == poller_a.collector()).expect("a's share").servers.clone();
    drop(poller_a);
    let died = Instant::now();
    let taken = wait_for("b to poll every server after a died", INTERVAL * 4, || async {
        let latest = servers.iter().map(|s| s.hits.lock().unwrap().last().copied()).collect::<Vec<_>>();
        latest.iter().all(|at| at.is_some_and(|at| at > died)).then(Instant::now)
    })
    .await;
    let takeover = taken - died;
    println!("takeover after a collector died: {takeover:?} (interval {INTERVAL:?}); a held {a_servers:?}");
    assert!(takeover <= INTERVAL * 2, "b took a's servers after {takeover:?}, more than two intervals");
    let shares = b.polling().collectors().await.expect("collectors");
    let live: Vec<_> = shares.iter().filter(|s| s.alive).collect();
    assert_eq!((live.len(), live[0].servers.len()), (1, SERVERS), "{shares:?}");

    // A clean stop hands over at once: a new collector c takes half, then b leaves and c has all.
    let c = collector(&store).await;
    let poller_c = c.polling().start();
    wait_for("c to take its half", Duration::from_secs(10), || async {
        let shares = c.polling().collectors().await.expect("collectors");
        shares.iter().any(|s| s.holder == poller_c.collector() && s.servers.len() == SERVERS / 2).then_some(())
    })
    .await;
    let stopping = Instant::now();
    poller_b.stop().await;
    wait_for("c to hold every server", Duration::from_secs(5), || async {
        let shares = c.polling().collectors().await.expect("collectors");
        shares.iter().any(|s| s.holder == poller_c.collector() && s.servers.len() == SERVERS).then_some(())
    })
    .await;
    assert!(
        stopping.elapsed() < INTERVAL,
        "a clean stop is taken over within a second or so: {:?}",
        stopping.elapsed()
    );
}
