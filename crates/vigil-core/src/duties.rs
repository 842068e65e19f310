//! Work only one engine on a store may do at a time, whatever number of desktops and
//! collectors share it: the alert rounds (evaluating every rule and sending what is due), which
//! two engines doing at once would notify twice. A duty is a named lease in `duties`: taken when
//! free or expired, renewed by its holder at each round, and taken over by another engine once
//! its holder has stopped renewing it for [`Duty::ttl`].

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
    /// This engine's claim on `name`, lasting `ttl` past each renewal.
    pub(crate) fn new(name: &'static str, ttl: Duration) -> Duty {
        let holder = format!("{}/{:08x}", std::process::id(), getrandom::u32().unwrap_or_default());
        Duty { name, holder, ttl, renewed: Mutex::new(None) }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_engine_holds_a_duty_and_another_takes_it_only_once_it_lapses() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        let (first, second) =
            (Duty::new("alerts", Duration::from_millis(300)), Duty::new("alerts", Duration::from_millis(300)));
        assert!(first.hold(&pool).await.unwrap());
        assert!(!second.hold(&pool).await.unwrap(), "held by the first");
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(first.hold(&pool).await.unwrap(), "renewed by its holder");
        assert!(!second.hold(&pool).await.unwrap(), "still held by the first");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(second.hold(&pool).await.unwrap(), "taken over once it lapsed");
        assert!(!first.hold(&pool).await.unwrap());
    }
}
