package mail

import (
	"strings"
	"testing"

	gomail "github.com/wneessen/go-mail"
)

func TestParseSMTPURL(t *testing.T) {
	good := []struct {
		url         string
		host        string
		port        int
		user, pass  string
		implicitTLS bool
		policy      gomail.TLSPolicy
	}{
		{"smtp://ada:s3cret@mail.example.com:587", "mail.example.com", 587, "ada", "s3cret", false, gomail.TLSMandatory},
		{"smtp://ada:s%2Fcr%40t@mail.example.com", "mail.example.com", 587, "ada", "s/cr@t", false, gomail.TLSMandatory},
		{"smtp://mail.example.com:25", "mail.example.com", 25, "", "", false, gomail.TLSOpportunistic},
		{"smtp://relay.internal:25?tls=mandatory", "relay.internal", 25, "", "", false, gomail.TLSMandatory},
		{"smtp://ada:s3cret@127.0.0.1:2525", "127.0.0.1", 2525, "ada", "s3cret", false, gomail.TLSOpportunistic},
		{"smtp://ada:s3cret@localhost:2525", "localhost", 2525, "ada", "s3cret", false, gomail.TLSOpportunistic},
		{"smtp://ada:s3cret@[::1]:2525", "::1", 2525, "ada", "s3cret", false, gomail.TLSOpportunistic},
		{"smtp://ada:s3cret@mailpit:1025?tls=none", "mailpit", 1025, "ada", "s3cret", false, gomail.NoTLS},
		{"smtps://ada:s3cret@mail.example.com", "mail.example.com", 465, "ada", "s3cret", true, gomail.TLSMandatory},
		{"smtps://mail.example.com:2465", "mail.example.com", 2465, "", "", true, gomail.TLSOpportunistic},
	}
	for _, g := range good {
		c, err := parseSMTPURL(g.url)
		if err != nil {
			t.Errorf("parseSMTPURL(%q): %v", g.url, err)
			continue
		}
		if c.host != g.host || c.port != g.port || c.user != g.user || c.pass != g.pass || c.implicitTLS != g.implicitTLS {
			t.Errorf("parseSMTPURL(%q) = %+v", g.url, c)
		}
		if !g.implicitTLS && c.policy != g.policy {
			t.Errorf("parseSMTPURL(%q) policy = %v, want %v", g.url, c.policy, g.policy)
		}
	}
	bad := map[string]string{
		"http://ada:s3cret@mail.example.com":                   "want smtp://",
		"mail.example.com:587":                                 "want smtp://",
		"smtp://":                                              "no host",
		"smtp://ada:s3cret@mail.example.com:99999":             "not a port",
		"smtp://ada:s3cret@mail.example.com/x":                 "unexpected path",
		"smtp://:s3cret@mail.example.com":                      "without a user name",
		"smtp://mail.example.com?starttls=1":                   "unknown parameter",
		"smtp://mail.example.com?tls=maybe":                    "want mandatory",
		"smtp://ada:s3cret@mail.example.com?tls=opportunistic": "in the clear",
		"smtps://ada:s3cret@mail.example.com?tls=none":         "always uses TLS",
		"smtp://ada:s3cret@mail.example.com:587\x7f":           "not a URL",
	}
	for raw, want := range bad {
		_, err := parseSMTPURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseSMTPURL(%q) = %v, want an error saying %q", raw, err, want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("parseSMTPURL(%q): error shows the password: %v", raw, err)
		}
		if !strings.HasPrefix(err.Error(), "MUSTER_SMTP_URL") {
			t.Errorf("parseSMTPURL(%q): error does not name the setting: %v", raw, err)
		}
	}
}

func TestNewSMTPSenderChecksFrom(t *testing.T) {
	if _, err := NewSMTPSender("smtp://127.0.0.1:25", "not an address"); err == nil || !strings.HasPrefix(err.Error(), "MUSTER_MAIL_FROM") {
		t.Errorf("bad from: err = %v", err)
	}
	s, err := NewSMTPSender("smtp://ada:s3cret@127.0.0.1:25", "Muster <muster@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	if s.domain != "example.com" || strings.Contains(s.Redacted, "s3cret") {
		t.Errorf("sender = domain %q, redacted %q", s.domain, s.Redacted)
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := map[int]string{0: "30s", 1: "30s", 2: "1m0s", 3: "2m0s", 6: "16m0s", 7: "32m0s", 8: "1h0m0s", 50: "1h0m0s"}
	for attempt, w := range want {
		if got := DefaultBackoff(attempt).String(); got != w {
			t.Errorf("DefaultBackoff(%d) = %s, want %s", attempt, got, w)
		}
	}
}
