package calendar

import (
	"bytes"
	"testing"
	"time"
	_ "time/tzdata" // tests do not depend on the machine's zoneinfo
	"unicode/utf8"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// booking is the event most tests start from: a drop-in on a summer
// afternoon in London.
func booking(loc *time.Location) Event {
	return Event{
		UID:         "booking-42@betterdays.example",
		Sequence:    1,
		Summary:     "Drop-in conversation: Better Days",
		Description: "A one-to-one chat about day opportunities.\nReply to the confirmation email to cancel or change.",
		Location:    "Room 2, Civic Centre, High Street",
		Start:       time.Date(2027, 7, 15, 13, 0, 0, 0, loc),
		End:         time.Date(2027, 7, 15, 14, 0, 0, 0, loc),
		Organizer:   Person{Name: "Better Days", Email: "betterdays@council.example"},
		Attendee:    Person{Name: "Jane Smith", Email: "jane@example.com"},
		Stamp:       time.Date(2027, 7, 1, 9, 30, 0, 0, time.UTC),
	}
}

func write(t testing.TB, method Method, loc *time.Location, ev Event) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, method, loc, ev); err != nil {
		t.Fatalf("Write(%s, %v) = %v", method, loc, err)
	}
	return b.Bytes()
}

// physicalLines splits data on CRLF, failing unless every line ends with
// one and none is over 75 octets, holds a bare CR or LF, or splits a UTF-8
// sequence (RFC 5545 §3.1).
func physicalLines(t testing.TB, data []byte) [][]byte {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Errorf("object does not end with CRLF")
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\r\n")), []byte("\r\n"))
	for i, l := range lines {
		if len(l) > maxLine {
			t.Errorf("line %d is %d octets: %q", i+1, len(l), l)
		}
		if bytes.ContainsAny(l, "\r\n") {
			t.Errorf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if !utf8.Valid(l) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, l)
		}
	}
	return lines
}

// propertyLines are the physical lines that start a property named name.
func propertyLines(lines [][]byte, name string) []string {
	var out []string
	for _, l := range lines {
		if bytes.HasPrefix(l, []byte(name+";")) || bytes.HasPrefix(l, []byte(name+":")) {
			out = append(out, string(l))
		}
	}
	return out
}

func parse(t testing.TB, data []byte) *Object {
	t.Helper()
	obj, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Parse = %v\n%s", err, data)
	}
	return obj
}
