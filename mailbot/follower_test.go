package mailbot

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterdays/mailbot/mailbot/mailtest"
)

// countingClock is the real time, counting how often it is asked: each
// pass of Outbox.Run asks at least once.
type countingClock struct{ n atomic.Int64 }

func (c *countingClock) Now() time.Time { c.n.Add(1); return time.Now() }

// TestOutboxFollowerWaits: while another process holds the send lock (a
// `mailbot run` sending a newsletter for hours, with `mailbot newsletter
// send` following along, or the other way round), the outbox that does not
// hold it must not spin on the queue it may not send; and once the holder
// is gone (killed, say) it takes over the sending by itself.
func TestOutboxFollowerWaits(t *testing.T) {
	t.Parallel()
	rs := mailtest.NewSMTPServer(t, mailtest.SMTPConfig{})
	st := recOpenStore(t)
	lock := filepath.Join(t.TempDir(), "mailbot.db.sending")
	holder := recNewOutbox(t, st, rs.Addr, 200*time.Millisecond, time.Hour).WithLock(lock)
	if held, err := holder.lock.try(); !held || err != nil {
		t.Fatalf("take the lock: %v, %v", held, err)
	}
	const rcpt = "reader@example.org"
	recEnqueue(t, st, rcpt, recBody(rcpt, 1), time.Now())

	clock := &countingClock{}
	log := recLogger(t)
	follower := NewOutbox(st, NewSMTPSender(Endpoint{Host: rs.Addr}, "localhost", log), clock, log, 200*time.Millisecond, time.Hour).WithLock(lock)
	stop := recRun(t, follower)
	const watch = 2 * time.Second
	time.Sleep(watch)
	if n := clock.n.Load(); n > 40 {
		t.Errorf("the outbox without the send lock looked at the queue %d times in %v: it spins while another process sends", n, watch)
	}
	if got := len(rs.Accepted()); got != 0 {
		t.Fatalf("the outbox without the send lock sent %d messages", got)
	}

	holder.Close() // the holder is gone: its lock with it
	recWaitStatus(t, st, rcpt, "sent")
	stop()
	if got := len(rs.Accepted()); got != 1 {
		t.Errorf("the server took %d messages, want 1", got)
	}
}
