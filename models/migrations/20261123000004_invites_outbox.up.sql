-- Invitations: one row per link ever issued. Resending issues a new row and
-- supersedes the old one, so an old link can say exactly why it stopped
-- working. member_id has no foreign key on purpose: the row outlives a
-- revoked or removed member, so their old link says "withdrawn".
CREATE TABLE invites (
  id VARCHAR(36) PRIMARY KEY,
  workspace_id VARCHAR(36) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  member_id VARCHAR(36) NOT NULL,
  token_hash VARCHAR(64) NOT NULL,
  state VARCHAR(16) NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  invited_by_id VARCHAR(36) NULL,
  invited_by_name VARCHAR(200) NOT NULL,
  emailed BOOLEAN NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  ended_at TIMESTAMPTZ NULL
);
--bun:split
CREATE UNIQUE INDEX invites_token_hash ON invites (token_hash);
--bun:split
CREATE INDEX invites_member ON invites (member_id, created_at);
--bun:split
CREATE INDEX invites_workspace_created ON invites (workspace_id, created_at);
--bun:split
-- Emails to send, written in the same transaction as the change that needs
-- them. payload is JSON for the template named by kind; it holds the invite
-- link until the email is sent, and is emptied then.
CREATE TABLE outbox (
  id VARCHAR(36) PRIMARY KEY,
  workspace_id VARCHAR(36) NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  invite_id VARCHAR(36) NULL REFERENCES invites (id) ON DELETE SET NULL,
  kind VARCHAR(32) NOT NULL,
  to_addr VARCHAR(254) NOT NULL,
  to_name VARCHAR(200) NOT NULL DEFAULT '',
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  claimed_until TIMESTAMPTZ NULL,
  last_error TEXT NOT NULL DEFAULT '',
  sent_at TIMESTAMPTZ NULL,
  failed_at TIMESTAMPTZ NULL,
  created_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
--bun:split
CREATE INDEX outbox_invite ON outbox (invite_id);
