package desk

import (
	"fmt"
	"slices"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

// A reply to a confirmation or a reminder may change only how many places
// the booking holds: "can you change it to 1 place please", "actually make
// that 3", "yes please, and my wife will be coming too so that's two of
// us". It names no session: the booking is the one the message replies to.

// placesOnly is whether the message asks that: a number of places, in a
// reply to the one booking, naming nothing else.
func (t *turn) placesOnly() bool {
	return t.offer != nil && t.offer.Kind == store.OfferBooked && len(t.offer.Items) == 1 &&
		t.req.Places > 0 && len(t.req.Targets) == 0 && len(t.req.From) == 0
}

// resizeBooked gives the booking the message replies to the places it
// asks for. It reports whether it did: a cancellation that gives a number
// ("he can't come, just 1 place now") gives up only the places it no
// longer needs, and one that gives as many as are held, or more, is left
// for the cancelling to read.
func (t *turn) resizeBooked() (bool, error) {
	live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(live, func(b store.Booking) bool { return idString(b.ID) == t.offer.Items[0] })
	if i < 0 || t.req.Action == understand.Cancel && t.req.Places >= live[i].Places {
		return false, nil
	}
	return true, t.resize(live[i], t.req.Places)
}

// resize makes b hold places, and says so.
func (t *turn) resize(b store.Booking, places int) error {
	if t.tooMany(places) {
		return nil
	}
	nb, res, promoted, err := t.tx.Resize(t.ctx, b.ID, places, t.now)
	if err != nil {
		return err
	}
	if res == store.Resized || res == store.AlreadyBooked {
		// "Can we have 2 places? My husband uses a wheelchair": what
		// they tell us with the new number is kept with the booking.
		if nb, err = t.tx.AddDetails(t.ctx, nb.ID, t.req.Phone, t.req.Needs, t.now); err != nil {
			return err
		}
	}
	e := t.event(nb)
	if nb.Status == store.Waitlisted {
		if e.Position, err = t.tx.WaitingPosition(t.ctx, nb); err != nil {
			return err
		}
	}
	t.about = append(t.about, idString(nb.ID))
	switch res {
	case store.Resized:
		// Another's places are theirs to change: a stranger writing in
		// their name must not.
		t.risk(fmt.Sprintf("change to %s on", plural(places, "place")), &e)
		t.ans.Resized = append(t.ans.Resized, e)
		t.note("%d places on %s", places, nb.Session.ID)
		for _, p := range promoted {
			t.promote(p)
		}
	case store.NoRoom:
		t.ans.NoRoom = append(t.ans.NoRoom, e)
		t.note("no room for %d places on %s", places, nb.Session.ID)
	case store.SessionStarted:
		t.ans.Started = append(t.ans.Started, e)
		t.note("too late for %s", nb.Session.ID)
	default:
		t.ans.Already = append(t.ans.Already, e)
		t.note("already %d places on %s", places, nb.Session.ID)
	}
	return nil
}

// plural is "1 place", "2 places", "3 days".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// heldNamed is the one live booking every session the request names
// (moving from or to) is, if there is one: "change my booking on the small
// group to 1 place" moves nothing.
func (t *turn) heldNamed(upcoming []store.SessionPlaces) (store.Booking, bool, error) {
	if len(t.req.Targets)+len(t.req.From) == 0 {
		return store.Booking{}, false, nil
	}
	live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
	if err != nil {
		return store.Booking{}, false, err
	}
	var held *store.Booking
	for _, p := range slices.Concat(t.req.From, t.req.Targets) {
		named := t.resolve(p, upcoming)
		if len(named) != 1 {
			return store.Booking{}, false, nil
		}
		i := slices.IndexFunc(live, func(b store.Booking) bool { return b.Session.ID == named[0].ID })
		if i < 0 || held != nil && held.ID != live[i].ID {
			return store.Booking{}, false, nil
		}
		held = &live[i]
	}
	return *held, true, nil
}
