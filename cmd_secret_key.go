package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/muster-app/muster/config"
	"github.com/muster-app/muster/models"
)

// secretKey is the key that seals identity providers' client secrets:
// MUSTER_SECRET_KEY, or else a key file made on first run beside the
// SQLite database (muster-secret.key in the working directory on
// PostgreSQL, where replicas should share MUSTER_SECRET_KEY instead).
func secretKey(cfg config.Config) ([]byte, error) {
	if cfg.SecretKey != "" {
		key, err := models.ParseSecretKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("MUSTER_SECRET_KEY: %w", err)
		}
		return key, nil
	}
	dir := "."
	if !models.IsPostgres(cfg.DatabaseURL) {
		path := strings.TrimPrefix(strings.TrimPrefix(cfg.DatabaseURL, "sqlite://"), "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		dir = filepath.Dir(path)
	}
	return models.LoadOrCreateKeyFile(filepath.Join(dir, "muster-secret.key"))
}
