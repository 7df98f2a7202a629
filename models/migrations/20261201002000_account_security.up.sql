-- Password reset links: one row per link. Only the SHA-256 of the token is
-- stored; a link works once (used_at) and for an hour (expires_at).
CREATE TABLE password_resets (
  id VARCHAR(36) PRIMARY KEY,
  account_id VARCHAR(36) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  token_hash VARCHAR(64) NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  used_at TIMESTAMPTZ NULL,
  requested_by VARCHAR(200) NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE UNIQUE INDEX password_resets_token_hash ON password_resets (token_hash);
--bun:split
CREATE INDEX password_resets_account ON password_resets (account_id);
--bun:split
-- Counters of requests in a time window: "forgot password" requests per
-- email and per client address, wrong two-factor codes per account. One row
-- per key, bumped by a single upsert, so a limit holds under concurrent
-- requests on both databases.
CREATE TABLE request_counts (
  key VARCHAR(300) PRIMARY KEY,
  count INTEGER NOT NULL,
  window_start TIMESTAMPTZ NOT NULL
);
--bun:split
-- An account's TOTP factor. enabled_at is NULL while it is being enrolled
-- (the secret shown, no code confirmed yet). last_step is the last time
-- step a code was accepted for, so a code is never accepted twice.
CREATE TABLE account_totp (
  account_id VARCHAR(36) PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  secret VARCHAR(128) NOT NULL,
  enabled_at TIMESTAMPTZ NULL,
  last_step BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE TABLE recovery_codes (
  id VARCHAR(36) PRIMARY KEY,
  account_id VARCHAR(36) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  code_hash VARCHAR(64) NOT NULL,
  used_at TIMESTAMPTZ NULL
);
--bun:split
CREATE INDEX recovery_codes_account ON recovery_codes (account_id);
--bun:split
-- The second step of a password sign-in: the password was right, the code
-- is still due. The cookie holds the token; only its hash is stored.
CREATE TABLE signin_challenges (
  id VARCHAR(64) PRIMARY KEY,
  account_id VARCHAR(36) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  attempts INTEGER NOT NULL DEFAULT 0,
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
--bun:split
-- password_only: the session was opened with a password alone (no second
-- factor), so workspaces that require two-factor send it to enrol.
ALTER TABLE sessions ADD COLUMN password_only BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- Every session before this one was opened with a password alone.
UPDATE sessions SET password_only = TRUE;
--bun:split
ALTER TABLE workspaces ADD COLUMN require_2fa BOOLEAN NOT NULL DEFAULT FALSE;
