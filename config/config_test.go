package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultsRunOutOfTheBox(t *testing.T) {
	for _, s := range (&Config{}).Settings() {
		t.Setenv(s.Env, s.Default) // pin: the machine's environment must not leak in
		os.Unsetenv(s.Env)
	}
	c, err := Load("muster", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DatabaseURL != "muster.db" || c.BaseURL != "http://localhost:8080" || c.InviteExpiry != 168*time.Hour || c.InvitesPerHour != 100 || c.Secure() {
		t.Errorf("defaults = %+v", c)
	}
}

func TestEnvFlagsAndFiles(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "db-url")
	os.WriteFile(secret, []byte("postgres://u:p@db/muster\n"), 0o600)
	t.Setenv("MUSTER_DATABASE_URL_FILE", secret)
	t.Setenv("MUSTER_BASE_URL", "https://muster.example.com/")
	t.Setenv("MUSTER_INVITES_PER_HOUR", "20")
	c, err := Load("muster", []string{"-addr", "127.0.0.1:9000", "-invite-expiry", "48h"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://u:p@db/muster" || c.BaseURL != "https://muster.example.com" || !c.Secure() ||
		c.Addr != "127.0.0.1:9000" || c.InviteExpiry != 48*time.Hour || c.InvitesPerHour != 20 {
		t.Errorf("loaded = %+v", c)
	}
}

func TestBadValuesAreExplained(t *testing.T) {
	for _, tc := range []struct{ env, value, want string }{
		{"MUSTER_BASE_URL", "muster.example.com", "MUSTER_BASE_URL"},
		{"MUSTER_INVITE_EXPIRY", "7 days", "MUSTER_INVITE_EXPIRY"},
		{"MUSTER_INVITES_PER_HOUR", "0", "MUSTER_INVITES_PER_HOUR"},
		{"MUSTER_LOG_LEVEL", "loud", "MUSTER_LOG_LEVEL"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			if _, err := Load("muster", nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s=%q: err = %v", tc.env, tc.value, err)
			}
		})
	}
}
