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
