package mailbot

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

// Batch is messages read ahead of the transaction that handles them.
// Handling is one transaction at a time; parsing a message and reading its
// words need nothing from it, so they run on every core, and the inbox
// reads the next batch while this one is handled.
type Batch struct {
	ds   []Delivery
	msgs []readAhead
	// now is the batch's moment: the words were read against it, and the
	// transaction acts at it, so a reading made ahead is the one it wants.
	now time.Time
}

// readAhead is one message parsed, and what its words say if the
// transaction finds the context they were read against.
type readAhead struct {
	m   *understand.Message
	err error // what could not be read of the message
	reading
}

// reading is text read against c.
type reading struct {
	ok     bool
	text   string
	c      understand.Context
	req    understand.Request
	h      understand.Handoff
	forget bool // asks for their details to be erased
}

// ReadAhead parses ds and reads their words on every core. The words are
// read against the sessions upcoming now and as though the message
// answered no numbered list: the transaction uses that reading only where
// its own context is the same (the usual case, a message that starts a
// conversation), and reads again otherwise.
func (b *Bot) ReadAhead(ctx context.Context, ds []Delivery) *Batch {
	batch := &Batch{ds: ds, msgs: make([]readAhead, len(ds)), now: b.clock.Now()}
	upcoming, err := b.store.UpcomingSessions(ctx, batch.now, "")
	if err != nil {
		// The transaction reads the sessions itself and will say why.
		upcoming = nil
	}
	tt := timetableOf(upcoming)
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(len(ds), runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(ds); i = int(next.Add(1) - 1) {
				r := &batch.msgs[i]
				if ds[i].Truncated {
					r.m, r.err = understand.ParseHeader(ds[i].Raw)
					continue
				}
				r.m, r.err = understand.Parse(ds[i].Raw)
				if r.m != nil && r.m.Automatic == "" {
					r.reading = readWords(wordsOf(r.m), b.readContext(r.m, batch.now, tt, nil))
				}
			}
		})
	}
	wg.Wait()
	return batch
}

// readWords reads text against c.
func readWords(text string, c understand.Context) reading {
	req := understand.Read(text, c)
	return reading{ok: true, text: text, c: c, req: req, h: understand.NeedsPerson(text, req, c),
		forget: understand.AsksToForget(text, c.Subject)}
}

// again is r if it read text against c, else text read now.
func (r reading) again(text string, c understand.Context) reading {
	// DeepEqual, not a field list: a field added to Context later must
	// count too, or a reading made against other facts would be used.
	if r.ok && r.text == text && reflect.DeepEqual(r.c, c) {
		return r
	}
	return readWords(text, c)
}

// readContext is what m's words are read against: the titles and places
// of the upcoming sessions, and the numbered list it answers, if any.
func (b *Bot) readContext(m *understand.Message, now time.Time, tt timetable, offer *store.Offer) understand.Context {
	c := understand.Context{Now: now, TZ: b.cfg.TZ, Subject: m.Subject, IsStaff: b.isStaff(m), Titles: tt.titles, Places: tt.places}
	if offer != nil {
		c.Offered = len(offer.Items)
	}
	return c
}

// timetable is what of the upcoming sessions words are read against:
// each title once, soonest first, and each group session's location once.
type timetable struct{ titles, places []string }

func timetableOf(sessions []store.SessionPlaces) timetable {
	var tt timetable
	seen := map[string]bool{}
	for _, s := range sessions {
		if !seen["t"+s.Title] {
			seen["t"+s.Title] = true
			tt.titles = append(tt.titles, s.Title)
		}
		if s.Kind == "session" && !seen["p"+s.Location] {
			seen["p"+s.Location] = true
			tt.places = append(tt.places, s.Location)
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
