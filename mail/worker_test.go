package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-app/muster/mail"
	"github.com/muster-app/muster/mail/mailtest"
	"github.com/muster-app/muster/models"
	"github.com/muster-app/muster/models/modelstest"
)

const baseURL = "http://muster.test:8080"

// queueInvite invites a person through the Invite operation, which queues
// the email, and returns the invite's and the email's ids and the token.
func queueInvite(t *testing.T, s *models.Store, to, name string) (inviteID, outboxID, token string) {
	t.Helper()
	f := fixture(t, s)
	_, token, err := s.Invite(context.Background(), f.actor, f.ws, models.InviteInput{Name: name, Email: to, RoleID: f.memberRole})
	if err != nil {
		t.Fatal(err)
	}
	var msg models.OutboxMessage
	if err := s.DB().NewSelect().Model(&msg).Where("to_addr = ?", to).OrderExpr("created_at DESC, id DESC").Limit(1).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if msg.InviteID == nil {
		t.Fatal("the invite email has no invite id")
	}
	return *msg.InviteID, msg.ID, token
}

type testFixture struct {
	ws         *models.Workspace
	admin      *models.Member
	actor      models.Actor
	memberRole string
}

var fixtures sync.Map // *models.Store → *testFixture

// fixture sets the store up once (an admin, Ada Lovelace, in Acme).
func fixture(t *testing.T, s *models.Store) *testFixture {
	t.Helper()
	if f, ok := fixtures.Load(s); ok {
		return f.(*testFixture)
	}
	ctx := context.Background()
	acc, ws := modelstest.SetUp(t, s)
	admin, _, err := s.Membership(ctx, ws.ID, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	roles, err := s.Roles(ctx, ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	f := &testFixture{ws: ws, admin: admin, actor: models.MemberActor(admin)}
	for _, r := range roles {
		if r.Name == "Member" {
			f.memberRole = r.ID
		}
	}
	fixtures.Store(s, f)
	t.Cleanup(func() { fixtures.Delete(s) })
	return f
}

func newSMTPSender(t *testing.T, url string) *mail.SMTPSender {
	t.Helper()
	sender, err := mail.NewSMTPSender(url, "Muster <muster@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	return sender
}

func quietLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestWorkerSendsInviteOverSMTP(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		srv := mailtest.StartServer(t, mailtest.WithAuth("muster", "s3cret"))
		w := &mail.Worker{Store: s, Sender: newSMTPSender(t, srv.URL()), BaseURL: baseURL, Log: quietLog(t),
			Interval: time.Hour} // only Wake (or the first poll) can find the message
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); w.Run(ctx) }()
		defer func() { cancel(); <-done }()

		inviteID, outboxID, token := queueInvite(t, s, "grace@example.com", "Grace Hopper")
		w.Wake()

		msg := srv.WaitFor(t, "GRACE@example.com", 10*time.Second)
		if msg.Subject != "Ada Lovelace invited you to join Acme on Muster" {
			t.Errorf("subject = %q", msg.Subject)
		}
		if msg.From != "muster@example.com" || msg.Auth != "muster" || len(msg.To) != 1 {
			t.Errorf("envelope from %q to %v, auth %q", msg.From, msg.To, msg.Auth)
		}
		if got := msg.Header.Get("To"); !strings.Contains(got, "Grace Hopper") || !strings.Contains(got, "<grace@example.com>") {
			t.Errorf("To: %q", got)
		}
		if got := msg.Header.Get("From"); got != `"Muster" <muster@example.com>` && got != "Muster <muster@example.com>" {
			t.Errorf("From: %q", got)
		}
		link := baseURL + "/invite/" + token
		if got := msg.Link(baseURL + "/invite/"); got != link {
			t.Errorf("link in the text part = %q, want %q\n%s", got, link, msg.Text)
		}
		if !strings.Contains(msg.HTML, `href="`+link+`"`) {
			t.Errorf("HTML part lacks the link:\n%s", msg.HTML)
		}

		// The worker marks the row after the server took the message.
		deadline := time.Now().Add(10 * time.Second)
		var row *models.OutboxMessage
		for row = modelstest.Outbox(t, s, outboxID); row.SentAt == nil && time.Now().Before(deadline); row = modelstest.Outbox(t, s, outboxID) {
			time.Sleep(5 * time.Millisecond)
		}
		if row.SentAt == nil || row.Payload != "{}" || row.Attempts != 0 || row.ClaimedUntil != nil {
			t.Errorf("outbox row after sending: %+v", row)
		}
		st, err := s.OutboxStatus(context.Background(), []string{inviteID})
		if err != nil {
			t.Fatal(err)
		}
		if !st[inviteID].Sent {
			t.Errorf("OutboxStatus = %+v, want Sent", st[inviteID])
		}
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("server received %d messages, want 1", n)
		}
	})
}

func TestWorkerRetriesWithBackoffThenGivesUp(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := modelstest.FakeClock(s)
		srv := mailtest.StartServer(t)
		w := &mail.Worker{Store: s, Sender: newSMTPSender(t, srv.URL()), BaseURL: baseURL, Log: quietLog(t),
			MaxAttempts: 3, Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute }}
		inviteID, outboxID, _ := queueInvite(t, s, "grace@example.com", "Grace Hopper")
		t0 := clock.Now()

		srv.Fail(451, "Greylisted, try again later", "rcpt")
		if n, err := w.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		row := modelstest.Outbox(t, s, outboxID)
		if row.Attempts != 1 || !row.NextAttemptAt.Equal(t0.Add(time.Minute)) || !strings.Contains(row.LastError, "451") ||
			row.SentAt != nil || row.FailedAt != nil || row.ClaimedUntil != nil || row.Payload == "{}" {
			t.Fatalf("after the first failure: %+v", row)
		}
		st, _ := s.OutboxStatus(ctx, []string{inviteID})
		if got := st[inviteID]; !got.Pending || got.Attempts != 1 || !strings.Contains(got.LastError, "Greylisted") {
			t.Errorf("OutboxStatus after one failure = %+v", got)
		}
		if n, _ := w.RunOnce(ctx); n != 0 {
			t.Fatalf("RunOnce before the backoff ended attempted %d", n)
		}

		clock.Add(time.Minute)
		srv.Fail(550, "Mailbox unavailable", "data")
		if n, err := w.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		row = modelstest.Outbox(t, s, outboxID)
		if row.Attempts != 2 || !row.NextAttemptAt.Equal(t0.Add(3*time.Minute)) || !strings.Contains(row.LastError, "550") || row.FailedAt != nil {
			t.Fatalf("after the second failure: %+v", row)
		}

		clock.Add(2 * time.Minute)
		if n, err := w.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		row = modelstest.Outbox(t, s, outboxID)
		if row.Attempts != 3 || row.FailedAt == nil || !row.FailedAt.Equal(clock.Now()) || row.Payload != "{}" || row.SentAt != nil {
			t.Fatalf("after MaxAttempts failures: %+v", row)
		}
		st, _ = s.OutboxStatus(ctx, []string{inviteID})
		if got := st[inviteID]; !got.Failed || got.Pending || got.Attempts != 3 || !strings.Contains(got.LastError, "Mailbox unavailable") {
			t.Errorf("OutboxStatus after giving up = %+v, want Failed", got)
		}

		srv.Fail(0, "", "")
		clock.Add(24 * time.Hour)
		if n, _ := w.RunOnce(ctx); n != 0 {
			t.Errorf("a failed message was attempted again")
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("server accepted %d messages", n)
		}
	})
}

// fakeSender records messages and fails as told.
type fakeSender struct {
	mu    sync.Mutex
	sent  []mail.Message
	times []time.Time
	fail  []error // one per call while there are any
	hook  func()
}

func (f *fakeSender) Send(ctx context.Context, m mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hook != nil {
		f.hook()
	}
	f.times = append(f.times, time.Now())
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		return err
	}
	f.sent = append(f.sent, m)
	return nil
}

func TestWorkerRecoversAfterTemporaryFailure(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := modelstest.FakeClock(s)
		sender := &fakeSender{fail: []error{errors.New("dial tcp 127.0.0.1:25: connection refused")}}
		w := &mail.Worker{Store: s, Sender: sender, BaseURL: baseURL, Log: quietLog(t)}
		_, outboxID, token := queueInvite(t, s, "grace@example.com", "Grace Hopper")
		w.RunOnce(ctx)
		if row := modelstest.Outbox(t, s, outboxID); row.Attempts != 1 || !row.NextAttemptAt.Equal(clock.Now().Add(30*time.Second)) {
			t.Fatalf("after a failure with the default backoff: %+v", row)
		}
		clock.Add(30 * time.Second)
		if n, err := w.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		if row := modelstest.Outbox(t, s, outboxID); row.SentAt == nil || row.Payload != "{}" || row.Attempts != 1 || row.LastError == "" {
			t.Errorf("after sending on the second attempt: %+v", row)
		}
		if len(sender.sent) != 1 || !strings.Contains(sender.sent[0].Text, baseURL+"/invite/"+token) {
			t.Errorf("sent %+v", sender.sent)
		}
	})
}

func TestWorkerGivesUpAtOnceOnPermanentErrors(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		modelstest.FakeClock(s)
		sender := &fakeSender{fail: []error{mail.Permanent(errors.New("recipient address: no"))}}
		w := &mail.Worker{Store: s, Sender: sender, BaseURL: baseURL, Log: quietLog(t)}
		_, bad, _ := queueInvite(t, s, "grace@example.com", "Grace Hopper")
		_, unknown, _ := queueInvite(t, s, "bob@example.com", "Bob")
		if _, err := s.DB().NewUpdate().Model((*models.OutboxMessage)(nil)).Set("kind = 'newsletter'").Where("id = ?", unknown).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := w.RunOnce(ctx); n != 2 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		for id, want := range map[string]string{bad: "recipient address: no", unknown: `no email template for kind "newsletter"`} {
			if row := modelstest.Outbox(t, s, id); row.FailedAt == nil || row.Attempts != 1 || row.LastError != want || row.Payload != "{}" {
				t.Errorf("after a permanent error: %+v, want last error %q", row, want)
			}
		}
		if len(sender.times) != 1 {
			t.Errorf("sender called %d times, want 1 (the unknown kind is never sent)", len(sender.times))
		}
	})
}

func TestWorkerReleasesUnattemptedClaimsWhenStopped(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		modelstest.FakeClock(s)
		sender := &fakeSender{hook: cancel} // shut down during the first send
		w := &mail.Worker{Store: s, Sender: sender, BaseURL: baseURL, Log: quietLog(t)}
		var ids []string
		for i := range 3 {
			_, id, _ := queueInvite(t, s, fmt.Sprintf("p%d@example.com", i), fmt.Sprint("Person ", i))
			ids = append(ids, id)
		}
		if n, err := w.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("RunOnce = %d, %v; want 1 attempted before the stop", n, err)
		}
		sent := 0
		for _, id := range ids {
			row := modelstest.Outbox(t, s, id)
			if row.SentAt != nil {
				sent++ // the send in flight is finished and recorded
			} else if row.ClaimedUntil != nil || row.Attempts != 0 {
				t.Errorf("an unattempted message was not released: %+v", row)
			}
		}
		if sent != 1 {
			t.Errorf("%d sent, want 1", sent)
		}
		if got, err := s.ClaimOutbox(context.Background(), 10, time.Minute); err != nil || len(got) != 2 {
			t.Errorf("claim after release = %d messages, %v; want 2", len(got), err)
		}
	})
}

func TestWorkerMinGap(t *testing.T) {
	s := modelstest.Open(t, "sqlite")
	sender := &fakeSender{}
	const gap = 40 * time.Millisecond
	w := &mail.Worker{Store: s, Sender: sender, BaseURL: baseURL, Log: quietLog(t), MinGap: gap, Batch: 2}
	for i := range 3 {
		queueInvite(t, s, fmt.Sprintf("p%d@example.com", i), fmt.Sprint("Person ", i))
	}
	for range 2 { // two batches: the gap holds across them
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(sender.times) != 3 {
		t.Fatalf("sent %d, want 3", len(sender.times))
	}
	for i := 1; i < len(sender.times); i++ {
		if d := sender.times[i].Sub(sender.times[i-1]); d < gap {
			t.Errorf("gap between sends %d and %d = %s, want at least %s", i-1, i, d, gap)
		}
	}
}

func TestLogSenderWritesTheLink(t *testing.T) {
	var buf bytes.Buffer
	sender := mail.LogSender{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	m, err := mail.Render(outboxFor(t, "invite", invitePayload()), baseURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"to=grace@example.com", `subject="Ada Lovelace invited you to join Acme on Muster"`, baseURL + "/invite/tok_abc-123"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestWorkerSkipsEmailsWhoseLinkIsDead(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := modelstest.FakeClock(s)
		sender := &fakeSender{}
		w := &mail.Worker{Store: s, Sender: sender, BaseURL: baseURL, Log: quietLog(t)}
		oldInvite, oldEmail, _ := queueInvite(t, s, "grace@example.com", "Grace Hopper")
		f := fixture(t, s)
		var grace models.Member
		if err := s.DB().NewSelect().Model(&grace).Where("email = ?", "grace@example.com").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Second) // e.g. while the mail server was down
		if _, err := s.ResendInvite(ctx, f.actor, f.ws, grace.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := w.RunOnce(ctx); n != 2 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		if len(sender.sent) != 1 {
			t.Fatalf("sent %d emails, want only the resent one", len(sender.sent))
		}
		row := modelstest.Outbox(t, s, oldEmail)
		if row.FailedAt == nil || row.LastError != "not sent: the invitation was superseded" || row.Payload != "{}" {
			t.Errorf("the superseded invitation's email: %+v", row)
		}
		if st, _ := s.OutboxStatus(ctx, []string{oldInvite}); !st[oldInvite].Failed {
			t.Errorf("OutboxStatus(old) = %+v", st[oldInvite])
		}
	})
}
