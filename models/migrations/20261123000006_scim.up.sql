-- SCIM provisioning. Tokens are stored as SHA-256 hashes; prefix is the
-- first characters of the token, shown so admins can tell tokens apart.
-- permissions are the creator's at creation time: a token can never give
-- out more than the person who made it could.
CREATE TABLE scim_tokens (
  id VARCHAR(36) PRIMARY KEY,
  workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name VARCHAR(100) NOT NULL,
  prefix VARCHAR(16) NOT NULL,
  token_hash VARCHAR(64) NOT NULL,
  permissions TEXT NOT NULL DEFAULT '',
  created_by_id VARCHAR(36) NULL,
  created_by_name VARCHAR(200) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  last_used_at TIMESTAMPTZ NULL,
  revoked_at TIMESTAMPTZ NULL
);
--bun:split
CREATE UNIQUE INDEX scim_tokens_hash ON scim_tokens (token_hash);
--bun:split
CREATE INDEX scim_tokens_workspace ON scim_tokens (workspace_id, created_at);
--bun:split
-- Whether members an identity provider creates get an invitation email.
ALTER TABLE workspaces ADD COLUMN scim_invites BOOLEAN NOT NULL DEFAULT TRUE;
--bun:split
-- SCIM attributes Muster keeps but does not show everywhere.
ALTER TABLE members ADD COLUMN email_type VARCHAR(32) NOT NULL DEFAULT 'work';
--bun:split
ALTER TABLE members ADD COLUMN title VARCHAR(200) NOT NULL DEFAULT '';
--bun:split
ALTER TABLE members ADD COLUMN locale VARCHAR(35) NOT NULL DEFAULT '';
--bun:split
ALTER TABLE members ADD COLUMN employee_number VARCHAR(100) NOT NULL DEFAULT '';
--bun:split
ALTER TABLE members ADD COLUMN department VARCHAR(200) NOT NULL DEFAULT '';
--bun:split
ALTER TABLE members ADD COLUMN manager_id VARCHAR(255) NOT NULL DEFAULT '';
--bun:split
-- SCIM lists page in id order (UUIDv7: creation order), stable across pages.
CREATE INDEX members_workspace_id ON members (workspace_id, id);
--bun:split
ALTER TABLE roles ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
--bun:split
CREATE UNIQUE INDEX roles_workspace_external_id ON roles (workspace_id, external_id) WHERE external_id IS NOT NULL;
