package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
	Kind      string
	MessageID string
	MailFrom  string
	Rcpt      string
	Body      []byte // empty for a newsletter copy, which is made as it is sent
	Attempts  int
	CreatedAt time.Time
	Bulk      bool
	// NewsletterID and PersonID say whose copy of which newsletter this
	// is; zero for other mail.
	NewsletterID int64
	PersonID     int64

	// What was read of the recipient with the message (DueOutbox), or
	// since (Recheck), for Wanted: whether the address bounced, and the
	// list subscription of a newsletter copy's person ("" for none).
	Suppressed   bool
	Subscription string
	// Person is a newsletter copy's person, their address and name as the
	// claim read them; zero for other mail, or when they are gone.
	Person Person
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

// QueuedFor counts the replies queued since the given time for base, an
// address without a +tag, or for any +tag of it (one mailbox, one limit),
// to messages that proved their sender or to those that did not, as
// proven says: each has a limit of its own. Hand-offs are not counted,
// nor list mail: what the bot sends staff in their work must not use up
// their own replies.
func (tx *Tx) QueuedFor(ctx context.Context, base string, proven bool, since time.Time) (int, error) {
	q, args := queuedFor(base, proven, since)
	var n int
	err := tx.tx.QueryRowContext(ctx, q, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count mail queued for %s: %w", base, err)
	}
	return n, nil
}

// queuedFor is QueuedFor's query and its arguments.
func queuedFor(base string, proven bool, since time.Time) (string, []any) {
	rows, args := rowsToMailbox(base)
	return `SELECT count(*) FROM outbox o JOIN inbound i ON i.id = o.inbound_id
		WHERE o.id IN (` + rows + `) AND o.created_at >= ? AND o.kind <> 'handoff' AND o.bulk = 0 AND i.proven = ?`,
		append(args, millis(since), proven)
}

// rowsToMailbox selects the ids of outbox rows to base or a +tag of it,
// as sameMailbox does, in a form the outbox_rcpt index answers: with the
// two alternatives in one WHERE, SQLite scans the whole outbox, once for
// every message handled, and a backlog's cost grows with its square.
func rowsToMailbox(base string) (string, []any) {
	return `SELECT id FROM outbox WHERE rcpt = ? COLLATE NOCASE
		UNION ALL SELECT id FROM outbox WHERE rcpt >= ? COLLATE NOCASE AND rcpt < ? COLLATE NOCASE AND substr(rcpt, -?) = ? COLLATE NOCASE`,
		mailboxBounds(base)
}

// mailboxBounds are what a mailbox's condition compares with: the address,
// the range its +tags sort in, and its domain.
func mailboxBounds(base string) []any {
	local, domain, _ := strings.Cut(base, "@")
	return []any{base, local + "+", local + ",", len(domain) + 1, "@" + domain}
}

// sameMailbox is an SQL condition that col is base, or base with a +tag,
// in ASCII case only (SQLite's NOCASE), as the reply limit counts them.
// It is a range on the index of col rather than a LIKE, which the index
// would not serve: ',' is the character after '+'.
func sameMailbox(col, base string) (string, []any) {
	return fmt.Sprintf(`(%[1]s = ? COLLATE NOCASE OR (%[1]s >= ? COLLATE NOCASE AND %[1]s < ? COLLATE NOCASE AND substr(%[1]s, -?) = ? COLLATE NOCASE))`, col),
		mailboxBounds(base)
}

// DueOutbox returns up to limit queued messages whose next attempt is due at
// now: replies to people first, then list mail, each oldest first. List
// mail is left out when bulk is false. Each comes with what Wanted decides
// by and a newsletter copy's person, read in the same statement: a round
// of copies costs one query, not three for each.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, bulk bool, limit int) ([]Outgoing, error) {
	q, args := dueOutbox(now, bulk, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	var out []Outgoing
	for rows.Next() {
		var m Outgoing
		var created int64
		if err := rows.Scan(&m.ID, &m.Kind, &m.MessageID, &m.MailFrom, &m.Rcpt, &m.Body, &m.Attempts, &created,
			&m.Bulk, &m.NewsletterID, &m.PersonID, &m.Suppressed, &m.Subscription,
			&m.Person.ID, &m.Person.Email, &m.Person.Name); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		m.CreatedAt = fromMillis(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// dueOutbox is DueOutbox's query and its arguments.
func dueOutbox(now time.Time, bulk bool, limit int) (string, []any) {
	maxBulk := 0
	if bulk {
		maxBulk = 1
	}
	return `
		SELECT o.id, o.kind, o.message_id, o.mail_from, o.rcpt, o.body, o.attempts, o.created_at, o.bulk,
			coalesce(o.newsletter_id, 0), coalesce(o.person_id, 0), ` + recipientChecks("o.rcpt", "o.person_id") + `,
			coalesce(p.id, 0), coalesce(p.email, ''), coalesce(p.name, '')
		FROM outbox o LEFT JOIN people p ON p.id = o.person_id
		WHERE o.status = 'queued' AND o.bulk <= ? AND o.next_attempt <= ?
		ORDER BY o.bulk, o.next_attempt, o.id LIMIT ?`, []any{maxBulk, millis(now), limit}
}

// recipientChecks are the columns Wanted decides by, for the recipient
// address rcpt and the person id person (SQL expressions): whether the
// address bounced, and the person's subscription status or ”.
func recipientChecks(rcpt, person string) string {
	return `coalesce((SELECT suppressed_at IS NOT NULL FROM people WHERE email = ` + rcpt + `), 0),
		coalesce((SELECT status FROM subscriptions WHERE person_id = ` + person + `), '')`
}

// Recheck reads again what Wanted decides by, for a message claimed a
// while before it is sent.
func (s *Store) Recheck(ctx context.Context, m *Outgoing) error {
	err := s.r.QueryRowContext(ctx, `SELECT `+recipientChecks("?", "?"), m.Rcpt, m.PersonID).Scan(&m.Suppressed, &m.Subscription)
	if err != nil {
		return fmt.Errorf("check recipient of message %d: %w", m.ID, err)
	}
	return nil
}

// Wanted says whether m should still go, by what was last read of its
// recipient: not to an address that bounced, and list mail only to
// someone still on the list. Both can change after it was queued, so the
// sender asks just before sending, of a reading at most a moment old.
func (m Outgoing) Wanted() (bool, string) {
	switch {
	case m.Suppressed:
		return false, "not sent: the address bounced"
	case m.Bulk && m.Subscription != Confirmed:
		return false, "not sent: no longer on the list"
	}
	return true, ""
}

// SentSince counts the messages the server accepted since t, and how many
// of them were list mail: what a sending limit is measured against.
func (s *Store) SentSince(ctx context.Context, t time.Time) (all, bulk int, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(bulk), 0) FROM outbox WHERE sent_at >= ?`, millis(t)).Scan(&all, &bulk)
	if err != nil {
		return 0, 0, fmt.Errorf("count mail sent: %w", err)
	}
	return all, bulk, nil
}

// NextDue returns when the earliest queued message is due, list mail left
// out when bulk is false; ok is false when nothing is queued.
func (s *Store) NextDue(ctx context.Context, bulk bool) (due time.Time, ok bool, err error) {
	var ms sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT min(next_attempt) FROM outbox WHERE status = 'queued' AND bulk <= ?`, bulk).Scan(&ms); err != nil {
		return time.Time{}, false, fmt.Errorf("read outbox: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return fromMillis(ms.Int64), true, nil
}

// What became of an attempt to send.
const (
	Sent    = "sent"    // the server accepted it
	Retry   = "retry"   // a temporary failure: try again at Next
	Failed  = "failed"  // refused for good, or given up on
	Dropped = "dropped" // not sent: see Wanted
)

// Outcome is what became of one attempt at message ID.
type Outcome struct {
	ID     int64
	Status string
	At     time.Time // when it was sent, or failed
	Next   time.Time // Retry: when to try again
	Reason string    // the server's words, or why it was dropped
}

// Record writes outcomes in one transaction: with several connections
// sending, one fsync covers every message accepted meanwhile.
func (s *Store) Record(ctx context.Context, outcomes ...Outcome) error {
	return s.Write(ctx, func(tx *Tx) error {
		for _, o := range outcomes {
			var res sql.Result
			var err error
			switch o.Status {
			case Sent:
				res, err = tx.tx.ExecContext(ctx, `UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '' WHERE id = ?`, millis(o.At), o.ID)
			case Retry:
				res, err = tx.tx.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?`, millis(o.Next), o.Reason, o.ID)
			case Failed:
				res, err = tx.tx.ExecContext(ctx, `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`, o.Reason, o.ID)
			case Dropped:
				res, err = tx.tx.ExecContext(ctx, `UPDATE outbox SET status = 'dropped', last_error = ? WHERE id = ?`, o.Reason, o.ID)
			default:
				return fmt.Errorf("update outbox message %d: unknown outcome %q", o.ID, o.Status)
			}
			if err != nil {
				return fmt.Errorf("update outbox message %d: %w", o.ID, err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("update outbox message %d: no such message", o.ID)
			}
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
