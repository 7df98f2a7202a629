// Package config reads Muster's settings from flags and environment
// variables. Every setting has a flag and a MUSTER_ variable; the flag wins.
// Secrets may also come from a file named by the variable's _FILE twin.
package config

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything a running Muster needs to know.
type Config struct {
	Addr           string
	BaseURL        string
	DatabaseURL    string
	SMTPURL        string
	MailFrom       string
	InviteExpiry   time.Duration
	InvitesPerHour int
	MailPerMinute  int
	SCIMRate       float64
	SCIMLogMaxAge  time.Duration // how long the provisioning log keeps a request
	SCIMLogMaxRows int           // requests kept per workspace; 0 turns the log off
	LogLevel       string
	ProxyHeader    string
	SecretKey      string
}

// Secure reports whether Muster is served over TLS, so cookies get Secure.
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// Setting describes one variable for --help and the README.
type Setting struct {
	Env, Flag, Default, Help string
	target                   *string
}

// Settings lists every setting with its default.
func (c *Config) Settings() []Setting {
	return []Setting{
		{"MUSTER_ADDR", "addr", ":8080", "Address to listen on.", &c.Addr},
		{"MUSTER_BASE_URL", "base-url", "http://localhost:8080", "Public URL of this Muster, used in links in emails. https:// marks cookies Secure.", &c.BaseURL},
		{"MUSTER_DATABASE_URL", "database-url", "muster.db", "A SQLite file, or postgres://user@host/db for PostgreSQL.", &c.DatabaseURL},
		{"MUSTER_SMTP_URL", "smtp-url", "", "smtp://user:pass@host:587 (STARTTLS) or smtps://… ; unset: emails are written to the log.", &c.SMTPURL},
		{"MUSTER_MAIL_FROM", "mail-from", "Muster <muster@localhost>", "Sender of invitation emails.", &c.MailFrom},
		{"MUSTER_INVITE_EXPIRY", "invite-expiry", "168h", "How long an invitation link stays valid in new workspaces.", nil},
		{"MUSTER_INVITES_PER_HOUR", "invites-per-hour", "100", "How many invitations a new workspace may send per hour.", nil},
		{"MUSTER_MAIL_PER_MINUTE", "mail-per-minute", "600", "At most this many emails a minute, spread evenly (a large import is sent at a steady rate).", nil},
		{"MUSTER_SCIM_RATE", "scim-rate", "200", "Requests per second one SCIM token may make (bursts of twice that); 0 for no limit.", nil},
		{"MUSTER_SCIM_LOG_DAYS", "scim-log-days", "30", "Days the SCIM provisioning log keeps a request.", nil},
		{"MUSTER_SCIM_LOG_ROWS", "scim-log-rows", "100000", "Requests the SCIM provisioning log keeps per workspace (the newest); 0 turns the log off.", nil},
		{"MUSTER_LOG_LEVEL", "log-level", "info", "debug, info, warn or error.", &c.LogLevel},
		{"MUSTER_PROXY_HEADER", "proxy-header", "", "Header holding the client address behind a trusted proxy, e.g. X-Forwarded-For.", &c.ProxyHeader},
		{"MUSTER_SECRET_KEY", "secret-key", "", "32 random bytes in base64 (openssl rand -base64 32) that encrypt identity providers' client secrets; unset: muster-secret.key beside the SQLite file (made on first run). Every replica needs the same key.", &c.SecretKey},
	}
}

// Load reads flags from args (without the program name) over the environment.
func Load(name string, args []string) (Config, error) {
	var c Config
	// Settings that are not strings are read as text first and parsed below.
	numbers := map[string]*string{"MUSTER_INVITE_EXPIRY": new(string), "MUSTER_INVITES_PER_HOUR": new(string), "MUSTER_MAIL_PER_MINUTE": new(string), "MUSTER_SCIM_RATE": new(string),
		"MUSTER_SCIM_LOG_DAYS": new(string), "MUSTER_SCIM_LOG_ROWS": new(string)}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	for _, s := range c.Settings() {
		def, err := envOr(s.Env, s.Default)
		if err != nil {
			return c, err
		}
		target := s.target
		if target == nil {
			target = numbers[s.Env]
		}
		fs.StringVar(target, s.Flag, def, s.Help+" ("+s.Env+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	expiry := *numbers["MUSTER_INVITE_EXPIRY"]
	d, err := time.ParseDuration(expiry)
	if err != nil || d < time.Hour {
		return c, fmt.Errorf("MUSTER_INVITE_EXPIRY: want a duration of at least 1h such as 168h, got %q", expiry)
	}
	c.InviteExpiry = d
	perHour := *numbers["MUSTER_INVITES_PER_HOUR"]
	if c.InvitesPerHour, err = strconv.Atoi(perHour); err != nil || c.InvitesPerHour < 1 {
		return c, fmt.Errorf("MUSTER_INVITES_PER_HOUR: want a whole number of at least 1, got %q", perHour)
	}
	perMinute := *numbers["MUSTER_MAIL_PER_MINUTE"]
	if c.MailPerMinute, err = strconv.Atoi(perMinute); err != nil || c.MailPerMinute < 1 {
		return c, fmt.Errorf("MUSTER_MAIL_PER_MINUTE: want a whole number of at least 1, got %q", perMinute)
	}
	rate := *numbers["MUSTER_SCIM_RATE"]
	if c.SCIMRate, err = strconv.ParseFloat(rate, 64); err != nil || c.SCIMRate < 0 {
		return c, fmt.Errorf("MUSTER_SCIM_RATE: want a number of requests per second (0 for no limit), got %q", rate)
	}
	days := *numbers["MUSTER_SCIM_LOG_DAYS"]
	n, err := strconv.Atoi(days)
	if err != nil || n < 1 {
		return c, fmt.Errorf("MUSTER_SCIM_LOG_DAYS: want a whole number of days of at least 1, got %q", days)
	}
	c.SCIMLogMaxAge = time.Duration(n) * 24 * time.Hour
	rows := *numbers["MUSTER_SCIM_LOG_ROWS"]
	if c.SCIMLogMaxRows, err = strconv.Atoi(rows); err != nil || c.SCIMLogMaxRows < 0 {
		return c, fmt.Errorf("MUSTER_SCIM_LOG_ROWS: want a whole number (0 turns the log off), got %q", rows)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("MUSTER_BASE_URL: want an http(s) URL such as https://muster.example.com, got %q", c.BaseURL)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("MUSTER_LOG_LEVEL: want debug, info, warn or error, got %q", c.LogLevel)
	}
	return c, nil
}

// envOr returns the variable, else the contents of the file its _FILE twin
// names (Docker and Kubernetes secrets), else def.
func envOr(key, def string) (string, error) {
	if v, ok := os.LookupEnv(key); ok {
		return v, nil
	}
	if path, ok := os.LookupEnv(key + "_FILE"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", key, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return def, nil
}
