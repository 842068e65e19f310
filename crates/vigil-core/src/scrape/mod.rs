//! Reading model servers: bounded HTTP ([`http`]), the metrics text format ([`exposition`], the
//! crate `crates/vigil-exposition`, known here by its old path), and the same metrics through a
//! Prometheus that scrapes them ([`prometheus_api`]).

pub mod http;
pub mod prometheus_api;

pub use vigil_exposition as exposition;
