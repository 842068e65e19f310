-- An action a person asks of a rollout that another engine drives (a desktop in team mode, a
-- CLI beside a running collector): the engine that drives the rollout takes it, does it at the
-- target, and answers (rollouts/requests.rs). A request not taken in time is expired by the one
-- who asked, so it is never done late.
CREATE TABLE rollout_requests (
    id             INTEGER PRIMARY KEY,
    rollout_id     INTEGER NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
    change         TEXT NOT NULL,           -- JSON: what to do
    person         TEXT,                    -- JSON: who asked, when a person did
    state          TEXT NOT NULL CHECK (state IN ('pending', 'taken', 'done', 'failed', 'expired')),
    taken_by       TEXT,
    answer         TEXT,                    -- why it failed
    asked_at_ms    INTEGER NOT NULL,
    answered_at_ms INTEGER
);
CREATE INDEX rollout_requests_by_state ON rollout_requests (state, asked_at_ms);
