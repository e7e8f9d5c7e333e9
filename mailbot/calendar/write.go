package calendar

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// prodID names us in every object (RFC 5545 §3.7.3).
const prodID = "-//Better Days//mailbot//EN"

// Write writes ev as a calendar object with the iTIP method given, REQUEST
// (an invitation, or an update when Sequence has gone up) or CANCEL (the
// event is off: STATUS:CANCELLED, same UID, the caller having bumped
// Sequence), with its times in loc. Nothing is written unless the whole
// object could be built.
func Write(w io.Writer, method Method, loc *time.Location, ev Event) error {
	if err := check(method, loc, ev); err != nil {
		return err
	}
	ev.Start, ev.End = ev.Start.Truncate(time.Second), ev.End.Truncate(time.Second)
	tzid := tzidFor(loc, ev.Start)

	var b lineBuffer
	b.prop("BEGIN", nil, "VCALENDAR")
	b.prop("PRODID", nil, escapeText(prodID))
	b.prop("VERSION", nil, "2.0")
	b.prop("CALSCALE", nil, "GREGORIAN")
	b.prop("METHOD", nil, string(method))
	writeTimeZone(&b, tzid, loc, ev.Start, ev.End)

	// RFC 5546 §3.2.2 (REQUEST) and §3.2.5 (CANCEL) list what each must hold.
	b.prop("BEGIN", nil, "VEVENT")
	b.prop("UID", nil, escapeText(ev.UID))
	b.prop("SEQUENCE", nil, strconv.Itoa(ev.Sequence))
	b.prop("DTSTAMP", nil, ev.Stamp.UTC().Format(layoutUTC))
	writeTime(&b, "DTSTART", tzid, loc, ev.Start)
	writeTime(&b, "DTEND", tzid, loc, ev.End)
	writeWhat(&b, ev)
	b.prop("ORGANIZER", cn(ev.Organizer), mailto(ev.Organizer))
	attendee := append(cn(ev.Attendee), param{"ROLE", "REQ-PARTICIPANT"})
	switch method {
	case Request:
		attendee = append(attendee, param{"PARTSTAT", "NEEDS-ACTION"}, param{"RSVP", "TRUE"})
		b.prop("ATTENDEE", attendee, mailto(ev.Attendee))
		b.prop("STATUS", nil, "CONFIRMED")
	case Cancel:
		b.prop("ATTENDEE", attendee, mailto(ev.Attendee))
		b.prop("STATUS", nil, "CANCELLED")
	}
	b.prop("TRANSP", nil, "OPAQUE")
	b.prop("END", nil, "VEVENT")
	b.prop("END", nil, "VCALENDAR")

	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("calendar: writing %s for %s: %w", method, ev.UID, err)
	}
	return nil
}

// writeTime writes t as a local time with TZID, or in UTC when the local
// time would mean another instant: RFC 5545 §3.3.5 reads a wall clock that
// happens twice (clocks going back) as the first, so the second can only be
// written in UTC.
func writeTime(b *lineBuffer, name, tzid string, loc *time.Location, t time.Time) {
	wall := wallClock(t.In(loc))
	if resolveWall(wall, goOffsets(loc)).Equal(t) {
		b.prop(name, []param{{"TZID", paramValue(tzid)}}, wall.Format(layoutLocal))
		return
	}
	b.prop(name, nil, t.UTC().Format(layoutUTC))
}

func cn(p Person) []param {
	if name := cleanParam(p.Name); name != "" {
		return []param{{"CN", paramValue(name)}}
	}
	return nil
}

// writeWhat writes what an event is and where: SUMMARY, and LOCATION,
// DESCRIPTION and URL when it has them.
func writeWhat(b *lineBuffer, ev Event) {
	b.prop("SUMMARY", nil, escapeText(ev.Summary))
	if ev.Location != "" {
		b.prop("LOCATION", nil, escapeText(ev.Location))
	}
	if ev.Description != "" {
		b.prop("DESCRIPTION", nil, escapeText(ev.Description))
	}
	if ev.URL != "" {
		// A URI value, not TEXT: written as it is, so the callers'
		// checks refuse anything that could break the line.
		b.prop("URL", nil, ev.URL)
	}
}

func mailto(p Person) string { return "mailto:" + p.Email }

// webURL reports whether s is an absolute http or https URI with nothing in
// it a content line can't carry as it is.
func webURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '"' })
}

// check refuses an event that would make an object importers reject or
// misread. Addresses are refused rather than cleaned: a changed address
// would reach someone else.
func check(method Method, loc *time.Location, ev Event) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("calendar: %s %q: "+format, append([]any{method, ev.UID}, args...)...)
	}
	switch {
	case method != Request && method != Cancel:
		return fmt.Errorf("calendar: cannot write method %q: only REQUEST and CANCEL", method)
	case loc == nil:
		return fail("no time zone")
	case strings.TrimSpace(ev.UID) == "":
		return fail("no UID")
	case ev.URL != "" && !webURL(ev.URL):
		return fail("URL %q is not one http or https address", ev.URL)
	case strings.IndexFunc(ev.UID, isControl) >= 0:
		return fail("control character in UID")
	case ev.Sequence < 0:
		return fail("negative SEQUENCE %d", ev.Sequence)
	case ev.Stamp.IsZero():
		return fail("no DTSTAMP")
	case ev.Start.IsZero() || !ev.End.After(ev.Start):
		return fail("end %v is not after start %v", ev.End, ev.Start)
	case ev.Start.In(loc).Year() < 1 || ev.End.In(loc).Year() > 9998:
		return fail("year out of range")
	}
	if err := checkAddress(ev.Organizer.Email); err != nil {
		return fail("organizer: %w", err)
	}
	if err := checkAddress(ev.Attendee.Email); err != nil {
		return fail("attendee: %w", err)
	}
	return nil
}

func checkAddress(addr string) error {
	switch {
	case addr == "":
		return errors.New("no address")
	case !strings.Contains(addr, "@"):
		return fmt.Errorf("%q is not an email address", addr)
	case strings.IndexFunc(addr, func(r rune) bool {
		return isControl(r) || r == ' ' || r == '"' || r == '<' || r == '>' || r == '\\'
	}) >= 0:
		return fmt.Errorf("%q: characters not allowed in a mailto: address", addr)
	}
	return nil
}
