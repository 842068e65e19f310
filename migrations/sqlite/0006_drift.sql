-- Drift. Keyed by model name, not by server: a model's reference data (its training set) is the
-- same wherever it is served, and live payloads name the model they were sent to. `version` is
-- '' for what holds for every version.

-- A model's reference data, as profiles of its columns. A new import replaces the old.
CREATE TABLE drift_references (
    id                INTEGER PRIMARY KEY,
    model             TEXT NOT NULL,
    version           TEXT NOT NULL DEFAULT '',
    source            TEXT NOT NULL,     -- the file's name
    imported_at       TEXT NOT NULL,
    rows              INTEGER NOT NULL,
    skipped_rows      INTEGER NOT NULL DEFAULT 0,
    prediction_column TEXT,
    target_column     TEXT,
    UNIQUE (model, version)
);

-- Each column of a reference: its use (JSON: tested as a kind, or skipped with the reason), a
-- chosen method and threshold if any, and its profile (JSON) and sample (little-endian f64s).
CREATE TABLE drift_columns (
    reference_id INTEGER NOT NULL REFERENCES drift_references(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    use          TEXT NOT NULL,
    method       TEXT,
    threshold    REAL,
    profile      TEXT,
    sample       BLOB,
    PRIMARY KEY (reference_id, position)
);

-- Live data: one profile per model, version, column and hour.
CREATE TABLE drift_windows (
    model           TEXT NOT NULL,
    version         TEXT NOT NULL,
    column_name     TEXT NOT NULL,
    window_start_ms INTEGER NOT NULL,
    profile         TEXT NOT NULL,
    sample          BLOB NOT NULL,
    PRIMARY KEY (model, version, column_name, window_start_ms)
) WITHOUT ROWID;

-- Drift reports as computed: the whole report as JSON, with what lists and badges need.
CREATE TABLE drift_reports (
    id              INTEGER PRIMARY KEY,
    model           TEXT NOT NULL,
    version         TEXT NOT NULL,
    computed_at     TEXT NOT NULL,
    from_ms         INTEGER NOT NULL,
    to_ms           INTEGER NOT NULL,
    dataset_drift   INTEGER NOT NULL,
    drifted_share   REAL NOT NULL,
    report          TEXT NOT NULL
);
CREATE INDEX drift_reports_by_model ON drift_reports (model, version, computed_at);
