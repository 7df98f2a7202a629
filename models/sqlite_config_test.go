//go:build !sqlite_ncruces && !sqlite_mattn

package models

import "testing"

func TestSQLiteStatementJournalInMemory(t *testing.T) {
	if sqliteConfigRC != 0 {
		t.Fatalf("sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL) = %d, want 0 (SQLite was initialised before models' init)", sqliteConfigRC)
	}
}

func TestSQLiteMallocInstalled(t *testing.T) {
	if sqliteMallocRC != 0 {
		t.Fatalf("sqlite3_config(SQLITE_CONFIG_MALLOC) = %d, want 0", sqliteMallocRC)
	}
}
