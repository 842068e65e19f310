//! Reading model servers: bounded HTTP ([`http`]) and the metrics text format ([`exposition`]).

pub mod exposition;
pub mod http;
