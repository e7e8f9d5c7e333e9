package mailbot

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/betterdays/mailbot/mailbot/desk"
	"github.com/betterdays/mailbot/store"
)

// Subscriber is one row of a mailing list kept before the bot: who, and
// the evidence of their consent (UK GDPR article 7(1)) when the list has
// it: when it was given, and how ("SharePoint sign-up form", "paper form
// at the Weymouth event").
type Subscriber struct {
	Row         int // in the file, for messages
	Email, Name string
	ConsentedAt time.Time // zero: no evidence
	Source      string
}

// Evidence is whether the row says when and how consent was given.
func (s Subscriber) Evidence() bool { return !s.ConsentedAt.IsZero() && s.Source != "" }

var subscriberColumns = []string{"email", "name", "consented_at", "source"}

// SubscriberHeader is the header line of a list to import.
var SubscriberHeader = strings.Join(subscriberColumns, ",")

// ReadSubscribers parses a mailing list CSV (header email,name,
// consented_at,source, in any order, as Excel saves it). A row without
// evidence of consent is refused unless ask (each such address is then
// asked to confirm). Every bad row is named; nothing is returned unless
// every row is good. Consent dates are read in tz and may not be later
// than now.
func ReadSubscribers(r io.Reader, tz *time.Location, ask bool, now time.Time) ([]Subscriber, error) {
	var out []Subscriber
	seen := map[string]int{}
	err := readSheet(r, "mailing list", subscriberColumns, func(r sheetRow) {
		get, bad, row := r.get, r.bad, r.n
		var err error
		s := Subscriber{Row: row, Name: get("name"), Source: get("source")}
		if a, err := mail.ParseAddress(get("email")); err != nil || !strings.Contains(a.Address, "@") {
			bad("email", "%q is not an email address", get("email"))
		} else {
			s.Email = address.Canonical(a.Address)
			if s.Name == "" {
				s.Name = a.Name
			}
			if prev, dup := seen[s.Email]; dup {
				bad("email", "%s is on row %d too", s.Email, prev)
			}
			seen[s.Email] = row
		}
		if v := get("consented_at"); v != "" {
			if s.ConsentedAt, err = parseSpreadsheetDay(v, tz); err != nil {
				bad("consented_at", "%v", err)
			} else if s.ConsentedAt.After(now) {
				bad("consented_at", "%q is in the future", v)
			}
		}
		if !s.Evidence() && !ask && s.Email != "" {
			bad("consented_at", "no evidence of consent (when, in consented_at, and how, in source): "+
				"give both, or run with --ask to email this address one request to confirm")
		}
		out = append(out, s)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseSpreadsheetDay is parseSpreadsheetTime, a date alone (the start
// of that day) allowed as well: a sign-up form often kept no time.
func parseSpreadsheetDay(s string, tz *time.Location) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, "2/1/2006"} {
		if t, err := time.ParseInLocation(layout, s, tz); err == nil {
			return t, nil
		}
	}
	return parseSpreadsheetTime(s, tz)
}

// SubscribersImported counts what an import did, and names whom it left
// as they were and why.
type SubscribersImported struct {
	Added, Asked, Already, Left, AskedBefore int
	Erased                                   int      // asked to be forgotten: not added, not asked
	Suppressed                               []string // on the list now, but their mail bounced: nothing goes to them
}

// ImportSubscribers brings an old list in, in one transaction: each
// address with evidence joins the list with it; each without (read with
// ask) is sent one request to confirm, queued in the outbox, which sends
// within the sending limits. Nobody who left the list is put back, and
// nobody is ever asked twice, so the import can be run again. Nobody who
// asked to be forgotten is added, asked or even recorded.
func (b *Bot) ImportSubscribers(ctx context.Context, list []Subscriber, source string) (SubscribersImported, error) {
	var res SubscribersImported
	now := b.clock.Now()
	err := b.store.Write(ctx, func(tx *store.Tx) error {
		res = SubscribersImported{}
		var replies []desk.Reply
		for _, s := range list {
			// An old list must not bring back someone who asked to be
			// forgotten since it was made.
			if erased, err := tx.WasErased(ctx, s.Email); err != nil {
				return err
			} else if erased {
				res.Erased++
				continue
			}
			id, err := tx.NotePerson(ctx, s.Email, s.Name, now)
			if err != nil {
				return err
			}
			var outcome store.ImportOutcome
			if s.Evidence() {
				how := fmt.Sprintf("imported from %s, row %d: %s", source, s.Row, s.Source)
				outcome, err = tx.ImportConsent(ctx, id, s.ConsentedAt, how, now)
			} else if outcome, err = tx.ImportToAsk(ctx, id); err == nil && outcome == store.ImportAsk {
				replies = append(replies, b.desk.AskImported(ctx, tx, store.Person{ID: id, Email: s.Email, Name: s.Name}, now)...)
				err = tx.AskToJoin(ctx, id, store.SourceImport, now)
				if err == nil {
					err = tx.NoteRequestSent(ctx, id, now)
				}
			}
			if err != nil {
				return fmt.Errorf("row %d (%s): %w", s.Row, s.Email, err)
			}
			switch outcome {
			case store.ImportAdded:
				res.Added++
				if p, err := tx.PersonByEmail(ctx, s.Email); err == nil && p.Suppressed {
					res.Suppressed = append(res.Suppressed, s.Email)
				}
			case store.ImportAsk:
				res.Asked++
			case store.ImportAlready:
				res.Already++
			case store.ImportLeft:
				res.Left++
			case store.ImportSent:
				res.AskedBefore++
			}
		}
		return b.queue(ctx, tx, replies, 0, now)
	})
	if err == nil && res.Asked > 0 && b.queued != nil {
		b.queued()
	}
	return res, err
}
