//! Objectives: the bounds each model's revisions must keep, the largest share of requests that
//! may fail and the slowest p99 latency. A fleet-wide default holds for every model (1 % and 1 s
//! until a person changes it); a model may set either bound of its own. The overview, and later
//! rollout gates, alerts and load tests, judge revisions against them.
//!
//! Every query of the `objectives` and `objective_defaults` tables is here. A change is written
//! with its audit entry through [`ObjectivesFront`], the domain's front.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool};
use ts_rs::TS;

use crate::context::Context;
use crate::events::EngineEvent;
use crate::{Result, VigilError};

/// The slowest p99 bound Vigil takes: an hour.
const MAX_P99_BOUND_S: f64 = 3600.0;

/// The bounds every model keeps unless it sets its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct ObjectiveDefaults {
    /// The largest share of requests that may fail, 0–1.
    pub max_error_share: f64,
    /// The slowest p99 latency, in seconds.
    pub max_p99_s: f64,
}

/// A model's own bounds as a person set them; None follows the fleet default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ModelObjectives {
    pub max_error_share: Option<f64>,
    pub max_p99_s: Option<f64>,
}

/// One bound in force for a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct Bound {
    pub max: f64,
    /// Whether it is the fleet default rather than the model's own.
    pub is_default: bool,
}

/// The bounds in force for one model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct Objectives {
    pub error_share: Bound,
    pub p99_s: Bound,
}

/// An objective a revision does not keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Breach {
    /// More of its requests fail than the error-share bound allows.
    ErrorShare,
    /// Its p99 latency is above the bound.
    P99,
}

impl Objectives {
    /// The objectives that a revision failing `error_share` of its requests with p99 `p99_s`
    /// breaks; a figure not measured breaks nothing.
    pub fn breaches(&self, error_share: Option<f64>, p99_s: Option<f64>) -> Vec<Breach> {
        let over = |value: Option<f64>, bound: Bound| value.is_some_and(|value| value > bound.max);
        let mut breaches = Vec::new();
        if over(error_share, self.error_share) {
            breaches.push(Breach::ErrorShare);
        }
        if over(p99_s, self.p99_s) {
            breaches.push(Breach::P99);
        }
        breaches
    }
}

/// Every stored objective: the fleet defaults and each model's own bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveBook {
    pub defaults: ObjectiveDefaults,
    pub models: HashMap<String, ModelObjectives>,
}

impl ObjectiveBook {
    /// The bounds in force for `model`.
    pub fn for_model(&self, model: &str) -> Objectives {
        let own = self.models.get(model).copied().unwrap_or_default();
        let bound = |own: Option<f64>, default: f64| Bound { max: own.unwrap_or(default), is_default: own.is_none() };
        Objectives {
            error_share: bound(own.max_error_share, self.defaults.max_error_share),
            p99_s: bound(own.max_p99_s, self.defaults.max_p99_s),
        }
    }
}

/// What `vigil objective list` shows: the defaults, and the bounds in force for every model the
/// fleet serves or that has bounds of its own, by name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectiveList {
    pub defaults: ObjectiveDefaults,
    pub models: BTreeMap<String, Objectives>,
}

/// Every stored objective.
pub async fn book(conn: &mut AnyConnection) -> Result<ObjectiveBook> {
    let defaults = defaults(&mut *conn).await?;
    let rows: Vec<(String, Option<f64>, Option<f64>)> =
        sqlx::query_as("SELECT model, max_error_share, max_p99_s FROM objectives").fetch_all(conn).await?;
    let models = rows
        .into_iter()
        .map(|(model, max_error_share, max_p99_s)| (model, ModelObjectives { max_error_share, max_p99_s }))
        .collect();
    Ok(ObjectiveBook { defaults, models })
}

/// The bounds in force for every model served or with bounds of its own.
pub async fn list(pool: &AnyPool) -> Result<ObjectiveList> {
    let mut conn = pool.acquire().await?;
    let book = book(&mut conn).await?;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM models UNION SELECT model FROM objectives").fetch_all(&mut *conn).await?;
    let models = names.into_iter().map(|name| {
        let bounds = book.for_model(&name);
        (name, bounds)
    });
    Ok(ObjectiveList { defaults: book.defaults, models: models.collect() })
}

async fn defaults(conn: &mut AnyConnection) -> Result<ObjectiveDefaults> {
    let (max_error_share, max_p99_s) =
        sqlx::query_as("SELECT max_error_share, max_p99_s FROM objective_defaults WHERE id = 1")
            .fetch_one(conn)
            .await?;
    Ok(ObjectiveDefaults { max_error_share, max_p99_s })
}

/// Stores `model`'s own bounds (both None: the fleet defaults again), each checked first.
/// Returns the model's name as stored and the change, bound by bound, for the audit trail.
pub async fn store(
    conn: &mut AnyConnection,
    model: &str,
    objectives: ModelObjectives,
) -> Result<(String, serde_json::Value)> {
    let model = model.trim();
    if model.is_empty() {
        return Err(VigilError::invalid("model", "Name the model whose objectives to set, as its server serves it."));
    }
    objectives.max_error_share.map_or(Ok(()), check_error_share)?;
    objectives.max_p99_s.map_or(Ok(()), check_p99)?;
    let before: Option<(Option<f64>, Option<f64>)> =
        sqlx::query_as("SELECT max_error_share, max_p99_s FROM objectives WHERE model = $1")
            .bind(model)
            .fetch_optional(&mut *conn)
            .await?;
    let before = before.map_or_else(ModelObjectives::default, |(max_error_share, max_p99_s)| ModelObjectives {
        max_error_share,
        max_p99_s,
    });
    if objectives == ModelObjectives::default() {
        sqlx::query("DELETE FROM objectives WHERE model = $1").bind(model).execute(&mut *conn).await?;
    } else {
        sqlx::query(
            "INSERT INTO objectives (model, max_error_share, max_p99_s) VALUES ($1, $2, $3)
             ON CONFLICT (model) DO UPDATE SET max_error_share = $2, max_p99_s = $3",
        )
        .bind(model)
        .bind(objectives.max_error_share)
        .bind(objectives.max_p99_s)
        .execute(&mut *conn)
        .await?;
    }
    Ok((model.to_owned(), changes(serde_json::json!(before), serde_json::json!(objectives))))
}

/// Stores the fleet-wide default bounds, each checked first. Returns the change, bound by
/// bound, for the audit trail.
pub async fn store_defaults(conn: &mut AnyConnection, defaults: ObjectiveDefaults) -> Result<serde_json::Value> {
    check_error_share(defaults.max_error_share)?;
    check_p99(defaults.max_p99_s)?;
    let before = self::defaults(&mut *conn).await?;
    sqlx::query("UPDATE objective_defaults SET max_error_share = $1, max_p99_s = $2 WHERE id = 1")
        .bind(defaults.max_error_share)
        .bind(defaults.max_p99_s)
        .execute(&mut *conn)
        .await?;
    Ok(changes(serde_json::json!(before), serde_json::json!(defaults)))
}

/// Objectives' front: reads them, and sets a model's or the fleet's, on the audit trail.
#[derive(Clone)]
pub struct ObjectivesFront {
    context: Context,
}

impl ObjectivesFront {
    pub(crate) fn new(context: Context) -> ObjectivesFront {
        ObjectivesFront { context }
    }

    /// The fleet-wide default objectives, and those in force for every model.
    pub async fn list(&self) -> Result<ObjectiveList> {
        list(self.context.pool()).await
    }

    /// Sets `model`'s own objectives (a bound None follows the fleet default), on the audit trail.
    pub async fn set(&self, model: &str, own: ModelObjectives) -> Result<()> {
        let mut write = self.context.write().await?;
        let (model, detail) = store(&mut write, model, own).await?;
        write.announce(EngineEvent::ObjectivesChanged { model: Some(model.clone()) });
        write.audit("objective.set", &model, detail).await?;
        write.commit().await
    }

    /// Sets the fleet-wide default objectives, which hold wherever a model has no bound of its
    /// own, on the audit trail.
    pub async fn set_defaults(&self, defaults: ObjectiveDefaults) -> Result<()> {
        let mut write = self.context.write().await?;
        let detail = store_defaults(&mut write, defaults).await?;
        write.announce(EngineEvent::ObjectivesChanged { model: None });
        write.audit("objective.defaults", "fleet", detail).await?;
        write.commit().await
    }
}

/// `{"bound": {"from": old, "to": new}}` for each bound of two objects (null: the default).
fn changes(before: serde_json::Value, after: serde_json::Value) -> serde_json::Value {
    let bounds = ["max_error_share", "max_p99_s"]
        .map(|bound| (bound.to_owned(), serde_json::json!({ "from": before[bound], "to": after[bound] })));
    serde_json::Value::Object(bounds.into_iter().collect())
}

fn check_error_share(share: f64) -> Result<()> {
    if (0.0..=1.0).contains(&share) {
        return Ok(());
    }
    Err(VigilError::invalid(
        "max_error_share",
        format!(
            "An error share is a percentage from 0 to 100 %, not {} %. Give the share of requests that may fail, \
             such as 1 %.",
            share * 100.0
        ),
    ))
}

fn check_p99(seconds: f64) -> Result<()> {
    if seconds > 0.0 && seconds <= MAX_P99_BOUND_S {
        return Ok(());
    }
    Err(VigilError::invalid(
        "max_p99_s",
        format!(
            "A p99 bound is a time above 0 and at most an hour, not {} ms. Give the slowest p99 latency allowed, \
             such as 500 ms.",
            seconds * 1000.0
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pool() -> (tempfile::TempDir, AnyPool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::open(&crate::store::testing::scratch(dir.path()).await).await.unwrap();
        (dir, pool)
    }

    fn bounds(error_share: f64, p99_s: f64, default: bool) -> Objectives {
        Objectives {
            error_share: Bound { max: error_share, is_default: default },
            p99_s: Bound { max: p99_s, is_default: default },
        }
    }

    #[tokio::test]
    async fn every_model_keeps_1_percent_errors_and_a_1_s_p99_until_a_person_says_otherwise() {
        let (_dir, pool) = pool().await;
        let book = book(&mut pool.acquire().await.unwrap()).await.unwrap();
        assert_eq!(book.for_model("fraud"), bounds(0.01, 1.0, true));
    }

    async fn engine() -> (tempfile::TempDir, crate::Engine) {
        let dir = tempfile::tempdir().unwrap();
        let engine = crate::Engine::open(crate::EngineOptions::new(crate::store::testing::scratch(dir.path()).await))
            .await
            .unwrap();
        (dir, engine)
    }

    #[tokio::test]
    async fn a_model_sets_one_bound_of_its_own_and_follows_the_default_for_the_other() {
        let (_dir, engine) = engine().await;
        let own = ModelObjectives { max_error_share: Some(0.02), max_p99_s: None };
        engine.objectives().set(" fraud ", own).await.unwrap();
        let entry = engine.audit_log(1).await.unwrap().remove(0);
        assert_eq!((entry.action.as_str(), entry.subject.as_str()), ("objective.set", "fraud"));
        let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap();
        assert_eq!(detail["max_error_share"], serde_json::json!({ "from": null, "to": 0.02 }));

        let defaults = ObjectiveDefaults { max_error_share: 0.05, max_p99_s: 0.5 };
        engine.objectives().set_defaults(defaults).await.unwrap();
        let fraud = engine.objectives().list().await.unwrap().models["fraud"];
        assert_eq!(fraud.error_share, Bound { max: 0.02, is_default: false });
        assert_eq!(fraud.p99_s, Bound { max: 0.5, is_default: true }, "the new default reaches it");

        engine.objectives().set("fraud", ModelObjectives::default()).await.unwrap();
        let list = engine.objectives().list().await.unwrap();
        assert!(!list.models.contains_key("fraud"), "reset: fraud has no bounds of its own, and is not served");
        let pool = crate::store::open(&engine.options().store).await.unwrap();
        let fraud = book(&mut pool.acquire().await.unwrap()).await.unwrap().for_model("fraud");
        assert_eq!(fraud, bounds(0.05, 0.5, true), "reset: the fleet defaults hold for fraud again");
    }

    #[tokio::test]
    async fn a_bound_out_of_range_is_refused_naming_it_and_nothing_changes() {
        let (_dir, engine) = engine().await;
        let objectives = engine.objectives();
        let share = |share| ModelObjectives { max_error_share: Some(share), max_p99_s: None };
        let negative = objectives.set("fraud", share(-0.05)).await.unwrap_err();
        assert_eq!(negative.field(), Some("max_error_share"));
        assert!(negative.to_string().contains("from 0 to 100 %, not -5 %"), "{negative}");
        let above = objectives.set("fraud", share(1.5)).await.unwrap_err();
        assert!(above.to_string().contains("not 150 %"), "{above}");
        let p99 = ModelObjectives { max_error_share: None, max_p99_s: Some(0.0) };
        let zero = objectives.set("fraud", p99).await.unwrap_err();
        assert_eq!(zero.field(), Some("max_p99_s"));
        assert!(zero.to_string().contains("such as 500 ms"), "{zero}");
        let nameless = objectives.set(" ", ModelObjectives::default()).await.unwrap_err();
        assert_eq!(nameless.field(), Some("model"));
        assert!(objectives.list().await.unwrap().models.is_empty());
        assert!(engine.audit_log(10).await.unwrap().is_empty(), "nothing refused is on the audit trail");
    }

    #[test]
    fn a_revision_breaks_a_bound_only_above_it_and_only_with_a_measured_figure() {
        let objectives = bounds(0.01, 1.0, true);
        assert_eq!(objectives.breaches(Some(0.4), Some(1.2)), [Breach::ErrorShare, Breach::P99]);
        assert_eq!(objectives.breaches(Some(0.01), Some(1.0)), [], "at the bound is within it");
        assert_eq!(objectives.breaches(None, None), []);
    }
}
