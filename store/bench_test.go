package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkOutboxRound is the database's part of sending one message, as
// the outbox does it: claimed with the others due (DueOutbox, a batch of
// 192, 64 for each of three connections, with what the check just before
// it goes reads: Wanted), and its outcome committed in a group with the other
// connections' (Record, one or three at a time: one fsync each at
// synchronous=FULL). One op is one message.
//
//	go test -bench OutboxRound -benchmem ./store
func BenchmarkOutboxRound(b *testing.B) {
	for _, group := range []int{1, 3} {
		b.Run(fmt.Sprintf("group=%d", group), func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, filepath.Join(b.TempDir(), "mailbot.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			now := time.Now()
			// The queue holds every message the benchmark will send, as a
			// newsletter's rows would: one per recipient, due now.
			err = s.Write(ctx, func(tx *Tx) error {
				for i := range b.N {
					rcpt := fmt.Sprintf("reader%07d@example.org", i)
					if _, err := tx.Enqueue(ctx, OutMessage{Kind: "bench", MessageID: fmt.Sprintf("<%d@bench>", i), MailFrom: "bot@example.org", Rcpt: rcpt, Body: []byte("x")}, now); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			done := 0
			for done < b.N {
				batch, err := s.DueOutbox(ctx, now, true, 192)
				if err != nil || len(batch) == 0 {
					b.Fatalf("DueOutbox = %d, %v with %d of %d done", len(batch), err, done, b.N)
				}
				outs := make([]Outcome, 0, group)
				for _, m := range batch {
					if ok, why := m.Wanted(); !ok {
						b.Fatalf("Wanted = %v, %q", ok, why)
					}
					outs = append(outs, Outcome{ID: m.ID, Status: Sent, At: time.Now()})
					if len(outs) == group {
						if err := s.Record(ctx, outs...); err != nil {
							b.Fatal(err)
						}
						outs = outs[:0]
					}
				}
				if len(outs) > 0 {
					if err := s.Record(ctx, outs...); err != nil {
						b.Fatal(err)
					}
				}
				done += len(batch)
			}
		})
	}
}

// TestQueuedForUsesIndex: the reply limit's count, made for every message
// handled, reads the outbox by its rcpt index, never the whole outbox
// (which made a backlog's cost grow with its square).
func TestQueuedForUsesIndex(t *testing.T) {
	t.Parallel()
	q, args := queuedFor("mary@example.org", true, time.Unix(0, 0))
	for _, step := range queryPlan(t, openTest(t), q, args) {
		if strings.HasPrefix(step, "SCAN") {
			t.Errorf("the reply limit's count scans a table: %q", step)
		}
	}
}

// TestDueOutboxUsesIndex: the claim, with its recipients' checks and
// people, walks the outbox's due index in order and stops at its limit:
// no scan of the outbox or of people, no sort of all that is queued.
func TestDueOutboxUsesIndex(t *testing.T) {
	t.Parallel()
	q, args := dueOutbox(time.Unix(0, 0), true, 192)
	plan := queryPlan(t, openTest(t), q, args)
	for _, step := range plan {
		if strings.HasPrefix(step, "SCAN") && !strings.Contains(step, "USING INDEX outbox_due") || strings.Contains(step, "TEMP B-TREE") {
			t.Errorf("the outbox's claim: %q in %q", step, plan)
		}
	}
}

// queryPlan is what SQLite says it will do for q.
func queryPlan(t *testing.T, s *Store, q string, args []any) []string {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}
