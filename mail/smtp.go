package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPTimeout bounds connecting to the mail server and each command.
const SMTPTimeout = 30 * time.Second

// SMTPSender sends through an SMTP server. One connection per message: the
// worker sends a few messages a minute, and a fresh connection never finds
// itself timed out by the server.
type SMTPSender struct {
	// go-mail's Client adjusts its own settings while authenticating, so
	// sends take turns.
	mu       sync.Mutex
	client   *gomail.Client
	from     *netmail.Address
	domain   string // for Message-IDs
	Redacted string // the URL without its password, for logs
}

// smtpConfig is what an SMTP URL says.
type smtpConfig struct {
	host        string
	port        int
	user, pass  string
	implicitTLS bool // smtps://: TLS from the first byte
	policy      gomail.TLSPolicy
}

// parseSMTPURL reads MUSTER_SMTP_URL:
//
//	smtp://user:pass@host:587   STARTTLS; required when there are credentials
//	                            and the host is not this machine
//	smtp://host:25              STARTTLS when the server offers it
//	smtps://user:pass@host:465  TLS from the start
//
// The port defaults to 587 for smtp:// and 465 for smtps://. A tls query
// parameter overrides the STARTTLS policy: tls=mandatory always requires it,
// tls=none never uses it (a relay on a private network that cannot do TLS;
// credentials then travel in the clear).
func parseSMTPURL(raw string) (smtpConfig, error) {
	var c smtpConfig
	u, err := url.Parse(raw)
	if err != nil {
		// url's error repeats the URL, password and all.
		return c, fmt.Errorf("MUSTER_SMTP_URL: not a URL; want smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	redacted := u.Redacted()
	bad := func(format string, args ...any) (smtpConfig, error) {
		return c, fmt.Errorf("MUSTER_SMTP_URL %q: "+format, append([]any{redacted}, args...)...)
	}
	switch u.Scheme {
	case "smtp":
		c.port = 587
	case "smtps":
		c.port, c.implicitTLS = 465, true
	default:
		return bad("want smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS)")
	}
	c.host = u.Hostname()
	if c.host == "" {
		return bad("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("port %q is not a port number", p)
		}
		c.port = n
	}
	if u.Path != "" && u.Path != "/" {
		return bad("unexpected path %q", u.Path)
	}
	if u.User != nil {
		c.user = u.User.Username()
		c.pass, _ = u.User.Password()
		if c.user == "" {
			return bad("a password without a user name")
		}
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return bad("unknown parameter %q (the only one is tls=mandatory|opportunistic|none)", k)
		}
	}
	c.policy = gomail.TLSOpportunistic
	if c.user != "" && !isLoopback(c.host) {
		c.policy = gomail.TLSMandatory // never send a password in the clear by accident
	}
	switch tls := q.Get("tls"); tls {
	case "":
	case "mandatory":
		c.policy = gomail.TLSMandatory
	case "opportunistic":
		if c.user != "" && !isLoopback(c.host) {
			return bad("tls=opportunistic could send the password in the clear; use tls=mandatory, or tls=none if you mean it")
		}
		c.policy = gomail.TLSOpportunistic
	case "none":
		c.policy = gomail.NoTLS
	default:
		return bad("tls=%q: want mandatory, opportunistic or none", tls)
	}
	if c.implicitTLS && q.Get("tls") != "" {
		return bad("smtps:// always uses TLS; the tls parameter is for smtp://")
	}
	return c, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewSMTPSender checks the SMTP URL and the sender address (for example
// "Muster <muster@example.com>") and returns a sender for them. It does not
// connect: a mail server that is down at startup only delays the emails.
func NewSMTPSender(smtpURL, from string) (*SMTPSender, error) {
	c, err := parseSMTPURL(smtpURL)
	if err != nil {
		return nil, err
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("MUSTER_MAIL_FROM %q: want an address such as \"Muster <muster@example.com>\": %v", from, err)
	}
	opts := []gomail.Option{gomail.WithPort(c.port), gomail.WithTimeout(SMTPTimeout)}
	if c.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(c.policy))
	}
	if c.user != "" {
		// PLAIN and LOGIN are what every server offers; go-mail refuses them
		// without TLS except towards this machine, unless tls=none said so.
		mechs := []gomail.SMTPAuthType{gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
		if c.policy == gomail.NoTLS {
			mechs = []gomail.SMTPAuthType{gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
		}
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(mechs...),
			gomail.WithUsername(c.user), gomail.WithPassword(c.pass))
	}
	client, err := gomail.NewClient(c.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("MUSTER_SMTP_URL: %w", err)
	}
	domain := addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	u, _ := url.Parse(smtpURL)
	return &SMTPSender{client: client, from: addr, domain: domain, Redacted: u.Redacted()}, nil
}

// Send delivers m. An address the message cannot be built with is a
// permanent error; anything the server or the network says is not.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.SetAddrHeader(gomail.HeaderFrom, s.from.String()); err != nil {
		return Permanent(fmt.Errorf("sender address: %w", err))
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		return Permanent(fmt.Errorf("recipient address %q: %w", m.To, err))
	}
	to.Name = m.ToName
	if err := msg.To(to.String()); err != nil {
		return Permanent(fmt.Errorf("recipient address %q: %w", m.To, err))
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(randomHex(16) + "@" + s.domain)
	msg.SetUserAgent("Muster")
	// Ask auto-responders (out of office) not to answer.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("SMTP %s: %w", s.client.ServerAddr(), err)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
