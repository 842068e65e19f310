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
        let message = match sqlite_trouble(&err) {
            Some(trouble) => trouble.words(),
            None => {
                "Vigil could not read or write its database. Check that the disk is not full, that no other \
                     program holds the file (or that the team database is reachable), then try again."
            }
        };
        Self::Database { message: message.into(), detail: err.to_string() }
    }
}

/// What went wrong with a SQLite file, as its result code tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SqliteTrouble {
    /// SQLITE_FULL: the disk (or the file's page limit) is full.
    Full,
    /// SQLITE_READONLY: the file, its folder or its disk cannot be written.
    ReadOnly,
    /// SQLITE_CORRUPT, SQLITE_NOTADB: the file is damaged or not a database.
    Damaged,
    /// SQLITE_IOERR: the disk failed a read or a write.
    Disk,
}

impl SqliteTrouble {
    pub(crate) fn words(self) -> &'static str {
        match self {
            Self::Full => {
                "The disk that holds Vigil's database is full, so the change was not made (nothing is half-written; \
                 what was stored is still there). Free some space, then try again."
            }
            Self::ReadOnly => {
                "Vigil's database cannot be written: the file, its folder or its disk is read-only. What is stored \
                 is still there; make the file writable, or choose another with --db."
            }
            Self::Damaged => {
                "Vigil's database file is damaged or is not a Vigil database. Restore a backup into a new file \
                 with `vigil restore BACKUP --db NEW_FILE`, or choose another file with --db."
            }
            Self::Disk => {
                "The disk failed while Vigil read or wrote its database; the change was not made. Check the disk, \
                 then try again."
            }
        }
    }
}

/// The trouble a SQLite error reports by its result code (the primary code, the low byte of
/// the extended one), if it is one a person can do something about.
pub(crate) fn sqlite_trouble(err: &sqlx::Error) -> Option<SqliteTrouble> {
    let sqlx::Error::Database(db) = err else { return None };
    let code: i64 = db.code()?.parse().ok()?;
    match code & 0xff {
        13 => Some(SqliteTrouble::Full),
        8 => Some(SqliteTrouble::ReadOnly),
        11 | 26 => Some(SqliteTrouble::Damaged),
        10 => Some(SqliteTrouble::Disk),
        _ => None,
    }
}

impl From<sqlx::migrate::MigrateError> for VigilError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError;
        let message = match &err {
            MigrateError::VersionMissing(version) => format!(
                "This database was written by a newer version of Vigil (it has change {version} of the database's \
                 layout, which this version does not know). Nothing was changed: open it with that newer version, \
                 or choose another file with --db."
            ),
            MigrateError::VersionMismatch(version) => format!(
                "This database's layout differs from what this version of Vigil expects (change {version} was \
                 applied differently). Nothing was changed: open it with the Vigil that wrote it, or choose another \
                 file with --db."
            ),
            MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => {
                sqlite_trouble(inner).map_or(UPDATE_FAILED, SqliteTrouble::words).to_owned()
            }
            _ => UPDATE_FAILED.to_owned(),
        };
        Self::Database { message, detail: err.to_string() }
    }
}

/// When bringing the database up to date fails for a reason no better words exist for.
const UPDATE_FAILED: &str = "Vigil could not bring its database up to date; nothing was half-applied (each change \
                             runs in one transaction). Check the disk and the file, or choose another with --db.";

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
