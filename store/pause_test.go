package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Failures of ours are recorded and never suppress; SenderFaultsSince
// counts the people they were for; a pause is made once and lifted once.
func TestSenderFaultsAndPause(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	var people []int64
	err := s.Write(ctx, func(tx *Tx) error {
		for i := range 3 {
			id, err := tx.NotePerson(ctx, fmt.Sprintf("p%d@example.org", i), "", t0)
			if err != nil {
				return err
			}
			people = append(people, id)
		}
		// Many failures of ours for p0, well past the soft limit of 2.
		for i := range 5 {
			suppressed, err := tx.RecordBounce(ctx, Bounce{PersonID: people[0], Status: "5.7.26", Reason: "authfailure", Sender: true,
				Diagnostic: "550 5.7.26 DMARC"}, 2, t0.Add(-time.Hour), t0.Add(time.Duration(i)*time.Minute))
			if err != nil || suppressed {
				return fmt.Errorf("failure of ours %d: suppressed %v, %v", i, suppressed, err)
			}
		}
		if _, err := tx.RecordBounce(ctx, Bounce{PersonID: people[1], Status: "5.7.606", Reason: "blocked", Sender: true}, 2, t0.Add(-time.Hour), t0); err != nil {
			return err
		}
		// One soft failure of p0's own: the failures of ours before it do
		// not make it the second.
		if suppressed, err := tx.RecordBounce(ctx, Bounce{PersonID: people[0], Status: "4.2.2", Reason: "mailboxfull"}, 2, t0.Add(-time.Hour), t0.Add(time.Hour/2)); err != nil || suppressed {
			return fmt.Errorf("a first soft failure after failures of ours: suppressed %v, %v", suppressed, err)
		}
		if _, err := tx.RecordBounce(ctx, Bounce{PersonID: people[2], Hard: true, Sender: true}, 2, t0, t0); err == nil {
			return fmt.Errorf("a failure both hard and ours was recorded")
		}
		faults, n, err := tx.SenderFaultsSince(ctx, t0.Add(-time.Minute), 3)
		if err != nil {
			return err
		}
		if n != 2 || len(faults) != 3 || faults[0].Rcpt != "p0@example.org" || faults[0].Reason != "authfailure" || !faults[0].At.Equal(t0.Add(4*time.Minute)) {
			return fmt.Errorf("SenderFaultsSince = %+v, %d; want 3 of them, newest first, for 2 people", faults, n)
		}
		first, err := tx.PauseBulk(ctx, "why", t0)
		if err != nil || !first {
			return fmt.Errorf("PauseBulk = %v, %v; want a new pause", first, err)
		}
		again, err := tx.PauseBulk(ctx, "again", t0.Add(time.Hour))
		if err != nil || again {
			return fmt.Errorf("PauseBulk again = %v, %v; want the pause there already", again, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Person(ctx, people[0]); p.Suppressed {
		t.Error("failures of ours suppressed the recipient")
	}
	if p, err := s.BulkPause(ctx); err != nil || !p.Paused || p.Why != "why" || !p.Since.Equal(t0) {
		t.Errorf("BulkPause = %+v, %v; want paused since t0 for the first reason", p, err)
	}
	if p, err := s.ResumeBulk(ctx); err != nil || !p.Paused {
		t.Errorf("ResumeBulk = %+v, %v; want it was paused", p, err)
	}
	if p, err := s.ResumeBulk(ctx); err != nil || p.Paused {
		t.Errorf("ResumeBulk again = %+v, %v; want it was not paused", p, err)
	}
}
