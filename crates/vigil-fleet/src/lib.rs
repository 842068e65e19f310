//! `vigil-fleet`: a demo fleet of model servers on loopback, for Vigil's demo (`make run`) and
//! its tests. It runs real models behind servers that answer, and expose metrics, as Triton,
//! MLServer and KServe do, a traffic router per model, a traffic generator with a daily
//! pattern, and scenarios that make things go wrong on cue.
//!
//! ```no_run
//! # async fn demo() -> Result<(), vigil_fleet::FleetError> {
//! use vigil_fleet::{Fleet, FleetConfig, Scenario};
//!
//! let config = FleetConfig { scenarios: vec![Scenario::BadCanary], ..FleetConfig::default() };
//! let fleet = Fleet::start(config).await?;
//! for server in fleet.servers() {
//!     println!("{} {} {}", server.name, server.kind, server.url);
//! }
//! fleet.stop().await;
//! # Ok(()) }
//! ```
//!
//! Modules, from the bottom up: [`rng`] (seeded draws), [`schema`] (features and drift),
//! [`learn`] and [`models`] (training and the catalog), [`feedback`] (the `feedback-loop`
//! model's revisions), [`oip`] (the protocol), [`payload_log`] and [`labels`] (what is posted to
//! Vigil: each inference, and its ground truth later), [`metrics`]
//! (one recorder, a renderer per server style), [`server`] (one model server), [`router`],
//! [`traffic`], [`scenario`], [`config`] and [`fleet`] (putting it together).

pub mod config;
pub mod feedback;
pub mod fleet;
pub mod labels;
pub mod learn;
pub mod metrics;
pub mod models;
pub mod oip;
pub mod payload_log;
pub mod reference;
pub mod rng;
pub mod router;
pub mod scenario;
pub mod schema;
pub mod server;
pub mod traffic;

pub use config::FleetConfig;
pub use fleet::{Fleet, FleetError, ReferenceData, RunningFleet, ServerInfo};
pub use scenario::Scenario;
