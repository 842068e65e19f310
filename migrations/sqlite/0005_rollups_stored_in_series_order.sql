-- Rollups are stored in the order charts read them: a WITHOUT ROWID table keyed by series and
-- time keeps each series' buckets side by side with their values, so a 30-day chart reads a few
-- contiguous pages instead of one table page per bucket found through a separate index.
--
-- A key column cannot be NULL, so the whole server's rollups (CPU, memory, GPU) are stored
-- under revision_id 0, which matches what the old index keyed them on (ifnull(revision_id, 0)).
-- Revisions are removed only with their server, whose removal still removes their rollups.
CREATE TABLE metric_rollups_in_series_order (
    server_id       INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    revision_id     INTEGER NOT NULL,  -- 0: the whole server
    signal          TEXT NOT NULL,
    resolution      INTEGER NOT NULL,
    bucket_start_ms INTEGER NOT NULL,
    count           INTEGER NOT NULL,
    sum             REAL NOT NULL,
    min             REAL NOT NULL,
    max             REAL NOT NULL,
    last            REAL NOT NULL,
    PRIMARY KEY (server_id, revision_id, signal, resolution, bucket_start_ms)
) WITHOUT ROWID;
INSERT INTO metric_rollups_in_series_order
SELECT server_id, ifnull(revision_id, 0), signal, resolution, bucket_start_ms, count, sum, min, max, last
FROM metric_rollups ORDER BY server_id, ifnull(revision_id, 0), signal, resolution, bucket_start_ms;
DROP TABLE metric_rollups;
ALTER TABLE metric_rollups_in_series_order RENAME TO metric_rollups;

-- Old rollups are pruned by whole days: a day's pass reads the whole table, so it runs once a
-- day (when this moves), not at every minute's upkeep.
ALTER TABLE rollup_progress ADD COLUMN rollups_pruned_until_ms INTEGER NOT NULL DEFAULT 0;
