-- One SQL text for SQLite and PostgreSQL: ids are UUIDs made in Go (no
-- auto-increment, whose syntax differs), times are TIMESTAMPTZ (SQLite keeps
-- Bun's UTC text, which sorts like time), lists of names are plain text.
CREATE TABLE workspaces (
  id VARCHAR(36) PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  slug VARCHAR(64) NOT NULL,
  invite_expiry_hours INTEGER NOT NULL DEFAULT 168,
  invites_per_hour INTEGER NOT NULL DEFAULT 100,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE UNIQUE INDEX workspaces_slug ON workspaces (slug);
--bun:split
CREATE TABLE accounts (
  id VARCHAR(36) PRIMARY KEY,
  email VARCHAR(254) NOT NULL,
  name VARCHAR(200) NOT NULL,
  password_hash TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  last_login_at TIMESTAMPTZ NULL
);
--bun:split
CREATE UNIQUE INDEX accounts_email ON accounts (email);
--bun:split
CREATE TABLE members (
  id VARCHAR(36) PRIMARY KEY,
  workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  account_id VARCHAR(36) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  email VARCHAR(254) NOT NULL,
  user_name VARCHAR(254) NOT NULL,
  display_name VARCHAR(200) NOT NULL,
  given_name VARCHAR(100) NOT NULL DEFAULT '',
  family_name VARCHAR(100) NOT NULL DEFAULT '',
  location VARCHAR(200) NOT NULL DEFAULT '',
  status VARCHAR(16) NOT NULL,
  external_id VARCHAR(255) NULL,
  scim_managed BOOLEAN NOT NULL DEFAULT FALSE,
  sort_name TEXT NOT NULL,
  search_text TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  last_seen_at TIMESTAMPTZ NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE UNIQUE INDEX members_workspace_email ON members (workspace_id, email);
--bun:split
CREATE UNIQUE INDEX members_workspace_user_name ON members (workspace_id, lower(user_name));
--bun:split
CREATE UNIQUE INDEX members_workspace_external_id ON members (workspace_id, external_id) WHERE external_id IS NOT NULL;
--bun:split
CREATE UNIQUE INDEX members_workspace_account ON members (workspace_id, account_id) WHERE account_id IS NOT NULL;
--bun:split
CREATE INDEX members_account ON members (account_id);
--bun:split
-- One index per sortable column, each ending in id: keyset pages walk them.
CREATE INDEX members_by_name ON members (workspace_id, sort_name, id);
--bun:split
CREATE INDEX members_by_status ON members (workspace_id, status, sort_name, id);
--bun:split
CREATE INDEX members_by_location ON members (workspace_id, location, id);
--bun:split
CREATE INDEX members_by_created ON members (workspace_id, created_at, id);
--bun:split
CREATE TABLE roles (
  id VARCHAR(36) PRIMARY KEY,
  workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name VARCHAR(64) NOT NULL,
  description VARCHAR(300) NOT NULL DEFAULT '',
  permissions TEXT NOT NULL DEFAULT '',
  builtin VARCHAR(16) NOT NULL DEFAULT '',
  external_id VARCHAR(255) NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE UNIQUE INDEX roles_workspace_name ON roles (workspace_id, lower(name));
--bun:split
CREATE TABLE member_roles (
  member_id VARCHAR(36) NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  role_id VARCHAR(36) NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  PRIMARY KEY (member_id, role_id)
);
--bun:split
CREATE INDEX member_roles_role ON member_roles (role_id, member_id);
--bun:split
CREATE TABLE sessions (
  id VARCHAR(64) PRIMARY KEY,
  account_id VARCHAR(36) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  ip VARCHAR(64) NOT NULL DEFAULT '',
  user_agent VARCHAR(300) NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX sessions_account ON sessions (account_id);
--bun:split
CREATE TABLE audit_events (
  id VARCHAR(36) PRIMARY KEY,
  workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  actor_kind VARCHAR(16) NOT NULL,
  actor_id VARCHAR(36) NULL,
  actor_name VARCHAR(200) NOT NULL,
  action VARCHAR(64) NOT NULL,
  target_kind VARCHAR(16) NOT NULL DEFAULT '',
  target_id VARCHAR(36) NULL,
  target_name VARCHAR(200) NOT NULL DEFAULT '',
  changes TEXT NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX audit_events_workspace ON audit_events (workspace_id, id);
--bun:split
CREATE TABLE login_attempts (
  key VARCHAR(300) PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE TABLE kv_entries (
  key VARCHAR(255) PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at TIMESTAMPTZ NULL
);
