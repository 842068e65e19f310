//! Cost and capacity: what the machines that serve models cost. The domain will hold the price
//! catalog, what runs where (each server's instance type and replicas over time), the costs
//! computed from the stored signals (per hour, per day, per 1,000 successful predictions), load
//! tests and the capacity planner. So far it holds the catalog, what runs where, and the costs.
//!
//! [`Cost`] is the domain's one front. Below it: `catalog` (instance types and their dated,
//! sourced prices; the CSV they are imported and exported as), `queries` (every statement on
//! the catalog's tables), `spend` (the arithmetic) and `report` (placements, and the cost report
//! from them and the stored signals).

pub mod catalog;
mod queries;
pub mod report;
pub mod spend;

use serde::Serialize;
use serde_json::json;

use crate::context::Context;
use crate::rollouts::people::Person;
use crate::Result;
use catalog::InstanceType;

/// What one catalog import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportSummary {
    /// Rows in the file.
    pub rows: usize,
    /// Instance types the catalog did not hold before.
    pub added: usize,
    /// Instance types whose row the file replaced.
    pub updated: usize,
}

/// The cost front. Cheap to clone.
#[derive(Clone)]
pub struct Cost {
    context: Context,
}

impl Cost {
    pub(crate) fn new(context: Context) -> Cost {
        Cost { context }
    }

    /// Puts the catalog Vigil ships into a new database, once in its life: a database whose
    /// catalog people edited or emptied keeps it as they left it. Not on the audit trail: it is
    /// where a database starts, not a person's change.
    pub(crate) async fn seed_default_catalog(&self) -> Result<()> {
        let mut write = self.context.write().await?;
        if queries::mark_seeded(&mut write).await? {
            for instance_type in catalog::parse_csv(catalog::DEFAULT_CATALOG)? {
                queries::upsert(&mut write, &instance_type).await?;
            }
        }
        write.commit().await
    }

    /// Every instance type in the catalog, by provider, region and name.
    pub async fn catalog(&self) -> Result<Vec<InstanceType>> {
        queries::list(&mut *self.context.pool().acquire().await?).await
    }

    /// The catalog as CSV ([`catalog::COLUMNS`]), which [`Cost::import_catalog`] reads back.
    pub async fn export_catalog(&self) -> Result<String> {
        catalog::to_csv(&self.catalog().await?)
    }

    /// Imports a catalog in CSV, as `person`. Every row is checked first: one bad row refuses
    /// the whole file, naming its line, and changes nothing. A good file adds its instance types
    /// and replaces those the catalog holds by the same provider, region and name (an upsert);
    /// instance types the file does not name are kept. Audited with the counts.
    pub async fn import_catalog(&self, person: &Person, csv: &str) -> Result<ImportSummary> {
        let types = catalog::parse_csv(csv)?;
        let mut write = self.context.write().await?;
        let mut added = 0;
        for instance_type in &types {
            if queries::upsert(&mut write, instance_type).await? {
                added += 1;
            }
        }
        let summary = ImportSummary { rows: types.len(), added, updated: types.len() - added };
        write.audit_by(Some(person), "cost.catalog.import", "price catalog", json!(summary)).await?;
        write.commit().await?;
        Ok(summary)
    }

    /// Adds `instance_type` to the catalog, or replaces the one of the same provider, region and
    /// name, as `person`: checked as an imported row is ([`catalog::check`]), the error naming
    /// the field. Audited with its on-demand price. Returns it as stored.
    pub async fn save_instance_type(&self, person: &Person, instance_type: InstanceType) -> Result<InstanceType> {
        let checked = catalog::check(instance_type)?;
        let mut write = self.context.write().await?;
        let added = queries::upsert(&mut write, &checked).await?;
        let (provider, region, name) = checked.key();
        let detail = json!({ "added": added, "on_demand_hourly": checked.on_demand.hourly });
        write.audit_by(Some(person), "cost.catalog.save", &format!("{provider} {region} {name}"), detail).await?;
        write.commit().await?;
        Ok(checked)
    }

    /// Removes `provider region name` from the catalog, as `person`; audited. Refused while any
    /// placement, current or past, names it: its price works out those servers' cost.
    pub async fn remove_instance_type(&self, person: &Person, provider: &str, region: &str, name: &str) -> Result<()> {
        let key = (provider.trim(), region.trim(), name.trim());
        let what = format!("{} {} {}", key.0, key.1, key.2);
        let mut write = self.context.write().await?;
        let placed = report::servers_placed_on(&mut write, key).await?;
        if !placed.is_empty() {
            return Err(crate::VigilError::Conflict {
                field: "name",
                message: format!(
                    "{what} is not removed: {} {} placed on it, and its price works out their cost. Place {} on \
                     another instance type first; it stays in the catalog for the cost of the time before.",
                    placed.join(", "),
                    if placed.len() == 1 { "is (or was)" } else { "are (or were)" },
                    if placed.len() == 1 { "that server" } else { "those servers" },
                ),
            });
        }
        if !queries::remove(&mut write, key.0, key.1, key.2).await? {
            return Err(crate::VigilError::NotFound(format!("The price catalog has no {what}.")));
        }
        write.audit_by(Some(person), "cost.catalog.remove", &what, json!({})).await?;
        write.commit().await
    }

    /// Records that `server` runs `replicas` of the catalog's `provider region instance_type`
    /// from now on, as `person`; audited. The catalog must hold the instance type.
    pub async fn place(
        &self,
        person: &Person,
        server: &str,
        (provider, region, instance_type): (&str, &str, &str),
        replicas: u32,
    ) -> Result<report::Placement> {
        crate::servers::queries::get(&mut *self.context.pool().acquire().await?, server).await?;
        let placement = report::Placement {
            server: server.to_owned(),
            provider: provider.trim().to_owned(),
            region: region.trim().to_owned(),
            instance_type: instance_type.trim().to_owned(),
            replicas,
            since: chrono::Utc::now(),
            hourly: None,
        };
        let mut write = self.context.write().await?;
        report::insert_placement(&mut write, &placement).await?;
        let detail = json!({ "instance": format!("{provider} {region} {instance_type}"), "replicas": replicas });
        write.audit_by(Some(person), "cost.place", server, detail).await?;
        let placed = report::placements(&mut write, Some(server)).await?.pop();
        write.commit().await?;
        placed.ok_or_else(|| crate::VigilError::Internal("a placement just stored was not found".into()))
    }

    /// What each server and revision cost over the last `window` (see [`report::report`]).
    pub async fn report(&self, window: chrono::Duration) -> Result<report::CostReport> {
        let to = chrono::Utc::now();
        report::report(&mut *self.context.pool().acquire().await?, to - window, to).await
    }
}
