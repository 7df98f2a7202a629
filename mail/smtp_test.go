package mail_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/mail"
	"github.com/muster-app/muster/mail/mailtest"
)

func TestSMTPSenderDeliversBothParts(t *testing.T) {
	srv := mailtest.StartServer(t)
	sender := newSMTPSender(t, srv.URL())
	long := strings.Repeat("a long line that quoted-printable has to wrap ", 5)
	err := sender.Send(context.Background(), mail.Message{
		To: "zoe@example.com", ToName: `Zoë "Z" Ørsted`, Subject: "Zoë invited you to join Ünïcode GmbH on Muster",
		Text: "Héllo\n" + long + "\nhttp://muster.test/invite/abc_DEF-123\n", HTML: "<p>Héllo <a href=\"http://muster.test/invite/abc_DEF-123\">x</a></p>",
	})
	if err != nil {
		t.Fatal(err)
	}
	msg := srv.WaitFor(t, "zoe@example.com", 5*time.Second)
	if msg.Subject != "Zoë invited you to join Ünïcode GmbH on Muster" {
		t.Errorf("subject = %q", msg.Subject)
	}
	if !strings.Contains(msg.Text, "Héllo\n"+long+"\n") || msg.Link("http://muster.test/invite/") != "http://muster.test/invite/abc_DEF-123" {
		t.Errorf("text = %q", msg.Text)
	}
	if !strings.Contains(msg.HTML, `<p>Héllo <a href="http://muster.test/invite/abc_DEF-123">x</a></p>`) {
		t.Errorf("html = %q", msg.HTML)
	}
	for _, h := range []string{"Message-Id", "Date", "Auto-Submitted"} {
		if msg.Header.Get(h) == "" {
			t.Errorf("no %s header:\n%s", h, msg.Raw)
		}
	}
	if !strings.HasSuffix(msg.Header.Get("Message-Id"), "@example.com>") {
		t.Errorf("Message-Id = %q, want one in the sender's domain", msg.Header.Get("Message-Id"))
	}
	if addrs, err := msg.Header.AddressList("To"); err != nil || len(addrs) != 1 || addrs[0].Name != `Zoë "Z" Ørsted` || addrs[0].Address != "zoe@example.com" {
		t.Errorf("To = %v, %v (raw %q)", addrs, err, msg.Header.Get("To"))
	}
}

func TestSMTPSenderErrors(t *testing.T) {
	ctx := context.Background()
	m := mail.Message{To: "grace@example.com", Subject: "Hi", Text: "Hi"}

	srv := mailtest.StartServer(t, mailtest.WithAuth("muster", "right"))
	wrong := strings.Replace(srv.URL(), "right", "wrong", 1)
	if err := newSMTPSender(t, wrong).Send(ctx, m); err == nil || !strings.Contains(err.Error(), "535") || mail.IsPermanent(err) {
		t.Errorf("wrong password: err = %v, want a temporary 535 error", err)
	}
	if err := newSMTPSender(t, "smtp://"+srv.Addr()).Send(ctx, m); err == nil || mail.IsPermanent(err) {
		t.Errorf("no credentials where the server wants them: err = %v", err)
	}
	// The test server offers no STARTTLS: tls=mandatory refuses to go on.
	if err := newSMTPSender(t, "smtp://"+srv.Addr()+"?tls=mandatory").Send(ctx, m); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("tls=mandatory without STARTTLS: err = %v", err)
	}
	if err := newSMTPSender(t, srv.URL()).Send(ctx, mail.Message{To: "not an address", Text: "x"}); !mail.IsPermanent(err) {
		t.Errorf("bad recipient: err = %v, want a permanent error", err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("server accepted %d messages", len(srv.Messages()))
	}
	// Nobody listening: a temporary error.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := newSMTPSender(t, "smtp://"+l.Addr().String()).Send(ctx, m); err == nil || mail.IsPermanent(err) {
		t.Errorf("nobody listening: err = %v, want a temporary error", err)
	}
}

func TestMailtestWaitForHandsOutEachMessageOnce(t *testing.T) {
	srv := mailtest.StartServer(t)
	sender := newSMTPSender(t, srv.URL())
	for i, token := range []string{"first", "second"} {
		if err := sender.Send(context.Background(), mail.Message{To: "grace@example.com", Subject: "Invite", Text: "http://x.test/invite/" + token}); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := sender.Send(context.Background(), mail.Message{To: "bob@example.com", Subject: "Invite", Text: "http://x.test/invite/bob"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"first", "second"} {
		if got := srv.WaitFor(t, "grace@example.com", time.Second).Link("http://x.test/invite/"); got != "http://x.test/invite/"+want {
			t.Errorf("WaitFor link = %q, want …/%s", got, want)
		}
	}
	if got := srv.WaitFor(t, "bob@example.com", time.Second).Links(); len(got) != 1 || got[0] != "http://x.test/invite/bob" {
		t.Errorf("bob's links = %v", got)
	}
	if n := len(srv.Messages()); n != 3 {
		t.Errorf("Messages() = %d, want 3", n)
	}
}

func TestMailtestParse(t *testing.T) {
	raw := "From: a@example.com\r\nTo: b@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=outer\r\n\r\n" +
		"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n" +
		"--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"R3LDvMOfZSwg\r\naHR0cDovL3gudGVzdC9pbnZpdGUvdG9r\r\n" +
		"--inner\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"<p>Gr=C3=BC=C3=9Fe</p>=\r\n<a href=3D\"http://x.test/invite/tok\">go</a>\r\n" +
		"--inner--\r\n--outer--\r\n"
	m, err := mailtest.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Grüße" || m.Text != "Grüße, http://x.test/invite/tok" || m.HTML != "<p>Grüße</p><a href=\"http://x.test/invite/tok\">go</a>" {
		t.Errorf("parsed = subject %q text %q html %q", m.Subject, m.Text, m.HTML)
	}
}
