package mailbot

import (
	"context"
	"fmt"
	"strings"

	"github.com/betterdays/mailbot/mailbot/desk"
	"github.com/betterdays/mailbot/store"
)

// TakenBooking is a booking taken by phone or in person: for Email, or,
// when it is empty, for someone with no email address, found again by
// their phone number (or name).
type TakenBooking struct {
	desk.Taken
	Name, Email string
}

// AddBooking books tb (mailbot bookings add, source cli), and queues what
// the person is owed: to their address, or, with none, to every staff
// address to read out on the phone.
func (b *Bot) AddBooking(ctx context.Context, tb TakenBooking) (store.BookResult, error) {
	tb.Email = strings.TrimSpace(tb.Email)
	if tb.Email != "" && (!desk.ValidAddress(tb.Email) || store.NoEmail(tb.Email)) {
		return 0, fmt.Errorf("%q is not an email address", tb.Email)
	}
	if tb.Email == "" && len(b.cfg.Staff) == 0 {
		// Nobody could be told what to tell them.
		return 0, fmt.Errorf("booking someone with no email address needs MAILBOT_STAFF: their confirmation and reminders go to staff to phone them")
	}
	var res store.BookResult
	err := b.store.Write(ctx, func(tx *store.Tx) error {
		now := b.clock.Now()
		var p store.Person
		var err error
		if tb.Email != "" {
			var id int64
			if id, err = tx.NotePerson(ctx, tb.Email, tb.Name, now); err == nil {
				p, err = tx.Person(ctx, id)
			}
		} else {
			p, err = tx.NotePersonWithoutEmail(ctx, tb.Name, tb.Phone, "", now)
		}
		if err != nil {
			return err
		}
		var replies []desk.Reply
		if replies, res, err = b.desk.BookTaken(ctx, tx, p, tb.Taken, now); err != nil {
			return err
		}
		return b.queue(ctx, tx, replies, 0, now)
	})
	if err == nil && b.queued != nil {
		b.queued()
	}
	return res, err
}
