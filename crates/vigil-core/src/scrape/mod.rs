//! Reading model servers: bounded HTTP ([`http`]) and the metrics through a Prometheus that
//! scrapes them ([`prometheus_api`]; one answer for many servers, [`readings`], each taking what
//! its [`selector`] selects). The metrics text format itself is read by the crate
//! `vigil-exposition`.

pub mod http;
pub mod prometheus_api;
pub mod readings;
pub mod selector;
