//! Which collector polls which server, when several share one store (team mode's `vigil
//! collect` on PostgreSQL, or two processes on one SQLite file).
//!
//! Each running poller is a *collector* with a heartbeat row (`collectors`) it renews a third of
//! the way through its life (and at once when the servers change); a server is polled only by the
//! collector its `server_leases` row names, and a lease is good while its holder's heartbeat
//! is. A collector takes servers that have no holder or whose holder's heartbeat ran out — up
//! to its fair share of the fleet among the live collectors — and gives back what it holds
//! beyond that share, so a second collector started beside the first ends with half. A
//! collector that stops cleanly deletes its heartbeat (and with it its leases), so the others
//! take its servers at their next look; one that dies is taken over once its heartbeat is
//! older than [`Collector::ttl`], under two poll intervals in all. Taking a lease is one
//! conditional upsert, so two collectors racing for a server cannot both win.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use sqlx::AnyPool;

use crate::store::values::stamp;
use crate::Result;

/// This poller as a collector: its name on the heartbeat and how long its heartbeat lasts.
pub(crate) struct Collector {
    pub holder: String,
    pub ttl: Duration,
}

impl Collector {
    /// The engine `holder` as a collector polling every `interval`: its heartbeat lasts an
    /// interval (at least 2 s).
    pub(crate) fn new(holder: &str, interval: Duration) -> Collector {
        Collector { holder: holder.to_owned(), ttl: interval.max(Duration::from_secs(2)) }
    }

    /// How often the heartbeat is renewed (and servers taken or given back): a third of its
    /// life, at least every second; at once when the servers change.
    pub(crate) fn renew_every(&self) -> Duration {
        (self.ttl / 3).max(Duration::from_secs(1))
    }

    /// Renews the heartbeat, takes and gives back servers toward a fair share, and returns the
    /// ids of the servers this collector holds now.
    pub(crate) async fn hold(&self, pool: &AnyPool) -> Result<HashSet<i64>> {
        let now = Utc::now().timestamp_millis();
        let expires = now + self.ttl.as_millis() as i64;
        let mut tx = crate::store::begin(pool).await?;
        sqlx::query(
            "INSERT INTO collectors (holder, started_at, expires_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT (holder) DO UPDATE SET expires_at_ms = excluded.expires_at_ms",
        )
        .bind(&self.holder)
        .bind(stamp(Utc::now()))
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        // Heartbeats dead for a day are forgotten (their leases go with them).
        sqlx::query("DELETE FROM collectors WHERE expires_at_ms < $1").bind(now - 86_400_000).execute(&mut *tx).await?;
        let (servers, live): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM servers), (SELECT count(*) FROM collectors WHERE expires_at_ms > $1)",
        )
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let share = (servers + live.max(1) - 1) / live.max(1);
        let held: Vec<i64> =
            sqlx::query_scalar("SELECT server_id FROM server_leases WHERE holder = $1 ORDER BY server_id")
                .bind(&self.holder)
                .fetch_all(&mut *tx)
                .await?;
        let held_count = held.len() as i64;
        if held_count > share {
            for id in &held[share as usize..] {
                sqlx::query("DELETE FROM server_leases WHERE server_id = $1 AND holder = $2")
                    .bind(id)
                    .bind(&self.holder)
                    .execute(&mut *tx)
                    .await?;
            }
        } else if held_count < share {
            let free: Vec<i64> = sqlx::query_scalar(
                "SELECT s.id FROM servers s LEFT JOIN server_leases l ON l.server_id = s.id
                 LEFT JOIN collectors c ON c.holder = l.holder
                 WHERE l.server_id IS NULL OR c.holder IS NULL OR c.expires_at_ms <= $1
                 ORDER BY s.id LIMIT $2",
            )
            .bind(now)
            .bind(share - held_count)
            .fetch_all(&mut *tx)
            .await?;
            for id in free {
                sqlx::query(
                    "INSERT INTO server_leases (server_id, holder) VALUES ($1, $2)
                     ON CONFLICT (server_id) DO UPDATE SET holder = excluded.holder
                     WHERE NOT EXISTS (SELECT 1 FROM collectors c
                                       WHERE c.holder = server_leases.holder AND c.expires_at_ms > $3)",
                )
                .bind(id)
                .bind(&self.holder)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        let now_held: Vec<i64> = sqlx::query_scalar("SELECT server_id FROM server_leases WHERE holder = $1")
            .bind(&self.holder)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(now_held.into_iter().collect())
    }

    /// Gives every lease back at once, for a collector that stops cleanly.
    pub(crate) async fn leave(&self, pool: &AnyPool) -> Result<()> {
        sqlx::query("DELETE FROM collectors WHERE holder = $1").bind(&self.holder).execute(pool).await?;
        Ok(())
    }
}

/// A collector on the store and the servers it polls, by name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectorShare {
    pub holder: String,
    /// Whether its heartbeat is current.
    pub alive: bool,
    pub servers: Vec<String>,
}

/// Every collector the store knows, live first, with the servers each holds.
pub(crate) async fn shares(pool: &AnyPool) -> Result<Vec<CollectorShare>> {
    let now = Utc::now().timestamp_millis();
    let rows: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT c.holder, c.expires_at_ms, s.name FROM collectors c
         LEFT JOIN server_leases l ON l.holder = c.holder LEFT JOIN servers s ON s.id = l.server_id
         ORDER BY c.holder, s.name",
    )
    .fetch_all(pool)
    .await?;
    let mut shares: Vec<CollectorShare> = Vec::new();
    for (holder, expires_at_ms, server) in rows {
        if shares.last().is_none_or(|share| share.holder != holder) {
            shares.push(CollectorShare { holder, alive: expires_at_ms > now, servers: Vec::new() });
        }
        let share = shares.last_mut().expect("just pushed");
        share.servers.extend(server);
    }
    shares.sort_by_key(|share| !share.alive);
    Ok(shares)
}
