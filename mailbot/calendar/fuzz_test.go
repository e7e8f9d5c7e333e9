package calendar

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes: it must return an object or an
// error, never panic or run away, and what it returns must hold no control
// characters a caller could carry into a header.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"golden", "replies"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.ics"))
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		"",
		"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
		calendar(event("DTSTART;TZID=Europe/London:20271031T013000", "DURATION:-P1W2DT3H4M5S")),
		calendar(event("DTSTART;VALUE=DATE:20270715", `ATTENDEE;CN="a,b";PARTSTAT=ACCEPTED:MAILTO:x@y`)),
		calendar(event("DTSTART;TZID=Custom:20270715T120000"), "BEGIN:VTIMEZONE", "TZID:Custom",
			"BEGIN:STANDARD", "DTSTART:16010101T020000", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1;COUNT=3;UNTIL=20300101",
			"RDATE;VALUE=DATE:20270101,20280101", "TZOFFSETFROM:+2359", "TZOFFSETTO:-235959", "END:STANDARD", "END:VTIMEZONE"),
		"BEGIN:VCALENDAR\n BEGIN:VEVENT\n\tUID:x\nEND:VEVENT\nEND:VCALENDAR",
		calendar(event("DTSTART;TZID=\"unterminated:20270715T120000")),
		calendar(event("SUMMARY:\\", "DTSTART:99991231T235959Z", "DTEND:00000101T000000Z")),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(obj.Events) > MaxEvents {
			t.Fatalf("%d events", len(obj.Events))
		}
		for _, ev := range obj.Events {
			for _, s := range []string{string(obj.Method), obj.ProdID, ev.UID, ev.Summary, ev.Location, ev.Description, ev.Status, ev.TZID,
				ev.Organizer.Name, ev.Organizer.Email} {
				if strings.ContainsAny(s, "\r\x00\x1b\x7f") {
					t.Fatalf("control character in %q", s)
				}
			}
			for _, a := range ev.Attendees {
				if strings.ContainsAny(a.Name+a.Email+a.PartStat, "\r\n\x00") {
					t.Fatalf("control character in attendee %+v", a)
				}
			}
		}
	})
}

// FuzzWrite checks that no summary, place or name can break the object:
// every physical line stays within 75 octets and whole UTF-8, there is
// exactly one ORGANIZER and one ATTENDEE, and the text reads back as given
// less control characters.
func FuzzWrite(f *testing.F) {
	f.Add("Yoga\r\nATTENDEE:mailto:evil@x", "Jane \"JJ\" Smith; carer", "Room 2, Civic Centre")
	f.Add(strings.Repeat("日本語🙂", 40), "Zoë\u0085", "\\;,:\x00\x7f\xff")
	f.Fuzz(func(t *testing.T, summary, name, place string) {
		loc := mustLoad(t, "Europe/London")
		ev := booking(loc)
		ev.Summary, ev.Location, ev.Attendee.Name = summary, place, name
		data := write(t, Request, loc, ev)
		lines := physicalLines(t, data)
		if n := len(propertyLines(lines, "ATTENDEE")) + len(propertyLines(lines, "ORGANIZER")); n != 2 {
			t.Fatalf("%d ATTENDEE and ORGANIZER lines:\n%s", n, data)
		}
		got := parse(t, data).Events[0]
		if got.Summary != cleanText(summary) || got.Location != cleanText(place) || got.Attendees[0].Name != cleanParam(name) {
			t.Fatalf("read back %q, %q, %q", got.Summary, got.Location, got.Attendees[0].Name)
		}
		if got.Attendees[0].Email != ev.Attendee.Email {
			t.Fatalf("attendee address %q", got.Attendees[0].Email)
		}
	})
}
