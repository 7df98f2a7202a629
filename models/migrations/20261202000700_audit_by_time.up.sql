-- The audit log's date range filter (from / to) reads this index.
CREATE INDEX audit_events_by_time ON audit_events (workspace_id, created_at, id);
