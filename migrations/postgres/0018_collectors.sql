-- PostgreSQL twin of migrations/sqlite/0018_collectors.sql.
-- Collectors sharing one store, and which of them polls which server (polling/leases.rs). A
-- collector renews its heartbeat every second; a lease is good while its holder's heartbeat is.
CREATE TABLE collectors (
    holder        TEXT PRIMARY KEY,        -- host/pid/nonce
    started_at    TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);

CREATE TABLE server_leases (
    server_id BIGINT PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,
    holder    TEXT NOT NULL REFERENCES collectors(holder) ON DELETE CASCADE
);
CREATE INDEX server_leases_by_holder ON server_leases (holder);

-- Work only one engine on the store does at a time (the alert rounds): whoever holds the duty
-- until it expires; it is renewed while the holder runs (duties.rs).
CREATE TABLE duties (
    name          TEXT PRIMARY KEY,
    holder        TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
