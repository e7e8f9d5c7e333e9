package mailbot

import (
	"cmp"
	"context"
	"sync"

	"github.com/betterdays/mailbot/store"
)

// recorder commits send outcomes for several connections at once (group
// commit). A group is committed when every connection has handed in an
// outcome, or when a connection needs one of the outcomes waiting, since
// it may not end its next message before then: one commit, and one fsync,
// per round of the connections rather than per message.
type recorder struct {
	st    *store.Store
	conns int // connections handing in outcomes: a full round

	mu     sync.Mutex
	queue  []*ticket // handed in, not yet committing
	demand bool      // someone waits for an outcome in queue
	closed bool
	kick   chan struct{}
	done   chan error

	// failed are the outcomes whose commit failed, for the outbox to
	// record later; read it only after close.
	failed []store.Outcome
}

// ticket is one outcome on its way to the database.
type ticket struct {
	out    store.Outcome
	queued bool // still in the queue, not yet committing
	ack    chan error
}

func newRecorder(st *store.Store, conns int) *recorder {
	r := &recorder{st: st, conns: conns, kick: make(chan struct{}, 1), done: make(chan error, 1)}
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
	full := len(r.queue) >= r.conns
	r.mu.Unlock()
	if full {
		r.wake()
	}
	return t
}

// wait returns once t's outcome is committed, with the commit's error.
func (r *recorder) wait(t *ticket) error {
	r.mu.Lock()
	if t.queued {
		r.demand = true
	}
	r.mu.Unlock()
	r.wake()
	return <-t.ack
}

func (r *recorder) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *recorder) loop() {
	var first error
	for range r.kick {
		for {
			r.mu.Lock()
			n := len(r.queue)
			if n == 0 || !(r.demand || r.closed || n >= r.conns) {
				closed := r.closed
				r.mu.Unlock()
				if closed {
					r.done <- first
					return
				}
				break
			}
			// Each connection waits for its outcome before it hands in
			// another, so a group is at most one round.
			group := r.queue
			r.queue = nil
			r.demand = false
			for _, t := range group {
				t.queued = false
			}
			r.mu.Unlock()

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

// close commits what is left and returns the first error, if any.
// Nothing may be submitted after it.
func (r *recorder) close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wake()
	return <-r.done
}
