package mail

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"unicode"

	"github.com/muster-app/muster/models"
)

// Each kind of email has three templates: <kind>.subject.txt,
// <kind>.txt (the plain-text body) and <kind>.html.
//
//go:embed templates
var templateFS embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.New("").Option("missingkey=error").ParseFS(templateFS, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Option("missingkey=error").ParseFS(templateFS, "templates/*.html"))
)

// KindInvite is the outbox kind of invitation emails.
const KindInvite = "invite"

// InviteLink is where an invitation's token is accepted.
func InviteLink(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/invite/" + url.PathEscape(token)
}

// Render builds the email an outbox message asks for. An unknown kind or an
// unreadable payload is a permanent error: sending again would not help.
func Render(m models.OutboxMessage, baseURL string) (Message, error) {
	msg := Message{To: m.ToAddr, ToName: m.ToName}
	var err error
	switch m.Kind {
	case KindInvite:
		var p models.InvitePayload
		if err := json.Unmarshal([]byte(m.Payload), &p); err != nil {
			return msg, Permanent(fmt.Errorf("invite payload: %w", err))
		}
		if p.InviteeName == "" {
			p.InviteeName = m.ToName
		}
		msg.Subject, msg.Text, msg.HTML, err = RenderInvite(p, baseURL)
	case KindPasswordReset:
		var p models.PasswordResetPayload
		if err := json.Unmarshal([]byte(m.Payload), &p); err != nil {
			return msg, Permanent(fmt.Errorf("password reset payload: %w", err))
		}
		msg.Subject, msg.Text, msg.HTML, err = RenderPasswordReset(p, baseURL)
	default:
		err = Permanent(fmt.Errorf("no email template for kind %q", m.Kind))
	}
	return msg, err
}

// inviteData is what the invite templates see.
type inviteData struct {
	models.InvitePayload
	Subject  string
	Link     string
	RoleText string // "with the Admin role", "with the Admin and Support roles", or ""
	Expires  string // "Monday, 30 November 2026 at 09:00 UTC"
}

// RenderInvite renders an invitation's subject and bodies.
func RenderInvite(p models.InvitePayload, baseURL string) (subject, text, html string, err error) {
	if p.Token == "" {
		return "", "", "", Permanent(errors.New("invite payload has no token (already sent?)"))
	}
	d := inviteData{
		InvitePayload: p,
		Link:          InviteLink(baseURL, p.Token),
		Expires:       p.ExpiresAt.UTC().Format("Monday, 2 January 2006 at 15:04 MST"),
	}
	if n := len(p.RoleNames); n == 1 {
		d.RoleText = "with the " + p.RoleNames[0] + " role"
	} else if n > 1 {
		d.RoleText = "with the " + strings.Join(p.RoleNames[:n-1], ", ") + " and " + p.RoleNames[n-1] + " roles"
	}
	if d.Subject, err = execText("invite.subject.txt", d); err != nil {
		return "", "", "", err
	}
	d.Subject = oneLine(d.Subject)
	if text, err = execText("invite.txt", d); err != nil {
		return "", "", "", err
	}
	var b bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&b, "invite.html", d); err != nil {
		return "", "", "", Permanent(err)
	}
	return d.Subject, text, b.String(), nil
}

func execText(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&b, name, data); err != nil {
		return "", Permanent(err)
	}
	return b.String(), nil
}

// oneLine makes a header value of s: control characters (line breaks
// included) become spaces, runs of spaces one.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}
