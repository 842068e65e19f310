//! Reading model servers: bounded HTTP ([`http`]), the metrics text format ([`exposition`]), and
//! the same metrics through a Prometheus that scrapes them ([`prometheus_api`]).

pub mod exposition;
pub mod http;
pub mod prometheus_api;
