package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Consent is what a person said the programme may do with their views.
type Consent string

const (
	ConsentAsked Consent = "asked" // not answered yet: not to be used
	ConsentYes   Consent = "yes"   // may be used, without their name
	ConsentNamed Consent = "named" // may be used, with their name
	ConsentNo    Consent = "no"    // not to be used
)

// OfferViews is the thank-you for a contribution: a reply YES, NAME ME or
// NO answers whether it may be used.
const OfferViews OfferKind = "views"

// OfferResume is the news to staff that list mail is paused: a reply SEND
// from a proven member of staff lets it go again.
const OfferResume OfferKind = "resume"

// Contribution is one person's views, as kept.
type Contribution struct {
	Received    time.Time
	Name, Email string // blank unless they agreed to be named
	Consent     Consent
	Text        string
}

// AddContribution keeps text from personID. given is consent that came
// with it ("you can use my name"), or "". Otherwise it takes the answer
// they gave last time, if they gave one, or waits for their answer, and
// ask says whether to put the question (not when one is open already).
func (tx *Tx) AddContribution(ctx context.Context, personID int64, text string, given Consent, now time.Time) (consent Consent, ask bool, err error) {
	var last sql.NullString
	err = tx.tx.QueryRowContext(ctx, `SELECT consent FROM contributions WHERE person_id = ? ORDER BY consent <> 'asked', id DESC LIMIT 1`,
		personID).Scan(&last)
	switch {
	case given != "":
		consent, err = given, nil
	case errors.Is(err, sql.ErrNoRows):
		consent, ask = ConsentAsked, true
	case err != nil:
		return "", false, fmt.Errorf("read contributions: %w", err)
	default:
		consent = Consent(last.String)
	}
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO contributions (person_id, received_at, text, consent) VALUES (?, ?, ?, ?)`,
		personID, millis(now), text, consent); err != nil {
		return "", false, fmt.Errorf("keep contribution: %w", err)
	}
	return consent, ask, nil
}

// AnswerConsent records c for every contribution of personID's not yet
// answered, and says how many.
func (tx *Tx) AnswerConsent(ctx context.Context, personID int64, c Consent) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE contributions SET consent = ? WHERE person_id = ? AND consent = 'asked'`, c, personID)
	if err != nil {
		return 0, fmt.Errorf("record consent: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ExportContributions calls fn with every contribution the programme may
// use (consent yes or named; only named with namedOnly), oldest first, the
// name and address blank unless the person agreed to be named.
func (s *Store) ExportContributions(ctx context.Context, namedOnly bool, fn func(Contribution) error) error {
	rows, err := s.r.QueryContext(ctx, `
		SELECT c.received_at, p.name, p.email, c.consent, c.text FROM contributions c JOIN people p ON p.id = c.person_id
		WHERE c.consent = 'named' OR (c.consent = 'yes' AND NOT ?) ORDER BY c.received_at, c.id`, namedOnly)
	if err != nil {
		return fmt.Errorf("export contributions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Contribution
		var at int64
		if err := rows.Scan(&at, &c.Name, &c.Email, &c.Consent, &c.Text); err != nil {
			return fmt.Errorf("export contributions: %w", err)
		}
		c.Received = fromMillis(at)
		if c.Consent != ConsentNamed || NoEmail(c.Email) {
			if c.Consent != ConsentNamed {
				c.Name = ""
			}
			c.Email = ""
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}
