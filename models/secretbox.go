package models

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Secrets Muster must give back to someone else (an identity provider's
// client secret) are sealed with AES-256-GCM under Store.SecretKey before
// they reach the database: a copy of the database alone does not reveal
// them. The key comes from MUSTER_SECRET_KEY, or from a key file made on
// first run (LoadOrCreateKeyFile).

// ErrNoSecretKey: the store has no key to seal or open secrets with.
var ErrNoSecretKey = errors.New("no secret key configured (MUSTER_SECRET_KEY)")

// ParseSecretKey reads a key written as base64 (standard or URL-safe, with
// or without padding) of exactly 32 bytes.
func ParseSecretKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("want 32 random bytes in base64, such as the output of `openssl rand -base64 32`")
}

// LoadOrCreateKeyFile reads the key in path, or writes a new random one
// there (readable by the owner only) when the file does not exist yet.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, perr := ParseSecretKey(string(b))
		if perr != nil {
			return nil, fmt.Errorf("%s: %w", path, perr)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	// O_EXCL: two processes starting at once must not each write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreateKeyFile(path)
	} else if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

func (s *Store) aead() (cipher.AEAD, error) {
	if len(s.SecretKey) != 32 {
		return nil, ErrNoSecretKey
	}
	block, err := aes.NewCipher(s.SecretKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts plain; context (here the workspace id) is bound as
// additional data, so a sealed value copied to another row does not open.
func (s *Store) seal(plain, context string) (string, error) {
	aead, err := s.aead()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, []byte(plain), []byte(context))
	return "v1:" + base64.RawStdEncoding.EncodeToString(out), nil
}

// open reverses seal.
func (s *Store) open(sealed, context string) (string, error) {
	aead, err := s.aead()
	if err != nil {
		return "", err
	}
	raw, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", errors.New("sealed secret: unknown format")
	}
	b, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(b) < aead.NonceSize() {
		return "", errors.New("sealed secret: damaged")
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(context))
	if err != nil {
		return "", errors.New("sealed secret: cannot open it with this MUSTER_SECRET_KEY (was the key changed?)")
	}
	return string(plain), nil
}
