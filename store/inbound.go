package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Inbound is the record of one message taken from a mailbox.
type Inbound struct {
	Key         string // Message-ID, or a digest of the message when it has none
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	Sender      string
	Subject     string
	Size        int64
	ReceivedAt  time.Time
	HandledAt   time.Time
	Outcome     string // what the bot did, for people reading the database
	Proven      bool   // it proved it came from Sender (see mailbot.Proof)
}

// MailboxState is how far the inbox reader has got in one mailbox.
type MailboxState struct {
	UIDValidity uint32
	LastUID     uint32
}

// MailboxState returns the state saved for mailbox; ok is false if the
// mailbox has never been read.
func (s *Store) MailboxState(ctx context.Context, mailbox string) (st MailboxState, ok bool, err error) {
	err = s.r.QueryRowContext(ctx,
		`SELECT uid_validity, last_uid FROM mailbox_state WHERE mailbox = ?`, mailbox).
		Scan(&st.UIDValidity, &st.LastUID)
	if errors.Is(err, sql.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("read state of mailbox %s: %w", mailbox, err)
	}
	return st, true, nil
}

// ResetMailbox starts mailbox afresh under a new UIDVALIDITY: every UID seen
// before means nothing now. Messages already handled are still recognised by
// their Message-ID.
func (s *Store) ResetMailbox(ctx context.Context, mailbox string, uidValidity uint32) error {
	return s.FirstLook(ctx, mailbox, uidValidity, nil)
}

// UIDRange is the UIDs First to Last, both included.
type UIDRange struct{ First, Last uint32 }

// FirstLook starts mailbox afresh under uidValidity, as ResetMailbox does,
// and records in the same transaction the messages to leave alone: a crash
// half-way through the first look must not make them look new.
func (s *Store) FirstLook(ctx context.Context, mailbox string, uidValidity uint32, leaveAlone []UIDRange) error {
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `
			INSERT INTO mailbox_state (mailbox, uid_validity, last_uid) VALUES (?, ?, 0)
			ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = 0`,
			mailbox, uidValidity)
		if err == nil {
			_, err = tx.tx.ExecContext(ctx, `DELETE FROM mailbox_left_alone WHERE mailbox = ?`, mailbox)
		}
		for _, r := range leaveAlone {
			if err != nil {
				break
			}
			_, err = tx.tx.ExecContext(ctx, `
				INSERT INTO mailbox_left_alone (mailbox, uid_validity, first_uid, last_uid) VALUES (?, ?, ?, ?)`,
				mailbox, uidValidity, r.First, r.Last)
		}
		if err != nil {
			return fmt.Errorf("reset mailbox %s: %w", mailbox, err)
		}
		return nil
	})
}

// LeftAlone returns the UIDs the first look at mailbox left alone, in
// order.
func (s *Store) LeftAlone(ctx context.Context, mailbox string, uidValidity uint32) ([]UIDRange, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT first_uid, last_uid FROM mailbox_left_alone
		WHERE mailbox = ? AND uid_validity = ? ORDER BY first_uid`, mailbox, uidValidity)
	if err != nil {
		return nil, fmt.Errorf("list messages left alone in %s: %w", mailbox, err)
	}
	defer rows.Close()
	var out []UIDRange
	for rows.Next() {
		var r UIDRange
		if err := rows.Scan(&r.First, &r.Last); err != nil {
			return nil, fmt.Errorf("list messages left alone in %s: %w", mailbox, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list messages left alone in %s: %w", mailbox, err)
	}
	return out, nil
}

// ForgetLeftAlone drops the record of what the first look at mailbox left
// alone, once those messages have been handled after all.
func (s *Store) ForgetLeftAlone(ctx context.Context, mailbox string) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM mailbox_left_alone WHERE mailbox = ?`, mailbox); err != nil {
			return fmt.Errorf("forget messages left alone in %s: %w", mailbox, err)
		}
		return nil
	})
}

// SkipTo records that the reader is done with every UID up to uid in
// mailbox without handling any: each was one left alone.
func (s *Store) SkipTo(ctx context.Context, mailbox string, uidValidity, uid uint32) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.Advance(ctx, mailbox, uidValidity, uid) })
}

// Advance records that the reader is done with uid in mailbox. It never
// moves backwards.
func (tx *Tx) Advance(ctx context.Context, mailbox string, uidValidity, uid uint32) error {
	_, err := tx.tx.ExecContext(ctx, `
		INSERT INTO mailbox_state (mailbox, uid_validity, last_uid) VALUES (?, ?, ?)
		ON CONFLICT (mailbox) DO UPDATE SET last_uid = max(last_uid, excluded.last_uid)
		WHERE uid_validity = excluded.uid_validity`,
		mailbox, uidValidity, uid)
	if err != nil {
		return fmt.Errorf("advance mailbox %s to uid %d: %w", mailbox, uid, err)
	}
	return nil
}

// Handled reports whether this message was handled before, either under the
// same key or at the same mailbox position.
func (tx *Tx) Handled(ctx context.Context, in Inbound) (bool, error) {
	var one int
	err := tx.tx.QueryRowContext(ctx, `
		SELECT 1 FROM inbound
		WHERE message_key = ? OR (mailbox = ? AND uid_validity = ? AND uid = ?)
		LIMIT 1`, in.Key, in.Mailbox, in.UIDValidity, in.UID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up message %s: %w", in.Key, err)
	}
	return true, nil
}

// RecordInbound stores the record of a handled message and advances the
// mailbox past it. It returns the record's id, for linking replies to it.
func (tx *Tx) RecordInbound(ctx context.Context, in Inbound) (int64, error) {
	res, err := tx.tx.ExecContext(ctx, `
		INSERT INTO inbound (message_key, mailbox, uid_validity, uid, sender, subject, size, received_at, handled_at, outcome, proven)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.Key, in.Mailbox, in.UIDValidity, in.UID, in.Sender, in.Subject, in.Size,
		millis(in.ReceivedAt), millis(in.HandledAt), in.Outcome, in.Proven)
	if err != nil {
		return 0, fmt.Errorf("record message %s: %w", in.Key, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("record message %s: %w", in.Key, err)
	}
	return id, tx.Advance(ctx, in.Mailbox, in.UIDValidity, in.UID)
}

// Unmarked returns the UIDs of handled messages in mailbox that were not yet
// flagged on the server, oldest first.
func (s *Store) Unmarked(ctx context.Context, mailbox string, uidValidity uint32) ([]uint32, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT uid FROM inbound WHERE mailbox = ? AND uid_validity = ? AND marked = 0 ORDER BY uid`,
		mailbox, uidValidity)
	if err != nil {
		return nil, fmt.Errorf("list unmarked messages in %s: %w", mailbox, err)
	}
	defer rows.Close()
	var uids []uint32
	for rows.Next() {
		var uid uint32
		if err := rows.Scan(&uid); err != nil {
			return nil, fmt.Errorf("list unmarked messages in %s: %w", mailbox, err)
		}
		uids = append(uids, uid)
	}
	return uids, rows.Err()
}

// SetMarked records that the messages at uids were flagged on the server.
func (s *Store) SetMarked(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) error {
	return s.Write(ctx, func(tx *Tx) error {
		stmt, err := tx.tx.PrepareContext(ctx,
			`UPDATE inbound SET marked = 1 WHERE mailbox = ? AND uid_validity = ? AND uid = ?`)
		if err != nil {
			return fmt.Errorf("mark messages in %s: %w", mailbox, err)
		}
		defer stmt.Close()
		for _, uid := range uids {
			if _, err := stmt.ExecContext(ctx, mailbox, uidValidity, uid); err != nil {
				return fmt.Errorf("mark message %d in %s: %w", uid, mailbox, err)
			}
		}
		return nil
	})
}

// InboundOutcome returns what was done with the message with key, for tests
// and for staff looking into a complaint.
func (s *Store) InboundOutcome(ctx context.Context, key string) (string, error) {
	var outcome string
	err := s.r.QueryRowContext(ctx, `SELECT outcome FROM inbound WHERE message_key = ?`, key).Scan(&outcome)
	if err != nil {
		return "", fmt.Errorf("outcome of message %s: %w", key, err)
	}
	return outcome, nil
}

// CountInbound returns how many messages have been recorded.
func (s *Store) CountInbound(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM inbound`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count messages: %w", err)
	}
	return n, nil
}

// HandedOver counts the messages from base, or any +tag of it, passed to
// staff since the given time (each counted once, however many staff it
// went to).
func (tx *Tx) HandedOver(ctx context.Context, base string, since time.Time) (int, error) {
	same, args := sameMailbox("i.sender", base)
	var n int
	err := tx.tx.QueryRowContext(ctx, `
		SELECT count(DISTINCT o.inbound_id) FROM outbox o JOIN inbound i ON i.id = o.inbound_id
		WHERE o.kind = 'handoff' AND o.created_at >= ? AND `+same,
		append([]any{millis(since)}, args...)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count messages from %s passed to staff: %w", base, err)
	}
	return n, nil
}
