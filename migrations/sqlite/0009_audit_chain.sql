-- The audit trail becomes tamper-evident: each entry carries the SHA-256 of the entry before it
-- (`prev_hash`) and of its own canonical content with that (`hash`), so an edited, deleted or
-- reordered row breaks the chain, which `vigil audit verify` checks. Entries stored before this
-- migration are chained by the engine when it opens the database (`audit::chain_legacy`): the
-- only update the log allows is filling in the hashes of an entry that has none, its content
-- unchanged.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (OLD.hash IS NULL AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor
          AND NEW.action = OLD.action AND NEW.subject = OLD.subject AND NEW.detail = OLD.detail)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
