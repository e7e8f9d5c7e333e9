package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SenderFault is one recent failure that was the council's own, as staff
// are told of it.
type SenderFault struct {
	Rcpt       string
	Status     string
	Reason     string
	Diagnostic string
	At         time.Time
}

// SenderFaultsSince returns the failures since t that were ours, newest
// first, at most limit of them, and how many people they were for in all.
func (tx *Tx) SenderFaultsSince(ctx context.Context, since time.Time, limit int) ([]SenderFault, int, error) {
	var people int
	if err := tx.tx.QueryRowContext(ctx, `SELECT count(DISTINCT person_id) FROM bounces WHERE sender = 1 AND at >= ?`,
		millis(since)).Scan(&people); err != nil {
		return nil, 0, fmt.Errorf("count failures of ours: %w", err)
	}
	rows, err := tx.tx.QueryContext(ctx, `
		SELECT p.email, b.status, b.reason, b.diagnostic, b.at FROM bounces b JOIN people p ON p.id = b.person_id
		WHERE b.sender = 1 AND b.at >= ? ORDER BY b.at DESC, b.id DESC LIMIT ?`, millis(since), limit)
	if err != nil {
		return nil, 0, fmt.Errorf("read failures of ours: %w", err)
	}
	defer rows.Close()
	var out []SenderFault
	for rows.Next() {
		var f SenderFault
		var at int64
		if err := rows.Scan(&f.Rcpt, &f.Status, &f.Reason, &f.Diagnostic, &at); err != nil {
			return nil, 0, fmt.Errorf("read failures of ours: %w", err)
		}
		f.At = fromMillis(at)
		out = append(out, f)
	}
	return out, people, rows.Err()
}

// BulkSentSince counts the list mail the server accepted since t.
func (tx *Tx) BulkSentSince(ctx context.Context, since time.Time) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE bulk = 1 AND sent_at >= ?`, millis(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count list mail sent: %w", err)
	}
	return n, nil
}

// Pause is bulk mail held back, and why.
type Pause struct {
	Paused bool
	Since  time.Time
	Why    string
}

// PauseBulk holds back bulk mail from now on, saying why. It returns false
// when bulk mail was paused already: staff were told then.
func (tx *Tx) PauseBulk(ctx context.Context, why string, now time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO bulk_pause (id, paused_at, why) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`, millis(now), why)
	if err != nil {
		return false, fmt.Errorf("pause bulk mail: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("pause bulk mail: %w", err)
	}
	return n == 1, nil
}

// ResumeBulk lets bulk mail go again, and says whether it had been paused.
func (s *Store) ResumeBulk(ctx context.Context) (Pause, error) {
	var p Pause
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		p, err = tx.ResumeBulk(ctx)
		return err
	})
	return p, err
}

// ResumeBulk is Store.ResumeBulk inside the transaction: a member of
// staff's SEND by email.
func (tx *Tx) ResumeBulk(ctx context.Context) (Pause, error) {
	p, err := bulkPause(ctx, tx.tx)
	if err != nil || !p.Paused {
		return p, err
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM bulk_pause`); err != nil {
		return p, fmt.Errorf("resume bulk mail: %w", err)
	}
	return p, nil
}

// BulkPause says whether bulk mail is held back.
func (s *Store) BulkPause(ctx context.Context) (Pause, error) {
	return bulkPause(ctx, s.r)
}

func bulkPause(ctx context.Context, q querier) (Pause, error) {
	var p Pause
	var at int64
	err := q.QueryRowContext(ctx, `SELECT paused_at, why FROM bulk_pause WHERE id = 1`).Scan(&at, &p.Why)
	if errors.Is(err, sql.ErrNoRows) {
		return Pause{}, nil
	}
	if err != nil {
		return Pause{}, fmt.Errorf("read whether bulk mail is paused: %w", err)
	}
	p.Paused, p.Since = true, fromMillis(at)
	return p, nil
}

// BounceStats counts what delivery reports have told us, for monitoring.
type BounceStats struct {
	Hard, Soft, Sender int // bounces recorded, by whose fault (see Bounce)
	Suppressed         int // people whose mail is stopped
	Complaints         int // abuse reports acted on
	Pause              Pause
}

// BounceStats counts every bounce recorded and every address suppressed,
// and says whether list mail is paused.
func (s *Store) BounceStats(ctx context.Context) (BounceStats, error) {
	var st BounceStats
	err := s.r.QueryRowContext(ctx, `
		SELECT coalesce(sum(hard), 0), coalesce(sum(hard = 0 AND sender = 0), 0), coalesce(sum(sender), 0),
			(SELECT count(*) FROM people WHERE suppressed_at IS NOT NULL), (SELECT count(*) FROM complaints)
		FROM bounces`).Scan(&st.Hard, &st.Soft, &st.Sender, &st.Suppressed, &st.Complaints)
	if err != nil {
		return BounceStats{}, fmt.Errorf("count bounces: %w", err)
	}
	st.Pause, err = bulkPause(ctx, s.r)
	return st, err
}
