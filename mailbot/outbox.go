package mailbot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/betterdays/mailbot/store"
)

// Sender delivers one message to the mail server. It may keep a connection
// open between calls; Close ends it.
type Sender interface {
	Send(ctx context.Context, from, to string, msg []byte) error
	// SendAfter is Send, but the server cannot take the message before
	// ready (when not nil) returns nil; if ready fails, the message is
	// not sent and its error is returned.
	SendAfter(ctx context.Context, from, to string, msg []byte, ready func() error) error
	Close() error
}

// PermanentError is a refusal that trying again will not change (SMTP 5xx).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// UnavailableError means the server could not take any message just now
// (unreachable, login refused, closing): the whole queue waits, rather than
// each message spending an attempt on it.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string { return e.Err.Error() }
func (e *UnavailableError) Unwrap() error { return e.Err }

// Outbox sends what the handlers queued. A row is marked sent only after the
// server accepted it; temporary failures are retried with exponential
// backoff, permanent ones recorded with the server's words.
//
// It sends over up to conns connections at once, each kept open for many
// messages, within the provider's limits per minute and per day. A
// connection's next message cannot be taken by the server until the
// previous one's outcome is committed, so a crash can leave at most one
// message per connection sent but not marked (SMTP cannot close that
// window). The wait is short: the commits of all connections share one
// fsync, and a connection sends all of its next message but the final
// "." while that fsync runs.
type Outbox struct {
	store   *store.Store
	senders []Sender // one per connection
	dial    func() Sender
	clock   Clock
	log     *slog.Logger
	base    time.Duration
	giveUp  time.Duration
	wake    chan struct{}
	idleFor time.Duration // close the SMTP connections after this long with nothing to send
	down    int           // consecutive times the server was unavailable

	perMinute, perDay int // 0: no limit
	throttled         bool
	paused            bool // bulk mail is held back (store.BulkPause), as last seen
	lock              sendLock
	elsewhere         bool // another process holds the send lock

	// unrecorded are outcomes whose commit failed (a full disk, a locked
	// database). The server has the sent ones: sending them again would
	// send them twice, so nothing more is sent until these are recorded.
	unrecorded []store.Outcome

	prepare Preparer // nil: messages go as queued
}

// Preparer gives an outbox message what is made only as it is sent: its
// envelope sender and, for a newsletter copy, its bytes, so tens of
// thousands of copies are never held in the database at once.
type Preparer interface {
	Prepare(ctx context.Context, m *store.Outgoing) error
	// Done is told when the outbox is finished with a message Prepare
	// made ready, whatever became of it: nothing holds its bytes now.
	Done(m *store.Outgoing)
}

// NewOutbox returns an outbox sending through sender, one message at a
// time and without limits; WithConnections and WithLimits change that.
func NewOutbox(st *store.Store, sender Sender, clock Clock, log *slog.Logger, retryBase, giveUp time.Duration) *Outbox {
	return &Outbox{
		store: st, senders: []Sender{sender}, clock: clock, log: log,
		base: retryBase, giveUp: giveUp,
		wake:    make(chan struct{}, 1),
		idleFor: 30 * time.Second,
	}
}

// WithConnections lets the outbox send over up to n connections, dialling
// more with dial as the queue needs them.
func (o *Outbox) WithConnections(n int, dial func() Sender) *Outbox {
	o.dial = dial
	for len(o.senders) < n {
		o.senders = append(o.senders, nil)
	}
	return o
}

// WithLimits caps the messages sent in any minute and in any day (zero: no
// cap). List mail may use nine tenths of the day, so replies to people
// still go when a newsletter has used its share.
func (o *Outbox) WithLimits(perMinute, perDay int) *Outbox {
	o.perMinute, o.perDay = perMinute, perDay
	return o
}

// Wake tells the outbox that something was queued. It never blocks.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx is done, then finishes the messages in hand and
// returns.
func (o *Outbox) Run(ctx context.Context) error {
	defer o.Close()
	idle := time.NewTimer(o.idleFor)
	defer idle.Stop()
	for {
		sent, err := o.Drain(ctx)
		if err != nil && ctx.Err() == nil {
			o.log.Error("outbox", "err", err)
		}
		if sent > 0 {
			idle.Reset(o.idleFor)
		}
		t := time.NewTimer(o.nextWait(ctx, err))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-o.wake:
		case <-t.C:
		case <-idle.C:
			o.Close()
		}
		t.Stop()
	}
}

// WithLock makes the outbox send only while it holds the lock file at
// path, so that two processes never send the same queue.
func (o *Outbox) WithLock(path string) *Outbox {
	o.lock.path = path
	return o
}

// Close ends every open SMTP connection, and lets another process send.
func (o *Outbox) Close() {
	o.lock.release()
	for _, s := range o.senders {
		if s == nil {
			continue
		}
		if err := s.Close(); err != nil {
			o.log.Debug("closing SMTP connection", "err", err)
		}
	}
}

// nextWait is how long Run sleeps before draining again: until the next
// message is due or the sending limit allows more, later while the server
// is unavailable, soon after a database error.
func (o *Outbox) nextWait(ctx context.Context, drainErr error) time.Duration {
	// Another process (mailbot sessions import) may queue mail too: look
	// at least once a minute.
	wait := time.Minute
	due, ok, err := o.store.NextDue(ctx, !o.paused)
	switch {
	case err != nil || drainErr != nil:
		return o.base
	case o.throttled:
		// Sent mail leaves the minute's window one by one: look again
		// when the next could have.
		wait = time.Minute / time.Duration(max(o.perMinute, 60))
	case ok:
		wait = max(due.Sub(o.clock.Now()), 10*time.Millisecond)
	}
	if o.down > 0 {
		wait = max(wait, o.backoff(o.down-1))
	}
	if o.elsewhere {
		// Another process is sending what is due: look now and then
		// whether it still is, rather than at every due message.
		wait = max(wait, o.base)
	}
	return wait
}

// batchPerConn is how many messages each connection is given per look at
// the queue: enough to keep them busy, few enough that a reply queued
// meanwhile waits behind little list mail.
const batchPerConn = 64

// Drain sends every message due now, within the limits, and returns how
// many were accepted. It stops early, between messages, when ctx is done
// or the server is unavailable.
func (o *Outbox) Drain(ctx context.Context) (int, error) {
	sent := 0
	held, err := o.lock.try()
	if err != nil || !held {
		if !o.elsewhere && err == nil {
			o.log.Info("another mailbot process is sending the outbox; leaving it to that one")
		}
		o.elsewhere = !held
		return 0, err
	}
	o.elsewhere = false
	if len(o.unrecorded) > 0 {
		if err := o.store.Record(context.WithoutCancel(ctx), o.unrecorded...); err != nil {
			return 0, fmt.Errorf("still cannot record what became of %d messages, so sending nothing more: %w", len(o.unrecorded), err)
		}
		o.log.Info("recorded what became of messages sent earlier", "messages", len(o.unrecorded))
		o.unrecorded = nil
	}
	for ctx.Err() == nil {
		limit, bulk, err := o.allowance(ctx)
		if err != nil || limit == 0 {
			return sent, err
		}
		claimed := time.Now()
		batch, err := o.store.DueOutbox(ctx, o.clock.Now(), bulk, limit)
		if err != nil {
			return sent, err
		}
		if len(batch) == 0 {
			return sent, nil
		}
		n, err := o.sendBatch(ctx, batch, claimed)
		sent += n
		if err != nil || o.down > 0 {
			return sent, err
		}
	}
	return sent, nil
}

// allowance is how many messages may go now, and whether list mail may be
// among them.
func (o *Outbox) allowance(ctx context.Context) (int, bool, error) {
	limit, bulk := batchPerConn*len(o.senders), true
	o.throttled = false
	now := o.clock.Now()
	// Receiving servers are refusing our mail (see Bot.senderFault):
	// list mail waits for staff, replies to people still go.
	p, err := o.store.BulkPause(ctx)
	if err != nil {
		return 0, false, err
	}
	switch {
	case p.Paused && !o.paused:
		o.log.Warn("list mail paused until staff run `mailbot newsletter resume`; replies still go", "why", p.Why)
	case !p.Paused && o.paused:
		o.log.Info("list mail resumed")
	}
	o.paused = p.Paused
	bulk = !p.Paused
	if o.perMinute > 0 {
		all, _, err := o.store.SentSince(ctx, now.Add(-time.Minute))
		if err != nil {
			return 0, false, err
		}
		limit = min(limit, o.perMinute-all)
	}
	if o.perDay > 0 {
		all, _, err := o.store.SentSince(ctx, now.Add(-24*time.Hour))
		if err != nil {
			return 0, false, err
		}
		limit = min(limit, o.perDay-all)
		if room := o.perDay*9/10 - all; room <= 0 {
			bulk = false
		} else {
			limit = min(limit, room)
		}
	}
	if limit <= 0 {
		o.throttled = true
		return 0, false, nil
	}
	return limit, bulk, nil
}

// recheckAfter is how old the claim's reading of a recipient (DueOutbox)
// may be when their message goes: a batch sent at speed goes by the one
// reading, and one held up by a slow server reads again, so a person who
// leaves the list or bounces is mailed no more than a moment later.
const recheckAfter = time.Second

// sendBatch sends batch, claimed at the given time, over the connections
// and records every outcome.
func (o *Outbox) sendBatch(ctx context.Context, batch []store.Outgoing, claimed time.Time) (int, error) {
	conns := min(len(o.senders), len(batch))
	rec := newRecorder(o.store, conns)
	run := batchRun{batch: batch}
	var wg sync.WaitGroup
	start := time.Now()
	for i := range conns {
		if o.senders[i] == nil {
			o.senders[i] = o.dial()
		}
		wg.Add(1)
		go func(s Sender) {
			defer wg.Done()
			o.sendOver(ctx, s, claimed, rec, &run)
		}(o.senders[i])
	}
	wg.Wait()
	err := rec.close()
	o.unrecorded = append(o.unrecorded, rec.failed...)
	if run.bulkSent > 0 {
		o.log.Info("list mail sent", "messages", run.bulkSent, "seconds", fmt.Sprintf("%.3f", time.Since(start).Seconds()))
	}
	if run.unavailable {
		o.down++
	} else {
		o.down = 0
	}
	return run.sent, cmp.Or(err, run.stopErr)
}

// batchRun is one sendBatch's messages, which its connections take in
// turn (no goroutine hands them out: that was a wake-up more per
// message), and what they find out together.
type batchRun struct {
	mu             sync.Mutex
	batch          []store.Outgoing // not yet taken
	sent, bulkSent int
	unavailable    bool
	stopErr        error // recording failed: stop sending, or more would go unrecorded
}

// take returns the next message to send, or false when none is left or
// the queue must wait: the server is unavailable, an outcome could not
// be recorded, or ctx is done. What is not taken stays queued as it is.
func (r *batchRun) take(ctx context.Context) (store.Outgoing, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.batch) == 0 || r.unavailable || r.stopErr != nil || ctx.Err() != nil {
		return store.Outgoing{}, false
	}
	m := r.batch[0]
	r.batch = r.batch[1:]
	return m, true
}

// stop makes the queue wait: recording err failed.
func (r *batchRun) stop(err error) {
	r.mu.Lock()
	r.stopErr = cmp.Or(r.stopErr, err)
	r.mu.Unlock()
}

// count adds what became of a message to the batch's tally.
func (r *batchRun) count(out store.Outcome, bulk, unavailable bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if out.Status == store.Sent {
		r.sent++
		if bulk {
			r.bulkSent++
		}
	}
	r.unavailable = r.unavailable || unavailable
}

// sendOver is one connection's part of a batch: it sends the messages it
// takes over s one at a time, each ended only once the previous outcome
// is durable, until there are none to take; then it leaves the
// recorder's rounds.
func (o *Outbox) sendOver(ctx context.Context, s Sender, claimed time.Time, rec *recorder, run *batchRun) {
	// committed waits for this connection's previous outcome to
	// be durable; the next message is ended only after it.
	var pending *ticket
	committed := func() error {
		if pending == nil {
			return nil
		}
		err := rec.wait(pending)
		pending = nil
		return err
	}
	for {
		m, ok := run.take(ctx)
		if !ok {
			break
		}
		out, unav, err := o.attempt(ctx, s, m, claimed, committed)
		if err == nil {
			// A message not sent (dropped, or failed to prepare)
			// did not wait for the previous outcome: wait now.
			err = committed()
		}
		if err != nil {
			o.log.Error("recording what was sent; stopping this connection", "err", err)
			run.stop(err)
			break
		}
		pending = rec.submit(out)
		run.count(out, m.Bulk, unav)
	}
	if err := committed(); err != nil {
		o.log.Error("recording what was sent", "err", err)
	}
	rec.leave()
}

// attempt sends m, claimed at the given time, once over s and says what
// became of it, and whether the server was unavailable. The server cannot
// take m before committed returns; if committed fails, m is not sent and
// attempt returns its error and no outcome.
func (o *Outbox) attempt(ctx context.Context, s Sender, m store.Outgoing, claimed time.Time, committed func() error) (store.Outcome, bool, error) {
	// A logger with m's fields is made only for a line to be written: it
	// formats them at once, and most copies go with no line of their own.
	log := func() *slog.Logger { return o.log.With("msgid", m.MessageID, "to", m.Rcpt, "attempt", m.Attempts+1) }
	out := store.Outcome{ID: m.ID, At: o.clock.Now()}
	// From here m is in hand, and is finished even if shutdown begins:
	// a stop is no reason to put it off as though it had failed.
	ctx = context.WithoutCancel(ctx)
	var err error
	if time.Since(claimed) > recheckAfter {
		err = o.store.Recheck(ctx, &m)
	}
	if wanted, why := m.Wanted(); err == nil && !wanted {
		log().Info(why)
		out.Status, out.Reason = store.Dropped, why
		return out, false, nil
	}
	if err == nil && o.prepare != nil {
		if err = o.prepare.Prepare(ctx, &m); err == nil {
			defer o.prepare.Done(&m)
		}
	}
	if err != nil {
		// Ours, not the server's: try again later like a temporary failure.
		log().Error("preparing message", "err", err)
		out.Status, out.Next, out.Reason = store.Retry, out.At.Add(o.backoff(m.Attempts)), err.Error()
		return out, false, nil
	}
	// Not cut off by shutdown (ctx has no cancel now): a send cut off after
	// the server took the data is a send we cannot account for.
	sendCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	var notReady error
	err = s.SendAfter(sendCtx, m.MailFrom, m.Rcpt, m.Body, func() error {
		notReady = committed()
		return notReady
	})
	cancel()
	if notReady != nil {
		return out, false, notReady
	}
	now := o.clock.Now()
	out.At = now
	var perm *PermanentError
	var unavailable *UnavailableError
	errors.As(err, &unavailable)
	switch {
	case err == nil:
		// A reply to a person is worth a line of its own; a newsletter's
		// copies are summed up per batch (sendBatch), one line per copy
		// only at debug.
		if m.Bulk {
			if o.log.Enabled(ctx, slog.LevelDebug) {
				log().Debug("sent")
			}
		} else {
			log().Info("sent")
		}
		out.Status = store.Sent
	case unavailable != nil && now.Sub(m.CreatedAt) <= o.giveUp:
		// Not this message's fault: the whole queue waits with it.
		retry := o.backoff(o.down)
		log().Warn("mail server unavailable; the queue waits", "err", err, "retry_in", retry)
		out.Status, out.Next, out.Reason = store.Retry, now.Add(retry), err.Error()
	case errors.As(err, &perm):
		log().Warn("refused by the mail server; not retrying", "err", err)
		out.Status, out.Reason = store.Failed, err.Error()
	case now.Sub(m.CreatedAt) > o.giveUp:
		log().Warn("giving up after temporary failures", "err", err, "since", m.CreatedAt)
		out.Status, out.Reason = store.Failed, fmt.Sprintf("gave up after %d attempts: %v", m.Attempts+1, err)
	default:
		next := now.Add(o.backoff(m.Attempts))
		log().Warn("temporary failure; will retry", "err", err, "retry_at", next)
		out.Status, out.Next, out.Reason = store.Retry, next, err.Error()
	}
	return out, unavailable != nil, nil
}

// backoff doubles from the base with each attempt, up to an hour.
func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.base
	for i := 0; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
