-- Vigil's first schema. Shipped migrations are never edited: later changes add new files.
-- All timestamps are UTC. Columns ending in `_at` (and `at` outside the metric tables) hold
-- RFC 3339 text as sqlx encodes chrono::DateTime<Utc>. The metric tables, which hold millions
-- of rows, store time as INTEGER Unix milliseconds: half the size and integer range scans.

-- A model server Vigil polls.
CREATE TABLE servers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    base_url    TEXT NOT NULL CHECK (length(base_url) <= 2048),
    -- Last known health: 'unknown' until the first check, then 'up', 'degraded' or 'down'.
    health      TEXT NOT NULL DEFAULT 'unknown' CHECK (health IN ('unknown', 'up', 'degraded', 'down')),
    health_reason TEXT,                      -- why, in words, e.g. 'HTTP 503 from /v2/health/ready'
    health_since TEXT,                       -- when the current health began
    checked_at  TEXT,                        -- when health was last checked
    created_at  TEXT NOT NULL
);

-- A model served by a server, as discovered by polling.
CREATE TABLE models (
    id          INTEGER PRIMARY KEY,
    server_id   INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    UNIQUE (server_id, name)
);

-- A model version as first seen: the deployment history.
CREATE TABLE revisions (
    id          INTEGER PRIMARY KEY,
    model_id    INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    version     TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}',  -- JSON as the server gave it (platform, inputs, outputs)
    UNIQUE (model_id, version)
);

-- Every health transition of a server (model_id NULL) or of one model.
CREATE TABLE health_events (
    id          INTEGER PRIMARY KEY,
    server_id   INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    model_id    INTEGER REFERENCES models(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX health_events_by_server ON health_events (server_id, at);

-- Metric samples at poll resolution. One row per (series, time); a series is a golden signal
-- of one model revision (or of the server when revision_id is NULL).
CREATE TABLE metric_points (
    server_id   INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    revision_id INTEGER REFERENCES revisions(id) ON DELETE CASCADE,
    signal      TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    value       REAL NOT NULL
);
CREATE INDEX metric_points_by_series ON metric_points (server_id, revision_id, signal, at_ms);

-- Downsampled metrics: 'resolution' is the bucket width in seconds (60, 3600).
CREATE TABLE metric_rollups (
    server_id   INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    revision_id INTEGER REFERENCES revisions(id) ON DELETE CASCADE,
    signal      TEXT NOT NULL,
    resolution  INTEGER NOT NULL,
    bucket_start_ms INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    sum         REAL NOT NULL,
    min         REAL NOT NULL,
    max         REAL NOT NULL,
    last        REAL NOT NULL
);
CREATE UNIQUE INDEX metric_rollups_by_series
    ON metric_rollups (server_id, revision_id, signal, resolution, bucket_start_ms);

-- A staged move of traffic from a stable revision to a candidate.
CREATE TABLE rollouts (
    id          INTEGER PRIMARY KEY,
    model_id    INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    stable_revision_id    INTEGER REFERENCES revisions(id),
    candidate_revision_id INTEGER NOT NULL REFERENCES revisions(id),
    state       TEXT NOT NULL CHECK (state IN ('pending', 'progressing', 'paused', 'promoted', 'rolled_back', 'aborted')),
    plan        TEXT NOT NULL DEFAULT '{}',  -- JSON: steps, weights, gates
    current_step INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A person's decision on a rollout step.
CREATE TABLE approvals (
    id          INTEGER PRIMARY KEY,
    rollout_id  INTEGER NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
    step        INTEGER NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('engineer', 'data_scientist', 'product_manager')),
    decision    TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    actor       TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    decided_at  TEXT NOT NULL
);

-- Append-only record of every change a person made. Names are copied in as text so the
-- record outlives the things it mentions.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
