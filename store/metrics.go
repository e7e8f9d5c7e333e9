package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Counts are the database's running totals and current depths, for the
// /metrics endpoint. The totals only grow (rows are pruned of their words,
// never deleted), so they serve as Prometheus counters across restarts.
type Counts struct {
	Handled  int64 // messages read from the inbox and handled
	Sent     int64 // messages sent (the server's 250), of every kind
	Failed   int64 // messages given up as failed for good
	Retried  int64 // attempts that failed but were tried again later
	Dropped  int64 // messages never sent: erased, or to a stopped address
	Handoffs int64 // messages passed to staff (one per member of staff)
	// HandoffsQueued are hand-offs not yet delivered to staff.
	HandoffsQueued int64
	Queued         int64
	OldestQueued   time.Time // zero when none is queued
	Confirmed      int64     // people on the mailing list
}

// Counts reads the counts in one read transaction.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	var oldest sql.NullInt64
	err := s.r.QueryRowContext(ctx, `
		SELECT
			(SELECT count(*) FROM inbound),
			count(*) FILTER (WHERE status = 'sent'),
			count(*) FILTER (WHERE status = 'failed'),
			coalesce(sum(attempts), 0) - count(*) FILTER (WHERE status = 'sent') - count(*) FILTER (WHERE status = 'failed' AND attempts > 0),
			count(*) FILTER (WHERE status = 'dropped'),
			count(*) FILTER (WHERE kind = 'handoff'),
			count(*) FILTER (WHERE kind = 'handoff' AND status = 'queued'),
			count(*) FILTER (WHERE status = 'queued'),
			min(created_at) FILTER (WHERE status = 'queued'),
			(SELECT count(*) FROM subscriptions WHERE status = 'confirmed')
		FROM outbox`).Scan(&c.Handled, &c.Sent, &c.Failed, &c.Retried, &c.Dropped, &c.Handoffs, &c.HandoffsQueued,
		&c.Queued, &oldest, &c.Confirmed)
	if err != nil {
		return c, fmt.Errorf("read counts: %w", err)
	}
	c.OldestQueued = fromNull(oldest)
	c.Retried = max(c.Retried, 0)
	return c, nil
}
