-- PostgreSQL twin of migrations/sqlite/0005_rollups_stored_in_series_order.sql.
-- Rollups are keyed by series and time. (In SQLite this is a WITHOUT ROWID table, which keeps
-- each series' buckets side by side with their values; PostgreSQL has no such tables, so the
-- same key is the table's primary key and the table is changed in place, its columns in the
-- same order as before.)
--
-- A key column cannot be NULL, so the whole server's rollups (CPU, memory, GPU) are stored
-- under revision_id 0, which matches what the old index keyed them on (coalesce(revision_id, 0)).
-- revision_id 0 names no revision, so revision_id no longer references revisions: revisions are
-- removed only with their server, whose removal still removes their rollups.
DROP INDEX metric_rollups_by_series;
ALTER TABLE metric_rollups DROP CONSTRAINT metric_rollups_revision_id_fkey;
UPDATE metric_rollups SET revision_id = 0 WHERE revision_id IS NULL;
ALTER TABLE metric_rollups
    ALTER COLUMN revision_id SET NOT NULL,
    ADD PRIMARY KEY (server_id, revision_id, signal, resolution, bucket_start_ms);

-- Old rollups are pruned by whole days: a day's pass reads the whole table, so it runs once a
-- day (when this moves), not at every minute's upkeep.
ALTER TABLE rollup_progress ADD COLUMN rollups_pruned_until_ms BIGINT NOT NULL DEFAULT 0;
