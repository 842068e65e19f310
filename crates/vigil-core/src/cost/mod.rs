//! Cost and capacity: what the machines that serve models cost. The domain will hold the price
//! catalog, what runs where (each server's instance type and replicas over time), the costs
//! computed from the stored signals (per hour, per day, per 1,000 successful predictions), load
//! tests and the capacity planner. So far it holds the catalog, what runs where, and the costs.
//!
//! [`Cost`] is the domain's one front. Below it: `catalog` (instance types and their dated,
//! sourced prices; the CSV they are imported and exported as), `queries` (every statement on
//! the catalog's tables), `placements` (what runs where, set by people or read from labels),
//! `usage` (the work and use read from the stored signals), `spend` (the arithmetic), `report`
//! (the cost report), with `figures` (its rows), `compare` (candidate against stable),
//! `sentences` and `series`.

pub mod catalog;
pub mod compare;
pub mod figures;
pub mod placements;
mod queries;
pub mod report;
pub mod sentences;
pub mod series;
pub mod spend;
pub mod usage;

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

    /// Records that `server` runs `replicas` of the catalog's `provider region instance_type`
    /// from now on, as `person`; audited. The catalog must hold the instance type.
    pub async fn place(
        &self,
        person: &Person,
        server: &str,
        (provider, region, instance_type): (&str, &str, &str),
        replicas: u32,
    ) -> Result<placements::Placement> {
        crate::servers::queries::get(&mut *self.context.pool().acquire().await?, server).await?;
        let placement = placements::Placement {
            server: server.to_owned(),
            provider: provider.trim().to_owned(),
            region: region.trim().to_owned(),
            instance_type: instance_type.trim().to_owned(),
            replicas,
            since: chrono::Utc::now(),
            hourly: None,
            vcpu: None,
            placed_by: person.name.clone(),
        };
        let mut write = self.context.write().await?;
        placements::insert_placement(&mut write, &placement).await?;
        let detail = json!({ "instance": format!("{provider} {region} {instance_type}"), "replicas": replicas });
        write.audit_by(Some(person), "cost.place", server, detail).await?;
        let placed = placements::placements(&mut write, Some(server)).await?.pop();
        write.commit().await?;
        placed.ok_or_else(|| crate::VigilError::Internal("a placement just stored was not found".into()))
    }

    /// What each server, revision, model and team cost over the last `window` (see
    /// [`report::report`]). First stores the placements the servers' labels say (see
    /// [`placements`]); their problems lead the report's sentences.
    pub async fn report(&self, window: chrono::Duration) -> Result<report::CostReport> {
        let to = chrono::Utc::now();
        let catalog = self.catalog().await?;
        let mut write = self.context.write().await?;
        let problems = placements::place_from_labels(&mut write, &catalog, to).await?;
        write.commit().await?;
        report::report(&mut *self.context.pool().acquire().await?, to - window, to, problems).await
    }
}
