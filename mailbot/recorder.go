package mailbot

import (
	"cmp"
	"context"
	"sync"
	"time"

	"github.com/betterdays/mailbot/store"
)

// recorder commits send outcomes for several connections at once (group
// commit): one commit, and one fsync, per round of the connections rather
// than per message. A group is committed when every connection still
// sending has handed in an outcome. A connection that needs one of the
// outcomes waiting (it may not end its next message before then) waits
// for the rest of the round, but for no longer than roundWait: committing
// at once, as soon as anyone asked, split the rounds, about 2.2 outcomes
// to a commit with three connections instead of 3, and the commit is most
// of what recording costs.
type recorder struct {
	st *store.Store

	patience time.Duration // roundWait, but for tests

	mu     sync.Mutex
	active int       // connections still handing in outcomes: a full round
	queue  []*ticket // handed in, not yet committing
	asked  time.Time // when someone began to wait for an outcome in queue; zero: no one
	closed bool
	kick   chan struct{}
	done   chan error

	// failed are the outcomes whose commit failed, for the outbox to
	// record later; read it only after close.
	failed []store.Outcome
}

// roundWait is how long a connection waits for the rest of its round
// before its outcome is committed without them. Connections in step
// (the usual case: they all go on from the same commit) hand in within a
// fraction of it; one held up by a slow server makes the others wait
// this long per message, not as long as it is held up.
const roundWait = 1 * time.Millisecond

// ticket is one outcome on its way to the database.
type ticket struct {
	out    store.Outcome
	queued bool // still in the queue, not yet committing
	ack    chan error
}

func newRecorder(st *store.Store, conns int) *recorder {
	r := &recorder{st: st, patience: roundWait, active: conns, kick: make(chan struct{}, 1), done: make(chan error, 1)}
	go r.loop()
	return r
}

// submit hands out over for commit and returns at once. It takes no
// context: the commit must happen even during shutdown, because the server
// has the message and forgetting that would send it again.
func (r *recorder) submit(out store.Outcome) *ticket {
	t := &ticket{out: out, queued: true, ack: make(chan error, 1)}
	r.mu.Lock()
	r.queue = append(r.queue, t)
	full := len(r.queue) >= r.active
	r.mu.Unlock()
	if full {
		r.wake()
	}
	return t
}

// wait returns once t's outcome is committed, with the commit's error.
func (r *recorder) wait(t *ticket) error {
	r.mu.Lock()
	queued := t.queued
	if queued && r.asked.IsZero() {
		r.asked = time.Now()
	}
	r.mu.Unlock()
	if queued {
		// Only then is there something for the recorder to decide:
		// one committing already will answer without being woken.
		r.wake()
	}
	return <-t.ack
}

// leave says a connection will hand in nothing more: the rounds are one
// smaller.
func (r *recorder) leave() {
	r.mu.Lock()
	r.active--
	r.mu.Unlock()
	r.wake()
}

func (r *recorder) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *recorder) loop() {
	var first error
	late := time.NewTimer(time.Hour)
	late.Stop()
	for {
		select {
		case <-r.kick:
		case <-late.C:
		}
		for {
			group, wait, closed := r.take()
			if group == nil {
				if closed {
					r.done <- first
					return
				}
				if wait > 0 {
					late.Reset(wait)
				}
				break
			}
			late.Stop()
			outs := make([]store.Outcome, len(group))
			for i, t := range group {
				outs[i] = t.out
			}
			err := r.st.Record(context.Background(), outs...)
			if err != nil {
				first = cmp.Or(first, err)
				r.failed = append(r.failed, outs...)
			}
			for _, t := range group {
				t.ack <- err
			}
		}
	}
}

// take returns the group to commit now, if there is one; if not, how long
// until someone has waited long enough for it (0: no one waits), and
// whether the recorder is closed and done.
func (r *recorder) take() ([]*ticket, time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.queue)
	if n == 0 {
		return nil, 0, r.closed
	}
	if n < r.active && !r.closed {
		if r.asked.IsZero() {
			return nil, 0, false
		}
		if wait := r.patience - time.Since(r.asked); wait > 0 {
			return nil, wait, false
		}
	}
	// Each connection waits for its outcome before it hands in another,
	// so a group is at most one round.
	group := r.queue
	r.queue = nil
	r.asked = time.Time{}
	for _, t := range group {
		t.queued = false
	}
	return group, 0, false
}

// close commits what is left and returns the first error, if any.
// Nothing may be submitted after it.
func (r *recorder) close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wake()
	return <-r.done
}
