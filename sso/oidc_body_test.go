package sso

import (
	"errors"
	"strings"
	"testing"
)

// TestWithoutBody: a discovery failure shows the status, never the body an
// internal address answered.
func TestWithoutBody(t *testing.T) {
	if got := withoutBody(errors.New("404 Not Found: <html>secret admin page</html>")); got != "404 Not Found" {
		t.Errorf("got %q", got)
	}
	if got := withoutBody(errors.New(`Get "http://x/.well-known/openid-configuration": dial tcp: connection refused`)); !strings.Contains(got, "connection refused") {
		t.Errorf("got %q", got)
	}
	if got := withoutBody(errors.New(strings.Repeat("x", 1000))); len(got) > 310 {
		t.Errorf("%d bytes", len(got))
	}
}
