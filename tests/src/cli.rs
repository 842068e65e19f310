//! The real `vigil` binary, run as a person or a script would run it, against a database in a
//! temporary folder: what it printed, where, and its exit code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

use crate::workspace_binary;

/// What one run of `vigil` left behind.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {:?}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs `vigil ARGS` with `VIGIL_DB` set to `env_db` (or unset), on a blocking thread so the
/// loopback servers of the test keep serving meanwhile.
pub async fn vigil_with_env(env_db: Option<&Path>, args: &[&str]) -> Run {
    let mut command = Command::new(workspace_binary("vigil"));
    command.args(args).env_remove("VIGIL_LOG").stdin(Stdio::null());
    match env_db {
        Some(path) => command.env("VIGIL_DB", path),
        None => command.env_remove("VIGIL_DB"),
    };
    let shown = format!("vigil {}", args.join(" "));
    let output: Output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the blocking task finishes")
        .unwrap_or_else(|err| panic!("run {shown}: {err}"));
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `vigil --db DB ARGS`.
pub async fn vigil(db: &Path, args: &[&str]) -> Run {
    let db = db.to_str().expect("UTF-8 temp path");
    let mut full = vec!["--db", db];
    full.extend_from_slice(args);
    vigil_with_env(None, &full).await
}

/// A temporary folder and the path of a database file in it (not yet created).
pub fn temp_db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vigil.db");
    (dir, path)
}
