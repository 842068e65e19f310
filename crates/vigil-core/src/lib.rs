//! Vigil's engine: everything Vigil knows and does.
//!
//! The desktop shell (`vigil-desktop`) and the CLI (`vigil`) are thin doors into [`Engine`]:
//! each parses its input, calls one engine function and shows the result. Behaviour lives here.
//!
//! Data flows one way: the [`poller`] checks each registered server, the result is stored by
//! [`store`], and a typed [`events::EngineEvent`] tells whoever listens.

pub mod audit;
pub mod bindings;
pub mod dashboard;
pub mod discovery;
pub mod drift;
pub mod engine;
pub mod error;
pub mod events;
pub mod health;
pub mod kinds;
pub mod objectives;
pub mod observe;
pub mod overview;
pub mod points;
pub mod poller;
pub mod revisions;
pub mod scrape;
pub mod secrets;
pub mod servers;
pub mod signals;
pub mod store;

pub use audit::AuditEntry;
pub use engine::{AppInfo, Engine, EngineOptions, FleetSnapshot};
pub use error::{ErrorCode, VigilError};
pub use events::EngineEvent;
pub use health::HealthState;
pub use kinds::ServerKind;
pub use servers::{NewServer, Server};

/// The result type of every engine call.
pub type Result<T, E = VigilError> = std::result::Result<T, E>;
