-- Issue 17: where each model was built, where each revision serves, and whether it answers as
-- the data scientist's notebook did.

-- The environment a model was built in: the lock file or `pip freeze` a person uploaded, its
-- pins as JSON (vigil-requirements' Pin). One per model; a new upload replaces it.
CREATE TABLE built_environments (
    model        TEXT PRIMARY KEY NOT NULL,
    file_name    TEXT NOT NULL,
    format       TEXT NOT NULL,            -- pip, conda, python_env, lock
    pins         TEXT NOT NULL,            -- JSON array
    imported_at  TEXT NOT NULL,
    person       TEXT NOT NULL
) WITHOUT ROWID;

-- Where a model's serving environment is logged: an MLflow tracking server and the registered
-- model whose versions are the model's revisions.
CREATE TABLE environment_sources (
    model            TEXT PRIMARY KEY NOT NULL,
    mlflow_url       TEXT NOT NULL,
    registered_model TEXT NOT NULL,
    token_ref        TEXT                  -- env:NAME or keyring:NAME; never the token
) WITHOUT ROWID;

-- The environment a revision serves in, as last gathered (JSON: server software, platform,
-- Python, pins, what was read and what could not be).
CREATE TABLE served_environments (
    revision_id  INTEGER PRIMARY KEY NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
    gathered_at  TEXT NOT NULL,
    fingerprint  TEXT NOT NULL
);

-- Parity checks: a revision's answers to golden inputs against the expected outputs.
CREATE TABLE parity_runs (
    id           INTEGER PRIMARY KEY,
    revision_id  INTEGER NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
    started_at   TEXT NOT NULL,
    matched_share REAL,                    -- NULL when no row was checked
    report       TEXT NOT NULL             -- JSON ParityReport
);
CREATE INDEX parity_runs_by_revision ON parity_runs (revision_id, id);
