//! Drift: how far a model's live inputs and outputs have moved from its reference data.
//!
//! A reference file is read by [`table`], its columns' kinds inferred by [`schema`], and its
//! values kept as bounded [`profile`]s ([`reference`] imports and stores them). Live data,
//! from inference [`logs`] or payloads, is kept as hourly [`live`] windows of profiles. [`stats`]
//! holds the statistical tests, each checked against scipy and Evidently (the crate
//! `crates/vigil-drift-stats`, known here by its old path). [`Drift`] is the domain's front:
//! imports, reports, choices, the ingest endpoint and the report schedule.

pub mod choice;
mod client_rate;
pub mod compare;
mod front;
pub mod ingest;
pub mod learned;
pub mod live;
pub mod logs;
pub mod methods;
pub mod parallel;
pub mod payload;
pub mod profile;
pub mod reference;
pub mod report;
pub mod schedule;
pub mod schema;
pub mod table;

pub use front::Drift;
pub use vigil_drift_stats as stats;
