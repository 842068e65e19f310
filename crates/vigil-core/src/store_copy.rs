//! `vigil store copy`: moves a store's whole history into another — a desktop's SQLite file
//! into the team's PostgreSQL, or back — table by table in the order their references need,
//! every value as stored (so the audit chain's hashes still hold), then checks every table's
//! row count on both sides and verifies the audit chain where it landed.
//!
//! The target must be new: its tables may hold only what its migrations put there (seed
//! markers), which the copy replaces; a restore (`backup.rs`) replaces a target whole. It is written in one transaction, so a failed copy leaves
//! it as it was. Collectors' heartbeats and leases, and who holds a duty, are not copied: they belong to the processes
//! running against the source.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, ChainCheck};
use crate::store::{self, open, sql, Backend, Location};
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
    "revision_totals",
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
pub const RUNTIME_TABLES: &[&str] = &["collectors", "server_leases", "duties", "rollout_requests"];

/// Rows a single insert carries (well under PostgreSQL's 65,535 parameters).
const ROWS_PER_INSERT: usize = 200;

/// What a copy moved.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct CopyReport {
    /// Each table and its rows, as counted on both sides after the copy.
    #[ts(type = "Array<[string, number]>")]
    pub tables: Vec<(String, i64)>,
    /// The audit chain as verified where it landed.
    pub audit: ChainCheck,
}

/// Copies everything in `from` into the new store at `to`.
pub async fn copy(from: &Location, to: &Location) -> Result<CopyReport> {
    copy_into(from, to, Target::New).await
}

/// What a copy may find in its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Nothing but what migrations seed: a copy refuses a target that holds data.
    New,
    /// Anything: it is replaced, in the same transaction (a restore).
    Replace,
}

/// Copies everything in `from` into `to`, which must be new, or is replaced whole.
pub(crate) async fn copy_into(from: &Location, to: &Location, target_is: Target) -> Result<CopyReport> {
    if from == to {
        return Err(VigilError::invalid("to", "The store to copy into is the store copied from; name another."));
    }
    let source = open(from).await?;
    let target = open(to).await?;
    let mut source_conn = source.acquire().await?;
    let mut tx = store::begin(&target).await?;
    if target_is == Target::New {
        for table in TABLES {
            if count(&mut tx, table).await? > 0 && !seeded(table) {
                return Err(VigilError::invalid(
                    "to",
                    format!(
                        "{to} already holds data (table {table} has rows). Copy into a new, empty store, or remove that one first."
                    ),
                ));
            }
        }
    }
    // A restore replaces the audit trail too: its append-only guards are lifted for this
    // transaction alone and put back, as they were, before it commits.
    let guards = match (target_is, to.backend()) {
        (Target::Replace, Backend::Sqlite) => lift_audit_guards(&mut tx).await?,
        _ => Vec::new(),
    };
    for table in TABLES.iter().rev().filter(|table| target_is == Target::Replace || seeded(table)) {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
    }
    let types = column_types(&mut tx, to.backend()).await?;
    for table in TABLES {
        copy_table(&mut source_conn, &mut tx, table, &types).await?;
        if to.backend() == Backend::Postgres {
            renumber(&mut tx, table).await?;
        }
    }
    for guard in guards {
        sqlx::query(&guard).execute(&mut *tx).await?;
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

/// Drops the triggers that keep a SQLite audit log append-only, returning the statements that
/// create them again.
async fn lift_audit_guards(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let guards: Vec<(String, String)> =
        sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
            .fetch_all(&mut *conn)
            .await?;
    for (name, _) in &guards {
        sqlx::query(&format!("DROP TRIGGER {name}")).execute(&mut *conn).await?;
    }
    Ok(guards.into_iter().map(|(_, create)| create).collect())
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

/// Each `table.column` of a PostgreSQL store and the kind of value it takes (SQLite takes any).
async fn column_types(conn: &mut AnyConnection, backend: Backend) -> Result<HashMap<String, Value>> {
    if backend == Backend::Sqlite {
        return Ok(HashMap::new());
    }
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(table_name AS TEXT) || '.' || CAST(column_name AS TEXT), CAST(data_type AS TEXT)
         FROM information_schema.columns
         WHERE table_schema = current_schema()",
    )
    .fetch_all(conn)
    .await?;
    Ok(columns
        .into_iter()
        .map(|(column, data_type)| {
            let kind = match data_type.as_str() {
                "boolean" => Value::Bool(false),
                "bigint" | "integer" | "smallint" => Value::Int(0),
                "double precision" | "real" => Value::Real(0.0),
                "bytea" => Value::Bytes(Vec::new()),
                _ => Value::Text(String::new()),
            };
            (column, kind)
        })
        .collect())
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

/// Binds `value` as the target's column wants it (`kind`: a value of the column's kind): a
/// SQLite 0/1 into a PostgreSQL `boolean` and back, and a missing value (NULL) typed as the
/// column is.
fn bind<'q>(
    insert: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    value: Value,
    kind: &Value,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match (value, kind) {
        (Value::Null, Value::Bool(_)) => insert.bind(None::<bool>),
        (Value::Null, Value::Int(_)) => insert.bind(None::<i64>),
        (Value::Null, Value::Real(_)) => insert.bind(None::<f64>),
        (Value::Null, Value::Bytes(_)) => insert.bind(None::<Vec<u8>>),
        (Value::Null, _) => insert.bind(None::<String>),
        (Value::Int(v), Value::Bool(_)) => insert.bind(v != 0),
        (Value::Bool(v), Value::Bool(_)) => insert.bind(v),
        (Value::Bool(v), _) => insert.bind(i64::from(v)),
        (Value::Int(v), _) => insert.bind(v),
        (Value::Real(v), _) => insert.bind(v),
        (Value::Text(v), _) => insert.bind(v),
        (Value::Bytes(v), _) => insert.bind(v),
    }
}

async fn copy_table(
    source: &mut AnyConnection,
    target: &mut AnyConnection,
    table: &str,
    types: &HashMap<String, Value>,
) -> Result<()> {
    let rows = sqlx::query(&format!("SELECT * FROM {table}")).fetch_all(&mut *source).await?;
    let Some(first) = rows.first() else { return Ok(()) };
    let columns: Vec<String> = first.columns().iter().map(|c| sqlx::Column::name(c).to_owned()).collect();
    let values: Vec<Vec<Value>> =
        rows.iter().map(|row| (0..columns.len()).map(|i| value(row, i)).collect()).collect::<Result<_>>()?;
    // The target's kind of each column; on SQLite, the kind of the column's first value.
    let kinds: Vec<Value> = (0..columns.len())
        .map(|i| match types.get(&format!("{table}.{}", columns[i])) {
            Some(kind) => kind.clone(),
            None => {
                values.iter().map(|row| &row[i]).find(|v| !matches!(v, Value::Null)).cloned().unwrap_or(Value::Null)
            }
        })
        .collect();
    for chunk in values.chunks(ROWS_PER_INSERT) {
        let text = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            sql::placeholders(crate::store::backend_of_connection(target), columns.len(), chunk.len())
        );
        let mut insert = sqlx::query(&text);
        for row in chunk {
            for (index, value) in row.iter().enumerate() {
                insert = bind(insert, value.clone(), &kinds[index]);
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
        "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_table_of_the_store_is_copied_or_named_as_the_running_processes() {
        let dir = tempfile::tempdir().unwrap();
        let location = store::testing::scratch(dir.path()).await;
        let pool = open(&location).await.unwrap();
        let listing = match location.backend() {
            Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema()"
            }
        };
        let mut tables: Vec<String> = sqlx::query_scalar(listing).fetch_all(&pool).await.unwrap();
        tables.retain(|t| t != "_sqlx_migrations");
        tables.sort();
        let mut known: Vec<String> = TABLES.iter().chain(RUNTIME_TABLES).map(|t| t.to_string()).collect();
        known.sort();
        assert_eq!(tables, known, "a table was added: put it in TABLES (after those it references) or RUNTIME_TABLES");
    }
}
