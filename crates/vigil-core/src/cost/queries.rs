//! Every statement on the price catalog's tables: `instance_types` (one row an instance type,
//! keyed by provider, region and name) and `price_catalog_seed` (whether the shipped catalog
//! was put in, which happens once in a database's life).

use chrono::{NaiveDate, Utc};
use sqlx::{AnyConnection, FromRow};

use super::catalog::{InstanceType, Price};
use crate::store::sql;
use crate::store::values::{stamp, Day};
use crate::Result;

#[derive(FromRow)]
struct Row {
    provider: String,
    region: String,
    name: String,
    vcpu: i64,
    memory_gib: f64,
    gpu_type: Option<String>,
    gpu_count: i64,
    on_demand_hourly: f64,
    on_demand_date: Day,
    on_demand_source: String,
    spot_hourly: Option<f64>,
    spot_date: Option<Day>,
    spot_source: Option<String>,
    reserved_hourly: Option<f64>,
    reserved_date: Option<Day>,
    reserved_source: Option<String>,
}

fn price(hourly: Option<f64>, date: Option<NaiveDate>, source: Option<String>) -> Option<Price> {
    Some(Price { hourly: hourly?, date: date?, source: source? })
}

impl From<Row> for InstanceType {
    fn from(row: Row) -> InstanceType {
        InstanceType {
            provider: row.provider,
            region: row.region,
            name: row.name,
            vcpu: u32::try_from(row.vcpu).unwrap_or(0),
            memory_gib: row.memory_gib,
            gpu_type: row.gpu_type,
            gpu_count: u32::try_from(row.gpu_count).unwrap_or(0),
            on_demand: Price { hourly: row.on_demand_hourly, date: row.on_demand_date.0, source: row.on_demand_source },
            spot: price(row.spot_hourly, row.spot_date.map(|d| d.0), row.spot_source),
            reserved: price(row.reserved_hourly, row.reserved_date.map(|d| d.0), row.reserved_source),
        }
    }
}

/// Every instance type, by provider, region and name.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<InstanceType>> {
    let rows: Vec<Row> =
        sqlx::query_as("SELECT * FROM instance_types ORDER BY provider, region, name").fetch_all(conn).await?;
    Ok(rows.into_iter().map(InstanceType::from).collect())
}

/// Stores `t`, replacing the row of the same provider, region and name. Returns whether the
/// row is new.
pub async fn upsert(conn: &mut AnyConnection, t: &InstanceType) -> Result<bool> {
    let existed: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM instance_types WHERE provider = $1 AND region = $2 AND name = $3")
            .bind(&t.provider)
            .bind(&t.region)
            .bind(&t.name)
            .fetch_optional(&mut *conn)
            .await?;
    let part = |price: &Option<Price>| {
        let p = price.as_ref();
        (p.map(|p| p.hourly), p.map(|p| p.date), p.map(|p| p.source.clone()))
    };
    let (spot_hourly, spot_date, spot_source) = part(&t.spot);
    let (reserved_hourly, reserved_date, reserved_source) = part(&t.reserved);
    sqlx::query(&sql::replace_into(
        crate::store::backend_of_connection(conn),
        "instance_types",
        &[
            "provider",
            "region",
            "name",
            "vcpu",
            "memory_gib",
            "gpu_type",
            "gpu_count",
            "on_demand_hourly",
            "on_demand_date",
            "on_demand_source",
            "spot_hourly",
            "spot_date",
            "spot_source",
            "reserved_hourly",
            "reserved_date",
            "reserved_source",
        ],
        &["provider", "region", "name"],
        1,
    ))
    .bind(&t.provider)
    .bind(&t.region)
    .bind(&t.name)
    .bind(i64::from(t.vcpu))
    .bind(t.memory_gib)
    .bind(&t.gpu_type)
    .bind(i64::from(t.gpu_count))
    .bind(t.on_demand.hourly)
    .bind(Day(t.on_demand.date))
    .bind(&t.on_demand.source)
    .bind(spot_hourly)
    .bind(spot_date.map(Day))
    .bind(spot_source)
    .bind(reserved_hourly)
    .bind(reserved_date.map(Day))
    .bind(reserved_source)
    .execute(conn)
    .await?;
    Ok(existed.is_none())
}

/// Removes the instance type `provider region name`. Returns whether the catalog held it.
pub async fn remove(conn: &mut AnyConnection, provider: &str, region: &str, name: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM instance_types WHERE provider = $1 AND region = $2 AND name = $3")
        .bind(provider)
        .bind(region)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the shipped catalog as put in. Returns false when it already was, so that it is put
/// in once in a database's life, even after people edit or empty the catalog.
pub async fn mark_seeded(conn: &mut AnyConnection) -> Result<bool> {
    let done = sqlx::query("INSERT INTO price_catalog_seed (id, seeded_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .bind(stamp(Utc::now()))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
