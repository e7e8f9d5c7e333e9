package desk

import (
	"context"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Moved is what everyone booked on s is owed now its time, place or
// joining details have changed from was: what it was and what it is now;
// for those confirmed, a calendar update of a higher SEQUENCE; for those
// waiting, their place in the queue. Nothing for a session already begun.
func (d *Desk) Moved(ctx context.Context, tx *store.Tx, was, s store.Session, now time.Time) ([]Reply, error) {
	if !s.Starts.After(now) {
		return nil, nil
	}
	changes, mode := d.changes(was, s)
	bookings, err := tx.SessionBookings(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	var replies []Reply
	for _, bk := range bookings {
		e := toGo(EventOf(bk, d.env.TZ), bk.Session)
		if bk.Status == store.Waitlisted {
			// Told too, so they can step aside; no invitation, as they
			// have no place yet.
			if e.Position, err = tx.WaitingPosition(ctx, bk); err != nil {
				return nil, err
			}
		} else if bk.Sequence, err = tx.BumpSequence(ctx, bk.ID); err != nil {
			return nil, err
		}
		r := Reply{
			Kind: "changed", To: bk.Email, ToName: bk.Name,
			Subject: "Better Days: a change to " + bk.Session.Title,
			Data:    templates.Changed{Name: FirstName(bk.Name), Event: e, Changes: changes, Now: mode},
			Offer:   &store.Offer{PersonID: bk.PersonID, Kind: store.OfferBooked, Items: []string{idString(bk.ID)}},
		}
		if bk.Status == store.Confirmed {
			if inv, ok := d.invite(calendar.Request, bk, now); ok {
				r.Invites = []Invite{inv}
			}
		}
		replies = append(replies, r)
	}
	return replies, nil
}

// changes says what is different about s from was, said plainly: "When
// was … now …", and whether it went from online to in person or back.
func (d *Desk) changes(was, s store.Session) (changes []templates.Change, mode string) {
	if w, n := When(was.Starts, was.Ends, d.env.TZ), When(s.Starts, s.Ends, d.env.TZ); w != n {
		changes = append(changes, templates.Change{What: "When", Was: w, Now: n})
	}
	if was.Location != s.Location {
		changes = append(changes, templates.Change{What: "Where", Was: was.Location, Now: s.Location})
	}
	// Leaving a link that never came says nothing worth reading.
	if w, n := joiningSaid(was), joiningSaid(s); w != n && (Online(s) || was.Joining != "") {
		changes = append(changes, templates.Change{What: "How to join", Was: w, Now: n})
	}
	switch {
	case Online(was) && !Online(s):
		mode = "in person"
	case !Online(was) && Online(s):
		mode = "online"
	}
	return changes, mode
}

// Reminder is the message reminding one person of one booking; a reply
// NO to it cancels that booking.
func (d *Desk) Reminder(bk store.Booking, now time.Time) Reply {
	e := toGo(EventOf(bk, d.env.TZ), bk.Session)
	return Reply{
		Kind: "reminder", To: bk.Email, ToName: bk.Name,
		Subject: "Reminder: " + bk.Session.Title + ", " + e.When,
		Data:    templates.Reminder{Name: FirstName(bk.Name), Event: e, Soon: TimeUntil(bk.Session.Starts.Sub(now))},
		Offer:   &store.Offer{PersonID: bk.PersonID, Kind: store.OfferBooked, Items: []string{idString(bk.ID)}},
	}
}

// TimeUntil says how soon something is, as a person would: "in 2 days",
// "in 2 hours", "in 45 minutes".
func TimeUntil(d time.Duration) string {
	in := func(n int, unit string) string { return "in " + plural(n, unit) }
	switch {
	case d >= 36*time.Hour:
		return in(int((d+12*time.Hour)/(24*time.Hour)), "day")
	case d >= 90*time.Minute:
		return in(int((d+30*time.Minute)/time.Hour), "hour")
	default:
		return in(max(int((d+30*time.Second)/time.Minute), 1), "minute")
	}
}
