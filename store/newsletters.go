package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Newsletter is one issue of the newsletter.
type Newsletter struct {
	ID        int64
	Subject   string
	Markdown  string
	Sessions  []string // the session ids {{sessions}} listed, in order
	Source    string   // "cli", or the staff address that sent it
	CreatedAt time.Time
	QueuedAt  time.Time // zero while it is a preview
	Digest    string
}

// SaveNewsletter records n and returns it with its id. A newsletter with
// the same digest is returned instead: sending the same subject and text
// again resumes it, and nobody gets it twice.
func (tx *Tx) SaveNewsletter(ctx context.Context, n Newsletter, now time.Time) (Newsletter, error) {
	old, err := newsletterWhere(ctx, tx.tx, `digest = ? ORDER BY id DESC LIMIT 1`, n.Digest)
	switch {
	case err == nil:
		return old, nil
	case !errors.Is(err, ErrNotFound):
		return n, err
	}
	sessions, err := json.Marshal(n.Sessions)
	if err != nil {
		return n, fmt.Errorf("save newsletter: %w", err)
	}
	err = tx.tx.QueryRowContext(ctx, `
		INSERT INTO newsletters (subject, markdown, sessions, source, created_at, digest) VALUES (?, ?, ?, ?, ?, ?)
		RETURNING id`, n.Subject, n.Markdown, sessions, n.Source, millis(now), n.Digest).Scan(&n.ID)
	if err != nil {
		return n, fmt.Errorf("save newsletter: %w", err)
	}
	n.CreatedAt = now.UTC().Truncate(time.Millisecond)
	return n, nil
}

// Newsletter returns newsletter id, or ErrNotFound.
func (s *Store) Newsletter(ctx context.Context, id int64) (Newsletter, error) {
	return newsletterWhere(ctx, s.r, `id = ?`, id)
}

// Newsletter returns newsletter id, or ErrNotFound.
func (tx *Tx) Newsletter(ctx context.Context, id int64) (Newsletter, error) {
	return newsletterWhere(ctx, tx.tx, `id = ?`, id)
}

func newsletterWhere(ctx context.Context, q querier, where string, args ...any) (Newsletter, error) {
	var n Newsletter
	var sessions string
	var created int64
	var queued sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, subject, markdown, sessions, source, created_at, queued_at, digest FROM newsletters WHERE `+where, args...).
		Scan(&n.ID, &n.Subject, &n.Markdown, &sessions, &n.Source, &created, &queued, &n.Digest)
	if errors.Is(err, sql.ErrNoRows) {
		return n, ErrNotFound
	}
	if err != nil {
		return n, fmt.Errorf("read newsletter: %w", err)
	}
	n.CreatedAt = fromMillis(created)
	n.QueuedAt = fromNull(queued)
	if err := json.Unmarshal([]byte(sessions), &n.Sessions); err != nil {
		return n, fmt.Errorf("newsletter %d sessions: %w", n.ID, err)
	}
	return n, nil
}

// QueueNewsletter writes one outbox row for every confirmed subscriber who
// is not suppressed, each with a Message-ID of its own in domain, and
// returns how many. It is done once: a newsletter already queued returns 0,
// and the rows it has are what is sent.
func (tx *Tx) QueueNewsletter(ctx context.Context, id int64, mailFrom, domain string, now time.Time) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE newsletters SET queued_at = ? WHERE id = ? AND queued_at IS NULL`, millis(now), id)
	if err != nil {
		return 0, fmt.Errorf("queue newsletter %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, nil
	}
	// One statement, so a hundred thousand rows cost one pass and one
	// commit. The Message-ID's randomness comes from SQLite's own CSPRNG.
	res, err = tx.tx.ExecContext(ctx, `
		INSERT INTO outbox (kind, message_id, mail_from, rcpt, body, bulk, newsletter_id, person_id, next_attempt, created_at)
		SELECT 'newsletter', lower(hex(randomblob(15))) || '@' || ?, ?, p.email, x'', 1, ?, p.id, ?, ?
		FROM subscriptions s JOIN people p ON p.id = s.person_id
		WHERE s.status = 'confirmed' AND p.suppressed_at IS NULL
		ORDER BY s.person_id`, domain, mailFrom, id, millis(now), millis(now))
	if err != nil {
		return 0, fmt.Errorf("queue newsletter %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// NewsletterProgress counts a newsletter's copies by status.
type NewsletterProgress struct {
	Queued, Sent, Failed, Dropped int
}

// Total is every copy queued.
func (p NewsletterProgress) Total() int { return p.Queued + p.Sent + p.Failed + p.Dropped }

// NewsletterProgress reads how far newsletter id has got.
func (s *Store) NewsletterProgress(ctx context.Context, id int64) (NewsletterProgress, error) {
	var p NewsletterProgress
	err := s.r.QueryRowContext(ctx, `
		SELECT
			count(*) FILTER (WHERE status = 'queued'),
			count(*) FILTER (WHERE status = 'sent'),
			count(*) FILTER (WHERE status = 'failed'),
			count(*) FILTER (WHERE status = 'dropped')
		FROM outbox WHERE newsletter_id = ?`, id).Scan(&p.Queued, &p.Sent, &p.Failed, &p.Dropped)
	if err != nil {
		return p, fmt.Errorf("newsletter %d progress: %w", id, err)
	}
	return p, nil
}

// OutboxByMessageID finds the message we sent with that Message-ID: what a
// bounce is about.
func (tx *Tx) OutboxByMessageID(ctx context.Context, messageID string) (id int64, rcpt string, err error) {
	return tx.outboxWhere(ctx, `message_id = ?`, messageID)
}

// OutboxRcpt is the recipient of outbox message id.
func (tx *Tx) OutboxRcpt(ctx context.Context, id int64) (string, error) {
	_, rcpt, err := tx.outboxWhere(ctx, `id = ?`, id)
	return rcpt, err
}

func (tx *Tx) outboxWhere(ctx context.Context, where string, arg any) (id int64, rcpt string, err error) {
	err = tx.tx.QueryRowContext(ctx, `SELECT id, rcpt FROM outbox WHERE `+where, arg).Scan(&id, &rcpt)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrNotFound
	}
	if err != nil {
		return 0, "", fmt.Errorf("find sent message %v: %w", arg, err)
	}
	return id, rcpt, nil
}

// SentNewsletters returns the newsletters that went to the list, newest
// first, for the public page of past issues; previews are left out.
func (s *Store) SentNewsletters(ctx context.Context) ([]Newsletter, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM newsletters WHERE queued_at IS NOT NULL ORDER BY queued_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("read newsletters: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read newsletters: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read newsletters: %w", err)
	}
	out := make([]Newsletter, 0, len(ids))
	for _, id := range ids {
		n, err := s.Newsletter(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
