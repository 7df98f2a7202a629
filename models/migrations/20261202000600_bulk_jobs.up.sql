-- Bulk actions on members run as background jobs through the CSV import's
-- machinery (lease, batches, progress): an import whose action is set is a
-- bulk job, its rows the members to act on.
ALTER TABLE imports ADD COLUMN action VARCHAR(20) NOT NULL DEFAULT '';
--bun:split
ALTER TABLE imports ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
--bun:split
-- Where a member came from, for the members export: who an import invited,
-- and who joined through single sign-on. Both partial, so they stay small.
CREATE INDEX import_rows_invited_member ON import_rows (member_id) WHERE result = 'invited';
--bun:split
CREATE INDEX audit_events_sso_joined ON audit_events (target_id) WHERE action = 'sso.jit_joined';
