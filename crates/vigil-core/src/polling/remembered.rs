//! What the poller remembers of each server between polls ([`PreviousTotals`]): its last
//! metrics page, to turn the next one's cumulative totals into what happened in between, and
//! what it last stored, so that a poll writes only what changed.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::checks;
use crate::health::HealthState;
use crate::observe::{Observation, Scraped};
use crate::points::{self, Interval};
use crate::servers::{self, Server};
use crate::signals::{golden, resources, RevisionKey, Totals};
use crate::{revisions, Result};

/// What Vigil remembers of one server between polls: its last metrics page, to compare the next
/// against, and what it last stored, so that a poll writes only what changed.
#[derive(Default)]
struct Remembered {
    page: Option<(Instant, Scraped)>,
    /// Each revision's id, and the readiness last stored for it.
    revisions: HashMap<RevisionKey, (i64, Option<(HealthState, String)>)>,
    /// The metrics error last stored; None until this engine has stored one.
    metrics_error: Option<Option<String>>,
}

/// What Vigil remembers of each server between polls (see [`Remembered`]).
#[derive(Default)]
pub struct PreviousTotals(HashMap<i64, Remembered>);

impl PreviousTotals {
    /// Stores what `observation` learned of server `server_id`'s models: its revisions (first
    /// seen now, if new), their readiness, and, where an earlier poll gave totals, the signals
    /// in between. Returns whether the server's metrics error changed.
    pub async fn record(
        &mut self,
        conn: &mut AnyConnection,
        server_id: i64,
        observation: &Observation,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let memory = self.0.entry(server_id).or_default();
        let error = match &observation.metrics {
            Some(Err(reason)) => Some(reason.clone()),
            _ => None,
        };
        let mut error_changed = false;
        if memory.metrics_error.as_ref() != Some(&error) {
            error_changed = servers::set_metrics_error(conn, server_id, error.as_deref()).await?;
            memory.metrics_error = Some(error);
        }
        for (key, check) in &observation.revisions {
            let metadata = observation.metadata.get(key).map(String::as_str);
            let revision_id = revision_id(conn, memory, server_id, key, metadata, now).await?;
            let Some(check) = check else { continue };
            let stored = memory.revisions.get_mut(key).map(|(_, stored)| stored);
            if let Some(stored) = stored.filter(|s| s.as_ref() != Some(&(check.state, check.reason.clone()))) {
                checks::record_revision(conn, server_id, revision_id, check, now).await?;
                *stored = Some((check.state, check.reason.clone()));
            }
        }
        let Some(Ok(scraped)) = &observation.metrics else { return Ok(error_changed) };
        // Compared with the server's previous page; a series that was not on it was born since,
        // so all of it happened in between. With no previous page (Vigil just started) there is
        // nothing to compare with yet. Series that belong to one revision are added up first.
        if memory.page.as_ref().is_some_and(|(then, _)| observation.at <= *then) {
            // The reading the previous poll had (a Prometheus answer many servers share): it
            // tells nothing new.
            return Ok(error_changed);
        }
        let at_ms = now.timestamp_millis();
        let previous = memory.page.take();
        let seconds = previous.as_ref().map(|(then, _)| observation.at.duration_since(*then).as_secs_f64());
        let used = resources::usage(
            previous.as_ref().map(|(_, page)| &page.resources),
            &scraped.resources,
            seconds.unwrap_or(0.0),
            scraped.kinds_resources,
        );
        let mut rows: Vec<(Option<i64>, &'static str, f64)> =
            used.into_iter().map(|(name, value)| (None, name, value)).collect();
        if let (Some((_, page)), Some(seconds)) = (&previous, seconds) {
            let mut merged: BTreeMap<&RevisionKey, (Totals, Totals)> = BTreeMap::new();
            for (key, after) in &scraped.revisions {
                let (before_sum, after_sum) = merged.entry(observation.attributed.get(key).unwrap_or(key)).or_default();
                after_sum.merge(after);
                before_sum.merge(page.revisions.get(key).unwrap_or(&Totals::default()));
            }
            for (revision, (before, after)) in merged {
                let revision_id = revision_id(conn, memory, server_id, revision, None, now).await?;
                let signals = golden(&before, &after, seconds);
                rows.extend(points::rows(&Interval { server_id, revision_id, at_ms, signals: &signals }));
            }
        }
        points::insert_rows(conn, server_id, at_ms, &rows).await?;
        memory.page = Some((observation.at, scraped.clone()));
        Ok(error_changed)
    }

    /// Forgets what server `server_id` last gave (its address changed).
    pub fn forget(&mut self, server_id: i64) {
        self.0.remove(&server_id);
    }

    /// Forgets servers that are no longer registered.
    pub fn retain(&mut self, registered: &[Server]) {
        self.0.retain(|id, _| registered.iter().any(|s| s.id == *id));
    }
}

/// The id of revision `key` of server `server_id`: remembered, or stored now (with `metadata`,
/// when given, the first time it is seen).
async fn revision_id(
    conn: &mut AnyConnection,
    memory: &mut Remembered,
    server_id: i64,
    key: &RevisionKey,
    metadata: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64> {
    match memory.revisions.get(key) {
        Some((id, _)) if metadata.is_none() => Ok(*id),
        remembered => {
            let stored = remembered.and_then(|(_, stored)| stored.clone());
            let id = revisions::upsert(conn, server_id, key, metadata, now).await?;
            memory.revisions.insert(key.clone(), (id, stored));
            Ok(id)
        }
    }
}
