//! Cost and capacity: what the machines that serve models cost. The domain will hold the price
//! catalog, what runs where (each server's instance type and replicas over time), the costs
//! computed from the stored signals (per hour, per day, per 1,000 successful predictions), load
//! tests and the capacity planner. So far it holds the first of these, the catalog.
//!
//! [`Cost`] is the domain's one front. Below it: `catalog` (instance types and their dated,
//! sourced prices; the CSV they are imported and exported as) and `queries` (every statement
//! on the catalog's tables).

pub mod catalog;
mod queries;

use serde::Serialize;
use serde_json::json;

use crate::context::Context;
use crate::rollouts::people::Person;
use crate::Result;
use catalog::InstanceType;

/// What one catalog import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
        Ok(catalog::to_csv(&self.catalog().await?))
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
}
