//! Work only one engine on a store may do at a time, whatever number of desktops and
//! collectors share it: the alert rounds (evaluating every rule and sending what is due), which
//! two engines doing at once would notify twice. A duty is a named lease in `duties`: taken when
//! free or expired, renewed by its holder at each round, and taken over by another engine once
//! its holder has stopped renewing it for [`Duty::ttl`].

use std::time::Duration;

use chrono::Utc;
use sqlx::AnyPool;

use crate::Result;

/// One engine's claim on a named duty.
pub(crate) struct Duty {
    name: &'static str,
    holder: String,
    ttl: Duration,
}

impl Duty {
    /// This engine's claim on `name`, lasting `ttl` past each renewal.
    pub(crate) fn new(name: &'static str, ttl: Duration) -> Duty {
        let holder = format!("{}/{:08x}", std::process::id(), getrandom::u32().unwrap_or_default());
        Duty { name, holder, ttl }
    }

    /// Takes or renews the duty; true while this engine holds it.
    pub(crate) async fn hold(&self, pool: &AnyPool) -> Result<bool> {
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
        Ok(taken.rows_affected() > 0)
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
        assert!(first.hold(&pool).await.unwrap(), "renewed by its holder");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(second.hold(&pool).await.unwrap(), "taken over once it lapsed");
        assert!(!first.hold(&pool).await.unwrap());
    }
}
