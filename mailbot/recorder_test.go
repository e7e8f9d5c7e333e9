package mailbot

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/betterdays/mailbot/store"
)

// recorderFor queues n messages in a new store and returns their sent
// outcomes and a recorder for three connections, with the given patience.
func recorderFor(t *testing.T, n int, patience time.Duration) (*store.Store, []store.Outcome, *recorder) {
	t.Helper()
	st := recOpenStore(t)
	outs := make([]store.Outcome, n)
	for i := range outs {
		rcpt := fmt.Sprintf("r%d@example.org", i)
		outs[i] = store.Outcome{ID: recEnqueue(t, st, rcpt, recBody(rcpt, i), time.Now()), Status: store.Sent, At: time.Now()}
	}
	r := newRecorder(st, 3)
	r.patience = patience
	return st, outs, r
}

// waitApart waits for tk on a goroutine of its own, as a connection does.
func waitApart(r *recorder, tk *ticket) <-chan error {
	waited := make(chan error, 1)
	go func() { waited <- r.wait(tk) }()
	return waited
}

// recorderStatus is what the database says of the message to r<i>.
func recorderStatus(t *testing.T, st *store.Store, i int) string {
	t.Helper()
	ms, err := st.OutboxByRcpt(context.Background(), fmt.Sprintf("r%d@example.org", i))
	if err != nil || len(ms) != 1 {
		t.Fatalf("OutboxByRcpt(r%d) = %v, %v", i, ms, err)
	}
	return ms[0].Status
}

// An outcome someone waits for is committed with the rest of its round,
// not alone: a round of three connections is one commit.
func TestRecorderCommitsWholeRounds(t *testing.T) {
	t.Parallel()
	st, outs, r := recorderFor(t, 3, time.Hour)
	waited := waitApart(r, r.submit(outs[0]))
	time.Sleep(50 * time.Millisecond)
	if got := recorderStatus(t, st, 0); got != "queued" {
		t.Fatalf("with one outcome of a round of three handed in, its message is %q, want it still %q", got, "queued")
	}
	second, third := r.submit(outs[1]), r.submit(outs[2])
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	for _, tk := range []*ticket{second, third} {
		if err := r.wait(tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	for i := range outs {
		if got := recorderStatus(t, st, i); got != store.Sent {
			t.Errorf("message %d is %q, want %q", i, got, store.Sent)
		}
	}
}

// A connection that hands in nothing more makes the rounds smaller, so the
// others do not wait for it.
func TestRecorderRoundShrinksWhenAConnectionLeaves(t *testing.T) {
	t.Parallel()
	_, outs, r := recorderFor(t, 2, time.Hour)
	a, b := r.submit(outs[0]), r.submit(outs[1])
	waited := waitApart(r, a)
	r.leave()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the two connections left still wait for the third after it left")
	}
	if err := r.wait(b); err != nil {
		t.Fatal(err)
	}
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
}

// A round held up by one slow connection is committed without it once
// someone has waited the recorder's patience: no longer.
func TestRecorderWaitsForTheRoundOnlySoLong(t *testing.T) {
	t.Parallel()
	st, outs, r := recorderFor(t, 1, 20*time.Millisecond)
	start := time.Now()
	if err := r.wait(r.submit(outs[0])); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < r.patience || took > 10*time.Second {
		t.Errorf("an outcome waited for alone was committed after %v, want after %v and soon", took, r.patience)
	}
	if got := recorderStatus(t, st, 0); got != store.Sent {
		t.Errorf("message is %q, want %q", got, store.Sent)
	}
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
}
