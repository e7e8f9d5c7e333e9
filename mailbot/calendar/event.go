package calendar

import (
	"strings"
	"time"
)

// Person is a calendar user: the ORGANIZER or an ATTENDEE (RFC 5545
// §3.8.4.1, §3.8.4.3).
type Person struct {
	Name  string // the CN parameter; may be empty
	Email string // the address of the mailto: URI
}

// Event is one booking as the bot sends it: one organizer (the project
// address) and one attendee (the person booked).
type Event struct {
	UID         string // stable per booking, e.g. "booking-42@betterdays.example"
	Sequence    int    // bumped by the caller when time or place change, and on cancelling
	Summary     string
	Description string
	Location    string
	// URL is where to join an online event (RFC 5545 §3.8.4.6): an
	// http or https address; "" for none.
	URL        string
	Start, End time.Time
	Organizer  Person
	Attendee   Person
	Stamp      time.Time // DTSTAMP: when this version of the object was made
}

// Method is the iTIP method of a calendar object (RFC 5546 §1.4).
type Method string

const (
	Request Method = "REQUEST" // invite, or update when SEQUENCE is higher
	Cancel  Method = "CANCEL"  // the organizer cancels the event
	Reply   Method = "REPLY"   // an attendee accepts, declines or is tentative
)

// ContentType is the MIME type of a calendar part carrying method, with the
// method parameter iTIP over email requires (RFC 6047 §2.4). Anything in
// method but letters, digits and '-' is dropped, so it cannot break a header.
func ContentType(method Method) string {
	m := strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return -1
	}, string(method))
	return "text/calendar; charset=utf-8; method=" + m
}
