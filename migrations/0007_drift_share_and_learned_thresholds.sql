-- The share of drifted features at which a model's data set counts as drifted, where a person
-- chose one (Evidently's 0.5 otherwise). Kept apart from the reference, so a new import keeps it.
CREATE TABLE drift_settings (
    model TEXT PRIMARY KEY NOT NULL,
    drift_share REAL NOT NULL CHECK (drift_share > 0 AND drift_share <= 1)
) WITHOUT ROWID;
