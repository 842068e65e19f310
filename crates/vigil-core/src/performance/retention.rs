//! Keeping each model's prediction log within its retention: predictions older than the model's
//! days (30 unless set), and labels received before then, are deleted on the drift schedule's
//! round, where old live windows are pruned.

use std::collections::BTreeSet;

use sqlx::AnyConnection;

use super::{labels, log, settings};
use crate::Result;

/// A day, in ms.
pub const DAY_MS: i64 = 86_400_000;

/// Deletes what each model's retention no longer keeps at `now_ms`.
pub async fn prune(conn: &mut AnyConnection, now_ms: i64) -> Result<()> {
    let days = settings::retentions(conn).await?;
    let mut models: BTreeSet<String> = log::models(conn).await?.into_iter().collect();
    models.extend(labels::models(conn).await?);
    for model in models {
        let kept = days.get(&model).copied().unwrap_or(settings::DEFAULT_RETENTION_DAYS);
        let before_ms = now_ms - i64::from(kept) * DAY_MS;
        log::prune(conn, &model, before_ms).await?;
        labels::prune(conn, &model, before_ms).await?;
    }
    Ok(())
}
