package models

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ErrNotFound: the thing asked for does not exist (or is not visible to the caller).
var ErrNotFound = errors.New("not found")

// ErrInvalidCredentials is the one answer to a wrong email or a wrong
// password, so sign-in never tells which accounts exist.
var ErrInvalidCredentials = errors.New("that email and password do not match an account")

// ValidationError carries one message per form field.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// validator collects field errors; err returns nil when there were none.
type validator map[string]string

func (v validator) add(field, msg string) {
	if _, ok := v[field]; !ok {
		v[field] = msg
	}
}

func (v validator) err() error {
	if len(v) == 0 {
		return nil
	}
	return &ValidationError{Fields: v}
}

// ConflictError: the change collides with existing data (a taken email, a
// last admin who would be left out). Code says which, so the UI can offer
// the way out (resend the pending invite, reactivate the member).
type ConflictError struct {
	Field    string
	Code     string // ConflictMember, ConflictPending, ConflictDeactivated, ConflictLastAdmin, …
	Message  string
	MemberID string // the member the conflict is about, where there is one
}

// Conflict codes.
const (
	ConflictMember      = "member"
	ConflictPending     = "pending"
	ConflictDeactivated = "deactivated"
	ConflictLastAdmin   = "last_admin"
	ConflictState       = "state"
	ConflictAccount     = "account"
)

func (e *ConflictError) Error() string { return e.Message }

// isUniqueViolation tells a unique index's refusal from other errors, on
// either database (pgdriver writes "SQLSTATE=23505", pgx "SQLSTATE 23505").
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE=23505") || strings.Contains(msg, "SQLSTATE 23505")
}

// isBusy tells SQLite's "database is locked" (SQLITE_BUSY: another
// connection kept the write lock through all of busy_timeout), as each
// driver words it.
func isBusy(err error) bool {
	return err != nil && strings.Contains(err.Error(), "database is locked")
}

// isForeignKeyViolation tells a refused reference (a row that was just
// deleted) from other errors, on either database.
func isForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "FOREIGN KEY constraint failed") || strings.Contains(msg, "SQLSTATE=23503") || strings.Contains(msg, "SQLSTATE 23503")
}

// isDeadlock tells PostgreSQL's deadlock error (40P01: the transaction was
// rolled back), as either driver words it.
func isDeadlock(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "SQLSTATE=40P01") || strings.Contains(err.Error(), "SQLSTATE 40P01"))
}

// RateLimitedError: too many attempts; try again after RetryAfter.
type RateLimitedError struct {
	RetryAfter time.Duration
	What       string // what hit the limit; "" for sign-in attempts
}

func (e *RateLimitedError) Error() string {
	mins := int(e.RetryAfter.Round(time.Minute) / time.Minute)
	if mins < 1 {
		mins = 1
	}
	unit := "minutes"
	if mins == 1 {
		unit = "minute"
	}
	if e.What != "" {
		return fmt.Sprintf("%s Try again in %d %s.", e.What, mins, unit)
	}
	return fmt.Sprintf("Too many attempts. Please wait %d %s and try again.", mins, unit)
}

// PreconditionFailedError: the caller changed a resource it last saw at an
// older version (SCIM If-Match); it should read it again.
type PreconditionFailedError struct {
	Version int // the current version
}

func (e *PreconditionFailedError) Error() string {
	return fmt.Sprintf("the resource has changed since you read it (it is now at version %d)", e.Version)
}

// ErrQueryTimeout: a list query ran past Store.ListTimeout and was stopped,
// so that one slow filter or search cannot hold the connection pool.
var ErrQueryTimeout = errors.New("the query took too long and was stopped")
