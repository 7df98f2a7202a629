package models

import (
	"errors"
	"testing"
)

// TestConstraintErrorsEachDriver: a unique or foreign-key refusal is known
// by the message each driver writes (see sqlite_driver_*.go, pg_driver_*.go):
// a driver whose wording is missed here turns a SCIM 409 into a 500.
func TestConstraintErrorsEachDriver(t *testing.T) {
	for _, msg := range []string{
		"constraint failed: UNIQUE constraint failed: members.email (2067)",          // modernc
		"sqlite3: constraint failed: UNIQUE constraint failed: members.email",        // ncruces
		"UNIQUE constraint failed: members.email",                                    // mattn
		`ERROR: duplicate key value violates unique constraint "x" (SQLSTATE=23505)`, // pgdriver
		`ERROR: duplicate key value violates unique constraint "x" (SQLSTATE 23505)`, // pgx
	} {
		if !isUniqueViolation(errors.New(msg)) {
			t.Errorf("isUniqueViolation(%q) = false", msg)
		}
	}
	for _, msg := range []string{
		"constraint failed: FOREIGN KEY constraint failed (787)",
		`ERROR: insert or update violates foreign key constraint "x" (SQLSTATE=23503)`,
		`ERROR: insert or update violates foreign key constraint "x" (SQLSTATE 23503)`,
	} {
		if !isForeignKeyViolation(errors.New(msg)) {
			t.Errorf("isForeignKeyViolation(%q) = false", msg)
		}
	}
	if isUniqueViolation(errors.New("ERROR: deadlock detected (SQLSTATE 40P01)")) {
		t.Error("a deadlock taken for a unique violation")
	}
}
