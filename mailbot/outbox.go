package mailbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/betterdays/mailbot/store"
)

// Sender delivers one message to the mail server. It may keep a connection
// open between calls; Close ends it.
type Sender interface {
	Send(ctx context.Context, from, to string, msg []byte) error
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
type Outbox struct {
	store   *store.Store
	sender  Sender
	clock   Clock
	log     *slog.Logger
	base    time.Duration
	giveUp  time.Duration
	wake    chan struct{}
	idleFor time.Duration // close the SMTP connection after this long with nothing to send
	down    int           // consecutive times the server was unavailable
}

// NewOutbox returns an outbox sending through sender.
func NewOutbox(st *store.Store, sender Sender, clock Clock, log *slog.Logger, retryBase, giveUp time.Duration) *Outbox {
	return &Outbox{
		store: st, sender: sender, clock: clock, log: log,
		base: retryBase, giveUp: giveUp,
		wake:    make(chan struct{}, 1),
		idleFor: 30 * time.Second,
	}
}

// Wake tells the outbox that something was queued. It never blocks.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx is done, then finishes the message in hand and returns.
func (o *Outbox) Run(ctx context.Context) error {
	defer o.sender.Close()
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
			if err := o.sender.Close(); err != nil {
				o.log.Debug("closing idle SMTP connection", "err", err)
			}
		}
		t.Stop()
	}
}

// nextWait is how long Run sleeps before draining again: until the next
// message is due, later while the server is unavailable, soon after a
// database error.
func (o *Outbox) nextWait(ctx context.Context, drainErr error) time.Duration {
	// Another process (mailbot sessions import) may queue mail too: look
	// at least once a minute.
	wait := time.Minute
	due, ok, err := o.store.NextDue(ctx)
	switch {
	case err != nil || drainErr != nil:
		return o.base
	case ok:
		wait = max(due.Sub(o.clock.Now()), 10*time.Millisecond)
	}
	if o.down > 0 {
		wait = max(wait, o.backoff(o.down-1))
	}
	return wait
}

// Drain sends every message due now and returns how many were accepted. It
// stops early, between messages, when ctx is done or the server is
// unavailable.
func (o *Outbox) Drain(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		batch, err := o.store.DueOutbox(ctx, o.clock.Now(), 100)
		if err != nil {
			return sent, err
		}
		if len(batch) == 0 {
			return sent, nil
		}
		for _, m := range batch {
			if ctx.Err() != nil {
				return sent, nil
			}
			ok, err := o.sendOne(ctx, m)
			if err != nil {
				return sent, err
			}
			if o.down > 0 {
				return sent, nil
			}
			if ok {
				sent++
			}
		}
	}
	return sent, nil
}

// sendOne tries m once and records the outcome. Only a failure to record
// is returned as an error.
func (o *Outbox) sendOne(ctx context.Context, m store.Outgoing) (bool, error) {
	// The message in hand is finished even when shutdown begins: a send cut
	// off after the server took the data is a send we cannot account for.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	err := o.sender.Send(sendCtx, m.MailFrom, m.Rcpt, m.Body)
	cancel()
	now := o.clock.Now()
	log := o.log.With("msgid", m.MessageID, "to", m.Rcpt, "attempt", m.Attempts+1)
	var perm *PermanentError
	var unavailable *UnavailableError
	if errors.As(err, &unavailable) {
		o.down++
	} else {
		o.down = 0
	}
	switch {
	case err == nil:
		log.Info("sent")
		return true, o.store.MarkSent(ctx, m.ID, now)
	case unavailable != nil && now.Sub(m.CreatedAt) <= o.giveUp:
		// Not this message's fault: the whole queue waits with it.
		retry := o.backoff(o.down - 1)
		log.Warn("mail server unavailable; the queue waits", "err", err, "retry_in", retry)
		return false, o.store.MarkRetry(ctx, m.ID, now.Add(retry), err.Error())
	case errors.As(err, &perm):
		log.Warn("refused by the mail server; not retrying", "err", err)
		return false, o.store.MarkFailed(ctx, m.ID, err.Error())
	case now.Sub(m.CreatedAt) > o.giveUp:
		log.Warn("giving up after temporary failures", "err", err, "since", m.CreatedAt)
		return false, o.store.MarkFailed(ctx, m.ID, fmt.Sprintf("gave up after %d attempts: %v", m.Attempts+1, err))
	default:
		next := now.Add(o.backoff(m.Attempts))
		log.Warn("temporary failure; will retry", "err", err, "retry_at", next)
		return false, o.store.MarkRetry(ctx, m.ID, next, err.Error())
	}
}

// backoff doubles from the base with each attempt, up to an hour.
func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.base
	for i := 0; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
