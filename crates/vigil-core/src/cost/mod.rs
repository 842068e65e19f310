//! Cost and capacity: what the machines that serve models cost. The domain holds the price
//! catalog, what runs where (each server's instance type and replicas over time), the costs
//! computed from the stored signals (per hour, per day, per 1,000 successful predictions), load
//! tests and the capacity planner.
//!
//! [`Cost`] is the domain's one front. Below it: `catalog` (instance types and their dated,
//! sourced prices; the CSV they are imported and exported as), `queries` (every statement on
//! the catalog's tables), `placements` (what runs where, set by people or read from labels),
//! `usage` (the work and use read from the stored signals), `spend` (the arithmetic), `report`
//! (the cost report), with `figures` (its rows), `compare` (candidate against stable),
//! `sentences` and `series`; `loadtest` and `payloads` (load tests of one revision and the
//! bodies they send; the stored results), and `capacity` (the planner).

pub mod capacity;
pub mod catalog;
pub mod compare;
pub mod figures;
pub mod loadtest;
pub mod payloads;
pub mod placements;
mod queries;
pub mod report;
pub mod sentences;
pub mod series;
pub mod spend;
pub mod usage;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;

use crate::context::Context;
use crate::rollouts::people::Person;
use crate::Result;
use capacity::{CapacityPlan, CapacityRequest};
use catalog::InstanceType;
use loadtest::{LoadTestProgress, LoadTestRequest, LoadTestResult};

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
        let placed = placements::servers_placed_on(&mut write, key).await?;
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
        let problems = self.place_from_labels(to).await?;
        report::report(&mut *self.context.pool().acquire().await?, to - window, to, problems).await
    }

    /// Stores the placements the servers' labels say as of `now` (see [`placements`]); returns
    /// the labels' problems, in words.
    async fn place_from_labels(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<String>> {
        let catalog = self.catalog().await?;
        let mut write = self.context.write().await?;
        let problems = placements::place_from_labels(&mut write, &catalog, now).await?;
        write.commit().await?;
        Ok(problems)
    }

    /// Load-tests one model revision as `person`: steps of rising rate against its infer
    /// endpoint with bodies from `request.payload_file` or built from the model's reference
    /// data, until a step misses the p99 objective or the error bound (see [`loadtest`]).
    /// Only loopback hosts and those allowed ([`Cost::allowed_hosts`]) are load-tested.
    /// `progress` hears how it goes; `cancel` stops it. The result is stored (a cancelled one
    /// too, marked so) and audited.
    pub async fn load_test(
        &self,
        person: &Person,
        request: LoadTestRequest,
        progress: impl Fn(LoadTestProgress) + Send + Sync + 'static,
        cancel: Arc<AtomicBool>,
    ) -> Result<LoadTestResult> {
        let server = crate::chosen::server_of(self.context.pool(), &request.server, &request.model).await?;
        let allowed_hosts = loadtest::allowed_hosts(&mut *self.context.pool().acquire().await?).await?;
        if let Ok(base) = url::Url::parse(&server.base_url) {
            crate::loadgen::check_host(&base, &allowed_hosts)?;
        }
        let chosen = crate::chosen::revision_on(
            self.context.pool(),
            server,
            &request.model,
            request.version.as_deref(),
            "load-test",
        )
        .await?;
        let (server, version, metadata) = (chosen.server, chosen.version, chosen.metadata);
        let kind = server.detected_kind.unwrap_or(server.kind);
        let url = kind
            .model_infer_url(&server.base_url, &request.model, Some(version.as_str()).filter(|v| !v.is_empty()))
            .and_then(|url| url::Url::parse(&url).ok())
            .ok_or_else(|| {
                let message = format!(
                    "Load tests speak the Open Inference Protocol (Triton, MLServer, KServe); server {} is {}.",
                    server.name,
                    kind.as_str()
                );
                crate::VigilError::invalid("server", message)
            })?;
        let mut conn = self.context.pool().acquire().await?;
        let objectives = crate::objectives::book(&mut conn).await?.for_model(&request.model);
        let settled = loadtest::settle(&request, (Some(objectives.p99_s.max), Some(objectives.error_share.max)))?;
        let bodies = match &request.payload_file {
            Some(path) => payloads::from_file(std::path::Path::new(path))?,
            None => {
                let reference = crate::drift::reference::load(&mut conn, &request.model, Some(&version)).await?;
                let reference = reference.ok_or_else(|| {
                    let message = format!(
                        "{} has no reference data to build requests from: import it (vigil drift reference) or give a payload file.",
                        request.model
                    );
                    crate::VigilError::invalid("payload_file", message)
                })?;
                payloads::from_reference(&request.model, &reference, &metadata)?
            }
        };
        drop(conn);
        self.place_from_labels(chrono::Utc::now()).await?;
        let placement =
            placements::placements(&mut *self.context.pool().acquire().await?, Some(&server.name)).await?.pop();
        let started_at = chrono::Utc::now();
        let target = loadtest::Target { url, bodies, allowed_hosts };
        let outcome = loadtest::run((&request.model, &version), &settled, target, progress, cancel).await?;
        let replicas = placement.as_ref().map_or(1, |p| p.replicas.max(1));
        let mut result = LoadTestResult {
            id: 0,
            server: server.name.clone(),
            model: request.model.clone(),
            version: version.clone(),
            instance: placement.as_ref().map(loadtest::instance_key),
            replicas,
            started_at,
            person: person.name.clone(),
            p99_objective_ms: settled.p99_objective.as_secs_f64() * 1000.0,
            max_error_share: settled.max_error_share,
            steps: outcome.steps.iter().map(|step| loadtest::step_figures(&step.result, step.within)).collect(),
            sustainable_rate: outcome.sustainable_rate,
            per_replica_rate: outcome.sustainable_rate.map(|rate| rate / f64::from(replicas)),
            cancelled: outcome.cancelled,
            sentence: String::new(),
        };
        result.sentence = loadtest::sentence(&result);
        let mut write = self.context.write().await?;
        result.id = loadtest::insert(&mut write, &result, placement.as_ref()).await?;
        let detail = json!({ "sustainable_rate": result.sustainable_rate, "instance": result.instance, "cancelled": result.cancelled });
        let subject = format!("{} {}", result.model, crate::revisions::version_name(&version));
        write.audit_by(Some(person), "cost.loadtest", &subject, detail).await?;
        write.commit().await?;
        Ok(result)
    }

    /// Stored load tests (of `model`, or all), newest first.
    pub async fn load_tests(&self, model: Option<&str>) -> Result<Vec<LoadTestResult>> {
        loadtest::list(&mut *self.context.pool().acquire().await?, model, 200).await
    }

    /// The hosts outside loopback that load tests may reach.
    pub async fn allowed_hosts(&self) -> Result<Vec<String>> {
        loadtest::allowed_hosts(&mut *self.context.pool().acquire().await?).await
    }

    /// Replaces the hosts outside loopback that load tests may reach, as `person`; audited.
    pub async fn set_allowed_hosts(&self, person: &Person, hosts: &[String]) -> Result<Vec<String>> {
        let mut write = self.context.write().await?;
        let stored = loadtest::store_allowed_hosts(&mut write, hosts).await?;
        write.audit_by(Some(person), "cost.loadtest.hosts", "load test hosts", json!({ "hosts": stored })).await?;
        write.commit().await?;
        Ok(stored)
    }

    /// The capacity plan for `request` from the model's load tests and the catalog.
    pub async fn capacity_plan(&self, request: &CapacityRequest) -> Result<CapacityPlan> {
        let mut conn = self.context.pool().acquire().await?;
        let tests = loadtest::list(&mut conn, Some(&request.model), 1_000).await?;
        let catalog = queries::list(&mut conn).await?;
        capacity::plan(request, &tests, &catalog)
    }
}
