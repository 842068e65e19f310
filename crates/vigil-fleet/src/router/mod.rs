//! The traffic router: per model, the versions that serve it, where each runs, and the split of
//! requests between them in whole percent. This is the deployment target a rollout drives
//! (read and set through [`http`]'s admin endpoints).
//!
//! A split is validated whole and swapped in as one value: a request reads the split once and
//! routes by it, so no request ever sees a half-applied change. Changes are logged, and kept
//! only in memory.

pub mod http;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::rng::Rng;

/// Where one version of a model runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backend {
    pub version: String,
    /// The fleet server hosting it, and its base URL.
    pub server: String,
    pub url: String,
}

/// How requests for one model are shared between its versions: whole percent, summing to 100,
/// and the version that receives a copy of every request without its answer being served
/// (shadow traffic), if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Split {
    pub weights: BTreeMap<String, u32>,
    pub mirror: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// Why a split was refused, or a model not found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("the router has no model '{0}'")]
    UnknownModel(String),
    #[error("model '{model}' has no version '{version}': its versions are {known}")]
    UnknownVersion { model: String, version: String, known: String },
    #[error("weights are whole percentages that add up to 100; these add up to {0}")]
    BadTotal(u64),
}

impl Split {
    /// The version a request with `roll` (uniform in [0, 1)) goes to.
    pub fn pick(&self, roll: f64) -> Option<&str> {
        let mut threshold = roll * 100.0;
        for (version, weight) in &self.weights {
            if threshold < f64::from(*weight) {
                return Some(version);
            }
            threshold -= f64::from(*weight);
        }
        self.weights.iter().rev().find(|(_, weight)| **weight > 0).map(|(version, _)| version.as_str())
    }

    /// `12=90 13=10`, and `mirror=13` when one is mirrored to
    pub fn describe(&self) -> String {
        let weights = self.weights.iter().map(|(version, weight)| format!("{version}={weight}"));
        weights.chain(self.mirror.iter().map(|m| format!("mirror={m}"))).collect::<Vec<_>>().join(" ")
    }
}

/// One model's route.
#[derive(Debug)]
struct Route {
    backends: Vec<Backend>,
    split: RwLock<Arc<Split>>,
    /// Requests routed so far, numbering each one's roll.
    routed: AtomicU64,
}

impl Route {
    fn validate(
        &self,
        model: &str,
        weights: BTreeMap<String, u32>,
        mirror: Option<String>,
    ) -> Result<Split, RouteError> {
        for version in weights.keys().chain(mirror.iter()) {
            if !self.backends.iter().any(|b| &b.version == version) {
                let known: Vec<&str> = self.backends.iter().map(|b| b.version.as_str()).collect();
                let (model, version, known) = (model.to_owned(), version.clone(), known.join(", "));
                return Err(RouteError::UnknownVersion { model, version, known });
            }
        }
        let total: u64 = weights.values().map(|w| u64::from(*w)).sum();
        if total != 100 {
            return Err(RouteError::BadTotal(total));
        }
        // Versions not named get no traffic.
        let mut weights = weights;
        for backend in &self.backends {
            weights.entry(backend.version.clone()).or_insert(0);
        }
        Ok(Split { weights, mirror, changed_at: Utc::now() })
    }

    fn current(&self) -> Arc<Split> {
        self.split.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// What the router knows of one model, for its admin endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteInfo {
    pub model: String,
    pub weights: BTreeMap<String, u32>,
    pub mirror: Option<String>,
    pub changed_at: DateTime<Utc>,
    pub backends: Vec<Backend>,
}

/// The routes of every model. Share it behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct Router {
    routes: BTreeMap<String, Route>,
    seed: u64,
}

impl Router {
    /// A router for each `(model, backends, initial weights)`.
    pub fn new(
        seed: u64,
        routes: impl IntoIterator<Item = (String, Vec<Backend>, BTreeMap<String, u32>)>,
    ) -> Result<Router, RouteError> {
        let mut built = BTreeMap::new();
        for (model, backends, weights) in routes {
            let placeholder = Split { weights: BTreeMap::new(), mirror: None, changed_at: Utc::now() };
            let route = Route { backends, split: RwLock::new(Arc::new(placeholder)), routed: AtomicU64::new(0) };
            let split = route.validate(&model, weights, None)?;
            *route.split.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(split);
            built.insert(model, route);
        }
        Ok(Router { routes: built, seed })
    }

    fn route(&self, model: &str) -> Result<&Route, RouteError> {
        self.routes.get(model).ok_or_else(|| RouteError::UnknownModel(model.to_owned()))
    }

    /// Every model's route.
    pub fn routes(&self) -> Vec<RouteInfo> {
        self.routes.keys().filter_map(|model| self.info(model).ok()).collect()
    }

    pub fn info(&self, model: &str) -> Result<RouteInfo, RouteError> {
        let route = self.route(model)?;
        let split = route.current();
        Ok(RouteInfo {
            model: model.to_owned(),
            weights: split.weights.clone(),
            mirror: split.mirror.clone(),
            changed_at: split.changed_at,
            backends: route.backends.clone(),
        })
    }

    /// The split in force for `model`.
    pub fn split(&self, model: &str) -> Result<Arc<Split>, RouteError> {
        Ok(self.route(model)?.current())
    }

    /// Replaces `model`'s split, all at once, and logs the change. Versions not named get 0.
    pub fn set_split(&self, model: &str, weights: BTreeMap<String, u32>) -> Result<Arc<Split>, RouteError> {
        self.set_route(model, weights, None)
    }

    /// Replaces `model`'s split and the version mirrored to (None: none), all at once.
    pub fn set_route(
        &self,
        model: &str,
        weights: BTreeMap<String, u32>,
        mirror: Option<String>,
    ) -> Result<Arc<Split>, RouteError> {
        let route = self.route(model)?;
        let split = Arc::new(route.validate(model, weights, mirror)?);
        let old = std::mem::replace(&mut *route.split.write().unwrap_or_else(|p| p.into_inner()), split.clone());
        tracing::info!("router: {model} split {} -> {}", old.describe(), split.describe());
        Ok(split)
    }

    /// Where the next request for `model` goes, by the split in force.
    pub fn choose(&self, model: &str) -> Result<Backend, RouteError> {
        Ok(self.choose_with_mirror(model)?.0)
    }

    /// Where the next request for `model` goes, and where its copy goes when another version is
    /// mirrored to.
    pub fn choose_with_mirror(&self, model: &str) -> Result<(Backend, Option<Backend>), RouteError> {
        let route = self.route(model)?;
        let split = route.current();
        let index = route.routed.fetch_add(1, Ordering::Relaxed);
        let roll = Rng::item(self.seed, &format!("route/{model}"), index).uniform();
        let version = split.pick(roll).unwrap_or_default();
        let backend = |version: &str| route.backends.iter().find(|backend| backend.version == version).cloned();
        let chosen = backend(version).ok_or_else(|| RouteError::UnknownModel(model.to_owned()))?;
        let mirror = split.mirror.as_deref().filter(|m| *m != version).and_then(backend);
        Ok((chosen, mirror))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(pairs: &[(&str, u32)]) -> BTreeMap<String, u32> {
        pairs.iter().map(|(version, weight)| (version.to_string(), *weight)).collect()
    }

    fn fraud_router(initial: &[(&str, u32)]) -> Router {
        let backend =
            |version: &str| Backend { version: version.into(), server: "fraud".into(), url: "http://x".into() };
        Router::new(3, [("fraud".to_owned(), vec![backend("12"), backend("13")], weights(initial))]).expect("valid")
    }

    #[test]
    fn weights_are_honoured_within_a_percent_over_many_requests() {
        let router = fraud_router(&[("12", 70), ("13", 30)]);
        let canary = (0..20_000).filter(|_| router.choose("fraud").expect("routes").version == "13").count();
        let share = canary as f64 / 20_000.0;
        assert!((share - 0.30).abs() < 0.01, "{share}");
        router.set_split("fraud", weights(&[("13", 100)])).expect("valid");
        assert!((0..1000).all(|_| router.choose("fraud").expect("routes").version == "13"));
    }

    #[test]
    fn invalid_splits_are_refused_and_leave_the_split_as_it_was() {
        let router = fraud_router(&[("12", 90), ("13", 10)]);
        let before = router.split("fraud").expect("known");
        assert_eq!(router.set_split("fraud", weights(&[("12", 60), ("13", 60)])), Err(RouteError::BadTotal(120)));
        let unknown = router.set_split("fraud", weights(&[("12", 50), ("14", 50)])).unwrap_err();
        assert_eq!(unknown.to_string(), "model 'fraud' has no version '14': its versions are 12, 13");
        let mirrored = router.set_route("fraud", weights(&[("12", 100)]), Some("14".into())).unwrap_err();
        assert!(matches!(mirrored, RouteError::UnknownVersion { .. }), "a mirror must be a known version");
        assert_eq!(router.set_split("churn", weights(&[("v3", 100)])), Err(RouteError::UnknownModel("churn".into())));
        assert_eq!(router.split("fraud").expect("known"), before);
        let named_one = router.set_split("fraud", weights(&[("12", 100)])).expect("valid");
        assert_eq!(named_one.weights, weights(&[("12", 100), ("13", 0)]), "versions not named get 0");
    }

    #[test]
    fn a_concurrent_reader_never_sees_a_half_applied_split() {
        let router = Arc::new(fraud_router(&[("12", 100), ("13", 0)]));
        let (all_stable, all_canary) = (weights(&[("12", 100), ("13", 0)]), weights(&[("12", 0), ("13", 100)]));
        let writer = {
            let (router, a, b) = (router.clone(), all_stable.clone(), all_canary.clone());
            std::thread::spawn(move || {
                for i in 0..5_000 {
                    router.set_split("fraud", if i % 2 == 0 { b.clone() } else { a.clone() }).expect("valid");
                }
            })
        };
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (router, a, b) = (router.clone(), all_stable.clone(), all_canary.clone());
                std::thread::spawn(move || {
                    for _ in 0..20_000 {
                        let split = router.split("fraud").expect("known");
                        assert!(split.weights == a || split.weights == b, "half-applied: {split:?}");
                    }
                })
            })
            .collect();
        writer.join().expect("writer");
        readers.into_iter().for_each(|reader| reader.join().expect("reader"));
    }
}
