-- Rollouts: where each model's deployments take effect (its target), how a rollout proceeds (its
-- plan) and who must sign it off (its policy); every rollout with its state, its approvals and
-- the traffic it set; the people who act (profiles); and the lease that lets exactly one engine
-- drive rollouts when several share this database. Models are named as their servers serve them.

-- The first schema's placeholders for rollouts and approvals were never written to; they give way.
DROP TABLE approvals;
DROP TABLE rollouts;

-- Where a model's rollouts take effect: a TargetSpec as JSON (`kind` and its settings).
CREATE TABLE deployment_targets (
    model       TEXT PRIMARY KEY NOT NULL CHECK (length(model) BETWEEN 1 AND 256),
    spec        TEXT NOT NULL,
    timeout_ms  INTEGER NOT NULL CHECK (timeout_ms BETWEEN 100 AND 600000),
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;

-- A model's plan as JSON (steps, gates, failure limit, what to do on failure); none: the default.
CREATE TABLE rollout_plans (
    model       TEXT PRIMARY KEY NOT NULL,
    plan        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;

-- Who must sign off a model's promotions, as JSON; none: the default policy.
CREATE TABLE rollout_policies (
    model       TEXT PRIMARY KEY NOT NULL,
    policy      TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;

-- The people who act: a name and a role.
CREATE TABLE profiles (
    name        TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    role        TEXT NOT NULL CHECK (role IN ('engineer', 'data_scientist', 'product_manager')),
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

-- One rollout of a candidate version over a stable one.
CREATE TABLE rollouts (
    id            INTEGER PRIMARY KEY,
    model         TEXT NOT NULL,
    stable        TEXT NOT NULL,
    candidate     TEXT NOT NULL,
    plan          TEXT NOT NULL,                -- the plan as it was when the rollout started
    state         TEXT NOT NULL CHECK (state IN ('running', 'waiting', 'paused', 'promoted', 'rolled_back', 'aborted', 'failed')),
    step          INTEGER NOT NULL,             -- the index of the step in force; -1 before the first
    weight        INTEGER NOT NULL,             -- the candidate's share confirmed at the target, in percent
    step_started_at TEXT NOT NULL,              -- when the step's traffic was confirmed
    waiting_since TEXT,                         -- when the rollout began waiting for approval
    reminded      INTEGER NOT NULL DEFAULT 0,   -- whether a late approval was asked for again
    failures      INTEGER NOT NULL DEFAULT 0,   -- failed gate measurements in this rollout
    failed_at_ms  INTEGER,                      -- the stored poll whose measurement reached the failure limit
    evidence      TEXT NOT NULL DEFAULT '{}',   -- the latest gate measurement, as JSON
    error         TEXT,                         -- the target's error, when it refused or failed
    reason        TEXT,                         -- why it ended (or paused), in words
    started_by    TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX rollouts_by_model ON rollouts (model, started_at);
-- At most one rollout per model is under way.
CREATE UNIQUE INDEX rollouts_one_active ON rollouts (model) WHERE state IN ('running', 'waiting', 'paused');

-- Each sign-off or refusal of the step a rollout waits to enter.
CREATE TABLE rollout_approvals (
    id          INTEGER PRIMARY KEY,
    rollout_id  INTEGER NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
    step        INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    os_user     TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason      TEXT,
    at          TEXT NOT NULL,
    UNIQUE (rollout_id, step, role),
    UNIQUE (rollout_id, step, actor)
);

-- The traffic a model's target was confirmed to serve, each time Vigil changed it or read it
-- back: the deployment history's split over time.
CREATE TABLE traffic_changes (
    id          INTEGER PRIMARY KEY,
    model       TEXT NOT NULL,
    rollout_id  INTEGER REFERENCES rollouts(id) ON DELETE SET NULL,
    at          TEXT NOT NULL,
    traffic     TEXT NOT NULL,                  -- Traffic as JSON
    cause       TEXT NOT NULL                   -- 'step', 'promote', 'rollback', 'abort', 'read'
);
CREATE INDEX traffic_changes_by_model ON traffic_changes (model, at);

-- Gates find a model's revisions by the model's name at every poll.
CREATE INDEX models_by_name ON models (name);

-- Which engine drives rollouts; taken over once `expires_at_ms` has passed.
CREATE TABLE rollout_lease (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    holder        TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
