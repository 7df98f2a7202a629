-- A revoked invitation keeps its member row (status 'revoked'), so it can be
-- found and invited again. Its roles leave member_roles (role counts, SCIM
-- Groups and role changes see only real members) and are kept here, as
-- space-separated role ids, for "Invite again".
ALTER TABLE members ADD COLUMN revoked_role_ids TEXT NOT NULL DEFAULT '';
