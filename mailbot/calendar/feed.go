package calendar

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// WriteFeed writes evs as one calendar to subscribe to (METHOD:PUBLISH,
// RFC 5546 §3.2.1): what's on, for Outlook, Google and Apple calendars to
// poll. Each event keeps its UID from one fetch to the next, so a
// subscriber's calendar updates the event it has instead of adding
// another; there are no attendees. name is the calendar's name as
// calendars show it (X-WR-CALNAME, which they all read). Nothing is
// written unless every event is good.
func WriteFeed(w io.Writer, loc *time.Location, name string, evs []Event) error {
	if loc == nil {
		return fmt.Errorf("calendar: feed: no time zone")
	}
	var first, last time.Time
	for i, ev := range evs {
		switch {
		case strings.TrimSpace(ev.UID) == "" || strings.IndexFunc(ev.UID, isControl) >= 0:
			return fmt.Errorf("calendar: feed event %d: bad UID %q", i, ev.UID)
		case ev.Stamp.IsZero(), ev.Start.IsZero() || !ev.End.After(ev.Start):
			return fmt.Errorf("calendar: feed event %q: no DTSTAMP, or end not after start", ev.UID)
		case ev.URL != "" && !webURL(ev.URL):
			return fmt.Errorf("calendar: feed event %q: URL %q is not one http or https address", ev.UID, ev.URL)
		}
		if first.IsZero() || ev.Start.Before(first) {
			first = ev.Start
		}
		if ev.End.After(last) {
			last = ev.End
		}
	}
	var b lineBuffer
	b.prop("BEGIN", nil, "VCALENDAR")
	b.prop("PRODID", nil, escapeText(prodID))
	b.prop("VERSION", nil, "2.0")
	b.prop("CALSCALE", nil, "GREGORIAN")
	b.prop("METHOD", nil, "PUBLISH")
	b.prop("X-WR-CALNAME", nil, escapeText(name))
	tzid := ""
	if len(evs) > 0 {
		tzid = tzidFor(loc, first)
		writeTimeZone(&b, tzid, loc, first, last)
		b.prop("X-WR-TIMEZONE", nil, escapeText(tzid))
	}
	for _, ev := range evs {
		b.prop("BEGIN", nil, "VEVENT")
		b.prop("UID", nil, escapeText(ev.UID))
		b.prop("SEQUENCE", nil, strconv.Itoa(ev.Sequence))
		b.prop("DTSTAMP", nil, ev.Stamp.UTC().Format(layoutUTC))
		writeTime(&b, "DTSTART", tzid, loc, ev.Start.Truncate(time.Second))
		writeTime(&b, "DTEND", tzid, loc, ev.End.Truncate(time.Second))
		writeWhat(&b, ev)
		b.prop("STATUS", nil, "CONFIRMED")
		b.prop("TRANSP", nil, "OPAQUE")
		b.prop("END", nil, "VEVENT")
	}
	b.prop("END", nil, "VCALENDAR")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("calendar: writing feed: %w", err)
	}
	return nil
}
