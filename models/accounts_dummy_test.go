package models

import (
	"testing"

	"github.com/alexedwards/argon2id"
)

// TestDummyHash: the hash an unknown email is compared against is a valid
// argon2id hash with the current parameters (so it costs what a real one
// does), matches no password, and is not hashed when the package loads.
func TestDummyHash(t *testing.T) {
	h := dummyHash()
	p, salt, key, err := argon2id.DecodeHash(h)
	if err != nil {
		t.Fatalf("%q: %v", h, err)
	}
	if *p != *PasswordParams || len(salt) != int(PasswordParams.SaltLength) || len(key) != int(PasswordParams.KeyLength) {
		t.Errorf("dummy hash params %+v salt %d key %d, want %+v", *p, len(salt), len(key), *PasswordParams)
	}
	for _, pw := range []string{"", "muster-dummy-password", "correct horse battery staple"} {
		if ok, err := argon2id.ComparePasswordAndHash(pw, h); ok || err != nil {
			t.Errorf("%q against the dummy hash: %v %v", pw, ok, err)
		}
	}
	if dummyHash() == h {
		t.Error("two dummy hashes are the same")
	}
}

// TestPasswordCost: the hashes a server makes meet OWASP's minimum for
// argon2id (19 MiB with 2 passes, or 46 MiB with 1) and hold at most
// 32 MiB each, so sign-ins do not lift the server's peak memory by a
// hundred MiB (tests hash with cheaper parameters, modelstest).
func TestPasswordCost(t *testing.T) {
	p := defaultPasswordParams()
	owasp := (p.Memory >= 19*1024 && p.Iterations >= 2) || (p.Memory >= 46*1024 && p.Iterations >= 1)
	if !owasp || p.Memory > 32*1024 || p.SaltLength < 16 || p.KeyLength < 32 {
		t.Errorf("password hash parameters %+v: want OWASP's argon2id minimum and at most 32 MiB", *p)
	}
}
