//! Golden signals as stored: one metric point per revision, signal and poll, written in the
//! poller's transaction; once a minute the minutes that have closed are [`fold`]ed into 1-minute
//! and 1-hour rollups in one pass. Read back as each revision's latest values, or as a series
//! over a time range at the resolution that fits it (rollups up to where folding stopped, raw
//! points after). Points are kept for [`Retention::points`], rollups for [`Retention::rollups`].

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::{AnyConnection, AnyPool};
use ts_rs::TS;

use crate::signals::GoldenSignals;
use crate::store::sql;
use crate::Result;

/// Stored signal names. Latencies are in seconds, rates per second, error rate a share (0–1).
pub mod signal {
    pub const REQUESTS: &str = "requests";
    pub const ERRORS: &str = "errors";
    pub const REQUEST_RATE: &str = "request_rate";
    pub const ERROR_RATE: &str = "error_rate";
    pub const LATENCY_MEAN: &str = "latency_mean_s";
    pub const LATENCY_P50: &str = "latency_p50_s";
    pub const LATENCY_P95: &str = "latency_p95_s";
    pub const LATENCY_P99: &str = "latency_p99_s";
    pub const QUEUE_MEAN: &str = "queue_mean_s";
    pub const BATCH_MEAN: &str = "batch_mean";
    pub use crate::signals::maps::gauge::{BATCH_SIZE, IN_FLIGHT, KV_CACHE_USAGE, WAITING};
    pub use crate::signals::resources::resource::*;
}

/// What one revision did between two polls, as stored.
pub struct Interval<'a> {
    pub server_id: i64,
    pub revision_id: i64,
    pub at_ms: i64,
    pub signals: &'a GoldenSignals,
}

/// The widths of the rollup buckets, in seconds.
pub const ROLLUP_RESOLUTIONS: [i64; 2] = [60, 3600];

/// How long stored metrics are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub points: chrono::Duration,
    pub rollups: chrono::Duration,
}

impl Default for Retention {
    /// Points at poll resolution for 7 days, rollups for 400 days.
    fn default() -> Self {
        Retention { points: chrono::Duration::days(7), rollups: chrono::Duration::days(400) }
    }
}

/// Deletes points older than `retention` allows, as of `now_ms`, and rollups by whole days:
/// finding old rollups reads the whole table, so that happens once a day.
pub async fn prune(conn: &mut AnyConnection, retention: Retention, now_ms: i64) -> Result<()> {
    sqlx::query("DELETE FROM metric_points WHERE at_ms < $1")
        .bind(now_ms - retention.points.num_milliseconds())
        .execute(&mut *conn)
        .await?;
    let day_ms = 86_400_000;
    let rollups_until_ms = (now_ms - retention.rollups.num_milliseconds()).div_euclid(day_ms) * day_ms;
    let pruned_ms: i64 =
        sqlx::query_scalar("SELECT rollups_pruned_until_ms FROM rollup_progress").fetch_one(&mut *conn).await?;
    if rollups_until_ms > pruned_ms {
        sqlx::query("DELETE FROM metric_rollups WHERE bucket_start_ms < $1")
            .bind(rollups_until_ms)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE rollup_progress SET rollups_pruned_until_ms = $1")
            .bind(rollups_until_ms)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The most rows one statement writes (SQLite's bound-parameter limit stays far off).
const ROWS_PER_STATEMENT: usize = 500;

/// The signals of `interval` that have a value, as rows for [`insert_rows`].
pub fn rows(interval: &Interval<'_>) -> Vec<(Option<i64>, &'static str, f64)> {
    let s = interval.signals;
    let values = [
        (signal::REQUESTS, Some(s.requests)),
        (signal::ERRORS, s.errors),
        (signal::REQUEST_RATE, Some(s.request_rate)),
        (signal::ERROR_RATE, s.error_rate),
        (signal::LATENCY_MEAN, s.latency_mean_s),
        (signal::LATENCY_P50, s.latency_p50_s),
        (signal::LATENCY_P95, s.latency_p95_s),
        (signal::LATENCY_P99, s.latency_p99_s),
        (signal::QUEUE_MEAN, s.queue_mean_s),
        (signal::BATCH_MEAN, s.batch_mean),
    ];
    let values = values.into_iter().filter_map(|(name, value)| Some((name, value?)));
    let gauges = s.gauges.iter().map(|(name, value)| (*name, *value));
    values.chain(gauges).map(|(name, value)| (Some(interval.revision_id), name, value)).collect()
}

/// Stores each finite `(revision, signal, value)` of server `server_id` at `at_ms` (a revision
/// of None: the whole server): one statement for a whole poll.
pub async fn insert_rows(
    conn: &mut AnyConnection,
    server_id: i64,
    at_ms: i64,
    rows: &[(Option<i64>, &'static str, f64)],
) -> Result<()> {
    let rows: Vec<_> = rows.iter().filter(|(_, _, value)| value.is_finite()).collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO metric_points (server_id, revision_id, signal, at_ms, value) VALUES {}",
            sql::placeholders(crate::store::backend_of_connection(conn), 5, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for (revision_id, name, value) in chunk {
            query = query.bind(server_id).bind(revision_id).bind(*name).bind(at_ms).bind(value);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// How long after a minute ends its points are folded, so that a poll recorded a little late
/// (another process held the write lock) still lands in its bucket.
pub const FOLD_GRACE_MS: i64 = 10_000;

/// Folds the points of every minute that closed by `now_ms` (less [`FOLD_GRACE_MS`]) and was not
/// folded yet into their 1-minute and 1-hour rollups (count, sum, min, max and the newest value)
/// and each revision's running totals of requests and errors.
/// Each point is folded exactly once: the progress is stored in the same transaction.
pub async fn fold(conn: &mut AnyConnection, now_ms: i64) -> Result<()> {
    let minute_ms = ROLLUP_RESOLUTIONS[0] * 1000;
    let closed_ms = (now_ms - FOLD_GRACE_MS).div_euclid(minute_ms) * minute_ms;
    let folded_ms = folded_until(&mut *conn).await?;
    if closed_ms <= folded_ms {
        return Ok(());
    }
    for resolution in ROLLUP_RESOLUTIONS {
        sqlx::query(
            "INSERT INTO metric_rollups
                 (server_id, revision_id, signal, resolution, bucket_start_ms, count, sum, min, max, last)
             SELECT server_id, revision_id, signal, $1, bucket, count(*), sum(value), min(value), max(value),
                    max(CASE WHEN newest THEN value END)
             FROM (SELECT server_id, coalesce(revision_id, 0) AS revision_id, signal, value, at_ms / $2 * $2 AS bucket,
                          row_number() OVER (PARTITION BY server_id, revision_id, signal, at_ms / $2
                                             ORDER BY at_ms DESC) = 1 AS newest
                   FROM metric_points WHERE at_ms >= $3 AND at_ms < $4) AS minute
             WHERE true
             GROUP BY server_id, revision_id, signal, bucket
             ON CONFLICT (server_id, revision_id, signal, resolution, bucket_start_ms) DO UPDATE SET
                 count = metric_rollups.count + excluded.count, sum = metric_rollups.sum + excluded.sum,
                 min = CASE WHEN excluded.min < metric_rollups.min THEN excluded.min ELSE metric_rollups.min END,
                 max = CASE WHEN excluded.max > metric_rollups.max THEN excluded.max ELSE metric_rollups.max END,
                 last = excluded.last",
        )
        .bind(resolution)
        .bind(resolution * 1000)
        .bind(folded_ms)
        .bind(closed_ms)
        .execute(&mut *conn)
        .await?;
    }
    // Each revision's running totals of requests and errors, so that reading them never sums
    // its whole history.
    sqlx::query(
        "INSERT INTO revision_totals (server_id, revision_id, requests, errors)
         SELECT server_id, revision_id, sum(CASE WHEN signal = $1 THEN value ELSE 0.0 END),
                sum(CASE WHEN signal = $2 THEN value ELSE 0.0 END)
         FROM metric_points
         WHERE at_ms >= $3 AND at_ms < $4 AND revision_id IS NOT NULL AND signal IN ($1, $2)
         GROUP BY server_id, revision_id
         ON CONFLICT (server_id, revision_id) DO UPDATE SET
             requests = revision_totals.requests + excluded.requests,
             errors = revision_totals.errors + excluded.errors",
    )
    .bind(signal::REQUESTS)
    .bind(signal::ERRORS)
    .bind(folded_ms)
    .bind(closed_ms)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE rollup_progress SET folded_until_ms = $1").bind(closed_ms).execute(&mut *conn).await?;
    Ok(())
}

/// Every point before this time (Unix ms) is in the rollups; none after it is.
async fn folded_until(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT folded_until_ms FROM rollup_progress").fetch_one(conn).await?)
}

/// A signal of one revision over a time range, at the resolution that fits the range.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Series {
    /// Seconds each point stands for: 0 for points at poll resolution, else the rollup width.
    #[ts(type = "number")]
    pub resolution_secs: i64,
    /// (time in Unix milliseconds, value); a rollup's value is the mean over its bucket.
    #[ts(type = "Array<[number, number]>")]
    pub points: Vec<(i64, f64)>,
}

/// The resolution that fits a range from `from_ms` to `to_ms` read at `now_ms`: raw points for up
/// to 2 hours (if they are still kept), 1-minute rollups up to 7 days, 1-hour rollups beyond.
pub fn resolution_for(from_ms: i64, to_ms: i64, now_ms: i64, retention: Retention) -> i64 {
    let span_ms = to_ms.saturating_sub(from_ms);
    let raw_kept = from_ms >= now_ms - retention.points.num_milliseconds();
    if span_ms <= 2 * 3_600_000 && raw_kept {
        0
    } else if span_ms <= 7 * 86_400_000 {
        ROLLUP_RESOLUTIONS[0]
    } else {
        ROLLUP_RESOLUTIONS[1]
    }
}

/// The series of `signal` for revision `revision_id` of server `server_id` from `from_ms` to
/// `to_ms` at `resolution_secs` (see [`resolution_for`]).
pub async fn series(
    conn: &mut AnyConnection,
    server_id: i64,
    revision_id: i64,
    signal: &str,
    from_ms: i64,
    to_ms: i64,
    resolution_secs: i64,
) -> Result<Series> {
    if resolution_secs == 0 {
        let points = sqlx::query_as(
            "SELECT at_ms, value FROM metric_points
             WHERE server_id = $1 AND revision_id = $2 AND signal = $3 AND at_ms BETWEEN $4 AND $5 ORDER BY at_ms",
        )
        .bind(server_id)
        .bind(revision_id)
        .bind(signal)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *conn)
        .await?;
        return Ok(Series { resolution_secs, points });
    }
    // Buckets as folded, then the points not folded yet, in the buckets they will join.
    let folded_ms = folded_until(&mut *conn).await?;
    let bucket_ms = resolution_secs * 1000;
    // The whole of each bucket that starts in the range, as for the folded ones.
    let end_ms = (to_ms.div_euclid(bucket_ms) + 1) * bucket_ms;
    let folded: Vec<(i64, f64, i64)> = sqlx::query_as(
        "SELECT bucket_start_ms, sum, count FROM metric_rollups
         WHERE server_id = $1 AND revision_id = $2 AND signal = $3 AND resolution = $4 AND bucket_start_ms BETWEEN $5 AND $6",
    )
    .bind(server_id)
    .bind(revision_id)
    .bind(signal)
    .bind(resolution_secs)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&mut *conn)
    .await?;
    let unfolded: Vec<(i64, f64, i64)> = sqlx::query_as(
        "SELECT at_ms / $1 * $1 AS bucket, sum(value), count(*) FROM metric_points
         WHERE server_id = $2 AND revision_id = $3 AND signal = $4 AND at_ms >= $5 AND at_ms < $6
         GROUP BY bucket",
    )
    .bind(bucket_ms)
    .bind(server_id)
    .bind(revision_id)
    .bind(signal)
    .bind(folded_ms.max(from_ms))
    .bind(end_ms)
    .fetch_all(&mut *conn)
    .await?;
    let mut buckets: BTreeMap<i64, (f64, i64)> = BTreeMap::new();
    for (bucket, sum, count) in folded.into_iter().chain(unfolded.into_iter().filter(|(bucket, ..)| *bucket >= from_ms))
    {
        let entry = buckets.entry(bucket).or_default();
        *entry = (entry.0 + sum, entry.1 + count);
    }
    let points = buckets.into_iter().map(|(bucket, (sum, count))| (bucket, sum / count as f64)).collect();
    Ok(Series { resolution_secs, points })
}

/// What a whole server uses (CPU, memory, GPU), as last read.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ServerResources {
    pub server: String,
    /// Signal name (`cpu_cores`, `memory_bytes`, …) → latest value.
    #[ts(type = "Record<string, number>")]
    pub latest: BTreeMap<String, f64>,
}

/// Every server's latest server-wide signals, by server name; servers without any are absent.
pub async fn server_latest(pool: &AnyPool) -> Result<Vec<ServerResources>> {
    let rows: Vec<(String, String, f64)> = sqlx::query_as(
        "SELECT s.name, p.signal, p.value FROM metric_points p JOIN servers s ON s.id = p.server_id
         WHERE p.revision_id IS NULL AND p.at_ms = (
             SELECT max(at_ms) FROM metric_points q
             WHERE q.server_id = p.server_id AND q.revision_id IS NULL AND q.signal = p.signal)
         ORDER BY s.name, p.signal",
    )
    .fetch_all(pool)
    .await?;
    let mut out: Vec<ServerResources> = Vec::new();
    for (server, signal, value) in rows {
        if out.last().is_none_or(|last| last.server != server) {
            out.push(ServerResources { server, latest: BTreeMap::new() });
        }
        if let Some(last) = out.last_mut() {
            last.latest.insert(signal, value);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;

    /// A database with one server, model and revision; returns the pool and the revision id.
    async fn one_revision(dir: &tempfile::TempDir) -> (AnyPool, i64) {
        let (pool, ids) =
            crate::store::testing::one_server_with_revisions(dir.path(), &[("1", None, chrono::Utc::now())]).await;
        (pool, ids[0])
    }

    async fn read(pool: &AnyPool, revision: i64, name: &str, from: i64, to: i64, resolution: i64) -> Result<Series> {
        series(&mut pool.acquire().await.unwrap(), 1, revision, name, from, to, resolution).await
    }

    async fn store(pool: &AnyPool, revision_id: i64, at_ms: i64, rate: f64) {
        let signals = GoldenSignals { request_rate: rate, ..Default::default() };
        let mut conn = pool.acquire().await.unwrap();
        let interval = Interval { server_id: 1, revision_id, at_ms, signals: &signals };
        insert_rows(&mut conn, 1, at_ms, &rows(&interval)).await.unwrap();
    }

    #[test]
    fn the_resolution_fits_the_range() {
        let (now, keep) = (100 * DAY, Retention::default());
        assert_eq!(resolution_for(now - HOUR, now, now, keep), 0, "an hour: every point");
        assert_eq!(resolution_for(now - DAY, now, now, keep), 60, "a day: minutes");
        assert_eq!(resolution_for(now - 30 * DAY, now, now, keep), 3600, "a month: hours");
        assert_eq!(resolution_for(now - 9 * DAY, now - 9 * DAY + HOUR, now, keep), 60, "old points are gone: minutes");
    }

    #[tokio::test]
    async fn closed_minutes_fold_into_minute_and_hour_means_and_a_range_reads_at_its_resolution() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, revision) = one_revision(&dir).await;
        let start = 1_000 * DAY; // a whole hour
        for (offset, rate) in [(0, 1.0), (20_000, 3.0), (MINUTE + 5_000, 10.0), (HOUR + 1_000, 7.0)] {
            store(&pool, revision, start + offset, rate).await;
        }
        let read = |resolution| read(&pool, revision, signal::REQUEST_RATE, start, start + 2 * HOUR, resolution);
        let raw = read(0).await.unwrap();
        assert_eq!(raw.points.len(), 4);
        let expect_minutes = vec![(start, 2.0), (start + MINUTE, 10.0), (start + HOUR, 7.0)];
        let expect_hours = vec![(start, 14.0 / 3.0), (start + HOUR, 7.0)];
        // Nothing folded yet: the same buckets, read from the points; then folded in two steps,
        // the first within the second minute's grace, which leaves that minute to the points.
        for folded_at in [None, Some(start + 2 * MINUTE + 5_000), Some(start + 3 * HOUR)] {
            if let Some(at) = folded_at {
                fold(&mut pool.acquire().await.unwrap(), at).await.unwrap();
            }
            assert_eq!(read(60).await.unwrap().points, expect_minutes, "folded at {folded_at:?}");
            assert_eq!(read(3600).await.unwrap().points, expect_hours, "folded at {folded_at:?}");
        }
        let stored: Vec<(i64, i64, f64, f64, f64, f64)> = sqlx::query_as(
            "SELECT bucket_start_ms, count, sum, min, max, last FROM metric_rollups
             WHERE resolution = 3600 AND signal = $1 ORDER BY 1",
        )
        .bind(signal::REQUEST_RATE)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(stored, vec![(start, 3, 14.0, 1.0, 10.0, 10.0), (start + HOUR, 1, 7.0, 7.0, 7.0, 7.0)]);
        // Folding again folds nothing twice.
        fold(&mut pool.acquire().await.unwrap(), start + 3 * HOUR).await.unwrap();
        assert_eq!(read(3600).await.unwrap().points, expect_hours);
    }

    #[tokio::test]
    async fn pruning_drops_old_points_but_keeps_their_rollups_for_longer() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, revision) = one_revision(&dir).await;
        let now = 1_000 * DAY;
        store(&pool, revision, now - 8 * DAY, 1.0).await;
        store(&pool, revision, now - HOUR, 2.0).await;
        fold(&mut pool.acquire().await.unwrap(), now).await.unwrap();
        prune(&mut pool.acquire().await.unwrap(), Retention::default(), now).await.unwrap();
        let raw = read(&pool, revision, signal::REQUEST_RATE, 0, now, 0).await.unwrap();
        assert_eq!(raw.points, vec![(now - HOUR, 2.0)], "points older than 7 days are gone");
        let hours = read(&pool, revision, signal::REQUEST_RATE, 0, now, 3600).await.unwrap();
        assert_eq!(hours.points.len(), 2, "their hourly rollups stay");
        prune(&mut pool.acquire().await.unwrap(), Retention::default(), now + 400 * DAY).await.unwrap();
        assert!(read(&pool, revision, signal::REQUEST_RATE, 0, now, 3600).await.unwrap().points.is_empty());
    }

    #[tokio::test]
    async fn each_revision_keeps_running_totals_of_requests_and_errors_folded_once_and_kept_past_its_rollups() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, revision) = one_revision(&dir).await;
        let now = 1_000 * DAY;
        for (at, requests, errors) in
            [(now - 30 * DAY, 100.0, 5.0), (now - 2 * HOUR, 40.0, 1.0), (now - MINUTE, 7.0, 0.0)]
        {
            let signals = GoldenSignals { requests, errors: Some(errors), ..Default::default() };
            let interval = Interval { server_id: 1, revision_id: revision, at_ms: at, signals: &signals };
            insert_rows(&mut pool.acquire().await.unwrap(), 1, at, &rows(&interval)).await.unwrap();
        }
        let totals = || async {
            let totals: (f64, f64) =
                sqlx::query_as("SELECT requests, errors FROM revision_totals WHERE revision_id = $1")
                    .bind(revision)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            totals
        };
        // The last minute is still within its grace: not folded yet.
        fold(&mut pool.acquire().await.unwrap(), now).await.unwrap();
        assert_eq!(totals().await, (140.0, 6.0));
        fold(&mut pool.acquire().await.unwrap(), now).await.unwrap();
        assert_eq!(totals().await, (140.0, 6.0), "folding again adds nothing twice");
        fold(&mut pool.acquire().await.unwrap(), now + HOUR).await.unwrap();
        assert_eq!(totals().await, (147.0, 6.0));
        // Past every rollup's retention the totals stay: every request seen since polling began.
        prune(&mut pool.acquire().await.unwrap(), Retention::default(), now + 400 * DAY).await.unwrap();
        assert_eq!(totals().await, (147.0, 6.0));
    }
}
