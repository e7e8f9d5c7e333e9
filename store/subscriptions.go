package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Subscription statuses (and Confirmed: said yes, gets the newsletter).
const (
	Pending      = "pending"      // asked to join; waiting for their yes
	Unsubscribed = "unsubscribed" // left
	Lapsed       = "lapsed"       // never confirmed in time
)

// Subscription is one person's place on the mailing list.
type Subscription struct {
	PersonID       int64
	Email, Name    string
	Status         string
	Source         string // email, staff, booking or cli: how the request to join came
	AskedAt        time.Time
	RequestSentAt  time.Time // zero when no request to confirm was sent
	ConsentedAt    time.Time // zero until confirmed
	ConsentHow     string    // "reply", "link", "reply to booking confirmation"
	ConsentMessage string    // the Message-ID of the reply that gave consent
	LeftAt         time.Time
	LeftHow        string
	Suppressed     bool // bounced: nothing is sent until they write again
}

const subscriptionColumns = `s.person_id, p.email, p.name, s.status, s.source, s.asked_at,
	s.request_sent_at, s.consented_at, s.consent_how, s.consent_message, s.left_at, s.left_how,
	p.suppressed_at IS NOT NULL`

func scanSubscription(row interface{ Scan(...any) error }) (Subscription, error) {
	var s Subscription
	var asked int64
	var sent, consented, left sql.NullInt64
	err := row.Scan(&s.PersonID, &s.Email, &s.Name, &s.Status, &s.Source, &asked,
		&sent, &consented, &s.ConsentHow, &s.ConsentMessage, &left, &s.LeftHow, &s.Suppressed)
	s.AskedAt = fromMillis(asked)
	s.RequestSentAt = fromNull(sent)
	s.ConsentedAt = fromNull(consented)
	s.LeftAt = fromNull(left)
	return s, err
}

func fromNull(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return fromMillis(ms.Int64)
}

// Subscription returns personID's place on the list, or ErrNotFound when
// they never asked to join.
func (tx *Tx) Subscription(ctx context.Context, personID int64) (Subscription, error) {
	s, err := scanSubscription(tx.tx.QueryRowContext(ctx, `SELECT `+subscriptionColumns+`
		FROM subscriptions s JOIN people p ON p.id = s.person_id WHERE s.person_id = ?`, personID))
	if errors.Is(err, sql.ErrNoRows) {
		return s, ErrNotFound
	}
	if err != nil {
		return s, fmt.Errorf("read subscription of person %d: %w", personID, err)
	}
	return s, nil
}

// AskToJoin records that personID asked (or was asked for) to join: they
// are pending until they confirm. Someone already confirmed stays so.
func (tx *Tx) AskToJoin(ctx context.Context, personID int64, source string, now time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `
		INSERT INTO subscriptions (person_id, status, source, asked_at, updated_at) VALUES (?, 'pending', ?, ?, ?)
		ON CONFLICT (person_id) DO UPDATE SET
			status = 'pending', source = excluded.source, asked_at = excluded.asked_at, updated_at = excluded.updated_at
		WHERE status <> 'confirmed'`,
		personID, source, millis(now), millis(now))
	if err != nil {
		return fmt.Errorf("record request to join from person %d: %w", personID, err)
	}
	return nil
}

// NoteRequestSent records that a request to confirm went to personID now.
func (tx *Tx) NoteRequestSent(ctx context.Context, personID int64, now time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE subscriptions SET request_sent_at = ?, updated_at = ? WHERE person_id = ?`,
		millis(now), millis(now), personID)
	if err != nil {
		return fmt.Errorf("note request to confirm sent to person %d: %w", personID, err)
	}
	return nil
}

// Confirm puts personID on the list with the evidence of their consent:
// how they gave it, and the message (or request) that carried it. A
// person who never asked is joined too, with source, when a reply of
// theirs is the consent (a yes to a booking confirmation's offer).
func (tx *Tx) Confirm(ctx context.Context, personID int64, source, how, evidence string, now time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `
		INSERT INTO subscriptions (person_id, status, source, asked_at, consented_at, consent_how, consent_message, updated_at)
		VALUES (?, 'confirmed', ?, ?, ?, ?, ?, ?)
		ON CONFLICT (person_id) DO UPDATE SET
			status = 'confirmed', consented_at = excluded.consented_at, consent_how = excluded.consent_how,
			consent_message = excluded.consent_message, left_at = NULL, left_how = '', updated_at = excluded.updated_at
		WHERE status <> 'confirmed'`,
		personID, source, millis(now), millis(now), how, evidence, millis(now))
	if err != nil {
		return fmt.Errorf("confirm subscription of person %d: %w", personID, err)
	}
	return nil
}

// Leave takes personID off the list at once, and says whether they were
// on it (confirmed or pending).
func (tx *Tx) Leave(ctx context.Context, personID int64, how string, now time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE subscriptions SET status = 'unsubscribed', left_at = ?, left_how = ?, updated_at = ?
		WHERE person_id = ? AND status IN ('pending', 'confirmed')`,
		millis(now), how, millis(now), personID)
	if err != nil {
		return false, fmt.Errorf("unsubscribe person %d: %w", personID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// LapsePending ends requests to join that were not confirmed by before,
// and returns how many.
func (tx *Tx) LapsePending(ctx context.Context, before, now time.Time) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE subscriptions SET status = 'lapsed', updated_at = ? WHERE status = 'pending' AND asked_at < ?`,
		millis(now), millis(before))
	if err != nil {
		return 0, fmt.Errorf("lapse unconfirmed requests to join: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// CountConfirmed is how many people a newsletter would go to now: on the
// list and not suppressed.
func (s *Store) CountConfirmed(ctx context.Context) (int, error) {
	return countConfirmed(ctx, s.r)
}

// CountConfirmed is Store.CountConfirmed, inside the transaction.
func (tx *Tx) CountConfirmed(ctx context.Context) (int, error) {
	return countConfirmed(ctx, tx.tx)
}

func countConfirmed(ctx context.Context, q querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `
		SELECT count(*) FROM subscriptions s JOIN people p ON p.id = s.person_id
		WHERE s.status = 'confirmed' AND p.suppressed_at IS NULL`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count subscribers: %w", err)
	}
	return n, nil
}

// ExportSubscribers calls fn for every subscription, in the order people
// first asked, reading as it goes.
func (s *Store) ExportSubscribers(ctx context.Context, fn func(Subscription) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT `+subscriptionColumns+`
		FROM subscriptions s JOIN people p ON p.id = s.person_id ORDER BY s.asked_at, s.person_id`)
	if err != nil {
		return fmt.Errorf("export subscribers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sub, err := scanSubscription(rows)
		if err != nil {
			return fmt.Errorf("export subscribers: %w", err)
		}
		if err := fn(sub); err != nil {
			return err
		}
	}
	return rows.Err()
}
