package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/muster-app/muster/models/modelstest"
)

// TestResetPasswordCommand prints a link for a locked-out admin, which then
// sets a new password once.
func TestResetPasswordCommand(t *testing.T) {
	ctx := context.Background()
	dbPath, store := commandStore(t)
	modelstest.SetUp(t, store)

	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := resetPasswordCmd(append(args, "-database-url", dbPath, "-base-url", "https://muster.example.com"), &out)
		return out.String(), err
	}
	out, err := run("-email", "ADA@example.com")
	if err != nil {
		t.Fatalf("reset-password: %v", err)
	}
	link := regexp.MustCompile(`(?m)^https://muster\.example\.com/reset/(\S+)$`).FindStringSubmatch(out)
	if link == nil || !strings.Contains(out, "ada@example.com") {
		t.Fatalf("printed:\n%s", out)
	}
	if _, err := store.ResetPassword(ctx, link[1], "a password from the shell", "a password from the shell"); err != nil {
		t.Fatalf("the printed link does not work: %v", err)
	}
	if _, err := store.Authenticate(ctx, "ada@example.com", "a password from the shell", "127.0.0.1"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, err := store.ResetPassword(ctx, link[1], "again a password", "again a password"); err == nil {
		t.Error("the link worked twice")
	}
	if _, err := run("-email", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Errorf("unknown email: %v", err)
	}
	if _, err := run(); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("no email: %v", err)
	}
	if _, err := run("-email", "ada@example.com", "-password", "x"); err == nil {
		t.Error("a -password flag was accepted")
	}
}
