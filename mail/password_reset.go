package mail

import (
	"bytes"
	"errors"
	"net/url"
	"strings"

	"github.com/muster-app/muster/models"
)

// KindPasswordReset is the outbox kind of password reset emails.
const KindPasswordReset = models.KindPasswordReset

// ResetLink is where a password reset token is used.
func ResetLink(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/reset/" + url.PathEscape(token)
}

type resetData struct {
	models.PasswordResetPayload
	Subject string
	Link    string
	Expires string
}

// RenderPasswordReset renders a reset email's subject and bodies.
func RenderPasswordReset(p models.PasswordResetPayload, baseURL string) (subject, text, html string, err error) {
	if p.Token == "" {
		return "", "", "", Permanent(errors.New("password reset payload has no token (already sent?)"))
	}
	d := resetData{PasswordResetPayload: p, Link: ResetLink(baseURL, p.Token),
		Expires: p.ExpiresAt.UTC().Format("15:04 MST on Monday, 2 January 2006")}
	if d.Subject, err = execText("password_reset.subject.txt", d); err != nil {
		return "", "", "", err
	}
	d.Subject = oneLine(d.Subject)
	if text, err = execText("password_reset.txt", d); err != nil {
		return "", "", "", err
	}
	var b bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&b, "password_reset.html", d); err != nil {
		return "", "", "", Permanent(err)
	}
	return d.Subject, text, b.String(), nil
}
