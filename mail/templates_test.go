package mail_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/mail"
	"github.com/muster-app/muster/models"
)

func invitePayload() models.InvitePayload {
	return models.InvitePayload{
		Token: "tok_abc-123", InviteeName: "Grace Hopper", WorkspaceName: "Acme", InviterName: "Ada Lovelace",
		RoleNames: []string{"Admin", "Customer Success"}, ExpiresAt: time.Date(2026, 11, 30, 9, 5, 0, 0, time.UTC),
	}
}

func outboxFor(t *testing.T, kind string, p any) models.OutboxMessage {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return models.OutboxMessage{ID: "m1", Kind: kind, ToAddr: "grace@example.com", ToName: "Grace Hopper", Payload: string(b)}
}

func TestRenderInvite(t *testing.T) {
	m, err := mail.Render(outboxFor(t, "invite", invitePayload()), "https://muster.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	if m.To != "grace@example.com" || m.ToName != "Grace Hopper" {
		t.Errorf("recipient = %q %q", m.ToName, m.To)
	}
	if m.Subject != "Ada Lovelace invited you to join Acme on Muster" {
		t.Errorf("subject = %q", m.Subject)
	}
	link := "https://muster.example.com/invite/tok_abc-123"
	for _, want := range []string{"Hi Grace Hopper,", "Ada Lovelace invited you to join Acme", "with the Admin and Customer Success roles",
		"\n" + link + "\n", "expires on Monday, 30 November 2026 at 09:05 UTC", "ask Ada Lovelace to send you a new one", "Didn't expect this invitation?"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	for _, want := range []string{`<a href="` + link + `"`, ">Accept invitation</a>", ">" + link + "</a>", "<strong>Acme</strong>",
		"Monday, 30 November 2026 at 09:05 UTC", "Didn't expect this invitation?"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %q:\n%s", want, m.HTML)
		}
	}
}

func TestRenderInviteEscapesAndDefaults(t *testing.T) {
	p := invitePayload()
	p.WorkspaceName = `<script>alert(1)</script> & Co`
	p.InviterName = ""
	p.InviteeName = ""
	p.RoleNames = []string{"Member"}
	o := outboxFor(t, "invite", p)
	o.ToName = ""
	m, err := mail.Render(o, "http://localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "You're invited to join <script>alert(1)</script> & Co on Muster" {
		t.Errorf("subject = %q", m.Subject)
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co") {
		t.Errorf("HTML does not escape the workspace name:\n%s", m.HTML)
	}
	for _, want := range []string{"Hello,", "You have been invited to join", "with the Member role", "ask an admin of"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}

	// A name with a line break cannot add a header.
	p = invitePayload()
	p.InviterName = "Eve\r\nBcc: all@example.com"
	if m, err = mail.Render(outboxFor(t, "invite", p), "http://localhost:8080"); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject has a line break: %q", m.Subject)
	}
}

func TestRenderFailuresArePermanent(t *testing.T) {
	for name, o := range map[string]models.OutboxMessage{
		"unknown kind":   outboxFor(t, "newsletter", invitePayload()),
		"bad payload":    {Kind: "invite", ToAddr: "grace@example.com", Payload: "not json"},
		"emptied (sent)": {Kind: "invite", ToAddr: "grace@example.com", Payload: "{}"},
	} {
		if _, err := mail.Render(o, "http://localhost:8080"); err == nil || !mail.IsPermanent(err) {
			t.Errorf("%s: err = %v, want a permanent error", name, err)
		}
	}
}
