// Package calendar owns the iCalendar side of a booking: it builds the .ics
// attached to confirmation, change and cancellation emails, and reads the
// calendar objects people's calendars send back.
//
// Write produces an iTIP (RFC 5546) REQUEST or CANCEL for one booking as an
// RFC 5545 calendar object that Outlook, Gmail and Apple Calendar import:
// CRLF line endings, lines folded at 75 octets on UTF-8 boundaries, TEXT
// escaped, local times with a TZID and a VTIMEZONE generated from Go's zone
// data for the years the event touches. Nothing in an Event (names,
// summary, place) can start a new content line: control characters are
// escaped or dropped, and addresses that would need them are refused.
//
// Parse reads a calendar object — our own output in tests, and the REPLY a
// person's calendar sends when they accept or decline — into the few things
// the bot needs: method, UID, SEQUENCE, times, status and each attendee's
// PARTSTAT. It is bounded (MaxSize, MaxEvents) and returns an error rather
// than panicking on any input. Times with a TZID are resolved with Go's tz
// database; a TZID Go does not know (Outlook's "GMT Standard Time") is
// resolved with the VTIMEZONE of the same name in the object, when that
// uses only yearly rules of the kind time zones need.
//
// Go's tz database must be present at run time (the system's zoneinfo, or
// the binary importing time/tzdata).
package calendar
