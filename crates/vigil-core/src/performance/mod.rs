//! Model performance: whether a model's predictions are still right. The prediction log keeps
//! each prediction's inference id, time and output ([`log`]: written by the ingest endpoint and
//! inference log imports, the output found by [`outputs`]' rule); ground-truth labels are posted
//! to the ingest endpoint or imported ([`labels`]); the report joins the two by inference id and
//! computes the realized figures per revision per window ([`report`], with
//! `vigil-performance-stats`), and estimated before labels come by CBPE, calibrated on the
//! labelled reference ([`reference`]); [`feedback`] checks whether the revisions feed on their
//! own predictions. Each model's [`settings`] (retention, positive class, whether inputs are
//! kept) and the pruning by retention ([`retention`]). [`Performance`] is the front.

pub mod feedback;
mod front;
pub mod labels;
pub mod log;
pub mod outputs;
pub mod reference;
pub mod report;
pub mod retention;
pub mod settings;

pub use front::{DeletedLog, Performance};
