package desk

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/calendar"
	"github.com/betterdays/mailbot/store"
)

// invite builds the calendar object for a booking: a REQUEST when it is
// booked or has changed, a CANCEL when it is cancelled. The UID is the
// booking's, so every calendar updates the one event it already holds.
func (d *Desk) invite(method calendar.Method, bk store.Booking, now time.Time) (Invite, bool) {
	s := bk.Session
	desc := s.Description
	where, link := s.Location, JoiningLink(s.Joining)
	if method == calendar.Request {
		if lines := joiningLines(s.Joining); len(lines) > 0 {
			desc += "\n\nTo join:\n" + strings.Join(lines, "\n")
		} else if Online(s) {
			desc += "\n\nWe will email you the link to join before the day."
		}
		desc = strings.TrimSpace(desc + "\n\nIf you can't come, reply CANCEL to the email this came with.")
		// Outlook and Google show a link in the place as one to click,
		// and few show URL at all.
		if link != "" {
			where = strings.TrimSpace(where + " " + link)
		}
	}
	ev := calendar.Event{
		UID: d.bookingUID(bk.ID), Sequence: bk.Sequence,
		Summary: eventTitle(s.Title), Description: desc, Location: where, URL: link,
		Start: s.Starts, End: s.Ends,
		Organizer: calendar.Person{Name: DisplayName, Email: d.env.Address},
		Attendee:  calendar.Person{Name: bk.Name, Email: bk.Email},
		Stamp:     now,
	}
	var buf bytes.Buffer
	if err := calendar.Write(&buf, method, d.env.TZ, ev); err != nil {
		// The email still says everything; only the calendar file is lost.
		d.env.Log.Error("calendar invite not attached", "booking", bk.ID, "err", err)
		return Invite{}, false
	}
	return Invite{Method: method, ICS: buf.Bytes()}, true
}

// eventTitle is what people's calendars show: the programme's name, then
// the session's title, which may already start with it ("Better Days:
// what makes a good day?").
func eventTitle(title string) string {
	const prefix = "Better Days"
	if len(title) >= len(prefix) && strings.EqualFold(title[:len(prefix)], prefix) {
		return title
	}
	return prefix + ": " + title
}

// bookingUID is the calendar UID of a booking (RFC 5545 section 3.8.4.7):
// stable for its life, and unique beyond this database by its token
// (store migration 0010), as a new database numbers bookings from 1 again.
func (d *Desk) bookingUID(id int64) string {
	_, domain, _ := strings.Cut(d.env.Address, "@")
	if id < d.env.CalendarUIDs.FirstBooking {
		return fmt.Sprintf("booking-%d@%s", id, domain) // sent before tokens
	}
	return fmt.Sprintf("booking-%d.%s@%s", id, d.env.CalendarUIDs.Token, domain)
}

// bookingOfUID is the booking id in a UID this database made, or 0: a
// reply about another database's booking of the same number is not ours.
func (d *Desk) bookingOfUID(uid string) int64 {
	var id int64
	if _, err := fmt.Sscanf(uid, "booking-%d", &id); err != nil || d.bookingUID(id) != uid {
		return 0
	}
	return id
}

func idString(id int64) string { return fmt.Sprint(id) }
