package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-app/muster/mail"
	"github.com/muster-app/muster/models"
)

func TestRenderPasswordReset(t *testing.T) {
	p := models.PasswordResetPayload{Token: "tok_r-1", Name: "Grace Hopper", RequestedBy: "Ada Lovelace", ExpiresAt: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	m, err := mail.Render(outboxFor(t, mail.KindPasswordReset, p), "https://muster.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	link := "https://muster.example.com/reset/tok_r-1"
	if m.Subject != "Reset your Muster password" || !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="`+link+`"`) ||
		!strings.Contains(m.Text, "Ada Lovelace, an admin") || !strings.Contains(m.Text, "10:00 UTC on Monday, 30 November 2026") {
		t.Errorf("rendered:\n%s\n%s\n%s", m.Subject, m.Text, m.HTML)
	}
	// Sent once: the payload is emptied afterwards, and rendering again fails for good.
	if _, err := mail.Render(outboxFor(t, mail.KindPasswordReset, models.PasswordResetPayload{}), "https://x"); !mail.IsPermanent(err) {
		t.Errorf("empty payload: %v", err)
	}
}
