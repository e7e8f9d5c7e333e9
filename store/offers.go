package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Offer kinds.
const (
	OfferBook   = "book"   // a numbered list of sessions or slots to book
	OfferCancel = "cancel" // a numbered list of someone's bookings, to cancel one
	OfferBooked = "booked" // a confirmation or reminder: the bookings it is about
	OfferJoin   = "join"   // a request to confirm joining the mailing list
	// OfferNewsletter is a newsletter preview sent to a member of staff;
	// Items holds the newsletter's id. Their SEND sends it.
	OfferNewsletter = "newsletter"
)

// Offer is a numbered list or a confirmation we sent, that a reply may
// refer to.
type Offer struct {
	ID        int64
	Token     string // in the plus-address of our Reply-To
	MessageID string // of the message that carried it
	PersonID  int64  // whom it was sent to: nobody else's reply can use it
	Kind      string
	Items     []string // session ids (book) or booking ids (cancel, booked), in the order numbered
	Places    int      // places asked for when the list was sent
	Phone     string   // phone number given with the request
	Needs     string   // access needs given with the request
	JoinList  bool     // the message offered the mailing list: a yes joins
}

// SaveOffer records o.
func (tx *Tx) SaveOffer(ctx context.Context, o Offer, now time.Time) error {
	// JSON, because ids are the organiser's own and may hold any character.
	items, err := json.Marshal(o.Items)
	if err != nil {
		return fmt.Errorf("save offer: %w", err)
	}
	_, err = tx.tx.ExecContext(ctx, `
		INSERT INTO offers (token, message_id, person_id, kind, items, places, phone, needs, join_list, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Token, o.MessageID, o.PersonID, o.Kind, items, o.Places, o.Phone, o.Needs, o.JoinList, millis(now))
	if err != nil {
		return fmt.Errorf("save offer: %w", err)
	}
	return nil
}

// FindOffer returns the offer a reply from personID refers to: by token
// first, else the newest of the Message-IDs it cites. An offer made to
// someone else is never returned. A newsletter's copy is an offer to book
// the sessions it listed.
func (tx *Tx) FindOffer(ctx context.Context, personID int64, token string, messageIDs []string) (Offer, error) {
	if token != "" {
		o, err := tx.offerWhere(ctx, `token = ? AND person_id = ?`, token, personID)
		if !errors.Is(err, ErrNotFound) {
			return o, err
		}
	}
	// The reply's own parent comes last in References and alone in
	// In-Reply-To: look from the newest.
	for i := len(messageIDs) - 1; i >= 0; i-- {
		o, err := tx.offerWhere(ctx, `message_id = ? AND person_id = ?`, messageIDs[i], personID)
		if !errors.Is(err, ErrNotFound) {
			return o, err
		}
		o, err = tx.newsletterCopy(ctx, personID, messageIDs[i])
		if !errors.Is(err, ErrNotFound) {
			return o, err
		}
	}
	return Offer{}, ErrNotFound
}

// newsletterCopy is the offer made by the copy of a newsletter with
// messageID, when it went to personID.
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
	err := tx.tx.QueryRowContext(ctx, `SELECT id, token, message_id, person_id, kind, items, places, phone, needs, join_list FROM offers WHERE `+where, args...).
		Scan(&o.ID, &o.Token, &o.MessageID, &o.PersonID, &o.Kind, &items, &o.Places, &o.Phone, &o.Needs, &o.JoinList)
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

// DropOffer forgets offer id: what it offered is no longer open.
func (tx *Tx) DropOffer(ctx context.Context, id int64) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM offers WHERE id = ?`, id); err != nil {
		return fmt.Errorf("drop offer %d: %w", id, err)
	}
	return nil
}
