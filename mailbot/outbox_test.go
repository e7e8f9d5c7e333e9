package mailbot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/store"
	"github.com/emersion/go-smtp"
)

// The outbox tests drive the real Outbox and SMTP sender against a
// recording server, with a real database.

const recFrom = "betterdays@localhost"

// recLogWriter sends log lines to the test's log, shown on failure or -v.
type recLogWriter struct{ t *testing.T }

func (w recLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func recLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(recLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func recOpenStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "mailbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// recBody is a whole message; its dot-led line checks SMTP dot-stuffing.
func recBody(rcpt string, n int) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: test %d\r\nMessage-ID: <%d@localhost>\r\n\r\nHello %d.\r\n.a line starting with a dot\r\n", recFrom, rcpt, n, n, n))
}

// recEnqueue queues body for rcpt as the handlers do, created at created.
func recEnqueue(t *testing.T, st *store.Store, rcpt string, body []byte, created time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := st.Write(ctx, func(tx *store.Tx) error {
		var err error
		id, err = tx.Enqueue(ctx, store.OutMessage{
			Kind: "test", MessageID: fmt.Sprintf("<%s-%d@localhost>", rcpt, created.UnixNano()),
			MailFrom: recFrom, Rcpt: rcpt, Body: body,
		}, created)
		return err
	})
	if err != nil {
		t.Fatalf("Enqueue(%s) = %v", rcpt, err)
	}
	return id
}

// recRow returns the one outbox row for rcpt.
func recRow(t *testing.T, st *store.Store, rcpt string) store.OutboxMessage {
	t.Helper()
	rows, err := st.OutboxByRcpt(context.Background(), rcpt)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("OutboxByRcpt(%s) = %d rows, want 1", rcpt, len(rows))
	}
	return rows[0]
}

// recWaitFor polls cond every 10ms for up to 10s.
func recWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recWaitStatus waits until rcpt's row has status and returns it.
func recWaitStatus(t *testing.T, st *store.Store, rcpt, status string) store.OutboxMessage {
	t.Helper()
	var row store.OutboxMessage
	recWaitFor(t, rcpt+" "+status, func() bool {
		row = recRow(t, st, rcpt)
		return row.Status == status
	})
	return row
}

// recNewOutbox is an outbox sending to the server at addr.
func recNewOutbox(t *testing.T, st *store.Store, addr string, base, giveUp time.Duration) *Outbox {
	log := recLogger(t)
	sender := NewSMTPSender(Endpoint{Host: addr}, "localhost", log.With("part", "smtp"))
	return NewOutbox(st, sender, SystemClock, log.With("part", "outbox"), base, giveUp)
}

// recRun runs ob until the returned stop is called (or the test ends);
// stop reports Run's result, failing the test if Run takes over 5s to
// return.
func recRun(t *testing.T, ob *Outbox) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	var err error
	stopped := false
	stop = func() error {
		t.Helper()
		if stopped {
			return err
		}
		stopped = true
		cancel()
		select {
		case err = <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Outbox.Run did not return within 5s of its context being cancelled")
		}
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestOutboxRetriesTemporaryFailure(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Replies: []mailtest.Reply{{Err: mailtest.Temp("greylisted, try again")}, {}}})
	st := recOpenStore(t)
	const rcpt = "carer@example.org"
	body := recBody(rcpt, 1)
	recEnqueue(t, st, rcpt, body, time.Now())
	stop := recRun(t, recNewOutbox(t, st, rs.Addr, 20*time.Millisecond, time.Hour))

	row := recWaitStatus(t, st, rcpt, "sent")
	if err := stop(); err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
	if got, want := row.Attempts, 2; got != want {
		t.Errorf("row.Attempts = %d, want %d", got, want)
	}
	if row.LastError != "" {
		t.Errorf("row.LastError = %q, want empty once sent", row.LastError)
	}
	if got, want := rs.DataCalls(), 2; got != want {
		t.Errorf("server DATA commands = %d, want %d", got, want)
	}
	acc := rs.Accepted()
	if len(acc) != 1 {
		t.Fatalf("server accepted %d messages, want 1", len(acc))
	}
	if got, want := acc[0].From, recFrom; got != want {
		t.Errorf("MAIL FROM = %q, want %q", got, want)
	}
	if got, want := strings.Join(acc[0].To, ","), rcpt; got != want {
		t.Errorf("RCPT TO = %q, want %q", got, want)
	}
	if !bytes.Equal(acc[0].Data, body) {
		t.Errorf("message data = %q, want %q", acc[0].Data, body)
	}
	// The refused transaction was reset and the connection kept.
	if got, want := rs.Conns(), 1; got != want {
		t.Errorf("server connections = %d, want %d", got, want)
	}
}

func TestOutboxPermanentFailure(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Reply: func(int, mailtest.Received) mailtest.Reply {
		return mailtest.Reply{Err: mailtest.Perm("5.1.1 mailbox unavailable: no such user here")}
	}})
	st := recOpenStore(t)
	const rcpt = "nobody@example.org"
	recEnqueue(t, st, rcpt, recBody(rcpt, 1), time.Now())
	ob := recNewOutbox(t, st, rs.Addr, 20*time.Millisecond, time.Hour)
	defer ob.Close()

	ctx := context.Background()
	for i := range 2 { // the second pass must find nothing to do
		sent, err := ob.Drain(ctx)
		if sent != 0 || err != nil {
			t.Errorf("Drain() #%d = %d, %v, want 0, nil", i+1, sent, err)
		}
	}
	row := recRow(t, st, rcpt)
	if got, want := row.Status, "failed"; got != want {
		t.Errorf("row.Status = %q, want %q", got, want)
	}
	if got, want := row.Attempts, 1; got != want {
		t.Errorf("row.Attempts = %d, want %d", got, want)
	}
	for _, want := range []string{"550", "no such user here"} {
		if !strings.Contains(row.LastError, want) {
			t.Errorf("row.LastError = %q, want it to contain %q", row.LastError, want)
		}
	}
	if got := len(rs.Accepted()); got != 0 {
		t.Errorf("server accepted %d messages, want 0", got)
	}
	if got, want := rs.DataCalls(), 1; got != want {
		t.Errorf("server DATA commands = %d, want %d", got, want)
	}
}

func TestOutboxReusesConnection(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	st := recOpenStore(t)
	const n = 20
	now := time.Now()
	var want []string
	for i := range n {
		rcpt := fmt.Sprintf("person%02d@example.org", i)
		recEnqueue(t, st, rcpt, recBody(rcpt, i), now)
		want = append(want, rcpt)
	}
	ob := recNewOutbox(t, st, rs.Addr, 20*time.Millisecond, time.Hour)
	sent, err := ob.Drain(context.Background())
	if sent != n || err != nil {
		t.Errorf("Drain() = %d, %v, want %d, nil", sent, err, n)
	}
	if err := ob.senders[0].Close(); err != nil {
		t.Errorf("sender.Close() = %v, want nil", err)
	}
	if got, want := rs.Conns(), 1; got != want {
		t.Errorf("server connections = %d, want %d", got, want)
	}
	var got []string
	for _, m := range rs.Accepted() {
		got = append(got, strings.Join(m.To, ","))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("accepted recipients = %v, want %v (queue order)", got, want)
	}
	for _, rcpt := range want {
		if row := recRow(t, st, rcpt); row.Status != "sent" || row.Attempts != 1 {
			t.Errorf("row for %s = %s after %d attempts, want sent after 1", rcpt, row.Status, row.Attempts)
		}
	}
	// Close said QUIT: the server saw the session end.
	recWaitFor(t, "the server to see the connection closed", func() bool { return rs.Ended() == 1 })
}

// A refusal of one message does not cost the connection: the transaction is
// reset and the next message goes over the same one.
func TestOutboxReusesConnectionAfterRefusal(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Replies: []mailtest.Reply{{Err: mailtest.Temp("busy")}, {Err: mailtest.Perm("rejected")}}})
	st := recOpenStore(t)
	now := time.Now()
	for i, rcpt := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		recEnqueue(t, st, rcpt, recBody(rcpt, i), now)
	}
	ob := recNewOutbox(t, st, rs.Addr, time.Hour, 2*time.Hour)
	defer ob.Close()
	if sent, err := ob.Drain(context.Background()); sent != 1 || err != nil {
		t.Errorf("Drain() = %d, %v, want 1, nil", sent, err)
	}
	for _, tt := range []struct{ rcpt, status string }{
		{"a@example.org", "queued"},
		{"b@example.org", "failed"},
		{"c@example.org", "sent"},
	} {
		if got := recRow(t, st, tt.rcpt).Status; got != tt.status {
			t.Errorf("status of %s = %q, want %q", tt.rcpt, got, tt.status)
		}
	}
	if got, want := rs.Conns(), 1; got != want {
		t.Errorf("server connections = %d, want %d", got, want)
	}
}

func TestOutboxConnectionDroppedAfterData(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Replies: []mailtest.Reply{{Drop: true}, {}}})
	st := recOpenStore(t)
	const rcpt = "volunteer@example.org"
	body := recBody(rcpt, 1)
	recEnqueue(t, st, rcpt, body, time.Now())
	stop := recRun(t, recNewOutbox(t, st, rs.Addr, 20*time.Millisecond, time.Hour))

	row := recWaitStatus(t, st, rcpt, "sent")
	stop()
	if got, want := row.Attempts, 2; got != want {
		t.Errorf("row.Attempts = %d, want %d", got, want)
	}
	if got, want := rs.Drops(), 1; got != want {
		t.Errorf("server drops = %d, want %d", got, want)
	}
	if acc := rs.Accepted(); len(acc) != 1 || !bytes.Equal(acc[0].Data, body) {
		t.Errorf("server accepted %d messages, want 1 with the queued body", len(acc))
	}
	// The broken connection was abandoned and a new one opened.
	if got, want := rs.Conns(), 2; got != want {
		t.Errorf("server connections = %d, want %d", got, want)
	}
}

func TestOutboxServerNotListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now

	st := recOpenStore(t)
	const rcpt = "someone@example.org"
	recEnqueue(t, st, rcpt, recBody(rcpt, 1), time.Now())
	ob := recNewOutbox(t, st, addr, 20*time.Millisecond, time.Hour)
	if sent, err := ob.Drain(context.Background()); sent != 0 || err != nil {
		t.Errorf("Drain() = %d, %v, want 0, nil", sent, err)
	}
	row := recRow(t, st, rcpt)
	if got, want := row.Status, "queued"; got != want {
		t.Errorf("row.Status = %q, want %q", got, want)
	}
	if got, want := row.Attempts, 1; got != want {
		t.Errorf("row.Attempts = %d, want %d", got, want)
	}
	if want := "connect to SMTP server " + addr; !strings.Contains(row.LastError, want) {
		t.Errorf("row.LastError = %q, want it to contain %q", row.LastError, want)
	}

	// The server comes up on that port: the message goes on the next try.
	probe, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again (%v): skipping the recovery half", addr, err)
	}
	probe.Close()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Addr: addr})
	stop := recRun(t, ob)
	row = recWaitStatus(t, st, rcpt, "sent")
	stop()
	if got, want := row.Attempts, 2; got != want {
		t.Errorf("row.Attempts = %d, want %d", got, want)
	}
	if got := len(rs.Accepted()); got != 1 {
		t.Errorf("server accepted %d messages, want 1", got)
	}
}

func TestOutboxGiveUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		giveUp     time.Duration
		wantStatus string
		wantErr    []string
	}{
		{"zero", 0, "failed", []string{"gave up after 1 attempts", "451", "mailbox busy"}},
		{"tiny", time.Millisecond, "failed", []string{"gave up after 1 attempts", "451", "mailbox busy"}},
		{"not yet", time.Hour, "queued", []string{"451 mailbox busy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Reply: func(int, mailtest.Received) mailtest.Reply {
				return mailtest.Reply{Err: mailtest.Temp("mailbox busy")}
			}})
			st := recOpenStore(t)
			const rcpt = "late@example.org"
			// Queued a second ago: older than the give-up time.
			recEnqueue(t, st, rcpt, recBody(rcpt, 1), time.Now().Add(-time.Second))
			ob := recNewOutbox(t, st, rs.Addr, time.Hour, tt.giveUp)
			defer ob.Close()
			if sent, err := ob.Drain(context.Background()); sent != 0 || err != nil {
				t.Errorf("Drain() = %d, %v, want 0, nil", sent, err)
			}
			row := recRow(t, st, rcpt)
			if row.Status != tt.wantStatus || row.Attempts != 1 {
				t.Errorf("row = %s after %d attempts, want %s after 1", row.Status, row.Attempts, tt.wantStatus)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(row.LastError, want) {
					t.Errorf("row.LastError = %q, want it to contain %q", row.LastError, want)
				}
			}
		})
	}
}

// Run returns promptly once its context is cancelled, whether idle, waiting
// to retry, or holding an open connection, and closes that connection.
func TestOutboxRunStopsOnCancel(t *testing.T) {
	tests := []struct {
		name    string
		replies []mailtest.Reply // nil: nothing queued
	}{
		{"idle", nil},
		{"waiting to retry", []mailtest.Reply{{Err: mailtest.Temp("later")}}},
		{"connection open", []mailtest.Reply{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Replies: tt.replies})
			st := recOpenStore(t)
			const rcpt = "x@example.org"
			if tt.replies != nil {
				recEnqueue(t, st, rcpt, recBody(rcpt, 1), time.Now())
			}
			// A long retry wait, so a retry is pending when Run is stopped.
			stop := recRun(t, recNewOutbox(t, st, rs.Addr, time.Hour, 2*time.Hour))
			if tt.replies != nil {
				recWaitFor(t, "the first attempt", func() bool { return recRow(t, st, rcpt).Attempts == 1 })
			}
			start := time.Now()
			if err := stop(); err != nil {
				t.Errorf("Run() = %v, want nil", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Run took %v to return after cancel, want under 1s", d)
			}
			recWaitFor(t, "every SMTP session closed", func() bool { return rs.Ended() == rs.Conns() })
		})
	}
}

// With a user name, the sender logs in; on loopback a server without
// STARTTLS may take the password.
func TestOutboxLogsInOnLoopback(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	st := recOpenStore(t)
	const rcpt = "p@example.org"
	recEnqueue(t, st, rcpt, recBody(rcpt, 1), time.Now())
	log := recLogger(t)
	ep := Endpoint{Host: rs.Addr, User: "betterdays@council.example", Password: "pa55-word"}
	ob := NewOutbox(st, NewSMTPSender(ep, "localhost", log), SystemClock, log, time.Hour, 2*time.Hour)
	defer ob.Close()
	if sent, err := ob.Drain(context.Background()); sent != 1 || err != nil {
		t.Errorf("Drain() = %d, %v, want 1, nil", sent, err)
	}
	if got, want := strings.Join(rs.Logins(), " "), "betterdays@council.example:pa55-word"; got != want {
		t.Errorf("server logins = %q, want %q", got, want)
	}
}

// A connection the server closed while it sat idle costs one attempt, not
// the message: the sender opens a new connection for the retry.
func TestOutboxServerClosedIdleConnection(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	st := recOpenStore(t)
	recEnqueue(t, st, "first@example.org", recBody("first@example.org", 1), time.Now())
	ob := recNewOutbox(t, st, rs.Addr, 20*time.Millisecond, time.Hour)
	if sent, err := ob.Drain(context.Background()); sent != 1 || err != nil {
		t.Fatalf("Drain() = %d, %v, want 1, nil", sent, err)
	}
	rs.DropConns()
	recWaitFor(t, "the server to end the idle session", func() bool { return rs.Ended() == 1 })

	const rcpt = "second@example.org"
	recEnqueue(t, st, rcpt, recBody(rcpt, 2), time.Now())
	stop := recRun(t, ob)
	row := recWaitStatus(t, st, rcpt, "sent")
	stop()
	// Today the dead connection is found by trying it, which counts as an
	// attempt; a sender that redialled at once would make that 1.
	if row.Attempts < 1 || row.Attempts > 2 {
		t.Errorf("row.Attempts = %d, want 1 or 2", row.Attempts)
	}
	if got, want := len(rs.Accepted()), 2; got != want {
		t.Errorf("server accepted %d messages, want %d", got, want)
	}
	if got, want := rs.Conns(), 2; got != want {
		t.Errorf("server connections = %d, want %d", got, want)
	}
}

// Regression: smtpSender.Close once called Client.Quit only, and go-smtp leaves the connection open when Quit
// fails ("If Quit fails the connection is not closed, Close should be
// used"). A server that already hung up makes Quit fail with EOF, so every
// such Close (Run's idle timer, Run's return, Service.Once) leaked a socket
// until the garbage collector finds it.
func TestOutboxSenderCloseReleasesConnection(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	st := recOpenStore(t)
	recEnqueue(t, st, "a@example.org", recBody("a@example.org", 1), time.Now())
	ob := recNewOutbox(t, st, rs.Addr, time.Hour, 2*time.Hour)
	if sent, err := ob.Drain(context.Background()); sent != 1 || err != nil {
		t.Fatalf("Drain() = %d, %v, want 1, nil", sent, err)
	}
	client := ob.senders[0].(*smtpSender).client
	rs.DropConns()
	recWaitFor(t, "the server to end the session", func() bool { return rs.Ended() == 1 })
	if err := ob.senders[0].Close(); err == nil {
		t.Fatal("sender.Close() = nil, want an error from QUIT on a closed connection")
	}
	// Closing the client again fails only if Close above released it.
	if err := client.Close(); err == nil {
		t.Errorf("client.Close() after sender.Close() = nil, want an error: sender.Close left the connection open")
	}
}

// Wake sends what was queued at once, where Run would otherwise sleep until
// the next message it knew of (an hour when there was none).
func TestOutboxRunWake(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	st := recOpenStore(t)
	ob := recNewOutbox(t, st, rs.Addr, time.Hour, 2*time.Hour)
	ob.Wake()
	ob.Wake() // never blocks, even with nobody listening
	recEnqueue(t, st, "first@example.org", recBody("first@example.org", 1), time.Now())
	stop := recRun(t, ob)
	recWaitStatus(t, st, "first@example.org", "sent")

	// Run now waits with nothing queued; the handlers queue and wake it.
	start := time.Now()
	recEnqueue(t, st, "second@example.org", recBody("second@example.org", 2), time.Now())
	ob.Wake()
	recWaitStatus(t, st, "second@example.org", "sent")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("woken outbox took %v to send, want well under 5s", d)
	}
	stop()
	if got, want := len(rs.Accepted()), 2; got != want {
		t.Errorf("server accepted %d messages, want %d", got, want)
	}
}

// A server that cannot be reached costs one attempt per pass, not one per
// queued message: a newsletter queue must not hammer a server that is down.
func TestOutboxUnavailableWaitsWholeQueue(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	st := recOpenStore(t)
	rcpts := []string{"a@example.org", "b@example.org", "c@example.org"}
	for i, r := range rcpts {
		recEnqueue(t, st, r, recBody(r, i), time.Now())
	}
	ob := recNewOutbox(t, st, addr, time.Minute, time.Hour)
	if sent, err := ob.Drain(context.Background()); sent != 0 || err != nil {
		t.Fatalf("Drain() = %d, %v, want 0, nil", sent, err)
	}
	attempts := 0
	for _, r := range rcpts {
		row := recRow(t, st, r)
		if row.Status != "queued" {
			t.Errorf("%s: status %q, want queued", r, row.Status)
		}
		attempts += row.Attempts
	}
	if attempts != 1 {
		t.Errorf("%d attempts across the queue, want 1", attempts)
	}
}

// "530 Authentication required" at MAIL FROM is about the session, not the
// message: it must not fail the message for good.
func TestOutboxAuthRequiredIsNotPermanent(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Replies: []mailtest.Reply{
		{Err: &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}},
		{},
	}})
	st := recOpenStore(t)
	const rcpt = "someone@example.org"
	recEnqueue(t, st, rcpt, recBody(rcpt, 1), time.Now())
	ob := recNewOutbox(t, st, rs.Addr, 10*time.Millisecond, time.Hour)
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if row := recRow(t, st, rcpt); row.Status != "queued" {
		t.Fatalf("after 530: status %q (%s), want queued", row.Status, row.LastError)
	}
	recRun(t, ob)
	recWaitStatus(t, st, rcpt, "sent")
}

// A message whose previous outcome could not be recorded is not sent: the
// connection is closed before the end of its data, so the server drops it,
// and the next message goes over a new connection.
func TestOutboxSendAfterNotReady(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	s := NewSMTPSender(Endpoint{Host: rs.Addr}, "localhost", recLogger(t))
	defer s.Close()
	const rcpt = "someone@example.org"
	notRecorded := fmt.Errorf("database is locked")
	err := s.SendAfter(context.Background(), "bot@localhost", rcpt, recBody(rcpt, 1), func() error { return notRecorded })
	if err != notRecorded {
		t.Fatalf("SendAfter = %v, want the error from ready", err)
	}
	recWaitFor(t, "the session to end", func() bool { return rs.Ended() == 1 })
	if got := rs.DataCalls(); got != 0 {
		t.Errorf("the server finished %d DATA, want 0: the message must not be complete", got)
	}
	if err := s.SendAfter(context.Background(), "bot@localhost", rcpt, recBody(rcpt, 2), func() error { return nil }); err != nil {
		t.Fatalf("SendAfter after a refused ready = %v", err)
	}
	if got := len(rs.Accepted()); got != 1 || rs.Conns() != 2 {
		t.Errorf("accepted %d over %d connections, want 1 over 2", got, rs.Conns())
	}
}

// countConn counts the writes that reach the connection.
type countConn struct {
	net.Conn
	writes int
}

func (c *countConn) Write(p []byte) (int, error) {
	c.writes++
	return c.Conn.Write(p)
}

// What the client writes before it next reads goes out in one write, in
// order, and a large message does not wait for the read.
func TestBatchConn(t *testing.T) {
	t.Parallel()
	client, server := net.Pipe()
	defer server.Close()
	cc := &countConn{Conn: client}
	bc := &batchConn{Conn: cc}
	defer bc.Close()
	// A read that does not send what was held back waits for ever.
	bc.SetDeadline(time.Now().Add(5 * time.Second))
	// The server answers each time it has the next n bytes.
	answer := func(n int) <-chan []byte {
		got := make(chan []byte, 1)
		go func() {
			all := make([]byte, n)
			if _, err := io.ReadFull(server, all); err != nil {
				t.Error(err)
			}
			server.Write([]byte("250 ok\r\n"))
			got <- all
		}()
		return got
	}
	reply := func() {
		t.Helper()
		b := make([]byte, 8)
		if _, err := io.ReadFull(bc, b); err != nil || string(b) != "250 ok\r\n" {
			t.Fatalf("Read = %q, %v", b, err)
		}
	}

	msg := append([]byte("MAIL FROM:<a@b>\r\n"), bytes.Repeat([]byte("x"), 3*4096)...)
	got := answer(len(msg))
	for rest := msg; len(rest) > 0; rest = rest[min(len(rest), 4096):] {
		bc.Write(rest[:min(len(rest), 4096)])
	}
	if cc.writes != 0 {
		t.Fatalf("%d writes before the read, want all held back", cc.writes)
	}
	reply()
	if cc.writes != 1 || !bytes.Equal(<-got, msg) {
		t.Errorf("%d writes for what came before the read, want 1 with all of it in order", cc.writes)
	}

	big := bytes.Repeat([]byte("z"), batchMax)
	got = answer(len(big))
	bc.Write(big)
	if cc.writes != 2 {
		t.Errorf("%d writes in all after %d bytes, want the bytes sent without waiting for a read", cc.writes, batchMax)
	}
	reply()
	if !bytes.Equal(<-got, big) {
		t.Error("the server did not get the large write")
	}
}
