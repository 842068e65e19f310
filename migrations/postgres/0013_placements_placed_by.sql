-- PostgreSQL twin of migrations/sqlite/0013_placements_placed_by.sql.
-- Who said what a server runs on: a person's name (`vigil cost place`, the window), `cli` for
-- rows stored before people were recorded, or `label` when Vigil read it from the server's
-- `instance` and `replicas` labels.
ALTER TABLE placements ADD COLUMN placed_by TEXT NOT NULL DEFAULT 'cli';
