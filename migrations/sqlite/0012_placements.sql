-- What runs where: each server's instance type (a catalog row, by provider, region and name) and
-- replica count from a time on. A change appends a row, so a window is costed piecewise.
CREATE TABLE placements (
    id            INTEGER PRIMARY KEY,
    server        TEXT NOT NULL,
    provider      TEXT NOT NULL,
    region        TEXT NOT NULL,
    instance_type TEXT NOT NULL,
    replicas      INTEGER NOT NULL CHECK (replicas >= 0),
    since         TEXT NOT NULL
);
CREATE INDEX placements_by_server ON placements (server, since);
