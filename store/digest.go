package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DayNews is what changed in bookings and what came to staff between two
// moments: what the staff digest says.
type DayNews struct {
	Booked    []Booking // confirmed places booked
	Waiting   []Booking // new places on a waiting list
	Cancelled []Booking
	Handoffs  []HandedOff // messages passed to staff, oldest first
}

// HandedOff is one message passed to staff.
type HandedOff struct {
	From, Subject string
	At            time.Time
}

// Empty reports whether there is nothing to tell.
func (n DayNews) Empty() bool {
	return len(n.Booked)+len(n.Waiting)+len(n.Cancelled)+len(n.Handoffs) == 0
}

// NewsBetween reads what changed from since until until.
func (tx *Tx) NewsBetween(ctx context.Context, since, until time.Time) (DayNews, error) {
	var n DayNews
	var err error
	from, to := millis(since), millis(until)
	if n.Booked, err = queryBookings(ctx, tx.tx, `b.status = 'confirmed' AND b.booked_at >= ? AND b.booked_at < ?
		ORDER BY s.starts_at, b.booked_at, b.id`, from, to); err != nil {
		return n, err
	}
	if n.Waiting, err = queryBookings(ctx, tx.tx, `b.status = 'waitlisted' AND b.booked_at >= ? AND b.booked_at < ?
		ORDER BY s.starts_at, b.booked_at, b.id`, from, to); err != nil {
		return n, err
	}
	if n.Cancelled, err = queryBookings(ctx, tx.tx, `b.status = 'cancelled' AND b.updated_at >= ? AND b.updated_at < ?
		ORDER BY s.starts_at, b.updated_at, b.id`, from, to); err != nil {
		return n, err
	}
	// One line per message, however many staff it went to.
	rows, err := tx.tx.QueryContext(ctx, `
		SELECT i.sender, i.subject, min(o.created_at) FROM outbox o JOIN inbound i ON i.id = o.inbound_id
		WHERE o.kind = 'handoff' AND o.created_at >= ? AND o.created_at < ?
		GROUP BY i.id ORDER BY min(o.created_at), i.id`, from, to)
	if err != nil {
		return n, fmt.Errorf("read hand-offs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h HandedOff
		var at int64
		if err := rows.Scan(&h.From, &h.Subject, &at); err != nil {
			return n, fmt.Errorf("read hand-offs: %w", err)
		}
		h.At = fromMillis(at)
		n.Handoffs = append(n.Handoffs, h)
	}
	return n, rows.Err()
}

// LastDigest is when the last digest was made, and whether one was made
// for day.
func (tx *Tx) LastDigest(ctx context.Context, day string) (last time.Time, done bool, err error) {
	var at sql.NullInt64
	if err := tx.tx.QueryRowContext(ctx, `SELECT max(sent_at) FROM digests`).Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("read digests: %w", err)
	}
	if at.Valid {
		last = fromMillis(at.Int64)
	}
	var one int
	err = tx.tx.QueryRowContext(ctx, `SELECT 1 FROM digests WHERE day = ?`, day).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return last, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("read digest of %s: %w", day, err)
	}
	return last, true, nil
}

// MarkDigest records that day's digest was made at now.
func (tx *Tx) MarkDigest(ctx context.Context, day string, now time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO digests (day, sent_at) VALUES (?, ?)`, day, millis(now)); err != nil {
		return fmt.Errorf("record digest of %s: %w", day, err)
	}
	return nil
}
