package mailbot

import (
	"context"

	"github.com/betterdays/mailbot/store"
)

// recorder commits send outcomes for several connections at once: each
// caller waits for its own outcome's commit, and all the outcomes that
// arrived meanwhile share that commit's fsync (group commit).
type recorder struct {
	st   *store.Store
	in   chan pending
	done chan error
}

type pending struct {
	out store.Outcome
	ack chan error
}

// maxGroup bounds one commit, so a slow disk delays no outcome for long.
const maxGroup = 256

func newRecorder(st *store.Store) *recorder {
	r := &recorder{st: st, in: make(chan pending), done: make(chan error, 1)}
	go r.loop()
	return r
}

// record commits out, and returns once it is durable. It takes no context:
// the commit must happen even during shutdown, because the server has the
// message and forgetting that would send it again.
func (r *recorder) record(out store.Outcome) error {
	ack := make(chan error, 1)
	r.in <- pending{out, ack}
	return <-ack
}

func (r *recorder) loop() {
	var first error
	for p := range r.in {
		group := []pending{p}
	more:
		for len(group) < maxGroup {
			select {
			case q, ok := <-r.in:
				if !ok {
					break more
				}
				group = append(group, q)
			default:
				break more
			}
		}
		outs := make([]store.Outcome, len(group))
		for i, g := range group {
			outs[i] = g.out
		}
		err := r.st.Record(context.Background(), outs...)
		if err != nil && first == nil {
			first = err
		}
		for _, g := range group {
			g.ack <- err
		}
	}
	r.done <- first
}

// close waits for the last commit and returns the first error, if any.
func (r *recorder) close() error {
	close(r.in)
	return <-r.done
}
