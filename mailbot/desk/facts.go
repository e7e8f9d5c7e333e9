package desk

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// answerAsks answers the questions the timetable can ("what time does the
// Weymouth one finish?", "are there places left?") about the one session
// the message names, or the one booking it replies to. It answers nothing,
// and says so, when the words fit no session or several: a guess would be
// a wrong answer, and staff can give the right one.
func (t *turn) answerAsks(upcoming []store.SessionPlaces) (bool, error) {
	var about []store.SessionPlaces
	for _, p := range t.req.Targets {
		for _, s := range t.resolve(p, upcoming) {
			about = appendSession(about, s)
		}
	}
	if len(t.req.Targets) == 0 && t.offer != nil && t.offer.Kind == store.OfferBooked && len(t.offer.Items) == 1 {
		live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
		if err != nil {
			return false, err
		}
		for _, b := range live {
			if idString(b.ID) == t.offer.Items[0] {
				if i := slices.IndexFunc(upcoming, func(s store.SessionPlaces) bool { return s.ID == b.Session.ID }); i >= 0 {
					about = upcoming[i : i+1]
				}
			}
		}
	}
	if len(about) != 1 {
		return false, nil
	}
	s := about[0]
	e := templates.Event{Title: s.Title, When: When(s.Starts, s.Ends, t.d.env.TZ), Where: s.Location}
	for _, a := range t.req.Asks {
		f := templates.Fact{Say: say(a, s, t.d.env.TZ), Event: e}
		if a == understand.AskPlaces {
			t.placesFact, t.placesOf = len(t.ans.Facts), s.ID
		}
		if a == understand.AskJoining {
			var err error
			if f, err = t.joiningFact(s, e); err != nil {
				return false, err
			}
		}
		t.ans.Facts = append(t.ans.Facts, f)
	}
	t.note("answered %d questions about %s", len(t.req.Asks), s.ID)
	return true, nil
}

// recountPlaces counts again the places left that the answer gives, once
// what the message asked is done: "Is there still room for two on the
// Weymouth one? … please put us down" is answered with the places left
// after theirs, not before.
func (t *turn) recountPlaces() error {
	if t.placesOf == "" {
		return nil
	}
	s, err := t.tx.Session(t.ctx, t.placesOf)
	if err != nil {
		return err
	}
	t.ans.Facts[t.placesFact].Say = say(understand.AskPlaces, s, t.d.env.TZ)
	if s.Left <= 0 {
		// Theirs were the last: no waiting list to offer them.
		t.ans.Facts[t.placesFact].Say = "There are no places left on it now:"
	}
	return nil
}

// joiningFact answers how to join s: the joining details to someone
// booked on it, as their confirmation gives them; to anyone else, that
// booking brings them (a meeting link is for those who are coming).
func (t *turn) joiningFact(s store.SessionPlaces, e templates.Event) (templates.Fact, error) {
	if !Online(s.Session) {
		return templates.Fact{Say: "It is in person, here:", Event: e}, nil
	}
	live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
	if err != nil {
		return templates.Fact{}, err
	}
	if slices.ContainsFunc(live, func(b store.Booking) bool { return b.Session.ID == s.ID && b.Status == store.Confirmed }) {
		return templates.Fact{Say: "Here is how to join it:", Event: toGo(e, s.Session)}, nil
	}
	return templates.Fact{Say: "It is online. When you are booked on it, we email you how to join:", Event: e}, nil
}

// say is the answer to a, in a line.
func say(a understand.Ask, s store.SessionPlaces, tz *time.Location) string {
	switch a {
	case understand.AskEnds:
		return "It finishes at " + clock12(s.Ends.In(tz)) + ":"
	case understand.AskStarts:
		return "It starts at " + clock12(s.Starts.In(tz)) + ":"
	case understand.AskWhere, understand.AskOnline:
		if online(s.Location) {
			return "It is online:"
		}
		return "It is in person, here:"
	case understand.AskPlaces:
		switch {
		case s.Left <= 0:
			return "It is full, but you can join the waiting list by asking to book:"
		case s.Left == 1:
			return "There is 1 place left on:"
		}
		return fmt.Sprintf("There are %d places left on:", s.Left)
	}
	return ""
}

// online reports whether a location is a meeting on the internet.
func online(location string) bool {
	l := strings.ToLower(location)
	return strings.Contains(l, "online") || strings.Contains(l, "teams") || strings.Contains(l, "zoom") || strings.Contains(l, "video")
}
