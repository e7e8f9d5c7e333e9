package desk

import (
	"bytes"
	"errors"
	"strings"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/store"
)

// calendarReply handles a calendar's answer to our invitation (iTIP REPLY,
// RFC 5546 section 3.2.3): an acceptance is recorded quietly; a decline is
// a cancellation, confirmed by email like any other. done is false when
// the calendar part is not a reply about one of this person's bookings, and
// the words of the message should be read instead.
func (t *turn) calendarReply() (outcome Outcome, done bool, err error) {
	obj, perr := calendar.Parse(bytes.NewReader(t.m.Calendar))
	if perr != nil || obj.Method != calendar.Reply {
		if perr != nil {
			t.d.env.Log.Info("calendar part unreadable; reading the words", "from", t.m.From, "err", perr)
		}
		return Outcome{}, false, nil
	}
	var declined []store.Booking
	var answers []string
	for _, ev := range obj.Events {
		id := t.d.bookingOfUID(ev.UID)
		if id == 0 {
			continue
		}
		b, err := t.tx.Booking(t.ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return Outcome{}, true, err
		}
		// Only the person booked answers for the booking, whatever the
		// calendar object claims.
		if b.PersonID != t.person {
			continue
		}
		for _, a := range ev.Attendees {
			if !address.Equal(a.Email, t.m.From) {
				continue
			}
			answers = append(answers, strings.ToLower(a.PartStat)+" "+b.Session.ID)
			if a.PartStat == "DECLINED" && b.Status != store.Cancelled && b.Session.Starts.After(t.now) {
				declined = appendBooking(declined, b)
			}
		}
	}
	if len(answers) == 0 {
		return Outcome{}, false, nil
	}
	if len(declined) == 0 {
		return CalendarNoted.Of("%s; nothing to do", strings.Join(answers, ", ")), true, nil
	}
	for _, b := range declined {
		if err := t.cancelOne(b); err != nil {
			return Outcome{}, true, err
		}
	}
	t.ans.Asked = "Your calendar told us you can't come."
	t.sendAnswer()
	return Replied.Of("calendar decline").doing(t.did), true, nil
}
