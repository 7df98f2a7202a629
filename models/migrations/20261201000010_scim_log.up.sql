-- The provisioning log: one row per SCIM request, and one per operation of
-- a /Bulk request (parent_id names the /Bulk request's row). Written in
-- batches after the request has been answered (models/scim_log.go), so it
-- has no foreign keys: a batch must not fail because a workspace, token or
-- member went away in between. Bodies are kept for failures only, with
-- secrets masked. Retention is bounded by age and by rows per workspace.
CREATE TABLE scim_log (
  id VARCHAR(36) PRIMARY KEY,
  workspace_id VARCHAR(36) NOT NULL,
  parent_id VARCHAR(36) NULL,
  token_id VARCHAR(36) NOT NULL,
  token_name VARCHAR(100) NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  method VARCHAR(10) NOT NULL,
  path VARCHAR(2000) NOT NULL,
  status INTEGER NOT NULL,
  duration_us BIGINT NOT NULL,
  target_kind VARCHAR(10) NOT NULL DEFAULT '',
  target_id VARCHAR(255) NOT NULL DEFAULT '',
  target_name VARCHAR(255) NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  request TEXT NOT NULL DEFAULT '',
  response TEXT NOT NULL DEFAULT ''
);
--bun:split
-- Newest first, and the token and time filters (a workspace has few
-- tokens and keeps at most MUSTER_SCIM_LOG_ROWS rows: the token filter walks
-- this index rather than every request paying for one of its own).
CREATE INDEX scim_log_by_time ON scim_log (workspace_id, at, id);
--bun:split
CREATE INDEX scim_log_by_target ON scim_log (workspace_id, target_id, at, id);
--bun:split
-- Failures are few: a partial index finds them without reading successes.
CREATE INDEX scim_log_failures ON scim_log (workspace_id, at, id) WHERE status >= 400;
