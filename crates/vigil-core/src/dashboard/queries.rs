//! What the window's dashboard reads: every revision with its latest signals and the last hour
//! of its traffic (the fleet overview), and one model's signals over a time range with what
//! happened meanwhile (the model detail).
//!
//! Every query here reaches metrics through their indexes, which lead with the server: per
//! series an index seek, never a scan of all points, so the overview and a 30-day chart stay
//! fast whatever the fleet has stored.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, AnyPool};
use ts_rs::TS;

use super::roles::{self, RevisionRole};
use crate::drift::report;
use crate::health::{self, HealthState};
use crate::points::{self, signal, Retention};
use crate::store::values::Stamp;
use crate::{Result, VigilError};

/// The signals a revision can have, as stored: what the overview reads the latest of, and what
/// a model chart draws.
pub const REVISION_SIGNALS: [&str; 14] = [
    signal::REQUESTS,
    signal::ERRORS,
    signal::REQUEST_RATE,
    signal::ERROR_RATE,
    signal::LATENCY_MEAN,
    signal::LATENCY_P50,
    signal::LATENCY_P95,
    signal::LATENCY_P99,
    signal::QUEUE_MEAN,
    signal::BATCH_MEAN,
    signal::IN_FLIGHT,
    signal::WAITING,
    signal::BATCH_SIZE,
    signal::KV_CACHE_USAGE,
];

/// How far back the overview's sparkline reaches, and the width of its buckets.
const SPARKLINE_MS: i64 = 3_600_000;
const SPARKLINE_BUCKET_MS: i64 = 60_000;

/// A revision with the latest value of each of its signals.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RevisionSignals {
    pub server: String,
    pub model: String,
    /// Empty for the model's default version.
    pub version: String,
    /// When Vigil first saw it: when it was deployed, as far as Vigil knows.
    #[ts(type = "string")]
    pub first_seen_at: DateTime<Utc>,
    /// Whether the server reports it ready (`unknown` for kinds that do not say).
    pub health: HealthState,
    /// Why, in words, when the server said.
    pub health_reason: Option<String>,
    /// Signal name → latest value; absent when never measured.
    #[ts(type = "Partial<Record<SignalName, number>>")]
    pub latest: BTreeMap<String, f64>,
    /// When the latest request rate was measured (Unix ms), None when never.
    #[ts(type = "number | null")]
    pub latest_at_ms: Option<i64>,
    /// Requests per second over the last hour, one mean per minute: (Unix ms, rate).
    #[ts(type = "Array<[number, number]>")]
    pub sparkline: Vec<(i64, f64)>,
    /// What the server said of the revision when it was first seen (platform, inputs, outputs).
    #[ts(type = "unknown")]
    pub metadata: serde_json::Value,
    /// Every request seen since Vigil began polling.
    pub requests_seen: f64,
    /// Every failed request seen since Vigil began polling.
    pub errors_seen: f64,
}

type RevisionRow = (i64, String, String, String, Stamp, String, HealthState, Option<String>);

/// Every discovered revision with its latest signals, by server, model and version, as of `now_ms`.
pub async fn revisions(pool: &AnyPool, now_ms: i64) -> Result<Vec<RevisionSignals>> {
    let mut conn = pool.acquire().await?;
    let rows: Vec<RevisionRow> = sqlx::query_as(
        "SELECT r.id, s.name, m.name, r.version, r.first_seen_at, r.metadata, r.health, r.health_reason
         FROM revisions r JOIN models m ON m.id = r.model_id JOIN servers s ON s.id = m.server_id
         ORDER BY s.name, m.name, r.version, r.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    // The newest point of each (revision, signal): one index seek each. CROSS JOIN keeps SQLite
    // to this order; left to itself it scans every point.
    let names = (1..=REVISION_SIGNALS.len()).map(|i| format!("(${i})")).collect::<Vec<_>>().join(", ");
    let latest_sql = format!(
        "SELECT r.id, n.column1, p.at_ms, p.value
         FROM revisions r JOIN models m ON m.id = r.model_id CROSS JOIN (VALUES {names}) AS n CROSS JOIN metric_points p
         WHERE p.server_id = m.server_id AND p.revision_id = r.id AND p.signal = n.column1
             AND p.at_ms = (SELECT max(q.at_ms) FROM metric_points q
                            WHERE q.server_id = m.server_id AND q.revision_id = r.id AND q.signal = n.column1)"
    );
    let latest: Vec<(i64, String, i64, f64)> = REVISION_SIGNALS
        .iter()
        .fold(sqlx::query_as(&latest_sql), |query, name| query.bind(*name))
        .fetch_all(&mut *conn)
        .await?;
    // Requests and errors seen: the running totals the fold keeps, plus the points not folded yet.
    let seen: Vec<(i64, f64, f64)> = sqlx::query_as(
        "WITH folded AS (SELECT folded_until_ms AS until FROM rollup_progress)
         SELECT r.id,
             coalesce(t.requests, 0.0)
           + (SELECT coalesce(sum(p.value), 0.0) FROM metric_points p WHERE p.server_id = m.server_id
                  AND p.revision_id = r.id AND p.signal = $1 AND p.at_ms >= (SELECT until FROM folded)),
             coalesce(t.errors, 0.0)
           + (SELECT coalesce(sum(p.value), 0.0) FROM metric_points p WHERE p.server_id = m.server_id
                  AND p.revision_id = r.id AND p.signal = $2 AND p.at_ms >= (SELECT until FROM folded))
         FROM revisions r JOIN models m ON m.id = r.model_id
             LEFT JOIN revision_totals t ON t.server_id = m.server_id AND t.revision_id = r.id",
    )
    .bind(signal::REQUESTS)
    .bind(signal::ERRORS)
    .fetch_all(&mut *conn)
    .await?;
    // Requests a second over the last hour, a minute at a time, for every revision at once: the
    // whole minutes folded into rollups, then the points since (a few rows a revision, not each
    // poll of the hour).
    let since_ms =
        (now_ms - SPARKLINE_MS + SPARKLINE_BUCKET_MS - 1).div_euclid(SPARKLINE_BUCKET_MS) * SPARKLINE_BUCKET_MS;
    let sparklines: Vec<(i64, i64, f64, i64)> = sqlx::query_as(
        "WITH folded AS (SELECT folded_until_ms AS until FROM rollup_progress)
         SELECT r.id, u.bucket_start_ms, u.sum, u.count
         FROM revisions r JOIN models m ON m.id = r.model_id CROSS JOIN metric_rollups u
         WHERE u.server_id = m.server_id AND u.revision_id = r.id AND u.signal = $1 AND u.resolution = $2
             AND u.bucket_start_ms >= $3 AND u.bucket_start_ms < (SELECT until FROM folded)
         UNION ALL
         SELECT r.id, p.at_ms / $4 * $4 AS bucket, sum(p.value), count(*)
         FROM revisions r JOIN models m ON m.id = r.model_id CROSS JOIN metric_points p
         WHERE p.server_id = m.server_id AND p.revision_id = r.id AND p.signal = $1
             AND p.at_ms >= $3 AND p.at_ms >= (SELECT until FROM folded)
         GROUP BY r.id, bucket",
    )
    .bind(signal::REQUEST_RATE)
    .bind(SPARKLINE_BUCKET_MS / 1000)
    .bind(since_ms)
    .bind(SPARKLINE_BUCKET_MS)
    .fetch_all(&mut *conn)
    .await?;

    let mut by_id: HashMap<i64, RevisionSignals> = HashMap::new();
    let mut order = Vec::with_capacity(rows.len());
    for (id, server, model, version, first_seen_at, metadata, health, health_reason) in rows {
        let metadata = serde_json::from_str(&metadata).unwrap_or_default();
        let revision = RevisionSignals {
            server,
            model,
            version,
            first_seen_at: first_seen_at.0,
            health,
            health_reason,
            latest: BTreeMap::new(),
            latest_at_ms: None,
            sparkline: Vec::new(),
            metadata,
            requests_seen: 0.0,
            errors_seen: 0.0,
        };
        by_id.insert(id, revision);
        order.push(id);
    }
    for (id, name, at_ms, value) in latest {
        if let Some(revision) = by_id.get_mut(&id) {
            if name == signal::REQUEST_RATE {
                revision.latest_at_ms = Some(at_ms);
            }
            revision.latest.insert(name, value);
        }
    }
    for (id, requests, errors) in seen {
        if let Some(revision) = by_id.get_mut(&id) {
            (revision.requests_seen, revision.errors_seen) = (requests, errors);
        }
    }
    let mut buckets: BTreeMap<(i64, i64), (f64, i64)> = BTreeMap::new();
    for (id, bucket, sum, count) in sparklines {
        let (total, counted) = buckets.entry((id, bucket)).or_default();
        (*total, *counted) = (*total + sum, *counted + count);
    }
    for ((id, bucket), (sum, count)) in buckets {
        if let Some(revision) = by_id.get_mut(&id) {
            revision.sparkline.push((bucket, sum / count as f64));
        }
    }
    Ok(order.into_iter().filter_map(|id| by_id.remove(&id)).collect())
}

/// One model's signals over a time range, every revision, and what happened meanwhile.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ModelChart {
    pub server: String,
    pub model: String,
    #[ts(type = "number")]
    pub from_ms: i64,
    #[ts(type = "number")]
    pub to_ms: i64,
    /// Seconds each point stands for: 0 for points at poll resolution, else the rollup width.
    #[ts(type = "number")]
    pub resolution_secs: i64,
    /// Oldest first.
    pub revisions: Vec<ChartRevision>,
    /// Deployments and health changes within the range, oldest first: the chart's annotations.
    pub events: Vec<ChartEvent>,
    /// The model's and its server's latest health changes, whenever they were, newest first.
    pub log: Vec<ChartEvent>,
}

/// One revision of a charted model.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ChartRevision {
    /// Empty for the model's default version.
    pub version: String,
    #[ts(type = "string")]
    pub first_seen_at: DateTime<Utc>,
    pub health: HealthState,
    pub health_reason: Option<String>,
    /// Stable, canary or idle, from the traffic it took at the end of the range.
    pub role: RevisionRole,
    #[ts(type = "unknown")]
    pub metadata: serde_json::Value,
    /// Signal name → (Unix ms, value) points; signals with no point in the range are absent.
    #[ts(type = "Partial<Record<SignalName, Array<[number, number]>>>")]
    pub series: BTreeMap<String, Vec<(i64, f64)>>,
}

/// Something that happened to a model or its server.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ChartEvent {
    #[ts(type = "number")]
    pub at_ms: i64,
    pub kind: ChartEventKind,
    /// The revision it concerns: None for the whole server; "" for the default version.
    pub version: Option<String>,
    /// For a health change, the states before and after.
    pub from: Option<HealthState>,
    pub to: Option<HealthState>,
    /// In words: the reason for a health change, or what was deployed.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChartEventKind {
    /// A revision was seen for the first time.
    Deployed,
    /// The server or a revision changed health.
    Health,
    /// A drift report found the model's inputs drifted, or no longer drifted.
    Drift,
}

/// How many health changes the model's log keeps.
const LOG_LENGTH: i64 = 50;

/// Model `model` on server `server` from `from_ms` to `to_ms` (Unix ms), at the resolution that
/// fits the range as of `now_ms`.
pub async fn model_chart(
    pool: &AnyPool,
    (server, model): (&str, &str),
    (from_ms, to_ms): (i64, i64),
    now_ms: i64,
    retention: Retention,
) -> Result<ModelChart> {
    if from_ms >= to_ms {
        return Err(VigilError::invalid(
            "range",
            "The chart's range must start before it ends: pick a start earlier than the end.",
        ));
    }
    let mut conn = pool.acquire().await?;
    let found: Option<(i64, i64)> = sqlx::query_as(
        "SELECT s.id, m.id FROM models m JOIN servers s ON s.id = m.server_id WHERE s.name = $1 AND m.name = $2",
    )
    .bind(server)
    .bind(model)
    .fetch_optional(&mut *conn)
    .await?;
    let (server_id, model_id) = found.ok_or_else(|| {
        VigilError::NotFound(format!("No model '{model}' on server '{server}'. The Fleet page lists the models."))
    })?;
    let resolution_secs = points::resolution_for(from_ms, to_ms, now_ms, retention);
    type ChartRevisionRow = (i64, String, Stamp, String, HealthState, Option<String>);
    let revision_rows: Vec<ChartRevisionRow> = sqlx::query_as(
        "SELECT id, version, first_seen_at, metadata, health, health_reason FROM revisions
         WHERE model_id = $1 ORDER BY first_seen_at, id",
    )
    .bind(model_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut revisions = Vec::with_capacity(revision_rows.len());
    let mut versions = HashMap::new();
    for (id, version, first_seen_at, metadata, health, health_reason) in revision_rows {
        let mut series = BTreeMap::new();
        for name in REVISION_SIGNALS {
            let read = points::series(&mut conn, server_id, id, name, from_ms, to_ms, resolution_secs).await?;
            if !read.points.is_empty() {
                series.insert(name.to_owned(), read.points);
            }
        }
        versions.insert(id, version.clone());
        let metadata = serde_json::from_str(&metadata).unwrap_or_default();
        let role = RevisionRole::Idle; // until the range's traffic is known, below
        revisions.push(ChartRevision {
            version,
            first_seen_at: first_seen_at.0,
            health,
            health_reason,
            role,
            metadata,
            series,
        });
    }
    let last_rates: Vec<(DateTime<Utc>, Option<f64>)> = revisions
        .iter()
        .map(|r| (r.first_seen_at, r.series.get(signal::REQUEST_RATE).and_then(|points| points.last()).map(|p| p.1)))
        .collect();
    for (revision, role) in revisions.iter_mut().zip(roles::roles(&last_rates)) {
        revision.role = role;
    }
    let deployed = revisions.iter().filter_map(|revision| {
        let at_ms = revision.first_seen_at.timestamp_millis();
        (from_ms..=to_ms).contains(&at_ms).then(|| ChartEvent {
            at_ms,
            kind: ChartEventKind::Deployed,
            version: Some(revision.version.clone()),
            from: None,
            to: None,
            text: format!("{} first seen", version_words(&revision.version)),
        })
    });
    let mut events: Vec<ChartEvent> = deployed.collect();
    let since = DateTime::from_timestamp_millis(from_ms).unwrap_or_default();
    let health_changes = health_events(&mut conn, (server_id, model_id), &versions, since, None).await?;
    events.extend(health_changes.into_iter().filter(|event| (from_ms..=to_ms).contains(&event.at_ms)));
    events.extend(drift_changes(&mut conn, model, (from_ms, to_ms)).await?);
    events.sort_by_key(|event| event.at_ms);
    let log =
        health_events(&mut conn, (server_id, model_id), &versions, DateTime::UNIX_EPOCH, Some(LOG_LENGTH)).await?;
    Ok(ModelChart {
        server: server.to_owned(),
        model: model.to_owned(),
        from_ms,
        to_ms,
        resolution_secs,
        revisions,
        events,
        log,
    })
}

/// The drift reports of `model` in the range whose verdict differs from the report before.
async fn drift_changes(conn: &mut AnyConnection, model: &str, (from_ms, to_ms): (i64, i64)) -> Result<Vec<ChartEvent>> {
    Ok(report::verdict_changes(conn, model)
        .await?
        .into_iter()
        .filter(|change| (from_ms..=to_ms).contains(&change.at.timestamp_millis()))
        .map(|change| ChartEvent {
            at_ms: change.at.timestamp_millis(),
            kind: ChartEventKind::Drift,
            version: Some(change.version),
            from: None,
            to: None,
            text: if change.drifted {
                format!("drift: {} of {} inputs moved", change.drifted_features, change.features)
            } else {
                "drift cleared".to_owned()
            },
        })
        .collect())
}

fn version_words(version: &str) -> String {
    if version.is_empty() {
        "the default version".to_owned()
    } else {
        format!("version {version}")
    }
}

/// Health changes of a server and of one of its models (`ids`), from `since` on, newest first,
/// at most `limit` of them. `versions` names the model's revisions by id.
async fn health_events(
    conn: &mut AnyConnection,
    ids: (i64, i64),
    versions: &HashMap<i64, String>,
    since: DateTime<Utc>,
    limit: Option<i64>,
) -> Result<Vec<ChartEvent>> {
    Ok(health::events(conn, ids, since, limit)
        .await?
        .into_iter()
        .map(|event| ChartEvent {
            at_ms: event.at.timestamp_millis(),
            kind: ChartEventKind::Health,
            version: event.revision_id.and_then(|id| versions.get(&id).cloned()),
            from: Some(event.from),
            to: Some(event.to),
            text: event.reason,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::HealthCheck;

    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap()
    }

    /// Server `s` with model `m`: version 1 deployed at `start`, version 2 an hour later; each
    /// polled every 10 s from its deployment to `now`, version 1 serving 4 requests a second and
    /// version 2 serving 1, with version 2 failing a tenth of them. Returns the pool.
    async fn two_revisions(dir: &tempfile::TempDir, start: i64, now: i64) -> AnyPool {
        let versions = [("1", Some(r#"{"platform":"sklearn"}"#), at(start)), ("2", None, at(start + HOUR))];
        let (pool, ids) = crate::store::testing::one_server_with_revisions(dir.path(), &versions).await;
        let (v1, v2) = (ids[0], ids[1]);
        let mut conn = pool.acquire().await.unwrap();
        for at_ms in (start..now).step_by(10_000) {
            let mut rows = vec![
                (Some(v1), signal::REQUESTS, 40.0),
                (Some(v1), signal::REQUEST_RATE, 4.0),
                (Some(v1), signal::ERRORS, 0.0),
            ];
            if at_ms >= start + HOUR {
                rows.extend([
                    (Some(v2), signal::REQUESTS, 10.0),
                    (Some(v2), signal::REQUEST_RATE, 1.0),
                    (Some(v2), signal::ERRORS, 1.0),
                    (Some(v2), signal::ERROR_RATE, 0.1),
                ]);
            }
            points::insert_rows(&mut conn, 1, at_ms, &rows).await.unwrap();
        }
        let down =
            HealthCheck { state: HealthState::Down, reason: "the server no longer lists it".into(), detected: None };
        crate::polling::checks::record_revision(&mut conn, 1, v2, &down, at(start + 90 * MINUTE)).await.unwrap();
        pool
    }

    #[tokio::test]
    async fn the_overview_gives_each_revisions_latest_signals_its_last_hour_and_all_it_has_seen() {
        let dir = tempfile::tempdir().unwrap();
        let (start, now) = (1_000 * DAY, 1_000 * DAY + 2 * HOUR);
        let pool = two_revisions(&dir, start, now).await;
        // Fold all but the last half hour, so the totals come from rollups and points both.
        points::fold(&mut pool.acquire().await.unwrap(), now - 30 * MINUTE).await.unwrap();
        let revisions = revisions(&pool, now).await.unwrap();
        assert_eq!(revisions.len(), 2);
        let (v1, v2) = (&revisions[0], &revisions[1]);
        assert_eq!((v1.version.as_str(), v2.version.as_str()), ("1", "2"));
        assert_eq!(v1.latest[signal::REQUEST_RATE], 4.0);
        assert_eq!(v1.latest_at_ms, Some(now - 10_000));
        assert_eq!(v2.latest[signal::ERROR_RATE], 0.1);
        assert!(!v1.latest.contains_key(signal::ERROR_RATE), "never measured: absent");
        assert_eq!(v1.metadata["platform"], "sklearn");
        assert_eq!(v2.health, HealthState::Down);
        // Two hours at 40 requests per 10 s; one hour of 10 for version 2, a tenth failed.
        assert_eq!((v1.requests_seen, v1.errors_seen), (2.0 * 360.0 * 40.0, 0.0));
        assert_eq!((v2.requests_seen, v2.errors_seen), (360.0 * 10.0, 360.0));
        assert_eq!(v1.sparkline.len(), 60, "one point a minute for the last hour");
        assert_eq!(v1.sparkline[0], (now - HOUR, 4.0));
    }

    #[tokio::test]
    async fn a_model_chart_reads_every_revision_at_the_resolution_of_its_range_with_what_happened() {
        let dir = tempfile::tempdir().unwrap();
        let (start, now) = (1_000 * DAY, 1_000 * DAY + 2 * HOUR);
        let pool = two_revisions(&dir, start, now).await;
        points::fold(&mut pool.acquire().await.unwrap(), now).await.unwrap();
        let keep = Retention::default();

        let last_hour = model_chart(&pool, ("s", "m"), (now - HOUR, now), now, keep).await.unwrap();
        assert_eq!(last_hour.resolution_secs, 0, "an hour: every point");
        let versions: Vec<(&str, RevisionRole)> =
            last_hour.revisions.iter().map(|r| (r.version.as_str(), r.role)).collect();
        assert_eq!(versions, [("1", RevisionRole::Stable), ("2", RevisionRole::Canary)]);
        assert_eq!(last_hour.revisions[0].series[signal::REQUEST_RATE].len(), 360);
        assert_eq!(last_hour.revisions[1].series[signal::ERROR_RATE].len(), 360);
        assert!(!last_hour.revisions[0].series.contains_key(signal::LATENCY_P99), "no points: no series");

        let month = model_chart(&pool, ("s", "m"), (now - 30 * DAY, now), now, keep).await.unwrap();
        assert_eq!(month.resolution_secs, 3600);
        assert_eq!(month.revisions[0].series[signal::REQUEST_RATE], vec![(start, 4.0), (start + HOUR, 4.0)]);
        let happened: Vec<(i64, ChartEventKind, Option<&str>)> =
            month.events.iter().map(|e| (e.at_ms, e.kind, e.version.as_deref())).collect();
        assert_eq!(
            happened,
            [
                (start, ChartEventKind::Deployed, Some("1")),
                (start + HOUR, ChartEventKind::Deployed, Some("2")),
                (start + 90 * MINUTE, ChartEventKind::Health, Some("2")),
            ]
        );
        assert_eq!(month.log.len(), 1);
        assert_eq!(month.log[0].text, "the server no longer lists it");
        assert_eq!((month.log[0].from, month.log[0].to), (Some(HealthState::Unknown), Some(HealthState::Down)));

        let before = model_chart(&pool, ("s", "m"), (start - 2 * HOUR, start - HOUR), now, keep).await.unwrap();
        assert!(before.events.is_empty() && before.revisions.iter().all(|r| r.series.is_empty()));
        assert!(before.revisions.iter().all(|r| r.role == RevisionRole::Idle), "no traffic in the range: idle");
        assert_eq!(before.log.len(), 1, "the log reaches past the range");
    }

    #[tokio::test]
    async fn a_chart_of_an_unknown_model_or_a_backwards_range_says_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let pool = two_revisions(&dir, DAY, DAY + MINUTE).await;
        let keep = Retention::default();
        let unknown = model_chart(&pool, ("s", "nope"), (0, DAY), DAY, keep).await.unwrap_err();
        assert!(matches!(unknown, VigilError::NotFound(_)), "{unknown:?}");
        let backwards = model_chart(&pool, ("s", "m"), (DAY, 0), DAY, keep).await.unwrap_err();
        assert_eq!(backwards.field(), Some("range"));
    }

    #[tokio::test]
    async fn drift_marks_the_chart_where_the_verdict_changes_and_only_there() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        let start = 1_000 * DAY;
        for (hour, drifted) in [(0, false), (1, true), (2, true), (3, false)] {
            sqlx::query(
                "INSERT INTO drift_reports (model, version, computed_at, from_ms, to_ms, dataset_drift, drifted_share, report)
                 VALUES ('m', '', $1, 0, 0, $2, 0, $3)",
            )
            .bind(crate::store::values::stamp(at(start + hour * HOUR)))
            .bind(drifted)
            .bind(format!(r#"{{"drifted_features": {}, "features": 3}}"#, if drifted { 2 } else { 0 }))
            .execute(&pool)
            .await
            .unwrap();
        }
        let mut conn = pool.acquire().await.unwrap();
        let marks = drift_changes(&mut conn, "m", (start, start + 4 * HOUR)).await.unwrap();
        let seen: Vec<(i64, &str)> = marks.iter().map(|mark| (mark.at_ms - start, mark.text.as_str())).collect();
        assert_eq!(seen, [(HOUR, "drift: 2 of 3 inputs moved"), (3 * HOUR, "drift cleared")]);
        assert!(drift_changes(&mut conn, "other", (start, start + 4 * HOUR)).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_overviews_sparkline_is_a_mean_a_minute_over_the_last_hour_folded_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, ids) = crate::store::testing::one_server_with_revisions(dir.path(), &[("1", None, at(0))]).await;
        let revision = Some(ids[0]);
        let mut conn = pool.acquire().await.unwrap();
        let base = 1_000 * DAY;
        // Two polls in each of 90 minutes, m and m + 1 in minute m; then one in the current minute.
        let polls = (0..90)
            .flat_map(|minute| {
                [(minute * MINUTE + 5_000, minute as f64), (minute * MINUTE + 35_000, minute as f64 + 1.0)]
            })
            .chain([(90 * MINUTE + 5_000, 100.0)]);
        for (offset, rate) in polls {
            points::insert_rows(&mut conn, 1, base + offset, &[(revision, signal::REQUEST_RATE, rate)]).await.unwrap();
        }
        drop(conn);
        let now = base + 90 * MINUTE + 20_000;
        // The whole minutes that start within the last hour, and the current one.
        let expected: Vec<(i64, f64)> = (31..90)
            .map(|minute| (base + minute * MINUTE, minute as f64 + 0.5))
            .chain([(base + 90 * MINUTE, 100.0)])
            .collect();
        assert_eq!(revisions(&pool, now).await.unwrap()[0].sparkline, expected, "from the points alone");
        points::fold(&mut pool.acquire().await.unwrap(), now).await.unwrap();
        let folded = revisions(&pool, now).await.unwrap();
        assert_eq!(folded[0].sparkline, expected, "from the minutes folded and the points since");
    }
}
