-- CSV imports: the preview is stored, so confirming starts a job that runs
-- in the background, survives the browser closing, and resumes after a
-- restart from the first row without a result.
CREATE TABLE imports (
  id VARCHAR(36) PRIMARY KEY,
  workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  created_by_id VARCHAR(36) NULL,
  created_by_name VARCHAR(200) NOT NULL,
  source VARCHAR(300) NOT NULL,
  status VARCHAR(16) NOT NULL,
  resend_pending BOOLEAN NOT NULL DEFAULT FALSE,
  reactivate BOOLEAN NOT NULL DEFAULT FALSE,
  total INTEGER NOT NULL,
  processed INTEGER NOT NULL DEFAULT 0,
  invited INTEGER NOT NULL DEFAULT 0,
  resent INTEGER NOT NULL DEFAULT 0,
  reactivated INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  claimed_until TIMESTAMPTZ NULL,
  created_at TIMESTAMPTZ NOT NULL,
  started_at TIMESTAMPTZ NULL,
  finished_at TIMESTAMPTZ NULL
);
--bun:split
CREATE INDEX imports_status ON imports (status, created_at);
--bun:split
CREATE TABLE import_rows (
  import_id VARCHAR(36) NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  line INTEGER NOT NULL,
  email VARCHAR(1000) NOT NULL,
  name VARCHAR(1000) NOT NULL,
  role_name VARCHAR(1000) NOT NULL,
  location VARCHAR(1000) NOT NULL,
  role_id VARCHAR(36) NULL,
  member_id VARCHAR(36) NULL,
  outcome VARCHAR(20) NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  result VARCHAR(16) NOT NULL DEFAULT '',
  result_message TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (import_id, line)
);
--bun:split
CREATE INDEX import_rows_pending ON import_rows (import_id, result, line);
