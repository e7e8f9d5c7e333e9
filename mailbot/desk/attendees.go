package desk

import (
	"time"

	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// attendees answers a member of staff who asks who is booked: one list per
// session named.
func (t *turn) attendees() (Outcome, error) {
	// Today's sessions too: staff ask on the day.
	sessions, err := t.tx.UpcomingSessions(t.ctx, t.now.Add(-24*time.Hour), "")
	if err != nil {
		return Outcome{}, err
	}
	var found []store.SessionPlaces
	for _, p := range t.req.Targets {
		matched := t.pick(p, sessions)
		if len(matched) == 0 {
			t.ans.NotFound = append(t.ans.NotFound, p.String())
		}
		for _, s := range matched {
			found = appendSession(found, s)
		}
	}
	if len(found) == 0 {
		if len(t.req.Targets) == 0 {
			t.ans.NotFound = append(t.ans.NotFound, "attendees (say which session, such as \"attendees 15 July\")")
		}
		t.sendAnswer()
		return Replied.Of("attendees (none found)"), nil
	}
	for _, s := range found[:min(len(found), MaxChoices)] {
		bookings, err := t.tx.SessionBookings(t.ctx, s.ID)
		if err != nil {
			return Outcome{}, err
		}
		a := templates.Attendees{Title: s.Title, When: When(s.Starts, s.Ends, t.d.env.TZ), Where: s.Location, Capacity: s.Capacity}
		for _, b := range bookings {
			line := attendee(b)
			if b.Status == store.Confirmed {
				a.Confirmed = append(a.Confirmed, line)
			} else {
				a.Waiting = append(a.Waiting, line)
			}
		}
		r := t.answer("attendees", a)
		r.Subject = "Attendees: " + s.Title + ", " + a.When
		t.note("attendees %s", s.ID)
	}
	return Replied.Of("attendees").doing(t.did), nil
}

// attendee is one line of a list of people for staff. Someone with no
// email address shows none: the address they stand under is ours.
func attendee(b store.Booking) templates.Attendee {
	a := templates.Attendee{Name: b.Name, Email: b.Email, Phone: b.Phone, Places: b.Places, Needs: b.Needs}
	if store.NoEmail(a.Email) {
		a.Email = ""
	}
	return a
}
