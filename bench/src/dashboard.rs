//! The dashboard benchmark: the engine queries behind Vigil's dashboard on a month of a fleet's
//! metrics. A model's 30-day chart (`Engine::model_chart`; goal: median under 50 ms) and the fleet
//! overview (`Engine::revision_signals`, the query behind the model overviews the window reads
//! after every poll), beside a
//! reference measured in the same run: the charted model's hourly means of the same signals
//! straight from its raw points over the 7 days they are kept, one plain `GROUP BY` query per
//! signal, what the chart would cost without rollups. Prints a table, the ratio and the goal met
//! or missed, and writes the figures as JSON.
//!
//! Usage: `vigil-bench dashboard [--quick] [--out FILE] [--models N] [--days D] [--iterations K]
//! [--keep]`. Defaults: 100 models, 30 days, 50 timed runs of each query after one warm-up, the
//! chart and the reference on a model chosen at random each run; the overview stops short of K
//! runs once its runs have taken a minute. `--quick`: 5 models (one server), still 30 days, 10
//! runs (the reference takes about 2 s a run): each chart reads as much data as at full size,
//! from a database 20 times smaller.
//! `--keep` keeps the database and prints where it is.
//!
//! The data, written by set-based SQL into a database that `Engine::open` migrated, is what Vigil
//! stores polling every 10 s for D days under its default retention: 10 models a server, one
//! revision each, first seen D days ago, 8 signals each; raw points for the last 7 days; 1-minute
//! and 1-hour rollups for all D days. Every value comes from one formula, so rollups and points
//! agree: a daily wave plus hourly noise, a triangle wave over each hour and six offsets over each
//! minute, both summing to zero. The current hour, and the polls Vigil would have made while the
//! rest was written, are folded and pruned by Vigil's own `points::fold` and `points::prune`,
//! which leave the last minute or so unfolded, as in real life. No `ANALYZE`: Vigil runs none.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, Connection, Executor, SqlitePool};
use vigil_core::dashboard::{ModelChart, REVISION_SIGNALS};
use vigil_core::points::{self, signal, Retention};
use vigil_core::{Engine, EngineOptions};

use crate::goal::{self, Goal};

/// The goal of the 30-day chart.
const MAX_CHART: Duration = Duration::from_millis(50);
/// Issue 20's goal for the fleet overview, however long the history.
const MAX_OVERVIEW: Duration = Duration::from_millis(50);
const CHART_DAYS: i64 = 30;
const MODELS_PER_SERVER: usize = 10;
const POLL_MS: i64 = 10_000;
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
/// The overview is timed K times, or fewer once its timed runs have taken this long (one at
/// least), so that a slow overview cannot hold the run for hours.
const OVERVIEW_BUDGET: Duration = Duration::from_secs(60);

/// The signals stored for each revision, with the scale of their values (a model's own scale is
/// 0.2 to 2 times this).
const SIGNALS: [(&str, f64); 8] = [
    (signal::REQUEST_RATE, 20.0),
    (signal::ERROR_RATE, 0.01),
    (signal::LATENCY_MEAN, 0.05),
    (signal::LATENCY_P50, 0.04),
    (signal::LATENCY_P95, 0.12),
    (signal::LATENCY_P99, 0.25),
    (signal::REQUESTS, 200.0),
    (signal::ERRORS, 2.0),
];

/// Amplitudes of the formula, as shares of a series' scale: the daily wave, the hourly noise, the
/// triangle wave over each hour and the offsets within each minute.
const WAVE: f64 = 0.4;
const NOISE: f64 = 0.2;
const TRIANGLE: f64 = 0.1;
const SPREAD: f64 = 0.05;

/// A series' mean over `hour` (SQL, Unix hours) as a share of its scale, over the columns of the
/// `series` table: a daily wave (a sine drawn with two parabolas) phased by revision, plus noise.
fn hour_mean(hour: &str) -> String {
    let day = format!("(({hour}) + revision_id) % 24");
    format!(
        "(1 + {WAVE} * (CASE WHEN {day} < 12 THEN 4 ELSE -4 END) * ({day} % 12 / 12.0) * (1 - {day} % 12 / 12.0) \
         + {NOISE} * ((seed * 7919 + ({hour}) * 104729) % 1000003 * 7907 % 1000 / 1000.0 - 0.5))"
    )
}

/// The mean over `minute` (Unix minutes): the hour's plus a triangle wave from -1 to 1 and back.
fn minute_mean(minute: &str) -> String {
    let hour = hour_mean(&format!("({minute}) / 60"));
    format!("({hour} + {TRIANGLE} * (abs((({minute}) + seed) % 60 - 30) / 15.0 - 1))")
}

/// What a point in 10 s `slot` (0–5) of `minute` adds to the minute's mean: one of six offsets
/// from -1 to 1, in a different order each minute.
fn slot_offset(slot: &str, minute: &str) -> String {
    format!("{SPREAD} * (2 * ((({slot}) + ({minute})) % 6) - 5) / 5.0")
}

/// Every series' points of the polls from `from_ms` (rounded up to a poll) until `until_ms`, poll
/// after poll, as the poller writes them: the table in time order.
fn polls(from_ms: i64, until_ms: i64) -> String {
    format!(
        "WITH RECURSIVE slots(slot) AS (SELECT {first} WHERE {first} < {until_ms}
                                        UNION ALL SELECT slot + {POLL_MS} FROM slots
                                        WHERE slot + {POLL_MS} < {until_ms})
         INSERT INTO metric_points (server_id, revision_id, signal, at_ms, value)
         SELECT server_id, revision_id, signal, slot + offset_ms, scale * ({mean} + {offset})
         FROM slots CROSS JOIN series",
        first = (from_ms + POLL_MS - 1).div_euclid(POLL_MS) * POLL_MS,
        mean = minute_mean("slot / 60000"),
        offset = slot_offset("slot / 10000 % 6", "slot / 60000"),
    )
}

struct Options {
    out: Option<PathBuf>,
    models: usize,
    days: i64,
    iterations: usize,
    keep: bool,
}

fn options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (quick, mut args) = crate::quick(args);
    let (models, iterations) = if quick { (5, 10) } else { (100, 50) };
    let mut options = Options { out: None, models, days: 30, iterations, keep: false };
    while let Some(flag) = args.next() {
        let mut count = || {
            let text = args.next().ok_or(format!("{flag} needs a value"))?;
            text.parse::<usize>().ok().filter(|n| *n > 0).ok_or(format!("{flag} needs a count, not {text}"))
        };
        match flag.as_str() {
            "--out" => options.out = Some(args.next().ok_or("--out needs a file")?.into()),
            "--models" => options.models = count()?,
            "--days" => options.days = count()? as i64,
            "--iterations" => options.iterations = count()?,
            "--keep" => options.keep = true,
            other => return Err(format!("unknown argument {other}; {}", crate::USAGE)),
        }
    }
    Ok(options)
}

/// Runs the dashboard benchmark with the command-line arguments that follow `dashboard`.
pub fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let options = options(args)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|error| format!("cannot start tokio: {error}"))?;
    let dir = tempfile::Builder::new()
        .prefix("vigil-bench-dashboard-")
        .tempdir()
        .map_err(|error| format!("cannot make a temporary folder: {error}"))?;
    let db = dir.path().join("vigil.db");
    let reported = runtime.block_on(measure(&options, &db)).and_then(|outcome| report(&options, &outcome));
    if options.keep {
        println!("The database is kept at {}", dir.keep().join("vigil.db").display());
    }
    reported
}

/// What was generated.
struct Data {
    points: i64,
    rollups: i64,
    seconds: f64,
    bytes: u64,
}

/// How a failed statement that writes the data reads.
fn generating(error: sqlx::Error) -> String {
    format!("generating the data: {error}")
}

/// The statements that write the fleet: its servers (bound to when first seen), then the rest.
fn fleet_statements(options: &Options, fold_from_ms: i64) -> (String, [String; 4]) {
    let scales: Vec<String> = SIGNALS.iter().map(|(name, scale)| format!("('{name}', {scale:?})")).collect();
    let servers = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {})
         INSERT INTO servers (id, name, base_url, kind, health, created_at)
         SELECT i, printf('server-%02d', i), printf('http://10.0.%d.1:8080', i), 'mlserver', 'up', ? FROM n",
        options.models.div_ceil(MODELS_PER_SERVER)
    );
    let setup = [
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {models})
             INSERT INTO models (id, server_id, name, first_seen_at)
             SELECT i + 1, s.id, printf('model-%03d', i), s.created_at
             FROM n JOIN servers s ON s.id = i / {MODELS_PER_SERVER} + 1",
            models = options.models
        ),
        "INSERT INTO revisions (id, model_id, version, first_seen_at, health)
         SELECT id, id, '1', first_seen_at, 'up' FROM models"
            .to_owned(),
        // Each series with its seed for the formula, and the offset of its server's polls.
        format!(
            "CREATE TEMP TABLE series AS
             SELECT row_number() OVER (ORDER BY r.id, s.column1) AS seed, m.server_id, r.id AS revision_id,
                    s.column1 AS signal, s.column2 * (1 + r.id % 10) / 5.0 AS scale,
                    m.server_id * 7919 % {POLL_MS} AS offset_ms
             FROM revisions r JOIN models m ON m.id = r.model_id CROSS JOIN (VALUES {}) s
             ORDER BY seed",
            scales.join(", ")
        ),
        format!("UPDATE rollup_progress SET folded_until_ms = {fold_from_ms}"),
    ];
    (servers, setup)
}

/// The statements that fill the tables from `start_ms`, each named: points, both rollups, and
/// each revision's running totals as the fold would have kept them.
fn table_statements(
    retention: Retention,
    start_ms: i64,
    fold_from_ms: i64,
    now_ms: i64,
) -> [(&'static str, String); 4] {
    [
        ("metric_points", polls(start_ms.max(now_ms - retention.points.num_milliseconds()), now_ms - POLL_MS)),
        (
            "metric_rollups, 1 minute",
            format!(
                "WITH RECURSIVE minutes(minute) AS (SELECT {from} UNION ALL SELECT minute + 1 FROM minutes
                                                    WHERE minute + 1 < {until})
                 INSERT INTO metric_rollups
                     (server_id, revision_id, signal, resolution, bucket_start_ms, count, sum, min, max, last)
                 SELECT server_id, revision_id, signal, 60, minute * {MINUTE_MS}, 6, 6 * scale * mean,
                        scale * (mean - {SPREAD}), scale * (mean + {SPREAD}), scale * (mean + {last})
                 FROM (SELECT *, {mean} AS mean FROM series CROSS JOIN minutes)",
                from = start_ms / MINUTE_MS,
                until = fold_from_ms / MINUTE_MS,
                mean = minute_mean("minute"),
                last = slot_offset("5", "minute"),
            ),
        ),
        (
            "metric_rollups, 1 hour",
            format!(
                "WITH RECURSIVE hours(hour) AS (SELECT {from} UNION ALL SELECT hour + 1 FROM hours
                                                WHERE hour + 1 < {until})
                 INSERT INTO metric_rollups
                     (server_id, revision_id, signal, resolution, bucket_start_ms, count, sum, min, max, last)
                 SELECT server_id, revision_id, signal, 3600, hour * {HOUR_MS}, 360, 360 * scale * mean,
                        scale * (mean - {TRIANGLE} - {SPREAD}), scale * (mean + {TRIANGLE} + {SPREAD}),
                        scale * ({last_minute} + {last_slot})
                 FROM (SELECT *, {mean} AS mean FROM series CROSS JOIN hours)",
                from = start_ms / HOUR_MS,
                until = fold_from_ms / HOUR_MS,
                mean = hour_mean("hour"),
                last_minute = minute_mean("hour * 60 + 59"),
                last_slot = slot_offset("5", "hour * 60 + 59"),
            ),
        ),
        (
            "revision_totals",
            format!(
                "INSERT INTO revision_totals (server_id, revision_id, requests, errors)
                 SELECT server_id, revision_id, sum(CASE WHEN signal = '{requests}' THEN sum ELSE 0.0 END),
                        sum(CASE WHEN signal = '{errors}' THEN sum ELSE 0.0 END)
                 FROM metric_rollups WHERE resolution = 3600 AND signal IN ('{requests}', '{errors}')
                 GROUP BY server_id, revision_id",
                requests = signal::REQUESTS,
                errors = signal::ERRORS,
            ),
        ),
    ]
}

/// Folds the data as of `now_ms`, adds the polls made since as Vigil would, prunes, checkpoints.
async fn catch_up(conn: &mut AnyConnection, retention: Retention, now_ms: i64) -> Result<(), String> {
    let upkeep = |error: vigil_core::VigilError| format!("folding and pruning: {error}");
    points::fold(&mut *conn, now_ms).await.map_err(upkeep)?;
    // Vigil went on polling meanwhile: the polls since, folded and pruned as it would.
    let caught_up_ms = Utc::now().timestamp_millis();
    sqlx::query(&polls(now_ms - POLL_MS, caught_up_ms - POLL_MS)).execute(&mut *conn).await.map_err(generating)?;
    points::fold(&mut *conn, caught_up_ms).await.map_err(upkeep)?;
    points::prune(&mut *conn, retention, caught_up_ms).await.map_err(upkeep)?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *conn).await.map_err(generating)?;
    Ok(())
}

/// Writes D days of polls of the fleet into the migrated database at `db`, as of `now_ms`.
async fn generate(db: &Path, options: &Options, retention: Retention, now_ms: i64) -> Result<Data, String> {
    let started = Instant::now();
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&format!("sqlite://{}", db.display())).await.map_err(generating)?;
    conn.execute("PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -262144")
        .await
        .map_err(generating)?;
    let start_ms = (now_ms - options.days * 24 * HOUR_MS).div_euclid(HOUR_MS) * HOUR_MS;
    // Rollups are written up to the start of this hour; `points::fold` takes it from there. They
    // are written series by series, the order of their table's key, which is much the faster.
    let fold_from_ms = (now_ms - 2 * MINUTE_MS).div_euclid(HOUR_MS) * HOUR_MS;
    let first_seen = DateTime::from_timestamp_millis(start_ms).unwrap_or_default();
    let (servers, setup) = fleet_statements(options, fold_from_ms);
    let tables = table_statements(retention, start_ms, fold_from_ms, now_ms);
    let mut tx = conn.begin().await.map_err(generating)?;
    sqlx::query(&servers)
        .bind(vigil_core::store::values::Stamp(first_seen))
        .execute(&mut *tx)
        .await
        .map_err(generating)?;
    for statement in &setup {
        sqlx::query(statement).execute(&mut *tx).await.map_err(generating)?;
    }
    for (table, statement) in &tables {
        let written = Instant::now();
        let rows = sqlx::query(statement).execute(&mut *tx).await.map_err(generating)?.rows_affected();
        println!("  {rows} rows into {table} in {:.0} s", written.elapsed().as_secs_f64());
    }
    tx.commit().await.map_err(generating)?;
    catch_up(&mut conn, retention, now_ms).await?;
    let seconds = started.elapsed().as_secs_f64();
    let (points, rollups): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM metric_points), (SELECT count(*) FROM metric_rollups)")
            .fetch_one(&mut conn)
            .await
            .map_err(generating)?;
    conn.close().await.map_err(generating)?;
    let size = |suffix: &str| std::fs::metadata(format!("{}{suffix}", db.display())).map_or(0, |file| file.len());
    Ok(Data { points, rollups, seconds, bytes: size("") + size("-wal") })
}

/// The median and 95th percentile (nearest rank) of some run times.
struct Timing {
    runs: usize,
    median: Duration,
    p95: Duration,
}

impl Timing {
    fn of(mut times: Vec<Duration>) -> Timing {
        times.sort_unstable();
        Timing { runs: times.len(), median: times[times.len() / 2], p95: times[(times.len() * 95).div_ceil(100) - 1] }
    }
}

/// What the warm-up runs drew, to show that the queries read real data.
struct Drawn {
    /// Points of each of the chart's series, and of each of the reference's.
    chart_points: Vec<usize>,
    reference_points: Vec<usize>,
    /// The largest relative difference between the chart's hourly request rate and the
    /// reference's, over the whole hours both cover.
    disagreement: f64,
    revisions: usize,
    sparkline_points: usize,
}

/// The chart's series' lengths and how far its hourly request rate is from the reference's
/// (`reference`: hourly means of each of `REVISION_SIGNALS`).
fn compare(chart: &ModelChart, reference: &[Vec<(i64, f64)>]) -> (Vec<usize>, Vec<usize>, f64) {
    let chart_points = chart.revisions.iter().flat_map(|revision| revision.series.values().map(Vec::len)).collect();
    let reference_points = reference.iter().map(Vec::len).filter(|len| *len > 0).collect();
    let rate = chart.revisions.first().and_then(|revision| revision.series.get(signal::REQUEST_RATE));
    let hours =
        REVISION_SIGNALS.iter().position(|name| *name == signal::REQUEST_RATE).map_or(&[][..], |at| &reference[at]);
    // The first and last hours of the reference hold only part of their points.
    let whole_hours = hours.get(1..hours.len().saturating_sub(1)).unwrap_or_default();
    let disagreement = whole_hours
        .iter()
        .filter_map(|(hour, mean)| {
            let drawn = rate?.iter().find(|(at_ms, _)| *at_ms == hour * HOUR_MS)?.1;
            Some((drawn - mean).abs() / mean.abs())
        })
        .fold(0.0, f64::max);
    (chart_points, reference_points, disagreement)
}

struct Outcome {
    data: Data,
    chart: Timing,
    reference: Timing,
    overview: Timing,
    drawn: Drawn,
}

/// The reference: one signal's hourly means straight from its raw points.
const REFERENCE: &str = "SELECT at_ms / 3600000 AS hour, avg(value) FROM metric_points
    WHERE server_id = ? AND revision_id = ? AND signal = ? AND at_ms >= ? GROUP BY hour ORDER BY hour";

async fn measure(options: &Options, db: &Path) -> Result<Outcome, String> {
    let engine = Engine::open(EngineOptions::new(db.to_owned())).await.map_err(|error| error.to_string())?;
    let retention = engine.options().retention;
    println!(
        "Generating {} models polled every 10 s for {} days into {} ...",
        options.models,
        options.days,
        db.display()
    );
    let data = generate(db, options, retention, Utc::now().timestamp_millis()).await?;
    println!("{} rows in {:.0} s, {:.2} GB on disk", data.points + data.rollups, data.seconds, data.bytes as f64 / 1e9);

    println!("Timing the fleet overview ...");
    let overview = engine.dashboard().revision_signals().await.map_err(|error| error.to_string())?;
    let mut overview_times: Vec<Duration> = Vec::new();
    while overview_times.len() < options.iterations
        && (overview_times.is_empty() || overview_times.iter().sum::<Duration>() < OVERVIEW_BUDGET)
    {
        let started = Instant::now();
        engine.dashboard().revision_signals().await.map_err(|error| error.to_string())?;
        overview_times.push(started.elapsed());
    }

    // A connection like the engine's (default page cache) for the reference.
    let sql = |error: sqlx::Error| format!("reference query: {error}");
    let pool = SqlitePool::connect_with(SqliteConnectOptions::new().filename(db)).await.map_err(sql)?;
    let models: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT s.name, m.name, s.id, r.id FROM revisions r JOIN models m ON m.id = r.model_id
         JOIN servers s ON s.id = m.server_id ORDER BY r.id",
    )
    .fetch_all(&pool)
    .await
    .map_err(sql)?;
    println!("Timing the chart and the reference, {} runs ...", options.iterations);
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let (mut chart_times, mut reference_times) = (Vec::new(), Vec::new());
    let mut compared = None;
    for _ in 0..=options.iterations {
        // xorshift64: the same models every run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let (server, model, server_id, revision_id) = &models[(state % models.len() as u64) as usize];
        let now = Utc::now();
        let from = now - chrono::Duration::days(CHART_DAYS);
        let started = Instant::now();
        let chart =
            engine.dashboard().model_chart(server, model, from, now).await.map_err(|error| error.to_string())?;
        let chart_time = started.elapsed();

        let started = Instant::now();
        let mut reference = Vec::new();
        for name in REVISION_SIGNALS {
            let means: Vec<(i64, f64)> = sqlx::query_as(REFERENCE)
                .bind(server_id)
                .bind(revision_id)
                .bind(name)
                .bind((now - retention.points).timestamp_millis())
                .fetch_all(&pool)
                .await
                .map_err(sql)?;
            reference.push(means);
        }
        let reference_time = started.elapsed();
        if compared.is_none() {
            compared = Some(compare(&chart, &reference));
        } else {
            chart_times.push(chart_time);
            reference_times.push(reference_time);
        }
    }

    let (chart_points, reference_points, disagreement) = compared.unwrap_or_default();
    Ok(Outcome {
        data,
        chart: Timing::of(chart_times),
        reference: Timing::of(reference_times),
        overview: Timing::of(overview_times),
        drawn: Drawn {
            chart_points,
            reference_points,
            disagreement,
            revisions: overview.len(),
            sparkline_points: overview.first().map_or(0, |revision| revision.sparkline.len()),
        },
    })
}

fn report(options: &Options, outcome: &Outcome) -> Result<(), String> {
    let (data, drawn) = (&outcome.data, &outcome.drawn);
    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    let servers = options.models.div_ceil(MODELS_PER_SERVER);
    let per_series = |points: &[usize]| match (points.iter().min(), points.iter().max()) {
        (Some(min), Some(max)) if min == max => format!("{} series x {min} points", points.len()),
        (Some(min), Some(max)) => format!("{} series x {min}-{max} points", points.len()),
        _ => "no points".to_owned(),
    };
    println!(
        "\nDashboard queries: {} models on {servers} servers, polled every 10 s for {} days; timed runs after one \
         warm-up, the chart and the reference on a random model each run\n",
        options.models, options.days
    );
    println!("{:<44} {:>5} {:>11} {:>11}  drew", "query", "runs", "median ms", "p95 ms");
    let row = |name: &str, timing: &Timing, drew: String| {
        println!("{name:<44} {:>5} {:>11.2} {:>11.2}  {drew}", timing.runs, ms(timing.median), ms(timing.p95));
    };
    row("model chart, 30 days (Engine::model_chart)", &outcome.chart, per_series(&drawn.chart_points));
    row("reference: hourly means from raw points, 7 d", &outcome.reference, per_series(&drawn.reference_points));
    row(
        "fleet overview (Engine::revision_signals)",
        &outcome.overview,
        format!("{} revisions, sparkline of {} points", drawn.revisions, drawn.sparkline_points),
    );
    let ratio = ms(outcome.chart.median) / ms(outcome.reference.median);
    println!("\nchart / reference: {ratio:.3}x (median against median)");
    println!("The chart's hourly request rate and the reference's differ by at most {:.1e}", drawn.disagreement);
    println!(
        "Data: {} rows ({} points, {} rollups) generated in {:.0} s; database {:.2} GB on disk",
        data.points + data.rollups,
        data.points,
        data.rollups,
        data.seconds,
        data.bytes as f64 / 1e9
    );
    let goals = goal::print(&[
        Goal::new(
            format!("30-day model chart median under {} ms", MAX_CHART.as_millis()),
            outcome.chart.median < MAX_CHART,
            format!("{:.2} ms", ms(outcome.chart.median)),
        ),
        Goal::new(
            format!(
                "fleet overview median under {} ms, {} models (issue 20)",
                MAX_OVERVIEW.as_millis(),
                options.models
            ),
            outcome.overview.median < MAX_OVERVIEW,
            format!("{:.2} ms", ms(outcome.overview.median)),
        ),
        Goal::none("chart / reference (hourly means from raw points)", format!("{ratio:.3}x")),
    ]);

    let timing =
        |timing: &Timing| json!({ "runs": timing.runs, "median_ms": ms(timing.median), "p95_ms": ms(timing.p95) });
    let results = json!({
        "benchmark": "dashboard queries",
        "setup": {
            "models": options.models,
            "servers": servers,
            "days": options.days,
            "poll_interval_s": POLL_MS / 1000,
            "signals_per_revision": SIGNALS.len(),
            "retention": "raw points 7 days, 1-minute and 1-hour rollups 400 days (Vigil's default)",
            "iterations": options.iterations,
        },
        "data": {
            "rows": data.points + data.rollups,
            "metric_points": data.points,
            "metric_rollups": data.rollups,
            "generation_s": data.seconds,
            "database_bytes": data.bytes,
        },
        "machine": crate::machine(),
        "model_chart_30_days": timing(&outcome.chart),
        "reference_hourly_means_from_raw_points": timing(&outcome.reference),
        "fleet_overview": timing(&outcome.overview),
        "drawn": {
            "chart_points_per_series": drawn.chart_points,
            "reference_points_per_series": drawn.reference_points,
            "overview_revisions": drawn.revisions,
            "sparkline_points": drawn.sparkline_points,
            "chart_against_reference_max_relative_difference": drawn.disagreement,
        },
        "ratios": { "chart_over_reference": ratio },
        "goals": goals,
    });
    match &options.out {
        Some(out) => crate::write_results(out, &results),
        None => Ok(()),
    }
}
