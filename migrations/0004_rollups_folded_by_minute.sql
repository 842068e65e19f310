-- Rollups are no longer folded at each poll: once a minute, the points of the minutes that have
-- closed are folded into their 1-minute and 1-hour buckets in one pass. `folded_until_ms` is
-- where that stopped: every point before it is in the rollups, none after it is. Queries read
-- rollups up to it and the raw points after it.
CREATE TABLE rollup_progress (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    folded_until_ms INTEGER NOT NULL
);
-- Until now every point was folded as it was written.
INSERT INTO rollup_progress (id, folded_until_ms) SELECT 1, coalesce(max(at_ms) + 1, 0) FROM metric_points;

-- Folding and pruning read points by time.
CREATE INDEX metric_points_by_time ON metric_points (at_ms);
