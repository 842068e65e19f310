-- In team mode each person connects to PostgreSQL as their own role: an audit entry and a
-- sign-off keep the role the database authenticated (`current_user`), beside the name and Vigil
-- role the person's profile gives. Empty on SQLite, where there is one person per file. An
-- entry's hash covers its database role when it has one, so entries without one hash as before.
ALTER TABLE audit_log ADD COLUMN database_role TEXT;
ALTER TABLE rollout_approvals ADD COLUMN database_role TEXT;
