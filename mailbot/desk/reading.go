package desk

import (
	"reflect"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

// Reading is text read against c.
type Reading struct {
	ok   bool
	text string
	c    understand.Context
	read understand.Reading
}

// ReadAhead reads m's words ahead of the transaction that answers it,
// against the sessions upcoming at now and as though m answered no
// numbered list: Answer uses that reading only where its own context is
// the same (the usual case, a message that starts a conversation), and
// reads again otherwise.
func (d *Desk) ReadAhead(m *understand.Message, now time.Time, tt Timetable) Reading {
	if m.Automatic != "" {
		return Reading{}
	}
	return readWords(wordsOf(m), d.readContext(m, now, tt, nil))
}

// Request is what the reading says the words ask, and whether there is
// a reading at all (none for automatic mail).
func (r Reading) Request() (understand.Request, bool) { return r.read.Request, r.ok }

// readWords reads text against c.
func readWords(text string, c understand.Context) Reading {
	return Reading{ok: true, text: text, c: c, read: understand.Read(text, c)}
}

// again is r if it read text against c, else text read now.
func (r Reading) again(text string, c understand.Context) Reading {
	// DeepEqual, not a field list: a field added to Context later must
	// count too, or a Reading made against other facts would be used.
	if r.ok && r.text == text && reflect.DeepEqual(r.c, c) {
		return r
	}
	return readWords(text, c)
}

// readContext is what m's words are read against: the titles and places
// of the upcoming sessions, and the numbered list it answers, if any.
func (d *Desk) readContext(m *understand.Message, now time.Time, tt Timetable, offer *store.Offer) understand.Context {
	c := understand.Context{Now: now, TZ: d.env.TZ, Subject: m.Subject, IsStaff: d.isStaff(m), Titles: tt.titles, About: tt.about, Places: tt.places, Dropins: tt.dropins}
	if offer != nil {
		switch offer.Kind {
		case store.OfferBook, store.OfferCancel:
			c.Offered = len(offer.Items)
		default:
			// A confirmation, reminder or request to confirm: a yes or
			// no answers it, and it numbers nothing to choose from.
			c.Question = true
		}
	}
	return c
}

// Timetable is what of the upcoming sessions words are read against:
// each title once, soonest first, with its description, and each group
// session's and drop-in's location once.
type Timetable struct{ titles, about, places, dropins []string }

// TimetableOf is the timetable of sessions, soonest first.
func TimetableOf(sessions []store.SessionPlaces) Timetable {
	var tt Timetable
	seen := map[string]bool{}
	for _, s := range sessions {
		if !seen["t"+s.Title] {
			seen["t"+s.Title] = true
			tt.titles, tt.about = append(tt.titles, s.Title), append(tt.about, s.Description)
		}
		switch {
		case s.Kind == store.Group && !seen["p"+s.Location]:
			seen["p"+s.Location] = true
			tt.places = append(tt.places, s.Location)
		case s.Kind == store.Dropin && !seen["d"+s.Location]:
			seen["d"+s.Location] = true
			tt.dropins = append(tt.dropins, s.Location)
		}
	}
	return tt
}

// wordsOf is the part of m read for what it asks: its fresh words, or all
// of it when it is all quote.
func wordsOf(m *understand.Message) string {
	if strings.TrimSpace(m.Fresh) == "" {
		return m.Text // all quote: better than nothing
	}
	return m.Fresh
}
