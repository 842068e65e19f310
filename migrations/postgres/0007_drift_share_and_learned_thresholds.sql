-- PostgreSQL twin of migrations/sqlite/0007_drift_share_and_learned_thresholds.sql.
-- The share of drifted features at which a model's data set counts as drifted, where a person
-- chose one (Evidently's 0.5 otherwise). Kept apart from the reference, so a new import keeps it.
CREATE TABLE drift_settings (
    model TEXT PRIMARY KEY NOT NULL,
    drift_share DOUBLE PRECISION NOT NULL CHECK (drift_share > 0 AND drift_share <= 1)
);

-- A column whose threshold is learned from its reference (NannyML's mean + 3σ of reference
-- chunks) rather than fixed.
ALTER TABLE drift_columns ADD COLUMN learned BOOLEAN NOT NULL DEFAULT false;
