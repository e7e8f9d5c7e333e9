package mailbot

import (
	"context"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// TellMoved emails everyone booked on s that its time or place changed:
// those confirmed with a calendar update of a higher SEQUENCE, those
// waiting with their place in the queue. It is a MovedFunc.
func (b *Bot) TellMoved(ctx context.Context, tx *store.Tx, s store.Session, now time.Time) error {
	if !s.Starts.After(now) {
		return nil
	}
	bookings, err := tx.SessionBookings(ctx, s.ID)
	if err != nil {
		return err
	}
	var replies []reply
	for _, bk := range bookings {
		e := eventOf(bk, b.cfg.TZ)
		if bk.Status == store.Waitlisted {
			// Told too, so they can step aside; no invitation, as they
			// have no place yet.
			if e.Position, err = tx.WaitingPosition(ctx, bk); err != nil {
				return err
			}
		} else if bk.Sequence, err = tx.BumpSequence(ctx, bk.ID); err != nil {
			return err
		}
		r := reply{
			kind: "changed", to: bk.Email, toName: bk.Name,
			subject: "Better Days: a change to " + bk.Session.Title,
			data:    templates.Changed{Name: firstName(bk.Name), Event: e},
			offer:   &store.Offer{PersonID: bk.PersonID, Kind: store.OfferBooked, Items: []string{idString(bk.ID)}},
		}
		if bk.Status == store.Confirmed {
			if inv, ok := b.invite(calendar.Request, bk, now); ok {
				r.invites = []invite{inv}
			}
		}
		replies = append(replies, r)
	}
	if err := b.queue(ctx, tx, replies, 0, now); err != nil {
		return err
	}
	b.log.Info("session moved; booked people told", "session", s.ID, "told", len(replies))
	return nil
}
