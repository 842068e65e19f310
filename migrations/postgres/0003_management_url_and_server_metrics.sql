-- PostgreSQL twin of migrations/sqlite/0003_management_url_and_server_metrics.sql.
-- Where the server's management API is, when it is not on the base URL: TorchServe lists its
-- models and versions on a port of its own (8081 by default), apart from inference (8080).
ALTER TABLE servers ADD COLUMN management_url TEXT CHECK (management_url IS NULL OR length(management_url) <= 2048);

-- Server-wide metrics (CPU, memory, GPU) are stored with no revision. NULLs are distinct in a
-- unique index, so rollups are keyed on coalesce(revision_id, 0) (SQLite's ifnull): one row per
-- server-wide bucket.
DROP INDEX metric_rollups_by_series;
CREATE UNIQUE INDEX metric_rollups_by_series
    ON metric_rollups (server_id, (coalesce(revision_id, 0)), signal, resolution, bucket_start_ms);
