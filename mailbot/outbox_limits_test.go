package mailbot

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailtest"
	"github.com/betterdays/mailbot/store"
)

// Many messages go over several connections at once, each used for many
// messages, and every message is sent exactly once.
func TestOutboxConnections(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	st := recOpenStore(t)
	const n = 300
	for i := range n {
		rcpt := fmt.Sprintf("p%03d@example.org", i)
		recEnqueue(t, st, rcpt, recBody(rcpt, i), time.Now())
	}
	log := recLogger(t)
	dial := func() Sender { return NewSMTPSender(Endpoint{Host: rs.Addr}, "localhost", log) }
	ob := recNewOutbox(t, st, rs.Addr, time.Hour, 2*time.Hour).WithConnections(3, dial)
	defer ob.Close()
	sent, err := ob.Drain(context.Background())
	if sent != n || err != nil {
		t.Fatalf("Drain() = %d, %v, want %d, nil", sent, err, n)
	}
	if got := rs.Conns(); got != 3 {
		t.Errorf("connections = %d, want 3", got)
	}
	seen := map[string]int{}
	for _, m := range rs.Accepted() {
		seen[m.To[0]]++
	}
	if len(seen) != n {
		t.Errorf("%d recipients got mail, want %d", len(seen), n)
	}
	for rcpt, c := range seen {
		if c != 1 {
			t.Errorf("%s got %d copies", rcpt, c)
		}
	}
}

// However fast it sends, the outbox never lets the server take a message
// on a connection before the previous one's outcome there is committed:
// when the server receives the end of message n, every message it took
// before is recorded as sent, except at most one on each other connection
// (in flight, or its outcome in the commit under way). That is the whole
// of what a crash can send twice.
func TestOutboxCrashWindow(t *testing.T) {
	t.Parallel()
	const n, conns = 300, 3
	var st *store.Store
	var mu sync.Mutex
	worst := 0
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{Reply: func(i int, _ mailtest.Received) mailtest.Reply {
		sent, _, err := st.SentSince(context.Background(), time.Time{})
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		worst = max(worst, i-sent)
		mu.Unlock()
		return mailtest.Reply{}
	}})
	st = recOpenStore(t)
	for i := range n {
		rcpt := fmt.Sprintf("p%03d@example.org", i)
		recEnqueue(t, st, rcpt, recBody(rcpt, i), time.Now())
	}
	log := recLogger(t)
	dial := func() Sender { return NewSMTPSender(Endpoint{Host: rs.Addr}, "localhost", log) }
	ob := recNewOutbox(t, st, rs.Addr, time.Hour, 2*time.Hour).WithConnections(conns, dial)
	defer ob.Close()
	if sent, err := ob.Drain(context.Background()); sent != n || err != nil {
		t.Fatalf("Drain() = %d, %v, want %d, nil", sent, err, n)
	}
	if worst > conns-1 {
		t.Errorf("the server took messages while %d before them were not recorded as sent, want at most %d (one per other connection)", worst, conns-1)
	}
}

// The limit per minute holds across drains, and the rest waits.
func TestOutboxPerMinuteLimit(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	st := recOpenStore(t)
	for i := range 12 {
		rcpt := fmt.Sprintf("p%02d@example.org", i)
		recEnqueue(t, st, rcpt, recBody(rcpt, i), time.Now())
	}
	ob := recNewOutbox(t, st, rs.Addr, time.Hour, 2*time.Hour).WithLimits(5, 0)
	defer ob.Close()
	for range 3 {
		if _, err := ob.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(rs.Accepted()); got != 5 {
		t.Errorf("sent %d in a minute, want the limit of 5", got)
	}
	if !ob.throttled {
		t.Errorf("outbox not throttled at the limit")
	}
}

// Only one process sends at a time: a second outbox on the same database
// leaves the queue alone while the first holds the lock.
func TestOutboxSendLock(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	st := recOpenStore(t)
	recEnqueue(t, st, "a@example.org", recBody("a@example.org", 1), time.Now())
	lock := filepath.Join(t.TempDir(), "mailbot.db.sending")
	first := recNewOutbox(t, st, rs.Addr, time.Hour, 2*time.Hour).WithLock(lock)
	if held, err := first.lock.try(); !held || err != nil {
		t.Fatalf("first lock = %v, %v", held, err)
	}
	second := recNewOutbox(t, st, rs.Addr, time.Hour, 2*time.Hour).WithLock(lock)
	if sent, err := second.Drain(context.Background()); sent != 0 || err != nil {
		t.Fatalf("second Drain() = %d, %v; want 0, nil while the first holds the lock", sent, err)
	}
	first.Close()
	if sent, err := second.Drain(context.Background()); sent != 1 || err != nil {
		t.Fatalf("second Drain() after release = %d, %v; want 1, nil", sent, err)
	}
	second.Close()
}
