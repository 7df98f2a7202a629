-- A SCIM User without an email (RFC 7643 §4.1 requires only userName):
-- the email is '' and only real addresses must be unique in a workspace.
-- The unique index becomes partial; members_by_email keeps the lookups by
-- address and the members table's sort by email on an index.
DROP INDEX members_workspace_email;
--bun:split
CREATE UNIQUE INDEX members_workspace_email ON members (workspace_id, email) WHERE email <> '';
--bun:split
CREATE INDEX members_by_email ON members (workspace_id, email, id);
--bun:split
-- The SCIM User as the identity provider last wrote it (JSON, canonical
-- attribute names, without what Muster owns: id, meta, userName,
-- externalId, active, roles, groups), so every attribute /Schemas
-- advertises comes back as it was sent. '' for a member no identity
-- provider has written: SCIM then shows its columns.
ALTER TABLE members ADD COLUMN scim_attributes TEXT NOT NULL DEFAULT '';
