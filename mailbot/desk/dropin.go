package desk

import (
	"slices"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// dropin answers a request for a one-to-one: the next free times that suit,
// numbered, for a reply with the number to take one.
func (t *turn) dropin(upcoming []store.SessionPlaces) error {
	if t.req.Waiting {
		// "I don't need to wait for the Weymouth one now, could I have
		// one of the one to one chats instead?": that waiting place goes.
		live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
		if err != nil {
			return err
		}
		waiting := slices.DeleteFunc(live, func(b store.Booking) bool { return b.Status != store.Waitlisted })
		gone, _ := t.whichBookings(t.req.From, waiting)
		if len(t.req.From) == 0 && len(waiting) == 1 {
			gone = waiting
		}
		for _, b := range gone {
			if err := t.cancelOne(b); err != nil {
				return err
			}
		}
	}
	var named []understand.Pattern // "a chat on Thursday": narrows like a preference
	for _, p := range t.req.Targets {
		if p.Number > 0 {
			continue
		}
		if s, ok := t.groupOnly(p, upcoming); ok {
			// "A one-to-one on the 1st July, and also a place on the
			// learning new skills session": that one is booked too, and
			// when it is is no wish for the one-to-one.
			if _, err := t.bookOne(s, t.places()); err != nil {
				return err
			}
			t.req.Prefs = t.req.Prefs.Without(p)
			continue
		}
		named = append(named, p)
	}
	if slot, ok := t.pinned(upcoming, named); ok {
		// "The drop-in at County Hall on 1 July at 10.30": that one.
		_, err := t.bookOne(slot, t.places())
		return err
	}
	t.offerSlots(upcoming, named, t.req.Prefs)
	return nil
}

// groupOnly is the one group session p names, by its title or its place,
// when it names exactly one and no drop-in time. A day alone ("a
// one-to-one on the 15th") only says when the drop-in should be.
func (t *turn) groupOnly(p understand.Pattern, upcoming []store.SessionPlaces) (store.SessionPlaces, bool) {
	if p.Title == "" && p.Place == "" {
		return store.SessionPlaces{}, false
	}
	var group []store.SessionPlaces
	for _, s := range upcoming {
		if !p.Matches(itemOf(s.Session), t.d.env.TZ) {
			continue
		}
		if s.Kind == store.Dropin {
			return store.SessionPlaces{}, false
		}
		group = append(group, s)
	}
	if len(group) != 1 {
		return store.SessionPlaces{}, false
	}
	return group[0], true
}

// pinned is the one free drop-in time a pattern names to the minute, when
// it names exactly one.
func (t *turn) pinned(upcoming []store.SessionPlaces, named []understand.Pattern) (store.SessionPlaces, bool) {
	// A time said to suit pins the minute as a time named beside a day
	// does: "on 1st July? 10.30 would suit me best".
	minute := t.req.Prefs.After > 0 && t.req.Prefs.Before == t.req.Prefs.After+1
	for _, p := range named {
		if p.Until != p.From+1 && !minute {
			continue
		}
		var found []store.SessionPlaces
		for _, s := range upcoming {
			if s.Kind == store.Dropin && s.Left > 0 && p.Matches(itemOf(s.Session), t.d.env.TZ) && t.req.Prefs.Suits(s.Starts.In(t.d.env.TZ), s.Location) {
				found = append(found, s)
			}
		}
		if len(found) == 1 {
			return found[0], true
		}
	}
	return store.SessionPlaces{}, false
}

// offerSlots lists the free drop-in times among upcoming that suit prefs and
// match one of named (when any). When none suit, it says so and lists the
// free times there are that they did not rule out: "any day but Thursday"
// is not answered with Thursdays.
func (t *turn) offerSlots(upcoming []store.SessionPlaces, named []understand.Pattern, prefs understand.Prefs) {
	var free, suit []store.SessionPlaces
	for _, s := range upcoming {
		if s.Kind != store.Dropin || s.Left < 1 {
			continue
		}
		free = append(free, s)
		if prefs.Suits(s.Starts.In(t.d.env.TZ), s.Location) && t.matchesAny(named, s) {
			suit = append(suit, s)
		}
	}
	if len(suit) == 0 {
		t.ans.NoSlots = true
		suit = slices.DeleteFunc(free, func(s store.SessionPlaces) bool { return prefs.RulesOut(s.Starts.In(t.d.env.TZ), s.Location) })
		t.ans.NoneSuit = len(suit) < len(free)
	}
	t.ans.ChooseFor, t.ans.Places = templates.ChooseDropin, 0
	for _, s := range suit[:min(len(suit), MaxChoices)] {
		t.ans.Choices = append(t.ans.Choices, t.choice(s.ID, s.Title, s.Starts, s.Ends, s.Location, s.Left))
	}
}

// matchesAny reports whether s matches one of patterns, or there are none.
func (t *turn) matchesAny(patterns []understand.Pattern, s store.SessionPlaces) bool {
	for _, p := range patterns {
		if p.Matches(itemOf(s.Session), t.d.env.TZ) {
			return true
		}
	}
	return len(patterns) == 0
}
