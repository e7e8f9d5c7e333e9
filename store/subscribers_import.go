package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SourceImport is the source of a subscription brought in from a list
// kept before the bot (`mailbot subscribers import`).
const SourceImport = "import"

// ImportOutcome is what importing one address did.
type ImportOutcome string

const (
	ImportAdded   ImportOutcome = "added"   // on the list now, with the evidence given
	ImportAlready ImportOutcome = "already" // on the list before: its own evidence kept
	// ImportLeft is someone who left the list (or let a request lapse):
	// an old list must not put them back.
	ImportLeft ImportOutcome = "left"
	ImportAsk  ImportOutcome = "ask"   // no evidence: to be asked to confirm
	ImportSent ImportOutcome = "asked" // asked to confirm before: never again
)

// ImportConsent puts personID on the list with the evidence of consent
// the old list holds (when, and how it was given), unless they are on it
// already or have left it. A pending request is confirmed by it.
func (tx *Tx) ImportConsent(ctx context.Context, personID int64, consentedAt time.Time, how string, now time.Time) (ImportOutcome, error) {
	sub, err := tx.Subscription(ctx, personID)
	switch {
	case err == nil && sub.Status == Confirmed:
		return ImportAlready, nil
	case err == nil && (sub.Status == Unsubscribed || sub.Status == Lapsed):
		return ImportLeft, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return "", err
	}
	_, err = tx.tx.ExecContext(ctx, `
		INSERT INTO subscriptions (person_id, status, source, asked_at, consented_at, consent_how, consent_message, updated_at)
		VALUES (?, 'confirmed', ?, ?, ?, ?, '', ?)
		ON CONFLICT (person_id) DO UPDATE SET
			status = 'confirmed', consented_at = excluded.consented_at, consent_how = excluded.consent_how,
			updated_at = excluded.updated_at`,
		personID, SourceImport, millis(consentedAt), millis(consentedAt), how, millis(now))
	if err != nil {
		return "", fmt.Errorf("import subscription of person %d: %w", personID, err)
	}
	return ImportAdded, nil
}

// ImportToAsk says whether personID, on an old list without evidence of
// consent, is to be asked to confirm: not when they are on the list, have
// left it, or were ever sent a request to confirm.
func (tx *Tx) ImportToAsk(ctx context.Context, personID int64) (ImportOutcome, error) {
	sub, err := tx.Subscription(ctx, personID)
	switch {
	case errors.Is(err, ErrNotFound):
		return ImportAsk, nil
	case err != nil:
		return "", err
	case sub.Status == Confirmed:
		return ImportAlready, nil
	case sub.Status == Unsubscribed:
		return ImportLeft, nil
	case !sub.RequestSentAt.IsZero():
		return ImportSent, nil
	}
	return ImportAsk, nil
}
