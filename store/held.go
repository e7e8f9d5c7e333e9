package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Held is everything the database holds about one address, for a
// subject-access request (UK GDPR article 15): their record, bookings,
// mailing-list record and consent, what we asked them, delivery failures,
// and the messages from and to them with the words kept of each.
type Held struct {
	Person       *HeldPerson // nil when the address is not known as a person
	Bookings     []Booking
	Subscription *Subscription
	Questions    []HeldOffer
	Bounces      []HeldBounce
	Views        []HeldView // contributions to the conversation
	From         []HeldInbound
	// About are messages from others (staff) recording what was done
	// for them.
	About []HeldInbound
	To    []HeldOutbound
}

// HeldView is one contribution a person sent, and their consent for it.
type HeldView struct {
	Text, Consent string
	At            time.Time
}

// HeldPerson is a person's own row.
type HeldPerson struct {
	ID            int64
	Email, Name   string
	FirstSeen     time.Time
	SuppressedAt  time.Time // zero when mail goes to them
	SuppressedWhy string
}

// HeldOffer is a list or question we sent them, with what it kept of
// their request.
type HeldOffer struct {
	Kind      string
	MessageID string
	Subject   string
	Words     string
	Phone     string
	Needs     string
	CreatedAt time.Time
}

// HeldBounce is a delivery failure of mail to them.
type HeldBounce struct {
	Status     string
	Permanent  bool
	Diagnostic string
	At         time.Time
}

// HeldInbound is a message from them: what we kept of it.
type HeldInbound struct {
	MessageKey string
	Subject    string
	ReceivedAt time.Time
	Outcome    string
}

// HeldOutbound is a message to them, as sent (Body, in MIME; empty when
// its words have been pruned).
type HeldOutbound struct {
	MessageID string
	Kind      string
	Status    string
	CreatedAt time.Time
	SentAt    time.Time
	Body      []byte
}

// HeldAbout reads everything held about email, in one read transaction so
// the parts agree.
func (s *Store) HeldAbout(ctx context.Context, email string) (Held, error) {
	var h Held
	err := s.readSnapshot(ctx, func(tx querier) error {
		var err error
		h, err = heldAbout(ctx, tx, email)
		return err
	})
	return h, err
}

// HeldAbout is Store.HeldAbout inside the transaction, for an answer
// that commits with the message asking for it.
func (tx *Tx) HeldAbout(ctx context.Context, email string) (Held, error) {
	return heldAbout(ctx, tx.tx, email)
}

func heldAbout(ctx context.Context, tx querier, email string) (Held, error) {
	var h Held
	var p HeldPerson
	var first int64
	var supp sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT id, email, name, created_at, suppressed_at, suppressed_why FROM people WHERE email = ?`, email).
		Scan(&p.ID, &p.Email, &p.Name, &first, &supp, &p.SuppressedWhy)
	switch {
	case err == nil:
		p.FirstSeen, p.SuppressedAt = fromMillis(first), fromNull(supp)
		h.Person = &p
	case !errors.Is(err, sql.ErrNoRows):
		return h, fmt.Errorf("read person %s: %w", email, err)
	}
	steps := []struct {
		what     string
		byPerson bool // found by the person's id alone
		query    string
		args     []any
		scan     func(*sql.Rows) error
	}{
		{"bookings", true, `SELECT ` + bookingColumns + ` WHERE b.person_id = ? ORDER BY b.booked_at, b.id`, []any{p.ID}, func(r *sql.Rows) error {
			b, err := scanBooking(r)
			h.Bookings = append(h.Bookings, b)
			return err
		}},
		{"mailing list record", true, `SELECT ` + subscriptionColumns + ` FROM subscriptions s JOIN people p ON p.id = s.person_id WHERE s.person_id = ?`,
			[]any{p.ID}, func(r *sql.Rows) error {
				sub, err := scanSubscription(r)
				h.Subscription = &sub
				return err
			}},
		{"questions", true, `SELECT kind, message_id, subject, words, phone, needs, created_at FROM offers WHERE person_id = ? ORDER BY created_at, id`,
			[]any{p.ID}, func(r *sql.Rows) error {
				var o HeldOffer
				var at int64
				err := r.Scan(&o.Kind, &o.MessageID, &o.Subject, &o.Words, &o.Phone, &o.Needs, &at)
				o.CreatedAt = fromMillis(at)
				h.Questions = append(h.Questions, o)
				return err
			}},
		{"contributions", true, `SELECT text, consent, received_at FROM contributions WHERE person_id = ? ORDER BY received_at, id`, []any{p.ID}, func(r *sql.Rows) error {
			var v HeldView
			var at int64
			err := r.Scan(&v.Text, &v.Consent, &at)
			v.At = fromMillis(at)
			h.Views = append(h.Views, v)
			return err
		}},
		{"bounces", true, `SELECT status, hard, diagnostic, at FROM bounces WHERE person_id = ? ORDER BY at, id`, []any{p.ID}, func(r *sql.Rows) error {
			var b HeldBounce
			var at int64
			err := r.Scan(&b.Status, &b.Permanent, &b.Diagnostic, &at)
			b.At = fromMillis(at)
			h.Bounces = append(h.Bounces, b)
			return err
		}},
		{"messages from them", false, `SELECT message_key, subject, received_at, outcome FROM inbound WHERE sender = ? COLLATE NOCASE ORDER BY received_at, id`,
			[]any{email}, scanInbound(&h.From)},
		{"messages about them", false, `SELECT message_key, subject, received_at, outcome FROM inbound
			WHERE instr(lower(outcome), lower(?)) > 0 AND sender <> ? COLLATE NOCASE ORDER BY received_at, id`,
			[]any{email, email}, scanInbound(&h.About)},
		{"messages to them", false, `SELECT message_id, kind, status, created_at, sent_at, body FROM outbox
			WHERE rcpt = ? COLLATE NOCASE OR person_id = ? ORDER BY created_at, id`, []any{email, p.ID}, func(r *sql.Rows) error {
			var m HeldOutbound
			var at int64
			var sent sql.NullInt64
			err := r.Scan(&m.MessageID, &m.Kind, &m.Status, &at, &sent, &m.Body)
			m.CreatedAt, m.SentAt = fromMillis(at), fromNull(sent)
			h.To = append(h.To, m)
			return err
		}},
	}
	for _, st := range steps {
		if h.Person == nil && st.byPerson {
			continue // everything by person id: nobody to find
		}
		rows, err := tx.QueryContext(ctx, st.query, st.args...)
		if err != nil {
			return h, fmt.Errorf("read %s of %s: %w", st.what, email, err)
		}
		for rows.Next() {
			if err := st.scan(rows); err != nil {
				rows.Close()
				return h, fmt.Errorf("read %s of %s: %w", st.what, email, err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return h, fmt.Errorf("read %s of %s: %w", st.what, email, err)
		}
	}
	return h, nil
}

// scanInbound appends each row read to to.
func scanInbound(to *[]HeldInbound) func(*sql.Rows) error {
	return func(r *sql.Rows) error {
		var m HeldInbound
		var at int64
		err := r.Scan(&m.MessageKey, &m.Subject, &at, &m.Outcome)
		m.ReceivedAt = fromMillis(at)
		*to = append(*to, m)
		return err
	}
}
