-- The prediction log (issue 16): each prediction a model made, by inference id, with its time
-- and output (a class, with the probability of the positive class for a binary classifier; or a
-- value), and the request's values only when the model is set to keep them. Kept for each
-- model's retention (prediction_settings, 30 days unless set).
CREATE TABLE predictions (
    model          TEXT NOT NULL,
    inference_id   TEXT NOT NULL,
    version        TEXT NOT NULL,           -- '' when the payload named none
    at_ms          INTEGER NOT NULL,
    class          TEXT,                    -- integers as "1", booleans as "1"/"0"
    probability    REAL,
    value          REAL,
    inputs         TEXT,                    -- JSON object, only when the model keeps inputs
    PRIMARY KEY (model, inference_id)
) WITHOUT ROWID;
CREATE INDEX predictions_by_time ON predictions (model, at_ms);

-- Ground truth: the true label of an inference, posted to the ingest endpoint or imported. Kept
-- whether or not its prediction is logged yet; joined to it by inference id.
CREATE TABLE ground_truth (
    model          TEXT NOT NULL,
    inference_id   TEXT NOT NULL,
    class          TEXT NOT NULL,           -- as predictions.class
    value          REAL,                    -- when the label is a number
    known_at_ms    INTEGER NOT NULL,        -- when the truth became known
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (model, inference_id)
) WITHOUT ROWID;
CREATE INDEX ground_truth_by_arrival ON ground_truth (model, received_at_ms);

-- Each model's settings for its log; a model without a row has the defaults.
CREATE TABLE prediction_settings (
    model          TEXT PRIMARY KEY NOT NULL,
    retention_days INTEGER CHECK (retention_days >= 1),   -- NULL: 30
    positive_class TEXT,                                   -- NULL: "1"
    keep_inputs    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Predictions that could not be logged, counted by model and why.
CREATE TABLE prediction_skips (
    model          TEXT NOT NULL,
    reason         TEXT NOT NULL,
    count          INTEGER NOT NULL,
    last_at_ms     INTEGER NOT NULL,
    PRIMARY KEY (model, reason)
) WITHOUT ROWID;

-- The labelled reference CBPE is calibrated on: a binary classifier's reference rows, each with its
-- probability of the positive class, predicted class and true class (read from the reference
-- file when it holds the model's label and probability outputs and a target column).
CREATE TABLE performance_references (
    model          TEXT NOT NULL,
    version        TEXT NOT NULL,           -- '' for every version
    row            INTEGER NOT NULL,
    probability    REAL NOT NULL,
    predicted      TEXT NOT NULL,
    truth          TEXT NOT NULL,
    PRIMARY KEY (model, version, row)
) WITHOUT ROWID;
