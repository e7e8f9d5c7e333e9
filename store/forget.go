package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OfferForget is a request to confirm that a person's details should be
// erased. Only their own reply citing it erases them.
const OfferForget = "forget"

// Erased says what Forget did, for the summary an officer reads.
type Erased struct {
	Person        bool   // someone with the address was known
	Placeholder   string // with Person: what their address is now, in bookings and attendee lists
	Kept          int    // their bookings, kept without their details: confirmed places still count
	Waiting       int    // places on waiting lists given up
	Subscription  bool   // their mailing list record, consent and all
	Offers        int    // lists and questions of ours they could have replied to
	Contributions int    // their views, kept for the programme
	Bounces       int    // delivery failures recorded for them
	From          int    // messages from them: sender and subject erased
	To            int    // messages to them: address and body erased
	Unsent        int    // of those, still queued: now never sent
	Naming        int    // messages from or to others that named them: subject or body erased
	NamingUnsent  int    // of those, still queued: now never sent
}

// Any is whether anything was held about them.
func (e Erased) Any() bool {
	return e.Person || e.From+e.To+e.Naming > 0
}

// Reasons a queued message is dropped by Forget.
const (
	unsentErased = "not sent: their details were erased"
	unsentNaming = "not sent: it named someone whose details were erased"
)

// erasedAddress is what replaces an address in the rows that stay.
const erasedAddress = "(erased)"

// Forget erases what identifies the person at email, everywhere, and
// returns what it did. It can be run again: what is already erased stays
// so, and anything that names them since is erased too.
//
// Their people row stays, so that their bookings keep counting: its
// address becomes "(erased ID)" and its name goes; it is suppressed, so
// nothing is sent to it. Confirmed bookings keep their places without
// phone or access needs; waiting-list places are given up, as nobody could
// be told of a place coming free. Their subscription, consent evidence,
// offers and bounces are deleted. Messages from them keep only what
// recognises a redelivery (the key, hashed when it holds their address,
// and the mailbox position); messages to them keep only their Message-ID
// and status. A message to anyone else whose subject or body names them,
// as mentions judges (the store knows no MIME), loses that subject or
// body, and is not sent if it was still queued.
//
// Deleted data is overwritten in the file (secure_delete, see openDB); the
// write-ahead log keeps old pages until Checkpoint or Compact.
func (tx *Tx) Forget(ctx context.Context, email string, mentions func([]byte) bool, now time.Time) (Erased, error) {
	var e Erased
	placeholder := erasedAddress
	p, err := tx.PersonByEmail(ctx, email)
	switch {
	case err == nil:
		e.Person = true
		placeholder = fmt.Sprintf("(erased %d)", p.ID)
		e.Placeholder = placeholder
		if err := tx.erasePerson(ctx, p.ID, placeholder, &e, now); err != nil {
			return e, err
		}
	case !errors.Is(err, ErrNotFound):
		return e, err
	}
	if err := tx.eraseInbound(ctx, email, placeholder, &e); err != nil {
		return e, err
	}
	if err := tx.eraseOutbox(ctx, email, p.ID, placeholder, &e); err != nil {
		return e, err
	}
	if err := tx.eraseMentions(ctx, mentions, &e); err != nil {
		return e, err
	}
	if _, err := tx.tx.ExecContext(ctx, `INSERT OR IGNORE INTO erased (digest, erased_at) VALUES (?, ?)`,
		erasedDigest(email), millis(now)); err != nil {
		return e, fmt.Errorf("note the erasure: %w", err)
	}
	// A member of staff who sent a newsletter by email is its source.
	if _, err := tx.tx.ExecContext(ctx, `UPDATE newsletters SET source = ? WHERE source = ? COLLATE NOCASE`, erasedAddress, email); err != nil {
		return e, fmt.Errorf("erase newsletter sender: %w", err)
	}
	return e, nil
}

// erasePerson anonymises personID's row and bookings and deletes what
// else is theirs.
func (tx *Tx) erasePerson(ctx context.Context, personID int64, placeholder string, e *Erased, now time.Time) error {
	ms := millis(now)
	var subs int
	steps := []struct {
		what, query string
		args        []any
		count       *int
	}{
		{"clear phones and access needs", `UPDATE bookings SET phone = '', access_needs = '' WHERE person_id = ?`,
			[]any{personID}, nil},
		{"give up waiting-list places", `UPDATE bookings SET status = 'cancelled', updated_at = ? WHERE person_id = ? AND status = 'waitlisted'`,
			[]any{ms, personID}, &e.Waiting},
		// A reminder at lead 0 counts every reminder as sent: there is
		// nobody to send one to.
		{"stop reminders", `INSERT OR IGNORE INTO reminders (booking_id, lead_ms, sent_at)
			SELECT id, 0, ? FROM bookings WHERE person_id = ? AND status = 'confirmed'`,
			[]any{ms, personID}, nil},
		{"delete offers", `DELETE FROM offers WHERE person_id = ?`, []any{personID}, &e.Offers},
		{"delete contributions", `DELETE FROM contributions WHERE person_id = ?`, []any{personID}, &e.Contributions},
		{"delete bounces", `DELETE FROM bounces WHERE person_id = ?`, []any{personID}, &e.Bounces},
		// Their complaints go with them: they are suppressed from now
		// on, which is what the evidence was kept for.
		{"delete complaints", `DELETE FROM complaints WHERE person_id = ?`, []any{personID}, nil},
		{"delete subscription", `DELETE FROM subscriptions WHERE person_id = ?`, []any{personID}, &subs},
		{"erase name and address", `
			UPDATE people SET email = ?, name = '', updated_at = ?, erased_at = ?,
				suppressed_at = coalesce(suppressed_at, ?), suppressed_why = 'details erased'
			WHERE id = ?`, []any{placeholder, ms, ms, ms, personID}, nil},
	}
	for _, s := range steps {
		res, err := tx.tx.ExecContext(ctx, s.query, s.args...)
		if err != nil {
			return fmt.Errorf("forget person %d: %s: %w", personID, s.what, err)
		}
		if s.count != nil {
			n, _ := res.RowsAffected()
			*s.count = int(n)
		}
	}
	e.Subscription = subs > 0
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE person_id = ? AND status = 'confirmed'`, personID).Scan(&e.Kept)
	if err != nil {
		return fmt.Errorf("forget person %d: count bookings kept: %w", personID, err)
	}
	return nil
}

// eraseInbound erases the sender and subject of every message from email,
// and hashes the keys that hold the address (some mail programs build
// Message-IDs from it): a hashed key no longer names them, and still
// differs from every other.
func (tx *Tx) eraseInbound(ctx context.Context, email, placeholder string, e *Erased) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE inbound SET sender = '', subject = '' WHERE sender = ? COLLATE NOCASE`, email)
	if err != nil {
		return fmt.Errorf("erase messages from %s: %w", email, err)
	}
	n, _ := res.RowsAffected()
	e.From = int(n)
	keys, err := tx.textWhere(ctx, `SELECT id, message_key FROM inbound WHERE instr(lower(message_key), lower(?)) > 0`, email)
	if err != nil {
		return err
	}
	for id, key := range keys {
		sum := sha256.Sum256([]byte(key))
		if _, err := tx.tx.ExecContext(ctx, `UPDATE inbound SET message_key = ? WHERE id = ?`, "erased:"+hex.EncodeToString(sum[:]), id); err != nil {
			return fmt.Errorf("erase message key %d: %w", id, err)
		}
	}
	// What staff did for them is recorded with their address ("for
	// jane@… (staff …): booked …"): it becomes the placeholder, as in their
	// bookings, so the record still says what was done, not for whom.
	outcomes, err := tx.textWhere(ctx, `SELECT id, outcome FROM inbound WHERE instr(lower(outcome), lower(?)) > 0`, email)
	if err != nil {
		return err
	}
	for id, o := range outcomes {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE inbound SET outcome = ? WHERE id = ?`, replaceFold(o, email, placeholder), id); err != nil {
			return fmt.Errorf("erase the outcome of message %d: %w", id, err)
		}
	}
	return nil
}

// erasedDigest is what the erased table keeps of an address.
func erasedDigest(email string) string {
	sum := sha256.Sum256([]byte("mailbot erased " + foldASCII(email)))
	return hex.EncodeToString(sum[:])
}

// WasErased reports whether email was erased by Forget.
func (tx *Tx) WasErased(ctx context.Context, email string) (bool, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM erased WHERE digest = ?`, erasedDigest(email)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for an erasure of %s: %w", email, err)
	}
	return n > 0, nil
}

// foldASCII is s with A-Z as a-z, as SQLite's lower() and NOCASE fold
// it; other letters stay as they are, so byte offsets are kept.
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// replaceFold replaces every old in s with new, matching A-Z and a-z
// alike (foldASCII).
func replaceFold(s, old, new string) string {
	fold := foldASCII
	if old == "" {
		return s
	}
	var out strings.Builder
	low, lowOld := fold(s), fold(old)
	for {
		i := strings.Index(low, lowOld)
		if i < 0 {
			return out.String() + s
		}
		out.WriteString(s[:i] + new)
		s, low = s[i+len(old):], low[i+len(old):]
	}
}

// eraseOutbox empties every message to email (or to personID): its
// address and body go, and one still queued is never sent.
func (tx *Tx) eraseOutbox(ctx context.Context, email string, personID int64, placeholder string, e *Erased) error {
	const theirs = `(rcpt = ? COLLATE NOCASE OR person_id = ?)`
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'queued') FROM outbox WHERE `+theirs,
		email, personID).Scan(&e.To, &e.Unsent)
	if err != nil {
		return fmt.Errorf("erase messages to %s: %w", email, err)
	}
	_, err = tx.tx.ExecContext(ctx, `
		UPDATE outbox SET rcpt = ?, body = x'',
			last_error = CASE WHEN status = 'queued' THEN ? ELSE '' END,
			status = CASE WHEN status = 'queued' THEN 'dropped' ELSE status END
		WHERE `+theirs, placeholder, unsentErased, email, personID)
	if err != nil {
		return fmt.Errorf("erase messages to %s: %w", email, err)
	}
	return nil
}

// eraseMentions erases the subjects of messages received, and the bodies
// of messages to others, that name them.
func (tx *Tx) eraseMentions(ctx context.Context, mentions func([]byte) bool, e *Erased) error {
	subjects, err := tx.textWhere(ctx, `SELECT id, subject FROM inbound WHERE subject <> ''`)
	if err != nil {
		return err
	}
	for id, s := range subjects {
		if !mentions([]byte(s)) {
			continue
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE inbound SET subject = '' WHERE id = ?`, id); err != nil {
			return fmt.Errorf("erase subject of message %d: %w", id, err)
		}
		e.Naming++
	}
	// An outcome that still names them (by their name) says only that.
	outcomes, err := tx.textWhere(ctx, `SELECT id, outcome FROM inbound WHERE outcome <> ''`)
	if err != nil {
		return err
	}
	for id, o := range outcomes {
		if !mentions([]byte(o)) {
			continue
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE inbound SET outcome = ? WHERE id = ?`, "(erased: it named someone whose details were erased)", id); err != nil {
			return fmt.Errorf("erase the outcome of message %d: %w", id, err)
		}
	}
	// Read the ids first: a body is large, and the rows are rewritten as
	// they are found.
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, status = 'queued', body FROM outbox WHERE length(body) > 0`)
	if err != nil {
		return fmt.Errorf("read messages sent: %w", err)
	}
	naming := map[int64]bool{}
	for rows.Next() {
		var id int64
		var queued bool
		var body []byte
		if err := rows.Scan(&id, &queued, &body); err != nil {
			rows.Close()
			return fmt.Errorf("read messages sent: %w", err)
		}
		if mentions(body) {
			naming[id] = queued
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read messages sent: %w", err)
	}
	for id, queued := range naming {
		_, err := tx.tx.ExecContext(ctx, `
			UPDATE outbox SET body = x'',
				last_error = CASE WHEN status = 'queued' THEN ? ELSE last_error END,
				status = CASE WHEN status = 'queued' THEN 'dropped' ELSE status END
			WHERE id = ?`, unsentNaming, id)
		if err != nil {
			return fmt.Errorf("erase message %d: %w", id, err)
		}
		e.Naming++
		if queued {
			e.NamingUnsent++
		}
	}
	return nil
}

// textWhere reads (id, text) pairs.
func (tx *Tx) textWhere(ctx context.Context, query string, args ...any) (map[int64]string, error) {
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			return nil, fmt.Errorf("read messages: %w", err)
		}
		out[id] = s
	}
	return out, rows.Err()
}

// AskedToForgetSince reports whether a request to confirm an erasure went
// to personID since t: one a day is enough, and a stranger writing in
// their name cannot flood them with more.
func (tx *Tx) AskedToForgetSince(ctx context.Context, personID int64, t time.Time) (bool, error) {
	var one int
	err := tx.tx.QueryRowContext(ctx, `SELECT 1 FROM offers WHERE person_id = ? AND kind = ? AND created_at >= ? LIMIT 1`,
		personID, OfferForget, millis(t)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("requests to confirm erasing person %d: %w", personID, err)
	}
	return true, nil
}

// PruneBodies empties what was written in messages older than before: the
// bodies of messages sent (or given up, or dropped) and the subjects of
// messages received. It returns how many of each. The rows stay: their
// Message-IDs, keys and statuses are what keep a message from being
// handled or sent twice. Queued messages keep their bodies to be sent.
func (tx *Tx) PruneBodies(ctx context.Context, before time.Time) (sent, received int, err error) {
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE outbox SET body = x''
		WHERE status <> 'queued' AND length(body) > 0 AND coalesce(sent_at, created_at) < ?`, millis(before))
	if err != nil {
		return 0, 0, fmt.Errorf("prune bodies of messages sent: %w", err)
	}
	n, _ := res.RowsAffected()
	res, err = tx.tx.ExecContext(ctx, `UPDATE inbound SET subject = '' WHERE subject <> '' AND handled_at < ?`, millis(before))
	if err != nil {
		return 0, 0, fmt.Errorf("prune subjects of messages received: %w", err)
	}
	m, _ := res.RowsAffected()
	return int(n), int(m), nil
}

// Checkpoint copies the write-ahead log into the database file and empties
// it, so that pages written before an erasure or a prune do not linger
// there. It reports false when readers kept it from finishing; it is
// tried again next time. Under a replication tool that owns the log
// (SetCheckpoint), it only copies (passive) or leaves it alone (off), and
// reports true: there is nothing more for the bot to do.
func (s *Store) Checkpoint(ctx context.Context) (bool, error) {
	mode := "TRUNCATE"
	switch s.checkpoint {
	case CheckpointOff:
		return true, nil
	case CheckpointPassive:
		mode = "PASSIVE"
	}
	var busy, logPages, done int
	if err := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &logPages, &done); err != nil {
		return false, fmt.Errorf("checkpoint: %w", err)
	}
	return busy == 0 || s.checkpoint == CheckpointPassive, nil
}

// Compact rewrites the database file without free space, then empties the
// write-ahead log: nothing erased survives in either, even from before
// secure deletion was switched on.
func (s *Store) Compact(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("compact database: %w", err)
	}
	done, err := s.Checkpoint(ctx)
	if err == nil && !done {
		err = errors.New("checkpoint: the database is busy; try again when mailbot is quieter")
	}
	return err
}

// Traces looks for each of needles, case folded, in every text of every
// row of every table, and names where it is found ("people.email has
// ..."): how an officer, and the tests, check an erasure left nothing.
func (s *Store) Traces(ctx context.Context, needles ...string) ([]string, error) {
	var tables []string
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tables: %w", err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	lower := make([][]byte, len(needles))
	for i, n := range needles {
		lower[i] = bytes.ToLower([]byte(n))
	}
	var found []string
	for _, table := range tables {
		// The name is SQLite's own, from sqlite_master.
		rows, err := s.r.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		seen := map[string]bool{}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read %s: %w", table, err)
			}
			for i, v := range vals {
				var text []byte
				switch v := v.(type) {
				case string:
					text = []byte(v)
				case []byte:
					text = v
				default:
					continue
				}
				text = bytes.ToLower(text)
				for j, n := range lower {
					where := fmt.Sprintf("%s.%s has %q", table, cols[i], needles[j])
					if !seen[where] && bytes.Contains(text, n) {
						seen[where] = true
						found = append(found, where)
					}
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
	}
	return found, nil
}
