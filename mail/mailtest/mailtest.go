// Package mailtest runs a real SMTP server on loopback inside a test, so
// tests can send mail through Muster's SMTP sender and read what arrived:
//
//	srv := mailtest.StartServer(t)
//	// … configure Muster with srv.URL() and invite grace@example.com …
//	msg := srv.WaitFor(t, "grace@example.com", 10*time.Second)
//	link := msg.Link("http://127.0.0.1:8080/invite/")
package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one email the server received, parsed.
type Message struct {
	From    string   // the envelope sender (MAIL FROM)
	To      []string // the envelope recipients (RCPT TO)
	Header  netmail.Header
	Subject string // decoded
	Text    string // the text/plain part, decoded, lines ending in \n ("" if none)
	HTML    string // the text/html part, likewise ("" if none)
	Raw     []byte // the message as received
	// Auth is the user name the client authenticated as ("" if it did not).
	Auth string
}

var linkRE = regexp.MustCompile(`https?://[^\s<>"')\]]+`)

// Links returns every http(s) URL in the text part, in order (the HTML part
// when there is no text part).
func (m Message) Links() []string {
	body := m.Text
	if body == "" {
		body = m.HTML
	}
	return linkRE.FindAllString(body, -1)
}

// Link returns the first link that starts with prefix, or "".
func (m Message) Link(prefix string) string {
	for _, l := range m.Links() {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// Server is an SMTP server on 127.0.0.1 that keeps what it receives.
type Server struct {
	srv  *smtp.Server
	addr string
	user string
	pass string

	mu      sync.Mutex
	msgs    []Message
	taken   map[int]bool
	fail    *smtp.SMTPError
	failAt  string
	arrived chan struct{} // closed and replaced on every message
}

// Option configures StartServer.
type Option func(*Server)

// WithAuth makes the server require AUTH PLAIN with this user and password
// (allowed without TLS: it listens on loopback only). URL includes them.
func WithAuth(user, password string) Option {
	return func(s *Server) { s.user, s.pass = user, password }
}

// StartServer starts a server on a free loopback port; it stops when the
// test ends.
func StartServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{taken: map[int]bool{}, arrived: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxMessageBytes = 10 << 20
	logger := &testLogger{t: t}
	s.srv.ErrorLog = logger
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			logger.Printf("serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		s.srv.Close()
		l.Close() // in case Serve had not registered it yet
		<-done
		logger.stop()
	})
	return s
}

// testLogger logs to the test until it ends: connections may still be
// closing after that, and logging to a finished test panics.
type testLogger struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (l *testLogger) Printf(format string, v ...any) { l.log(fmt.Sprintf(format, v...)) }
func (l *testLogger) Println(v ...any)               { l.log(fmt.Sprintln(v...)) }

func (l *testLogger) log(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Log("mailtest: " + strings.TrimSpace(s))
	}
}

func (l *testLogger) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL is an smtp:// URL for the server, for MUSTER_SMTP_URL.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.addr}
	if s.user != "" {
		u.User = url.UserPassword(s.user, s.pass)
	}
	return u.String()
}

// Fail makes the server answer every following RCPT TO (at "rcpt") or end
// of DATA (at "data") with this SMTP error, such as 451 (try again later)
// or 550 (mailbox unavailable). Fail(0, "", "") makes it accept again.
func (s *Server) Fail(code int, message, at string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		s.fail, s.failAt = nil, ""
		return
	}
	if at != "rcpt" && at != "data" {
		panic(`mailtest: Fail at "rcpt" or "data"`)
	}
	enh := smtp.EnhancedCode{code / 100, 0, 0}
	s.fail, s.failAt = &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: message}, at
}

func (s *Server) failure(at string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil && s.failAt == at {
		return s.fail
	}
	return nil
}

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits for a message to the address to (compared case-insensitively
// with the envelope recipients) that no earlier WaitFor returned, and
// returns it, failing the test after timeout. Calling it again waits for the
// next one: after resending an invitation, the second call returns the
// second email.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i, m := range s.msgs {
			if s.taken[i] {
				continue
			}
			for _, rcpt := range m.To {
				if strings.EqualFold(rcpt, to) {
					s.taken[i] = true
					s.mu.Unlock()
					return m
				}
			}
		}
		arrived := s.arrived
		n := len(s.msgs)
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-deadline.C:
			t.Fatalf("mailtest: no email to %s within %s (%d received in all)", to, timeout, n)
			return Message{}
		}
	}
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

type session struct {
	srv  *Server
	auth string
	from string
	to   []string
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)

func (ss *session) AuthMechanisms() []string {
	if ss.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || ss.srv.user == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != ss.srv.user || pass != ss.srv.pass {
			return smtp.ErrAuthFailed
		}
		ss.auth = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.user != "" && ss.auth == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.srv.failure("rcpt"); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.srv.failure("data"); err != nil {
		return err
	}
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "mailtest: " + err.Error()}
	}
	m.From, m.To, m.Auth = ss.from, append([]string(nil), ss.to...), ss.auth
	ss.srv.add(m)
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// Parse reads a raw message: its headers, decoded subject, and its
// text/plain and text/html parts (the first of each, at any depth of
// multipart nesting), with their transfer encoding undone.
func Parse(raw []byte) (Message, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	m := Message{Header: msg.Header, Raw: raw}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return m, fmt.Errorf("subject: %w", err)
	}
	err = walk(&m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m, err
}

func walk(m *Message, contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart() // raw: we undo the transfer encoding ourselves
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(m, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s part: %w", mt, err)
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return fmt.Errorf("%s part: charset %q (mailtest reads UTF-8 only)", mt, cs)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n") // SMTP's line ends
	switch {
	case mt == "text/plain" && m.Text == "":
		m.Text = text
	case mt == "text/html" && m.HTML == "":
		m.HTML = text
	}
	return nil
}

// newlineStripper drops CR and LF, which base64 bodies are wrapped with.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
