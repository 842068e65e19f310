-- Load tests: each run against one model revision, the placement it ran on (an instance type
-- from the catalog and a replica count, when the server has one), its bounds, every step's
-- figures (JSON) and the highest rate it sustained. Kept for the capacity planner and history.
CREATE TABLE load_tests (
    id                INTEGER PRIMARY KEY,
    server            TEXT NOT NULL,
    model             TEXT NOT NULL,
    version           TEXT NOT NULL,
    provider          TEXT,
    region            TEXT,
    instance_type     TEXT,
    replicas          INTEGER NOT NULL CHECK (replicas >= 1),
    started_at        TEXT NOT NULL,
    person            TEXT NOT NULL,
    p99_objective_ms  REAL NOT NULL,
    max_error_share   REAL NOT NULL,
    sustainable_rate  REAL,
    cancelled         INTEGER NOT NULL,
    steps             TEXT NOT NULL
);
CREATE INDEX load_tests_by_model ON load_tests (model, started_at);

-- Hosts outside loopback that people allowed load tests to reach.
CREATE TABLE load_test_hosts (
    host TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;
