//! The one error type of the engine.
//!
//! Every failure has a stable machine [`ErrorCode`] and a message a person can act on. The
//! desktop shell sends it to the UI as an [`ErrorPayload`] (`{code, message, field, detail}`);
//! the CLI prints the message. Internals (SQL, file paths of the build, panics) never go into
//! the message; where they help, they go into `detail`, which the UI shows on demand.

use serde::Serialize;
use ts_rs::TS;

/// A stable, machine-readable kind of failure. The UI and scripts branch on this, never on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input is malformed; `field` names which part.
    InvalidInput,
    /// The input clashes with something already stored (a name in use).
    Conflict,
    /// The thing asked for does not exist.
    NotFound,
    /// The database could not be opened, read or written.
    Database,
    /// A person stopped a long task before it finished; nothing of it was kept.
    Cancelled,
    /// Something that should not happen; the detail is logged.
    Internal,
}

/// An engine failure.
#[derive(Debug, thiserror::Error)]
pub enum VigilError {
    #[error("{message}")]
    InvalidInput { field: &'static str, message: String },
    #[error("{message}")]
    Conflict { field: &'static str, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Database { message: String, detail: String },
    #[error("{0}")]
    Cancelled(String),
    #[error("something went wrong inside Vigil; see the log for details")]
    Internal(String),
}

impl VigilError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidInput { field, message: message.into() }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput { .. } => ErrorCode::InvalidInput,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Database { .. } => ErrorCode::Database,
            Self::Cancelled(_) => ErrorCode::Cancelled,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The input field this error is about, if any, so a form can point at it.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidInput { field, .. } | Self::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The form this error takes when it crosses into the UI.
    pub fn payload(&self) -> ErrorPayload {
        let detail = match self {
            Self::Database { detail, .. } => Some(detail.clone()),
            _ => None,
        };
        ErrorPayload { code: self.code(), message: self.to_string(), field: self.field().map(str::to_owned), detail }
    }
}

/// A drift test that cannot run on its samples is invalid input, with the same field and message.
impl From<vigil_drift_stats::Error> for VigilError {
    fn from(err: vigil_drift_stats::Error) -> Self {
        Self::InvalidInput { field: err.field, message: err.message }
    }
}

impl From<sqlx::Error> for VigilError {
    fn from(err: sqlx::Error) -> Self {
        Self::Database {
            message: "Vigil could not read or write its database. Check that the disk is not \
                      full, that no other program holds the file (or that the team database is \
                      reachable), then try again."
                .into(),
            detail: err.to_string(),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for VigilError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Self::Database {
            message: "Vigil could not bring its database up to date. The file may come from a \
                      newer version of Vigil; open it with that version or choose another \
                      file with --db."
                .into(),
            detail: err.to_string(),
        }
    }
}

/// An error as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ErrorPayload {
    pub code: ErrorCode,
    pub message: String,
    /// The input field at fault, for forms.
    pub field: Option<String>,
    /// Raw technical detail, shown only when asked for.
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_serializes_code_and_message_for_the_ui() {
        let err = VigilError::invalid("name", "Name must not be empty.");
        let json = serde_json::to_value(err.payload()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "invalid_input",
                "message": "Name must not be empty.",
                "field": "name",
                "detail": null
            })
        );
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause_into_the_message() {
        let err = VigilError::Internal("poisoned mutex at src/x.rs:12".into());
        assert!(!err.payload().message.contains("mutex"));
        assert_eq!(err.payload().code, ErrorCode::Internal);
    }
}
