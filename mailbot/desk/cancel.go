package desk

import (
	"slices"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// cancel cancels what the request names among the person's bookings: the
// sessions named, the number picked from a list of their bookings, the
// booking of the confirmation or reminder answered, or their only booking.
// When it is unclear which, it asks with a numbered list.
func (t *turn) cancel() error {
	live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
	if err != nil {
		return err
	}
	if t.req.Waiting {
		// "Take me off the waiting list": their places stay.
		live = slices.DeleteFunc(live, func(b store.Booking) bool { return b.Status != store.Waitlisted })
	}
	var chosen, ask []store.Booking
	if t.req.Waiting && len(t.req.Targets) == 0 && len(live) == 1 {
		// "I don't need to be on the waiting list any more", and they
		// wait for one session: that one, whichever email they answer.
		chosen = live
	} else {
		chosen, ask = t.whichBookings(t.req.Targets, live)
	}
	switch {
	case len(chosen) > 0 || len(ask) > 0:
	case len(live) == 0:
		t.ans.NoBookings = true
		return nil
	default:
		ask = live
	}
	for _, b := range chosen {
		if err := t.cancelOne(b); err != nil {
			return err
		}
	}
	if len(ask) > 0 {
		t.askCancel(ask)
	}
	return nil
}

// whichBookings works out which of live the patterns (or, without any, the
// message answered) mean: those it is sure of, and those to ask about.
func (t *turn) whichBookings(patterns []understand.Pattern, live []store.Booking) (chosen, ask []store.Booking) {
	byID := make(map[string]store.Booking, len(live))
	for _, b := range live {
		byID[idString(b.ID)] = b
	}
	var fromOffer []store.Booking // live bookings of the list or confirmation answered
	if t.offer != nil && (t.offer.Kind == store.OfferCancel || t.offer.Kind == store.OfferBooked) {
		for _, id := range t.offer.Items {
			if b, ok := byID[id]; ok {
				fromOffer = append(fromOffer, b)
			}
		}
	}
	if len(patterns) == 0 {
		if t.req.All {
			// "Cancel all my bookings", "… except the new to caring one".
			return slices.DeleteFunc(slices.Clone(live), func(b store.Booking) bool {
				return slices.ContainsFunc(t.req.Except, func(p understand.Pattern) bool { return p.Matches(itemOf(b.Session), t.d.env.TZ) })
			}), nil
		}
		if t.offer != nil && t.offer.Kind == store.OfferBooked {
			// A message that cites nothing is only guessed to answer our
			// newest: with more than one booking, "I can't make it" must
			// not give up the one we guess.
			if len(fromOffer) == 1 && (!t.offer.Guessed || len(live) == 1) {
				return fromOffer, nil
			}
			if t.offer.Guessed {
				return nil, live
			}
			return nil, fromOffer
		}
		if len(live) == 1 {
			return live, nil
		}
		return nil, nil
	}
	for _, p := range patterns {
		var found []store.Booking
		if p.Number > 0 {
			if t.offer != nil && t.offer.Kind == store.OfferCancel && p.Number <= len(t.offer.Items) {
				if b, ok := byID[t.offer.Items[p.Number-1]]; ok {
					found = append(found, b)
				}
			}
		} else {
			for _, b := range live {
				if p.Matches(itemOf(b.Session), t.d.env.TZ) {
					found = append(found, b)
				}
			}
		}
		switch len(found) {
		case 0:
			t.ans.NotFound = append(t.ans.NotFound, p.String())
		case 1:
			chosen = appendBooking(chosen, found[0])
		default:
			for _, b := range found {
				ask = appendBooking(ask, b)
			}
		}
	}
	return chosen, ask
}

func appendBooking(list []store.Booking, b store.Booking) []store.Booking {
	if slices.ContainsFunc(list, func(x store.Booking) bool { return x.ID == b.ID }) {
		return list
	}
	return append(list, b)
}

// askCancel asks which of bookings to cancel.
func (t *turn) askCancel(bookings []store.Booking) {
	t.ans.ChooseFor = templates.ChooseCancel
	for _, b := range bookings[:min(len(bookings), MaxChoices)] {
		s := b.Session
		t.ans.Choices = append(t.ans.Choices, t.choice(idString(b.ID), s.Title, s.Starts, s.Ends, s.Location, 0))
	}
}

// cancelOne cancels b, sends the calendar its CANCEL when it had been sent
// an invitation, and gives freed places to the waiting list.
func (t *turn) cancelOne(b store.Booking) error {
	c, promoted, err := t.tx.Cancel(t.ctx, b.ID, t.now)
	if err != nil {
		return err
	}
	e := t.event(c)
	if b.Status == store.Waitlisted {
		t.risk("give up your place on the waiting list for", &e)
		t.ans.LeftWaiting = append(t.ans.LeftWaiting, e)
	} else {
		t.risk("cancel your place on", &e)
		t.ans.Cancelled = append(t.ans.Cancelled, e)
	}
	if b.Status == store.Confirmed {
		t.attach(calendar.Cancel, c)
	}
	t.note("cancelled %s", b.Session.ID)
	for _, p := range promoted {
		t.promote(p)
	}
	return nil
}

// promote tells someone from the waiting list that the place is theirs.
func (t *turn) promote(p store.Booking) {
	t.replies = append(t.replies, t.d.Promoted(p, t.now))
	t.note("promoted %s on %s", p.Email, p.Session.ID)
}

// Promoted is the message telling p, just confirmed from the waiting list
// (a place came free, or the session grew), that the place is theirs,
// with an invitation.
func (d *Desk) Promoted(p store.Booking, now time.Time) Reply {
	r := Reply{
		Kind: "promoted", To: p.Email, ToName: p.Name,
		Subject: "Better Days: a place has come free for you",
		Data:    templates.Promoted{Name: FirstName(p.Name), Event: toGo(EventOf(p, d.env.TZ), p.Session)},
		Offer:   &store.Offer{PersonID: p.PersonID, Kind: store.OfferBooked, Items: []string{idString(p.ID)}},
	}
	if inv, ok := d.invite(calendar.Request, p, now); ok {
		r.Invites = []Invite{inv}
	}
	return r
}

// keptIfNo lists, for a "no" read as declining the list, the bookings
// of the confirmation it answers, which it keeps.
func (t *turn) keptIfNo() (err error) {
	if t.offer.Kind == store.OfferBooked {
		t.ans.KeptIfNo, err = t.offeredEvents()
	}
	return err
}

// stillComing answers "yes" to a reminder: nothing changes, and they hear so.
func (t *turn) stillComing() (err error) {
	t.ans.StillOn, err = t.offeredEvents()
	t.ans.NoBookings = len(t.ans.StillOn) == 0
	return err
}

// offeredEvents are the person's live bookings that the confirmation or
// reminder answered is about.
func (t *turn) offeredEvents() ([]templates.Event, error) {
	live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
	if err != nil {
		return nil, err
	}
	var out []templates.Event
	for _, b := range live {
		if slices.Contains(t.offer.Items, idString(b.ID)) {
			out = append(out, t.event(b))
		}
	}
	return out, nil
}

// move is "can I move to the August one instead?": book the new session and
// cancel the old booking together. When the new session is full they keep
// the old place and wait for the new one, rather than lose both.
func (t *turn) move(upcoming []store.SessionPlaces) error {
	if t.req.Places > 0 {
		// "Change my booking on the small group to 1 place" moves nothing.
		if b, ok, err := t.heldNamed(upcoming); ok || err != nil {
			if err != nil {
				return err
			}
			return t.resize(b, t.req.Places)
		}
	}
	if len(t.req.Targets) == 0 {
		return t.list(upcoming)
	}
	p := t.req.Targets[0]
	to := t.resolve(p, upcoming)
	if len(to) != 1 {
		return t.book(upcoming) // names none or several: say so, or ask which
	}
	live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
	if err != nil {
		return err
	}
	live = slices.DeleteFunc(live, func(b store.Booking) bool { return b.Session.ID == to[0].ID })
	from, ask := t.whichBookings(t.req.From, live)
	if len(from) == 0 && len(ask) == 0 && len(t.req.From) == 0 {
		ask = live
	}
	if len(from) != 1 && len(ask) > 0 {
		t.askCancel(append(from, ask...)) // first, which place to give up
		return nil
	}
	if len(from) == 1 {
		t.carryOver(from[0])
	}
	if t.tooMany(t.places()) {
		return nil
	}
	res, err := t.bookOne(to[0], t.places())
	if err != nil || len(from) != 1 {
		return err
	}
	switch res {
	case store.Booked:
		return t.cancelOne(from[0])
	case store.OnWaitingList:
		t.ans.StillOn = append(t.ans.StillOn, t.event(from[0]))
	}
	return nil
}

// carryOver keeps, on a move, what the booking being left says and the
// message does not: its places, phone and access needs go with them.
func (t *turn) carryOver(old store.Booking) {
	if t.req.Places == 0 && old.Places > 1 {
		t.req.Places = old.Places
	}
	if t.req.Phone == "" {
		t.req.Phone = old.Phone
	}
	if len(t.req.Needs) == 0 && old.Needs != "" {
		t.req.Needs = strings.Split(old.Needs, "; ")
	}
}
