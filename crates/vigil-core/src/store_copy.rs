//! `vigil store copy`: moves a store's whole history into another — a desktop's SQLite file
//! into the team's PostgreSQL, or back — table by table in the order their references need,
//! every value as stored (so the audit chain's hashes still hold), then checks every table's
//! row count on both sides and verifies the audit chain where it landed.
//!
//! The target must be new: its tables may hold only what its migrations put there (seed
//! markers), which the copy replaces. It is written in one transaction, so a failed copy leaves
//! it as it was. Collectors' heartbeats and leases are not copied: they belong to the processes
//! running against the source.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::store::{self, open, sql, Backend, Location};
use crate::audit::{self, ChainCheck};
use crate::{Result, VigilError};

/// Every table a store holds, in an order where each comes after those it references.
pub const TABLES: &[&str] = &[
    "servers",
    "catalog_version",
    "models",
    "revisions",
    "health_events",
    "metric_points",
    "metric_rollups",
    "rollup_progress",
    "drift_references",
    "drift_columns",
    "drift_windows",
    "drift_reports",
    "drift_settings",
    "objective_defaults",
    "objectives",
    "deployment_targets",
    "rollout_plans",
    "rollout_policies",
    "profiles",
    "rollouts",
    "rollout_approvals",
    "traffic_changes",
    "rollout_lease",
    "instance_types",
    "price_catalog_seed",
    "placements",
    "load_tests",
    "load_test_hosts",
    "alert_rules",
    "alert_rules_seed",
    "alerts",
    "alert_history",
    "silences",
    "alert_receivers",
    "alert_groups",
    "alert_deliveries",
    "predictions",
    "ground_truth",
    "prediction_settings",
    "prediction_skips",
    "performance_references",
    "built_environments",
    "environment_sources",
    "served_environments",
    "parity_runs",
    "audit_log",
];

/// Tables that belong to the running processes, not the history: never copied.
pub const RUNTIME_TABLES: &[&str] = &["collectors", "server_leases"];

/// Rows a single insert carries (well under PostgreSQL's 65,535 parameters).
const ROWS_PER_INSERT: usize = 200;

/// What a copy moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyReport {
    /// Each table and its rows, as counted on both sides after the copy.
    pub tables: Vec<(String, i64)>,
    /// The audit chain as verified where it landed.
    pub audit: ChainCheck,
}

/// Copies everything in `from` into the new store at `to`.
pub async fn copy(from: &Location, to: &Location) -> Result<CopyReport> {
    if from == to {
        return Err(VigilError::invalid("to", "The store to copy into is the store copied from; name another."));
    }
    let source = open(from).await?;
    let target = open(to).await?;
    let mut source_conn = source.acquire().await?;
    let mut tx = store::begin(&target).await?;
    for table in TABLES {
        if count(&mut *tx, table).await? > 0 && !seeded(table) {
            return Err(VigilError::invalid(
                "to",
                format!(
                    "{to} already holds data (table {table} has rows). Copy into a new, empty store, or remove that one first."
                ),
            ));
        }
    }
    for table in TABLES.iter().rev().filter(|table| seeded(table)) {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
    }
    let flags = boolean_columns(&mut *tx, to.backend()).await?;
    for table in TABLES {
        copy_table(&mut source_conn, &mut *tx, table, &flags).await?;
        if to.backend() == Backend::Postgres {
            renumber(&mut *tx, table).await?;
        }
    }
    tx.commit().await?;
    let mut checked = Vec::with_capacity(TABLES.len());
    let mut target_conn = target.acquire().await?;
    for table in TABLES {
        let (here, there) = (count(&mut source_conn, table).await?, count(&mut target_conn, table).await?);
        if here != there {
            return Err(VigilError::Internal(format!("table {table}: {here} rows in {from} but {there} in {to}")));
        }
        checked.push((table.to_string(), there));
    }
    let audit = audit::verify(&target).await?;
    if let Some(broken) = &audit.first_broken {
        return Err(VigilError::Internal(format!(
            "the audit chain copied into {to} breaks at entry {}: {}",
            broken.id, broken.reason
        )));
    }
    Ok(CopyReport { tables: checked, audit })
}

/// Tables whose migrations put a row in (a marker or a version), replaced by the source's.
fn seeded(table: &str) -> bool {
    matches!(
        table,
        "catalog_version"
            | "price_catalog_seed"
            | "alert_rules_seed"
            | "rollup_progress"
            | "objective_defaults"
            | "alert_receivers"
    )
}

async fn count(conn: &mut AnyConnection, table: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(conn).await?)
}

/// The `table.column` pairs PostgreSQL keeps as `boolean` (SQLite keeps 0 or 1).
async fn boolean_columns(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<String>> {
    if backend == Backend::Sqlite {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar(
        "SELECT table_name || '.' || column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND data_type = 'boolean'",
    )
    .fetch_all(conn)
    .await?)
}

/// One value as read, carried to the other store as the same kind of value.
#[derive(Clone)]
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
}

fn value(row: &AnyRow, index: usize) -> Result<Value> {
    if row.try_get_raw(index).map(|raw| sqlx::ValueRef::is_null(&raw))? {
        return Ok(Value::Null);
    }
    if let Ok(v) = row.try_get::<i64, _>(index) {
        return Ok(Value::Int(v));
    }
    if let Ok(v) = row.try_get::<f64, _>(index) {
        return Ok(Value::Real(v));
    }
    if let Ok(v) = row.try_get::<String, _>(index) {
        return Ok(Value::Text(v));
    }
    if let Ok(v) = row.try_get::<bool, _>(index) {
        return Ok(Value::Bool(v));
    }
    Ok(Value::Bytes(row.try_get::<Vec<u8>, _>(index)?))
}

/// Binds `value` as the target's column wants it: a flag as a boolean on PostgreSQL, and a
/// missing value (NULL) typed as the column's other values are (text when all are missing).
fn bind<'q>(
    insert: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    value: Value,
    kind: &Value,
    flag: bool,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match (value, flag) {
        (Value::Null, true) => insert.bind(None::<bool>),
        (Value::Null, false) => match kind {
            Value::Int(_) | Value::Bool(_) => insert.bind(None::<i64>),
            Value::Real(_) => insert.bind(None::<f64>),
            Value::Bytes(_) => insert.bind(None::<Vec<u8>>),
            Value::Null | Value::Text(_) => insert.bind(None::<String>),
        },
        (Value::Int(v), true) => insert.bind(v != 0),
        (Value::Int(v), false) => insert.bind(v),
        (Value::Bool(v), true) => insert.bind(v),
        (Value::Bool(v), false) => insert.bind(i64::from(v)),
        (Value::Real(v), _) => insert.bind(v),
        (Value::Text(v), _) => insert.bind(v),
        (Value::Bytes(v), _) => insert.bind(v),
    }
}

async fn copy_table(source: &mut AnyConnection, target: &mut AnyConnection, table: &str, flags: &[String]) -> Result<()> {
    let rows = sqlx::query(&format!("SELECT * FROM {table}")).fetch_all(&mut *source).await?;
    let Some(first) = rows.first() else { return Ok(()) };
    let columns: Vec<String> = first.columns().iter().map(|c| sqlx::Column::name(c).to_owned()).collect();
    let is_flag: Vec<bool> = columns.iter().map(|c| flags.contains(&format!("{table}.{c}"))).collect();
    let values: Vec<Vec<Value>> =
        rows.iter().map(|row| (0..columns.len()).map(|i| value(row, i)).collect()).collect::<Result<_>>()?;
    let kinds: Vec<Value> = (0..columns.len())
        .map(|i| values.iter().map(|row| &row[i]).find(|v| !matches!(v, Value::Null)).cloned().unwrap_or(Value::Null))
        .collect();
    for chunk in values.chunks(ROWS_PER_INSERT) {
        let text = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            sql::placeholders(columns.len(), chunk.len())
        );
        let mut insert = sqlx::query(&text);
        for row in chunk {
            for (index, value) in row.iter().enumerate() {
                insert = bind(insert, value.clone(), &kinds[index], is_flag[index]);
            }
        }
        insert.execute(&mut *target).await?;
    }
    Ok(())
}

/// Moves a PostgreSQL identity column's counter past the ids copied in, so the next row gets a
/// new one.
async fn renumber(conn: &mut AnyConnection, table: &str) -> Result<()> {
    let identities: Vec<String> = sqlx::query_scalar(
        "SELECT column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    for column in identities {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), coalesce(max({column}), 0) + 1, false) FROM {table}"
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
