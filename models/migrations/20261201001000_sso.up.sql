-- Single sign-on with OpenID Connect, one identity provider per workspace.
-- The client secret is sealed (AES-GCM, models/secretbox.go) before it is
-- stored; domains and break-glass admins have tables of their own so the
-- database keeps each domain to one workspace.
CREATE TABLE sso_configs (
  workspace_id VARCHAR(36) PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
  issuer VARCHAR(500) NOT NULL,
  client_id VARCHAR(255) NOT NULL,
  client_secret_sealed TEXT NOT NULL,
  domains TEXT NOT NULL DEFAULT '',
  jit BOOLEAN NOT NULL DEFAULT FALSE,
  jit_role_id VARCHAR(36) NULL REFERENCES roles (id) ON DELETE SET NULL,
  enforced BOOLEAN NOT NULL DEFAULT FALSE,
  tested_at TIMESTAMPTZ NULL,
  test_claims TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE TABLE sso_domains (
  domain VARCHAR(253) PRIMARY KEY,
  workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX sso_domains_workspace ON sso_domains (workspace_id);
--bun:split
CREATE TABLE sso_break_glass (
  workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  member_id VARCHAR(36) NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  PRIMARY KEY (workspace_id, member_id)
);
--bun:split
-- A session opened through a workspace's identity provider opens that
-- workspace only (see models/sso_access.go).
CREATE TABLE sso_sessions (
  session_id VARCHAR(64) PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
  workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE
);
