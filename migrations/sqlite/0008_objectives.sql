-- Objectives: the largest share of requests a model may fail and the slowest its p99 latency may
-- be. One row holds the fleet-wide defaults (1 % and 1 s until a person changes them); a model
-- may set either bound of its own, NULL following the default. Models are named as their servers
-- serve them, so a model keeps its objectives when its server is registered again.
CREATE TABLE objective_defaults (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    max_error_share REAL NOT NULL CHECK (max_error_share >= 0 AND max_error_share <= 1),
    max_p99_s REAL NOT NULL CHECK (max_p99_s > 0)
);
INSERT INTO objective_defaults (id, max_error_share, max_p99_s) VALUES (1, 0.01, 1.0);

CREATE TABLE objectives (
    model TEXT PRIMARY KEY NOT NULL,
    max_error_share REAL CHECK (max_error_share >= 0 AND max_error_share <= 1),
    max_p99_s REAL CHECK (max_p99_s > 0)
) WITHOUT ROWID;
