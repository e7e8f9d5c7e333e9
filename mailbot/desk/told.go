package desk

import (
	"context"
	"fmt"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Moved is what everyone booked on s is owed now its time or place has
// changed: those confirmed, a calendar update of a higher SEQUENCE; those
// waiting, their place in the queue. Nothing for a session already begun.
func (d *Desk) Moved(ctx context.Context, tx *store.Tx, s store.Session, now time.Time) ([]Reply, error) {
	if !s.Starts.After(now) {
		return nil, nil
	}
	bookings, err := tx.SessionBookings(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	var replies []Reply
	for _, bk := range bookings {
		e := EventOf(bk, d.env.TZ)
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
			Data:    templates.Changed{Name: FirstName(bk.Name), Event: e},
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

// Reminder is the message reminding one person of one booking; a reply
// NO to it cancels that booking.
func (d *Desk) Reminder(bk store.Booking, now time.Time) Reply {
	e := EventOf(bk, d.env.TZ)
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
	plural := func(n int, unit string) string {
		if n == 1 {
			return "in 1 " + unit
		}
		return fmt.Sprintf("in %d %ss", n, unit)
	}
	switch {
	case d >= 36*time.Hour:
		return plural(int((d+12*time.Hour)/(24*time.Hour)), "day")
	case d >= 90*time.Minute:
		return plural(int((d+30*time.Minute)/time.Hour), "hour")
	default:
		return plural(max(int((d+30*time.Second)/time.Minute), 1), "minute")
	}
}
