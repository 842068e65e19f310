//! Who does which work, however many desktops and collectors share a store.
//!
//! Work tied to a server — driving the rollouts of the models it serves, their approval
//! timeouts, evaluating alerts on it — is done by the collector that holds the server's lease
//! (`polling/leases.rs`), so it moves with the server when a collector dies. Work that no live
//! collector holds a server for (no collector runs, or the work is tied to no server), and work
//! only one engine may do at all (sending notifications, which two engines would send twice), is
//! done by the holder of a *duty*: a named lease in `duties`, taken when free or expired,
//! renewed by its holder at each round, and taken over by another engine once its holder has
//! stopped renewing it for [`Duty::ttl`]. [`scope`] says which servers' work falls to an engine.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::AnyPool;

use crate::Result;

/// One engine's claim on a named duty.
pub(crate) struct Duty {
    name: &'static str,
    holder: String,
    ttl: Duration,
    /// When this engine last renewed the duty: it is renewed a third of the way through.
    renewed: Mutex<Option<Instant>>,
}

impl Duty {
    /// The engine `holder`'s claim on `name`, lasting `ttl` past each renewal.
    pub(crate) fn new(name: &'static str, holder: &str, ttl: Duration) -> Duty {
        Duty { name, holder: holder.to_owned(), ttl, renewed: Mutex::new(None) }
    }

    /// Takes or renews the duty (a write only every third of its life); true while this engine
    /// holds it.
    pub(crate) async fn hold(&self, pool: &AnyPool) -> Result<bool> {
        let recently = |renewed: &Option<Instant>| renewed.is_some_and(|at| at.elapsed() < self.ttl / 3);
        if recently(&self.renewed.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok(true);
        }
        let now = Utc::now().timestamp_millis();
        let taken = sqlx::query(
            "INSERT INTO duties (name, holder, expires_at_ms) VALUES ($1, $2, $4)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
             WHERE duties.holder = $2 OR duties.expires_at_ms < $3",
        )
        .bind(self.name)
        .bind(&self.holder)
        .bind(now)
        .bind(now + self.ttl.as_millis() as i64)
        .execute(pool)
        .await?;
        let held = taken.rows_affected() > 0;
        *self.renewed.lock().unwrap_or_else(|e| e.into_inner()) = held.then(Instant::now);
        Ok(held)
    }
}

/// The servers whose work falls to one engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every server but these, which other live collectors hold; and work tied to no server.
    /// The scope of a duty's holder.
    AllBut(HashSet<String>),
    /// Only these servers, which this engine's collector holds.
    Only(HashSet<String>),
}

impl Scope {
    /// Whether work on `server` (None: tied to no server) falls to this engine.
    pub(crate) fn covers(&self, server: Option<&str>) -> bool {
        match (self, server) {
            (Scope::AllBut(others), Some(server)) => !others.contains(server),
            (Scope::AllBut(_), None) => true,
            (Scope::Only(mine), Some(server)) => mine.contains(server),
            (Scope::Only(_), None) => false,
        }
    }

    /// Whether no work at all falls to this engine.
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Scope::Only(mine) if mine.is_empty())
    }
}

/// Which servers' work falls to the engine `holder`: the servers its collector holds, and, when
/// it holds the duty for that work (`with_duty`), every server no other live collector holds.
pub(crate) async fn scope(pool: &AnyPool, holder: &str, with_duty: bool) -> Result<Scope> {
    let held: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.name, c.holder FROM servers s JOIN server_leases l ON l.server_id = s.id
         JOIN collectors c ON c.holder = l.holder WHERE c.expires_at_ms > $1",
    )
    .bind(Utc::now().timestamp_millis())
    .fetch_all(pool)
    .await?;
    let (mine, others): (Vec<_>, Vec<_>) = held.into_iter().partition(|(_, by)| by == holder);
    let names = |held: Vec<(String, String)>| held.into_iter().map(|(server, _)| server).collect();
    Ok(if with_duty { Scope::AllBut(names(others)) } else { Scope::Only(names(mine)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_engine_holds_a_duty_and_another_takes_it_only_once_it_lapses() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        let (first, second) = (
            Duty::new("alerts", "one", Duration::from_millis(300)),
            Duty::new("alerts", "two", Duration::from_millis(300)),
        );
        assert!(first.hold(&pool).await.unwrap());
        assert!(!second.hold(&pool).await.unwrap(), "held by the first");
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(first.hold(&pool).await.unwrap(), "renewed by its holder");
        assert!(!second.hold(&pool).await.unwrap(), "still held by the first");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(second.hold(&pool).await.unwrap(), "taken over once it lapsed");
        assert!(!first.hold(&pool).await.unwrap());
    }

    #[tokio::test]
    async fn a_collectors_servers_are_its_work_and_the_duty_holder_has_every_other() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        for (id, name) in [(1, "a"), (2, "b"), (3, "c"), (4, "d")] {
            sqlx::query("INSERT INTO servers (id, name, base_url, created_at) VALUES ($1, $2, 'http://h', 't')")
                .bind(id)
                .bind(name)
                .execute(&pool)
                .await
                .unwrap();
        }
        let collector = crate::polling::leases::Collector::new("first", Duration::from_secs(5));
        let held = collector.hold(&pool).await.unwrap();
        assert_eq!(held.len(), 4, "alone, it holds every server");
        let second = crate::polling::leases::Collector::new("second", Duration::from_secs(5));
        // The second takes its share once the first gives it back.
        for one in [&second, &collector, &second] {
            one.hold(&pool).await.unwrap();
        }
        let (first_scope, second_scope) =
            (scope(&pool, "first", false).await.unwrap(), scope(&pool, "second", false).await.unwrap());
        let names = |scope: &Scope| {
            let mut covered: Vec<&str> = ["a", "b", "c", "d"].into_iter().filter(|s| scope.covers(Some(s))).collect();
            covered.sort();
            covered
        };
        assert_eq!(names(&first_scope).len(), 2);
        assert_eq!(names(&second_scope).len(), 2);
        assert!(names(&first_scope).iter().all(|s| !names(&second_scope).contains(s)), "no server is both's work");
        assert!(!first_scope.covers(None), "work tied to no server is the duty holder's");

        // A desktop with no collector but the duty does only what no live collector holds.
        let desktop = scope(&pool, "desktop", true).await.unwrap();
        assert!(names(&desktop).is_empty() && desktop.covers(None));
        second.leave(&pool).await.unwrap();
        let desktop = scope(&pool, "desktop", true).await.unwrap();
        assert_eq!(names(&desktop), names(&second_scope), "a stopped collector's servers fall to the duty holder");
        assert!(scope(&pool, "second", false).await.unwrap().is_empty());
    }
}
