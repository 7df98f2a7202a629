// Package mail sends the emails that Muster's operations queue in the
// outbox: a Worker claims due messages, renders them from embedded
// templates, and hands them to a Sender (SMTP, or the log when no mail
// server is configured).
package mail

import (
	"context"
	"errors"
	"log/slog"
)

// Message is one rendered email.
type Message struct {
	To, ToName string
	Subject    string
	Text, HTML string // the plain-text and HTML bodies
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// PermanentError marks a failure that trying again cannot fix (an unknown
// template, a malformed address): the worker gives the message up at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or an error it wraps, is permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// LogSender writes emails to a logger instead of sending them: what Muster
// does when MUSTER_SMTP_URL is unset, so invitation links can still be
// found (they can also be copied in the members table).
type LogSender struct {
	Log *slog.Logger
}

// Send logs the recipient, the subject and the plain-text body.
func (l LogSender) Send(ctx context.Context, m Message) error {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "email not sent (MUSTER_SMTP_URL is not set); it would have said:",
		"to", m.To, "subject", m.Subject, "text", m.Text)
	return nil
}
