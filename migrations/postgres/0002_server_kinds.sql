-- PostgreSQL twin of migrations/sqlite/0002_server_kinds.sql.
-- What kind of server each one is, and where its metrics are. Servers registered before kinds existed were checked on the
-- Open Inference Protocol's readiness endpoint, so they keep that behaviour as 'oip-v2'.
-- 'detected_kind' is what probing found for a server registered as 'auto'.
ALTER TABLE servers ADD COLUMN kind TEXT NOT NULL DEFAULT 'oip-v2'
    CHECK (kind IN ('auto', 'oip-v2', 'triton', 'mlserver', 'torchserve', 'tfserving', 'bentoml',
                    'vllm', 'tgi', 'ray', 'prometheus'));
ALTER TABLE servers ADD COLUMN detected_kind TEXT
    CHECK (detected_kind IS NULL OR detected_kind IN ('oip-v2', 'triton', 'mlserver', 'torchserve',
                    'tfserving', 'bentoml', 'vllm', 'tgi', 'ray', 'prometheus'));
-- Where the server's metrics page is, when it is not BASE_URL + the kind's metrics path
-- (MLServer serves metrics on a port of their own, 8082 by default; Triton on 8002).
ALTER TABLE servers ADD COLUMN metrics_url TEXT CHECK (metrics_url IS NULL OR length(metrics_url) <= 2048);

-- Health of each model revision on servers that report it (the Open Inference Protocol's
-- model readiness), and the revision a health event is about.
ALTER TABLE revisions ADD COLUMN health TEXT NOT NULL DEFAULT 'unknown'
    CHECK (health IN ('unknown', 'up', 'degraded', 'down'));
ALTER TABLE revisions ADD COLUMN health_reason TEXT;
ALTER TABLE health_events ADD COLUMN revision_id BIGINT REFERENCES revisions(id) ON DELETE CASCADE;

-- Why the server's metrics page could not be read at the last poll (NULL when it was read).
ALTER TABLE servers ADD COLUMN metrics_error TEXT;

-- Per-server polling: interval and request timeout in milliseconds (NULL: Vigil's defaults), and
-- labels a team filters by (JSON object of strings, e.g. {"team":"risk","environment":"prod"}).
ALTER TABLE servers ADD COLUMN poll_interval_ms BIGINT CHECK (poll_interval_ms IS NULL OR poll_interval_ms BETWEEN 100 AND 86400000);
ALTER TABLE servers ADD COLUMN timeout_ms BIGINT CHECK (timeout_ms IS NULL OR timeout_ms BETWEEN 100 AND 300000);
ALTER TABLE servers ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';

-- For a server of kind 'prometheus': the kind of the servers that Prometheus scrapes, and the
-- label matchers that select them (PromQL, e.g. job="mlserver").
ALTER TABLE servers ADD COLUMN source_kind TEXT;
ALTER TABLE servers ADD COLUMN selector TEXT CHECK (selector IS NULL OR length(selector) <= 512);

-- Where the server's bearer token is, by reference only (e.g. 'env:FRAUD_TOKEN'): the token
-- itself is never stored.
ALTER TABLE servers ADD COLUMN token_ref TEXT CHECK (token_ref IS NULL OR length(token_ref) <= 160);
