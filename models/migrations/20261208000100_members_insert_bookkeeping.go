package migrations

// On SQLite a new member's bookkeeping (its search row, its status count,
// the workspace's change token) moves from AFTER INSERT triggers on members
// to the store (models/members_added.go), which writes it for a set of new
// members at once. With any trigger on it, each INSERT into members was a
// write to several tables that might fail part-way (the workspace's
// foreign key is checked at once), so SQLite copied every page the INSERT
// touched (the table and its indexes) into a statement journal first; and
// each member counted itself and bumped the token alone. Updates and
// deletes keep their triggers, and PostgreSQL keeps all of its own.
func init() {
	Migrations.MustRegister(sqliteOnly(
		`DROP TRIGGER IF EXISTS members_search_ai`,
		`DROP TRIGGER IF EXISTS members_count_insert`,
		`DROP TRIGGER IF EXISTS members_changes_insert`,
	), sqliteOnly(
		`CREATE TRIGGER IF NOT EXISTS members_search_ai AFTER INSERT ON members BEGIN
			INSERT INTO member_search_rows (member_id, workspace_id, search_text) VALUES (new.id, new.workspace_id, new.search_text);
		END`,
		`CREATE TRIGGER IF NOT EXISTS members_count_insert AFTER INSERT ON members BEGIN INSERT INTO member_counts (workspace_id, status, n) VALUES (new.workspace_id, new.status, 1)
			ON CONFLICT (workspace_id, status) DO UPDATE SET n = n + 1; END`,
		`CREATE TRIGGER IF NOT EXISTS members_changes_insert AFTER INSERT ON members BEGIN UPDATE workspace_changes SET n = n + 1 WHERE workspace_id = new.workspace_id; END`,
	))
}
