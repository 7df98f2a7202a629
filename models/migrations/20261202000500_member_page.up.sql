-- A member's page reads that member's audit events (status history, where
-- they came from, their activity) and the import that invited them: both
-- by index, so the page costs the same at 100,000 members as at ten.
CREATE INDEX audit_events_target ON audit_events (workspace_id, target_id, id);
--bun:split
CREATE INDEX import_rows_member ON import_rows (member_id) WHERE member_id IS NOT NULL;
