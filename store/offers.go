package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OfferKind is what an offer asks of a reply; the database keeps it as
// its text.
type OfferKind string

// Offer kinds.
const (
	OfferBook   OfferKind = "book"   // a numbered list of sessions or slots to book
	OfferCancel OfferKind = "cancel" // a numbered list of someone's bookings, to cancel one
	OfferBooked OfferKind = "booked" // a confirmation or reminder: the bookings it is about
	OfferJoin   OfferKind = "join"   // a request to confirm joining the mailing list
	// OfferNewsletter is a newsletter preview sent to a member of staff;
	// Items holds the newsletter's id. Their SEND sends it.
	OfferNewsletter OfferKind = "newsletter"
	// OfferProve asks whether a message in the person's name was theirs:
	// Items says, in the question's words, what it would do; Words and
	// Subject are what it said, and Parent the offer it answered. Only
	// their reply citing it counts, never a guess.
	OfferProve OfferKind = "prove"
	// OfferAccess asks whether they want a copy of everything we hold
	// about them; their cited YES sends it.
	OfferAccess OfferKind = "access"
)

// Offer is a numbered list or a confirmation we sent, that a reply may
// refer to.
type Offer struct {
	ID        int64
	Token     string // in the plus-address of our Reply-To
	MessageID string // of the message that carried it
	PersonID  int64  // whom it was sent to: nobody else's reply can use it
	Kind      OfferKind
	Items     []string // session ids (book) or booking ids (cancel, booked), in the order numbered
	Places    int      // places asked for when the list was sent
	Phone     string   // phone number given with the request
	Needs     string   // access needs given with the request
	JoinList  bool     // the message offered the mailing list: a yes joins
	Words     string   // prove: the words of the message it asks about
	Subject   string   // prove: that message's subject
	Parent    int64    // prove: the offer that message answered; 0 for none
	Created   time.Time
	// Guessed: the reply cited nothing, and this is only the person's
	// newest open question (see OfferRef.Since), which a forger's
	// message finds as surely as the person's own.
	Guessed bool
}

// SaveOffer records o.
func (tx *Tx) SaveOffer(ctx context.Context, o Offer, now time.Time) error {
	// JSON, because ids are the organiser's own and may hold any character.
	items, err := json.Marshal(o.Items)
	if err != nil {
		return fmt.Errorf("save offer: %w", err)
	}
	var parent any
	if o.Parent != 0 {
		parent = o.Parent
	}
	_, err = tx.tx.ExecContext(ctx, `
		INSERT INTO offers (token, message_id, person_id, kind, items, places, phone, needs, join_list, created_at, words, subject, parent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Token, o.MessageID, o.PersonID, o.Kind, items, o.Places, o.Phone, o.Needs, o.JoinList, millis(now), o.Words, o.Subject, parent)
	if err != nil {
		return fmt.Errorf("save offer: %w", err)
	}
	return nil
}

// OfferRef is what a reply carries that may name the offer it answers.
type OfferRef struct {
	MessageIDs []string // its In-Reply-To and References
	Subject    string   // the reference in our subjects ("[BD-7Q3KAB]"), lower case, without "bd-"
	Token      string   // the tag of the plus-address it was sent to
	// Since, when set, lets a reply that carries none of the above
	// answer the person's newest question asked since then: some mail
	// clients drop every header we could match.
	Since time.Time
}

// subjectRefLen is how much of an offer's token its subject reference
// shows: short enough to read, and with the person it is bound to, long
// enough never to be guessed or to collide.
const subjectRefLen = 6

// SubjectRef is the reference to o that goes in a subject line.
func (o Offer) SubjectRef() string {
	return strings.ToUpper(o.Token[:min(len(o.Token), subjectRefLen)])
}

// FindOffer returns the offer a reply from personID refers to, trying, in
// order, the Message-IDs it cites (the newest first), our reference in its
// subject, the plus-address token, and the newest open question. An offer
// made to someone else is never returned. A newsletter's copy is an offer
// to book the sessions it listed.
func (tx *Tx) FindOffer(ctx context.Context, personID int64, ref OfferRef) (Offer, error) {
	// The reply's own parent comes last in References and alone in
	// In-Reply-To: look from the newest.
	for i := len(ref.MessageIDs) - 1; i >= 0; i-- {
		o, err := tx.offerWhere(ctx, `message_id = ? AND person_id = ?`, ref.MessageIDs[i], personID)
		if !errors.Is(err, ErrNotFound) {
			return o, err
		}
		o, err = tx.newsletterCopy(ctx, personID, ref.MessageIDs[i])
		if !errors.Is(err, ErrNotFound) {
			return o, err
		}
	}
	if len(ref.Subject) == subjectRefLen {
		o, err := tx.offerWhere(ctx, `person_id = ? AND substr(token, 1, ?) = ? ORDER BY created_at DESC LIMIT 1`,
			personID, subjectRefLen, strings.ToLower(ref.Subject))
		if !errors.Is(err, ErrNotFound) {
			return o, err
		}
	}
	if ref.Token != "" {
		o, err := tx.offerWhere(ctx, `token = ? AND person_id = ?`, ref.Token, personID)
		if !errors.Is(err, ErrNotFound) {
			return o, err
		}
	}
	if !ref.Since.IsZero() && len(ref.MessageIDs) == 0 {
		// Never a newsletter preview, a request to confirm erasure or
		// a copy of their data, or a question whether a message was
		// theirs: a SEND, or a YES that erases someone, sends what we
		// hold or proves a message, must answer it by name, never by
		// guess.
		o, err := tx.offerWhere(ctx, `person_id = ? AND created_at >= ? AND kind NOT IN (?, ?, ?, ?) ORDER BY created_at DESC, id DESC LIMIT 1`,
			personID, millis(ref.Since), OfferNewsletter, OfferForget, OfferProve, OfferAccess)
		o.Guessed = err == nil
		return o, err
	}
	return Offer{}, ErrNotFound
}

func (tx *Tx) newsletterCopy(ctx context.Context, personID int64, messageID string) (Offer, error) {
	o := Offer{Kind: OfferBook, MessageID: messageID, PersonID: personID}
	var items string
	err := tx.tx.QueryRowContext(ctx, `
		SELECT n.sessions FROM outbox o JOIN newsletters n ON n.id = o.newsletter_id
		WHERE o.message_id = ? AND o.person_id = ?`, messageID, personID).Scan(&items)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	if err != nil {
		return o, fmt.Errorf("find newsletter copy: %w", err)
	}
	if err := json.Unmarshal([]byte(items), &o.Items); err != nil {
		return o, fmt.Errorf("newsletter copy %s sessions: %w", messageID, err)
	}
	return o, nil
}

func (tx *Tx) offerWhere(ctx context.Context, where string, args ...any) (Offer, error) {
	var o Offer
	var items string
	var parent sql.NullInt64
	var created int64
	err := tx.tx.QueryRowContext(ctx, `SELECT id, token, message_id, person_id, kind, items, places, phone, needs, join_list, words, subject, parent, created_at FROM offers WHERE `+where, args...).
		Scan(&o.ID, &o.Token, &o.MessageID, &o.PersonID, &o.Kind, &items, &o.Places, &o.Phone, &o.Needs, &o.JoinList, &o.Words, &o.Subject, &parent, &created)
	o.Parent, o.Created = parent.Int64, fromMillis(created)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	if err != nil {
		return o, fmt.Errorf("find offer: %w", err)
	}
	if err := json.Unmarshal([]byte(items), &o.Items); err != nil {
		return o, fmt.Errorf("offer %d items: %w", o.ID, err)
	}
	return o, nil
}

// OfferByID returns offer id, if it was made to personID.
func (tx *Tx) OfferByID(ctx context.Context, id, personID int64) (Offer, error) {
	return tx.offerWhere(ctx, `id = ? AND person_id = ?`, id, personID)
}

// Cites reports whether a message from addr refers to mail we sent to
// that address: a Message-ID of ours in ref.MessageIDs, our subject
// reference, or the token of our Reply-To. Only the person the mail went
// to can know these, so a message that cites one is theirs (or was
// passed on by them).
func (tx *Tx) Cites(ctx context.Context, addr string, ref OfferRef) (bool, error) {
	var n int
	for _, id := range ref.MessageIDs {
		err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE message_id = ? AND rcpt = ? COLLATE NOCASE`, id, addr).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("look for mail to %s: %w", addr, err)
		}
		if n > 0 {
			return true, nil
		}
	}
	subject := ""
	if len(ref.Subject) == subjectRefLen {
		subject = strings.ToLower(ref.Subject)
	}
	if subject != "" || ref.Token != "" {
		err := tx.tx.QueryRowContext(ctx, `
			SELECT count(*) FROM offers o JOIN people p ON p.id = o.person_id
			WHERE p.email = ? COLLATE NOCASE AND (o.token = ? OR (? <> '' AND substr(o.token, 1, ?) = ?))`,
			addr, ref.Token, subject, subjectRefLen, subject).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("look for offers to %s: %w", addr, err)
		}
	}
	return n > 0, nil
}

// DropOffer forgets offer id: what it offered is no longer open.
func (tx *Tx) DropOffer(ctx context.Context, id int64) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM offers WHERE id = ?`, id); err != nil {
		return fmt.Errorf("drop offer %d: %w", id, err)
	}
	return nil
}
