-- Every request and failed request seen of each revision, added to by the fold (points.rs) as it
-- folds points into rollups, in the same transaction: the overview reads one row a revision
-- however long its history, not every hourly rollup. Seeded from the hourly rollups kept so far.
CREATE TABLE revision_totals (
    server_id   INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
    requests    REAL NOT NULL,
    errors      REAL NOT NULL,
    PRIMARY KEY (server_id, revision_id)
);
INSERT INTO revision_totals (server_id, revision_id, requests, errors)
SELECT server_id, revision_id,
       sum(CASE WHEN signal = 'requests' THEN sum ELSE 0.0 END),
       sum(CASE WHEN signal = 'errors' THEN sum ELSE 0.0 END)
FROM metric_rollups
WHERE resolution = 3600 AND signal IN ('requests', 'errors')
  AND revision_id IN (SELECT id FROM revisions)
GROUP BY server_id, revision_id;
