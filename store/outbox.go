package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OutMessage is a message to queue for sending.
type OutMessage struct {
	Kind      string // e.g. "help", for people reading the database
	MessageID string // fixed now, so a retry is the same message
	MailFrom  string // SMTP envelope sender
	Rcpt      string // SMTP envelope recipient: one row per recipient
	Body      []byte // the whole RFC 5322 message
	InboundID int64  // the message this answers, or 0
}

// Outgoing is a queued message due for an attempt.
type Outgoing struct {
	ID        int64
	MessageID string
	MailFrom  string
	Rcpt      string
	Body      []byte
	Attempts  int
	CreatedAt time.Time
}

// Enqueue adds m to the outbox, due at once.
func (tx *Tx) Enqueue(ctx context.Context, m OutMessage, now time.Time) (int64, error) {
	var inbound sql.NullInt64
	if m.InboundID != 0 {
		inbound = sql.NullInt64{Int64: m.InboundID, Valid: true}
	}
	res, err := tx.tx.ExecContext(ctx, `
		INSERT INTO outbox (kind, message_id, mail_from, rcpt, body, inbound_id, next_attempt, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Kind, m.MessageID, m.MailFrom, m.Rcpt, m.Body, inbound, millis(now), millis(now))
	if err != nil {
		return 0, fmt.Errorf("queue %s message to %s: %w", m.Kind, m.Rcpt, err)
	}
	return res.LastInsertId()
}

// QueuedFor counts the messages queued for rcpt since the given time.
func (tx *Tx) QueuedFor(ctx context.Context, rcpt string, since time.Time) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx,
		`SELECT count(*) FROM outbox WHERE rcpt = ? COLLATE NOCASE AND created_at >= ?`,
		rcpt, millis(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count mail queued for %s: %w", rcpt, err)
	}
	return n, nil
}

// DueOutbox returns up to limit queued messages whose next attempt is due at
// now, oldest first.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]Outgoing, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT id, message_id, mail_from, rcpt, body, attempts, created_at FROM outbox
		WHERE status = 'queued' AND next_attempt <= ?
		ORDER BY next_attempt, id LIMIT ?`, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	var out []Outgoing
	for rows.Next() {
		var m Outgoing
		var created int64
		if err := rows.Scan(&m.ID, &m.MessageID, &m.MailFrom, &m.Rcpt, &m.Body, &m.Attempts, &created); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		m.CreatedAt = fromMillis(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// NextDue returns when the earliest queued message is due; ok is false when
// nothing is queued.
func (s *Store) NextDue(ctx context.Context) (due time.Time, ok bool, err error) {
	var ms sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT min(next_attempt) FROM outbox WHERE status = 'queued'`).Scan(&ms); err != nil {
		return time.Time{}, false, fmt.Errorf("read outbox: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return fromMillis(ms.Int64), true, nil
}

// MarkSent records the server's acceptance of message id.
func (s *Store) MarkSent(ctx context.Context, id int64, now time.Time) error {
	return s.setOutcome(ctx, id, `UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '' WHERE id = ?`, millis(now), id)
}

// MarkRetry records a temporary failure; the message is tried again at next.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, reason string) error {
	return s.setOutcome(ctx, id, `UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?`, millis(next), reason, id)
}

// MarkFailed records a permanent failure with the server's reason.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	return s.setOutcome(ctx, id, `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`, reason, id)
}

func (s *Store) setOutcome(ctx context.Context, id int64, query string, args ...any) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("update outbox message %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("update outbox message %d: no such message", id)
		}
		return nil
	})
}

// OutboxMessage is what became of one outbox row.
type OutboxMessage struct {
	ID        int64
	Kind      string
	MessageID string
	Rcpt      string
	Status    string
	Attempts  int
	LastError string
}

// OutboxByRcpt lists what was queued for rcpt, oldest first.
func (s *Store) OutboxByRcpt(ctx context.Context, rcpt string) ([]OutboxMessage, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT id, kind, message_id, rcpt, status, attempts, last_error FROM outbox
		WHERE rcpt = ? COLLATE NOCASE ORDER BY id`, rcpt)
	if err != nil {
		return nil, fmt.Errorf("read outbox for %s: %w", rcpt, err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var m OutboxMessage
		if err := rows.Scan(&m.ID, &m.Kind, &m.MessageID, &m.Rcpt, &m.Status, &m.Attempts, &m.LastError); err != nil {
			return nil, fmt.Errorf("read outbox for %s: %w", rcpt, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// OutboxStats summarises the queue for health checks and logs.
type OutboxStats struct {
	Queued       int
	Failed       int
	OldestQueued time.Time // zero when nothing is queued
}

// OutboxStats returns the queue's depth and age.
func (s *Store) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	var oldest sql.NullInt64
	err := s.r.QueryRowContext(ctx, `
		SELECT
			count(*) FILTER (WHERE status = 'queued'),
			count(*) FILTER (WHERE status = 'failed'),
			min(created_at) FILTER (WHERE status = 'queued')
		FROM outbox`).Scan(&st.Queued, &st.Failed, &oldest)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read outbox: %w", err)
	}
	if oldest.Valid {
		st.OldestQueued = fromMillis(oldest.Int64)
	}
	return st, nil
}
