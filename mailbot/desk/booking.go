package desk

import (
	"fmt"
	"slices"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// list answers "what's on?": the group sessions coming up, numbered, for a
// reply with the number to book; but those their words rule out ("what
// have you got that isn't on a Tuesday?").
func (t *turn) list(upcoming []store.SessionPlaces) error {
	t.ans.ChooseFor = templates.ChooseBook
	t.ans.Places = t.req.Places
	var groups, suit []store.SessionPlaces
	for _, s := range upcoming {
		if s.Kind == store.Group {
			groups = append(groups, s)
			// "Is anything happening near Weymouth?": there.
			there := !slices.ContainsFunc(t.req.Targets, func(p understand.Pattern) bool { return p.Place != "" && !p.Matches(itemOf(s.Session), t.d.env.TZ) })
			if there && !t.ruledOut(s) {
				suit = append(suit, s)
			}
		}
	}
	// When their words rule out every one, all of them: better a list to
	// choose from than none.
	if t.ans.LeftOut = len(suit) > 0 && len(suit) < len(groups); t.ans.LeftOut {
		groups = suit
	}
	for _, s := range groups[:min(len(groups), MaxChoices)] {
		t.ans.Choices = append(t.ans.Choices, t.choice(s.ID, s.Title, s.Starts, s.Ends, s.Location, s.Left))
	}
	t.ans.NoSessions = len(t.ans.Choices) == 0
	return nil
}

// book books what the request names. Each target that names exactly one
// session is booked; one that names several is asked about with a
// numbered list; one that names none is said so. Nothing is guessed.
func (t *turn) book(upcoming []store.SessionPlaces) error {
	if t.req.All {
		// "I would like to come to everything except the charities
		// one": each session coming up, but those; "the first three
		// sessions": the first three.
		var every []understand.Pattern
		for _, s := range upcoming {
			if s.Kind == store.Group && !t.ruledOut(s) &&
				!slices.ContainsFunc(t.req.Except, func(p understand.Pattern) bool { return len(t.pick(p, []store.SessionPlaces{s})) > 0 }) {
				every = append(every, understand.Pattern{Title: s.Title, Year: s.Starts.In(t.d.env.TZ).Year(), Month: s.Starts.In(t.d.env.TZ).Month(), Day: s.Starts.In(t.d.env.TZ).Day()})
			}
		}
		if t.req.First > 0 {
			every = every[:min(len(every), t.req.First)]
		}
		t.req.Targets, t.req.All = every, false
	}
	if len(t.req.Targets) == 0 {
		if t.answersDropins(upcoming) {
			// "Anything except the 24th please", to the drop-in
			// times we offered: the others.
			t.offerSlots(upcoming, nil, t.req.Prefs)
			return nil
		}
		return t.list(upcoming) // "I'd like to book a place": which?
	}
	if t.req.AnyOf {
		t.req.Targets = t.firstFree(t.req.Targets, upcoming)
	}
	var chosen, which []store.SessionPlaces
	more := map[string]int{}          // places for one session, where a target says
	var slotDays []understand.Pattern // "can I come on the 24th?", a day of drop-ins only
	type named struct {
		said  string
		found []store.SessionPlaces
	}
	var several []named // targets that name more than one session
	for _, p := range t.req.Targets {
		found := t.resolve(p, upcoming)
		switch {
		case len(found) == 0 && t.slotsOn(p, upcoming):
			slotDays = append(slotDays, p)
		case len(found) == 0:
			t.ans.NotFound = append(t.ans.NotFound, p.String())
		case len(found) == 1:
			chosen = appendSession(chosen, found[0])
			if p.Places > 0 {
				more[found[0].ID] = p.Places
			}
		default:
			several = append(several, named{p.String(), found})
		}
	}
	for _, n := range several {
		if slices.ContainsFunc(n.found, func(s store.SessionPlaces) bool {
			return slices.ContainsFunc(chosen, func(c store.SessionPlaces) bool { return c.ID == s.ID })
		}) {
			// "The independence one on Teams at the end of June": the
			// words that fit several fit the one other words chose.
			continue
		}
		if suit := t.suiting(n.found); len(suit) == 1 {
			// "One of the July sessions, but not a morning one": of
			// those the words fit, the one their wishes leave.
			chosen = appendSession(chosen, suit[0])
			continue
		}
		if t.ans.Which == "" {
			t.ans.Which = n.said
		}
		// Asked which, they are not offered what they ruled out ("the
		// Weymouth one is too far … another one in August").
		allowed := slices.DeleteFunc(slices.Clone(n.found), t.ruledOut)
		if len(allowed) == 0 {
			allowed = n.found
		}
		for _, s := range allowed {
			which = appendSession(which, s)
		}
	}
	places := t.places()
	if t.tooMany(places) {
		return nil
	}
	for _, s := range chosen {
		if _, err := t.bookOne(s, max(places, more[s.ID])); err != nil {
			return err
		}
	}
	switch {
	case len(which) > 0:
		t.ans.ChooseFor, t.ans.Places = templates.ChooseWhich, places
		for _, s := range which[:min(len(which), MaxChoices)] {
			t.ans.Choices = append(t.ans.Choices, t.choice(s.ID, s.Title, s.Starts, s.Ends, s.Location, s.Left))
		}
	case len(t.ans.Taken) > 0:
		// Someone else took the time while they chose: offer what is free now.
		free, err := t.tx.UpcomingSessions(t.ctx, t.now, store.Dropin)
		if err != nil {
			return err
		}
		t.offerSlots(free, nil, understand.Prefs{})
	case len(slotDays) > 0 && len(chosen) == 0:
		t.offerSlots(upcoming, slotDays, t.req.Prefs)
	case len(chosen) == 0 && t.answersDropins(upcoming) && slices.ContainsFunc(t.req.Targets, func(p understand.Pattern) bool { return p.Number > 0 }):
		// "12", to the drop-in times we offered: not one of them; the
		// times again.
		t.offerSlots(upcoming, nil, t.req.Prefs)
	case len(chosen) == 0:
		return t.list(upcoming)
	case t.req.AlsoList:
		// "What sessions do you have on? I'd like to book the 15 July
		// one": the others too.
		return t.list(slices.DeleteFunc(slices.Clone(upcoming), func(s store.SessionPlaces) bool {
			return slices.ContainsFunc(chosen, func(c store.SessionPlaces) bool { return c.ID == s.ID })
		}))
	}
	return nil
}

// ruledOut reports whether the words rule s out: a day, a month, a date
// or a place they said they can't do.
func (t *turn) ruledOut(s store.SessionPlaces) bool {
	return t.req.Prefs.RulesOut(s.Starts.In(t.d.env.TZ), s.Location)
}

// suiting is those of found that fit the wishes the message gives, or
// none when it gives none.
func (t *turn) suiting(found []store.SessionPlaces) []store.SessionPlaces {
	if !t.req.Prefs.Any() {
		return nil
	}
	var out []store.SessionPlaces
	for _, s := range found {
		if t.req.Prefs.Suits(s.Starts.In(t.d.env.TZ), s.Location) {
			out = append(out, s)
		}
	}
	return out
}

// answersDropins reports whether the message answers a list of drop-in
// times we sent.
func (t *turn) answersDropins(upcoming []store.SessionPlaces) bool {
	return t.offer != nil && t.offer.Kind == store.OfferBook && slices.ContainsFunc(upcoming, func(s store.SessionPlaces) bool {
		return s.Kind == store.Dropin && slices.Contains(t.offer.Items, s.ID)
	})
}

// slotsOn reports whether p, naming no group session, names a day with
// free drop-in times: "can I come on the 24th?" asks for one of those.
func (t *turn) slotsOn(p understand.Pattern, upcoming []store.SessionPlaces) bool {
	return p.Number == 0 && slices.ContainsFunc(upcoming, func(s store.SessionPlaces) bool {
		return s.Kind == store.Dropin && s.Left > 0 && p.Matches(itemOf(s.Session), t.d.env.TZ)
	})
}

// firstFree is the first of alternatives ("1 or 2 is fine") that names
// one session with room for the places asked, else the first of them:
// one booking, never all.
func (t *turn) firstFree(alternatives []understand.Pattern, upcoming []store.SessionPlaces) []understand.Pattern {
	for _, p := range alternatives {
		if found := t.resolve(p, upcoming); len(found) == 1 && found[0].Left >= t.places() {
			return []understand.Pattern{p}
		}
	}
	return alternatives[:1]
}

// tooMany reports whether places is more than one email from the public
// may book, and says so in the answer: a stranger's "book me for 30"
// must not take a whole session. Staff, proven, may book a group.
func (t *turn) tooMany(places int) bool {
	if places <= t.d.env.MaxPlaces || t.staff || t.by != nil {
		return false
	}
	t.ans.TooManyPlaces = t.d.env.MaxPlaces
	t.note("asked for %d places, more than %d", places, t.d.env.MaxPlaces)
	return true
}

// resolve finds the sessions a pattern names: the numbered item of the
// list being answered, else matches among that list, else matches among
// all group sessions coming up.
func (t *turn) resolve(p understand.Pattern, upcoming []store.SessionPlaces) []store.SessionPlaces {
	var offered []store.SessionPlaces // aligned with the offer's numbers; zero for one gone by
	if t.offer != nil && t.offer.Kind == store.OfferBook {
		byID := make(map[string]store.SessionPlaces, len(upcoming))
		for _, s := range upcoming {
			byID[s.ID] = s
		}
		for _, id := range t.offer.Items {
			offered = append(offered, byID[id])
		}
	}
	if p.Number > 0 {
		if p.Number <= len(offered) && offered[p.Number-1].ID != "" {
			return offered[p.Number-1 : p.Number]
		}
		// One withdrawn since the list went is named, so that booking it
		// says why it can't be; one gone by is not.
		if p.Number <= len(offered) {
			if s, err := t.tx.Session(t.ctx, t.offer.Items[p.Number-1]); err == nil && s.Withdrawn {
				return []store.SessionPlaces{s}
			}
		}
		return nil
	}
	// Of the list we sent, not those their words now rule out: "the
	// Weymouth one is too far … another one in August?" looks again
	// among all the sessions.
	if found := slices.DeleteFunc(t.pick(p, offered), t.ruledOut); len(found) > 0 {
		return found
	}
	var groups []store.SessionPlaces
	for _, s := range upcoming {
		if s.Kind == store.Group {
			groups = append(groups, s)
		}
	}
	return t.pick(p, groups)
}

// pick returns the sessions p matches.
func (t *turn) pick(p understand.Pattern, among []store.SessionPlaces) []store.SessionPlaces {
	var out []store.SessionPlaces
	for _, s := range among {
		if s.ID != "" && p.Matches(itemOf(s.Session), t.d.env.TZ) {
			out = append(out, s)
		}
	}
	return out
}

func itemOf(s store.Session) understand.Item {
	return understand.Item{ID: s.ID, Title: s.Title, Dropin: s.Kind == store.Dropin, Starts: s.Starts, Ends: s.Ends, Location: s.Location}
}

func appendSession(list []store.SessionPlaces, s store.SessionPlaces) []store.SessionPlaces {
	for _, x := range list {
		if x.ID == s.ID {
			return list
		}
	}
	return append(list, s)
}

// bookOne books one session and says so in the answer.
func (t *turn) bookOne(s store.SessionPlaces, places int) (store.BookResult, error) {
	b, res, err := t.tx.Book(t.ctx, store.NewBooking{
		SessionID: s.ID, PersonID: t.person, Places: places, Source: t.source(),
		Phone: t.phone(), Needs: t.needs(),
	}, t.now)
	if err != nil {
		return res, err
	}
	e := t.event(b)
	if b.Status == store.Waitlisted && b.ID != 0 {
		if e.Position, err = t.tx.WaitingPosition(t.ctx, b); err != nil {
			return res, err
		}
	}
	if res == store.Booked || res == store.OnWaitingList {
		switch {
		case places > 1:
			t.risk(fmt.Sprintf("book %d places on", places), &e)
		case t.offer != nil && t.offer.Guessed:
			t.risk("book a place on", &e)
		}
	}
	switch res {
	case store.Booked:
		e = toGo(e, b.Session)
		e.About = b.Session.Description
		t.ans.Booked = append(t.ans.Booked, e)
		t.about = append(t.about, idString(b.ID))
		t.attach(calendar.Request, b)
		t.note("booked %s", s.ID)
	case store.OnWaitingList:
		t.ans.Waiting = append(t.ans.Waiting, e)
		t.about = append(t.about, idString(b.ID))
		t.note("waiting list %s", s.ID)
	case store.AlreadyBooked:
		if t.req.Places > 0 && t.req.Places != b.Places && b.Session.Kind == store.Group {
			// "Book me on the 15th, 3 of us now": the number is new.
			return res, t.resize(b, t.req.Places)
		}
		t.ans.Already = append(t.ans.Already, e)
		t.about = append(t.about, idString(b.ID))
		t.note("already booked %s", s.ID)
	case store.SessionStarted:
		t.ans.Started = append(t.ans.Started, e)
		t.note("too late for %s", s.ID)
	case store.SessionWithdrawn:
		t.ans.Withdrawn = append(t.ans.Withdrawn, e)
		t.note("withdrawn %s", s.ID)
	case store.SlotTaken:
		t.ans.Taken = append(t.ans.Taken, e)
		t.note("taken meanwhile %s", s.ID)
	}
	return res, nil
}

// attach adds b's calendar object to the answer.
func (t *turn) attach(method calendar.Method, b store.Booking) {
	if inv, ok := t.d.invite(method, b, t.now); ok {
		t.invites = append(t.invites, inv)
	}
}
