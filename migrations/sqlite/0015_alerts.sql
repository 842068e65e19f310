-- Alerts: the rules people keep (a signal, a condition, its timing, a severity and a scope; the
-- defaults are built in and editable), the state of each alert (one rule on one subject: a model
-- on a server, or a server), the history of every change people were told of with the evidence
-- at that moment, silences, the receivers notifications are routed to, and what each receiver's
-- group of alerts was last told (so a restart neither forgets nor repeats a notification).
CREATE TABLE alert_rules (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    signal            TEXT NOT NULL,      -- JSON: {"name": "error_share"} or {"name": "column_drift", "column": "age"}
    condition         TEXT NOT NULL,      -- JSON: {"op": "above", "bound": 0.05}, {"op": "anomaly", "k": 4}, …
    for_secs          INTEGER NOT NULL CHECK (for_secs >= 0),
    keep_firing_secs  INTEGER NOT NULL CHECK (keep_firing_secs >= 0),
    severity          TEXT NOT NULL,
    scope             TEXT NOT NULL,      -- JSON: {"kind": "fleet"}, {"kind": "model", "model": "fraud"}, …
    runbook           TEXT,
    enabled           INTEGER NOT NULL,
    builtin           INTEGER NOT NULL,
    updated_at        TEXT NOT NULL
);

-- Whether the built-in rules were put in (once per database, so a removed default stays removed).
CREATE TABLE alert_rules_seed (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    seeded_at TEXT NOT NULL
);

CREATE TABLE alerts (
    rule_id        INTEGER NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
    subject        TEXT NOT NULL,
    model          TEXT,
    server         TEXT,
    labels         TEXT NOT NULL,         -- JSON object: the subject's labels when last evaluated
    state          TEXT NOT NULL,
    since          TEXT NOT NULL,
    breach_began   TEXT,
    last_breached  TEXT,
    value          REAL,
    bound          REAL,
    level          REAL,                  -- the slow moving average a "rises" condition compares with
    evaluated_at   TEXT NOT NULL,
    PRIMARY KEY (rule_id, subject)
) WITHOUT ROWID;

CREATE TABLE alert_history (
    id         INTEGER PRIMARY KEY,
    rule_id    INTEGER,                   -- NULL once the rule is removed; the name stays
    rule       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    model      TEXT,
    server     TEXT,
    change     TEXT NOT NULL,             -- fired, resolved, lost_data
    severity   TEXT NOT NULL,
    at         TEXT NOT NULL,
    value      REAL,
    bound      REAL,
    silenced   INTEGER NOT NULL,
    evidence   TEXT NOT NULL              -- JSON: the sentence and the figures at that moment
);
CREATE INDEX alert_history_by_time ON alert_history (at);

CREATE TABLE silences (
    id         INTEGER PRIMARY KEY,
    matcher    TEXT NOT NULL,             -- JSON: rule, model, server and labels, each optional
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE alert_receivers (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    kind                 TEXT NOT NULL,   -- desktop, webhook, slack
    url                  TEXT,
    auth_ref             TEXT,            -- env:NAME or keyring:NAME: the Authorization header's value
    labels               TEXT NOT NULL,   -- JSON object: the labels an alert must carry to come here
    group_wait_secs      INTEGER NOT NULL,
    group_interval_secs  INTEGER NOT NULL,
    repeat_interval_secs INTEGER NOT NULL
);
INSERT INTO alert_receivers (name, kind, labels, group_wait_secs, group_interval_secs, repeat_interval_secs)
VALUES ('desktop', 'desktop', '{}', 30, 300, 14400);

CREATE TABLE alert_groups (
    receiver_id  INTEGER NOT NULL REFERENCES alert_receivers(id) ON DELETE CASCADE,
    group_key    TEXT NOT NULL,
    first_seen   TEXT NOT NULL,
    last_sent    TEXT,
    last_told    TEXT NOT NULL,           -- JSON: the firing and resolved alerts the last notification named
    PRIMARY KEY (receiver_id, group_key)
) WITHOUT ROWID;

CREATE TABLE alert_deliveries (
    id         INTEGER PRIMARY KEY,
    receiver   TEXT NOT NULL,
    group_key  TEXT NOT NULL,
    at         TEXT NOT NULL,
    firing     INTEGER NOT NULL,
    resolved   INTEGER NOT NULL,
    error      TEXT
);
