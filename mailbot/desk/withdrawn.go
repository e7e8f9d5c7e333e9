package desk

import (
	"context"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Withdrawn is what is owed now the organisers have withdrawn s: to
// everyone who was booked or waiting (told, as they stood), a kind note
// with the reason and a numbered list of what else is on, which a reply
// "2" books; to those confirmed, a calendar CANCEL too; and to staff, the
// list of who was told, with phone numbers, for those they would rather
// ring.
func (d *Desk) Withdrawn(ctx context.Context, tx *store.Tx, s store.SessionPlaces, told []store.Booking, now time.Time) ([]Reply, error) {
	upcoming, err := tx.UpcomingSessions(ctx, now, store.Group)
	if err != nil {
		return nil, err
	}
	var choices []templates.Choice
	var items []string
	for _, o := range upcoming {
		if len(choices) == MaxChoices {
			break
		}
		choices = append(choices, templates.Choice{Number: len(choices) + 1, Title: o.Title, When: When(o.Starts, o.Ends, d.env.TZ),
			Where: o.Location, Left: o.Left, Full: o.Left <= 0, ID: o.ID})
		items = append(items, o.ID)
	}
	staff := templates.WithdrawnStaff{Title: s.Title, When: When(s.Starts, s.Ends, d.env.TZ), Reason: s.Reason}
	var replies []Reply
	for _, bk := range told {
		r := Reply{
			Kind: "withdrawn", To: bk.Email, ToName: bk.Name,
			Subject: "Better Days: " + bk.Session.Title + " is cancelled",
			Data: templates.Withdrawn{Name: FirstName(bk.Name), Event: EventOf(bk, d.env.TZ), Reason: s.Reason,
				Waiting: bk.Status == store.Waitlisted, Choices: choices},
		}
		if len(items) > 0 {
			// Their places, phone and needs carry over to what they choose.
			r.Offer = &store.Offer{PersonID: bk.PersonID, Kind: store.OfferBook, Items: items, Places: bk.Places, Phone: bk.Phone, Needs: bk.Needs}
		}
		if bk.Status == store.Confirmed {
			if inv, ok := d.invite(calendar.Cancel, bk, now); ok {
				r.Invites = []Invite{inv}
			}
		}
		replies = append(replies, r)
		a := attendee(bk)
		if bk.Status == store.Waitlisted {
			staff.Waiting = append(staff.Waiting, a)
		} else {
			staff.Confirmed = append(staff.Confirmed, a)
		}
	}
	if len(told) == 0 {
		return replies, nil // a row imported as cancelled that nobody had booked is news to no one
	}
	for _, to := range d.env.Staff {
		replies = append(replies, Reply{Kind: "withdrawn-staff", To: to, Subject: "Withdrawn: " + s.Title + ", " + staff.When, Data: staff})
	}
	return replies, nil
}
