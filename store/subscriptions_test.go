package store

import (
	"context"
	"testing"
	"time"
)

// A permanent failure suppresses at once; temporary ones only when enough
// fall inside the window; writing again lifts it.
func TestRecordBounce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	day := 24 * time.Hour
	var soft, hard int64
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		if soft, err = tx.NotePerson(ctx, "soft@example.org", "", t0); err != nil {
			return err
		}
		hard, err = tx.NotePerson(ctx, "hard@example.org", "", t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	bounce := func(person int64, hardFail bool, at time.Time) bool {
		t.Helper()
		var suppressed bool
		err := s.Write(ctx, func(tx *Tx) error {
			var err error
			suppressed, err = tx.RecordBounce(ctx, Bounce{PersonID: person, Status: "4.2.2", Hard: hardFail}, 3, at.Add(-30*day), at)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return suppressed
	}
	if !bounce(hard, true, t0) {
		t.Error("a permanent failure did not suppress")
	}
	// Two soft bounces, then a third outside the window of the first.
	if bounce(soft, false, t0) || bounce(soft, false, t0.Add(10*day)) {
		t.Fatal("suppressed before the third temporary failure")
	}
	if bounce(soft, false, t0.Add(31*day)) {
		t.Error("suppressed by failures that fell outside the window")
	}
	if !bounce(soft, false, t0.Add(32*day)) {
		t.Error("three temporary failures within the window did not suppress")
	}
	if p, _ := s.Person(ctx, soft); !p.Suppressed {
		t.Error("Person does not show the suppression")
	}
	if err := s.Write(ctx, func(tx *Tx) error { return tx.Unsuppress(ctx, soft) }); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Person(ctx, soft); p.Suppressed {
		t.Error("still suppressed after Unsuppress")
	}
}
