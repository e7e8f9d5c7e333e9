package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// NotePerson records that email (with the display name they gave, if any)
// has written to us, and returns their id. A name already known is only
// replaced by a non-empty one.
func (tx *Tx) NotePerson(ctx context.Context, email, name string, now time.Time) (int64, error) {
	var id int64
	err := tx.tx.QueryRowContext(ctx, `
		INSERT INTO people (email, name, created_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (email) DO UPDATE SET
			name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE name END,
			updated_at = excluded.updated_at
		RETURNING id`,
		email, name, millis(now), millis(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("note person %s: %w", email, err)
	}
	return id, nil
}

// Person is someone who wrote to us or was written about.
type Person struct {
	ID         int64
	Email      string
	Name       string
	Suppressed bool
}

// Person returns the person with id, or ErrNotFound.
func (s *Store) Person(ctx context.Context, id int64) (Person, error) {
	return personWhere(ctx, s.r, `id = ?`, id)
}

// Person is Store.Person, inside the transaction: what a turn reads must
// be what it commits against.
func (tx *Tx) Person(ctx context.Context, id int64) (Person, error) {
	return personWhere(ctx, tx.tx, `id = ?`, id)
}

// PersonByEmail returns the person with that address, or ErrNotFound.
func (tx *Tx) PersonByEmail(ctx context.Context, email string) (Person, error) {
	return personWhere(ctx, tx.tx, `email = ?`, email)
}

func personWhere(ctx context.Context, q querier, where string, args ...any) (Person, error) {
	var p Person
	err := q.QueryRowContext(ctx, `SELECT id, email, name, suppressed_at IS NOT NULL FROM people WHERE `+where, args...).
		Scan(&p.ID, &p.Email, &p.Name, &p.Suppressed)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("read person: %w", err)
	}
	return p, nil
}

// Unsuppress lets mail go to personID again: they wrote to us, so their
// address works.
func (tx *Tx) Unsuppress(ctx context.Context, personID int64) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE people SET suppressed_at = NULL, suppressed_why = '' WHERE id = ? AND suppressed_at IS NOT NULL`, personID); err != nil {
		return fmt.Errorf("unsuppress person %d: %w", personID, err)
	}
	return nil
}

// Bounce is one failure a delivery report told us of.
type Bounce struct {
	PersonID   int64
	OutboxID   int64 // the message that bounced, or 0 when unknown
	Status     string
	Reason     string // sisimai's name for why, e.g. "userunknown"
	Hard       bool   // the address is gone: suppress at once
	Sender     bool   // the failure was ours (authentication, IP, content, rate): never counts against them
	Diagnostic string
}

// RecordBounce records b and suppresses the address when it is hard, or
// when it is the soft-th failure since window began that was neither hard
// nor ours. A failure of ours is only recorded. It returns whether the
// address is now suppressed.
func (tx *Tx) RecordBounce(ctx context.Context, b Bounce, soft int, window time.Time, now time.Time) (bool, error) {
	var outbox sql.NullInt64
	if b.OutboxID != 0 {
		outbox = sql.NullInt64{Int64: b.OutboxID, Valid: true}
	}
	if b.Hard && b.Sender {
		return false, fmt.Errorf("record bounce for person %d: a failure cannot be both hard and ours", b.PersonID)
	}
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO bounces (person_id, outbox_id, status, reason, hard, sender, diagnostic, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		b.PersonID, outbox, b.Status, b.Reason, b.Hard, b.Sender, b.Diagnostic, millis(now)); err != nil {
		return false, fmt.Errorf("record bounce for person %d: %w", b.PersonID, err)
	}
	if b.Sender {
		return false, nil
	}
	why := "permanent failure " + b.Status + " " + b.Reason
	if !b.Hard {
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM bounces WHERE person_id = ? AND hard = 0 AND sender = 0 AND at >= ?`,
			b.PersonID, millis(window)).Scan(&n); err != nil {
			return false, fmt.Errorf("count bounces for person %d: %w", b.PersonID, err)
		}
		if n < soft {
			return false, nil
		}
		why = fmt.Sprintf("%d temporary failures, the last %s %s", n, b.Status, b.Reason)
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE people SET suppressed_at = coalesce(suppressed_at, ?), suppressed_why = ? WHERE id = ?`,
		millis(now), why, b.PersonID); err != nil {
		return false, fmt.Errorf("suppress person %d: %w", b.PersonID, err)
	}
	return true, nil
}
