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

-- Counts changes to what the poller polls: servers added, removed or with new settings, and
-- revisions added or removed. A poller reads this one number to tell whether its copy of the
-- servers is current, whichever process made the change. Health, checks and errors do not
-- count. A new column that changes how a server is polled must join the list below.
CREATE TABLE catalog_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);
CREATE TRIGGER servers_added AFTER INSERT ON servers
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER servers_removed AFTER DELETE ON servers
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER servers_edited
AFTER UPDATE OF name, base_url, kind, detected_kind, metrics_url, management_url, poll_interval_ms, timeout_ms,
                labels, source_kind, selector, token_ref ON servers
WHEN (OLD.name, OLD.base_url, OLD.kind, OLD.detected_kind, OLD.metrics_url, OLD.management_url,
      OLD.poll_interval_ms, OLD.timeout_ms, OLD.labels, OLD.source_kind, OLD.selector, OLD.token_ref)
  IS NOT (NEW.name, NEW.base_url, NEW.kind, NEW.detected_kind, NEW.metrics_url, NEW.management_url,
          NEW.poll_interval_ms, NEW.timeout_ms, NEW.labels, NEW.source_kind, NEW.selector, NEW.token_ref)
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER revisions_added AFTER INSERT ON revisions
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER revisions_removed AFTER DELETE ON revisions
BEGIN UPDATE catalog_version SET version = version + 1; END;
