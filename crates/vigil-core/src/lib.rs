//! Vigil's engine: everything Vigil knows and does.
//!
//! The desktop shell (`vigil-desktop`) and the CLI (`vigil`) are thin doors into [`Engine`]:
//! each parses its input, calls one function of a domain's front ([`Engine::servers`],
//! [`Engine::polling`], [`Engine::dashboard`], [`Engine::drift`]) and shows the result.
//! Behaviour lives here. ARCHITECTURE.md at the top of the repository is the map.
//!
//! Data flows one way: [`polling`] checks each registered server, the result is stored through
//! the tables' query modules, and a typed [`events::EngineEvent`] tells whoever listens.

pub mod alerts;
pub mod audit;
pub mod backup;
pub mod bindings;
pub mod chosen;
pub mod clients;
mod context;
pub mod cost;
pub mod dashboard;
pub mod discovery;
pub mod drift;
mod duties;
pub mod engine;
pub mod environment;
pub mod error;
pub mod events;
#[doc(hidden)]
pub mod fuzzing;
pub mod health;
pub mod kinds;
/// The open-loop load generator behind load tests (the cost domain will hold it).
pub mod loadgen;
pub mod objectives;
pub mod observe;
pub mod oip;
mod options;
pub mod parity;
pub mod performance;
pub mod points;
pub mod polling;
pub mod revisions;
pub mod rollouts;
pub mod scrape;
pub mod secrets;
pub mod servers;
pub mod share;
pub mod signals;
pub mod store;
pub mod store_copy;
mod team;
pub mod window_link;

pub use audit::AuditEntry;
pub use engine::{AppInfo, Engine, EngineOptions, FleetSnapshot};
pub use error::{ErrorCode, VigilError};
pub use events::EngineEvent;
pub use health::HealthState;
pub use kinds::ServerKind;
pub use servers::{NewServer, Server};

/// The result type of every engine call.
pub type Result<T, E = VigilError> = std::result::Result<T, E>;
