-- The share of drifted features at which a model's data set counts as drifted, where a person
-- chose one (Evidently's 0.5 otherwise). Kept apart from the reference, so a new import keeps it.
CREATE TABLE drift_settings (
    model TEXT PRIMARY KEY NOT NULL,
    drift_share REAL NOT NULL CHECK (drift_share > 0 AND drift_share <= 1)
) WITHOUT ROWID;

-- A column whose threshold is learned from its reference (NannyML's mean + 3σ of reference
-- chunks) rather than fixed.
ALTER TABLE drift_columns ADD COLUMN learned INTEGER NOT NULL DEFAULT 0;
