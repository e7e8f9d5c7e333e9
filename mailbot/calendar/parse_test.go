package calendar

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParseReplies reads iTIP REPLYs shaped as Outlook/Exchange, Google
// Calendar and Apple Calendar send them, one subtest per file.
func TestParseReplies(t *testing.T) {
	t.Parallel()
	want := map[string]struct {
		uid      string
		sequence int
		email    string
		name     string
		partStat string
		start    string // RFC 3339, with the offset the zone has then
		end      string
		tzid     string
	}{
		"outlook-accepted.ics": {"booking-42@betterdays.example", 1, "jane@example.com", "Jane Smith", "ACCEPTED",
			"2027-07-15T13:00:00+01:00", "2027-07-15T14:00:00+01:00", "GMT Standard Time"},
		"outlook-declined.ics": {"booking-77@betterdays.example", 3, "Jane.Smith@example.org", "Smith, Jane", "DECLINED",
			"2027-12-09T10:00:00Z", "2027-12-09T11:30:00Z", "(UTC+00:00) Dublin, Edinburgh, Lisbon, London"},
		"google-declined.ics": {"booking-42@betterdays.example", 1, "jane.smith@gmail.com", "jane.smith@gmail.com", "DECLINED",
			"2027-07-15T12:00:00Z", "2027-07-15T13:00:00Z", ""},
		"apple-tentative.ics": {"booking-105@betterdays.example", 0, "jane@icloud.com", "Jane Smith", "TENTATIVE",
			"2027-08-10T10:00:00+01:00", "2027-08-10T11:00:00+01:00", "Europe/London"},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "replies", "*.ics"))
	if err != nil || len(files) != len(want) {
		t.Fatalf("testdata/replies holds %d files (%v), want %d", len(files), err, len(want))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			w, ok := want[filepath.Base(path)]
			if !ok {
				t.Fatal("no expectations for this file")
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			obj := parse(t, data)
			if obj.Method != Reply || len(obj.Events) != 1 {
				t.Fatalf("Method %q with %d events, want REPLY with 1", obj.Method, len(obj.Events))
			}
			ev := obj.Events[0]
			if ev.UID != w.uid || ev.Sequence != w.sequence {
				t.Errorf("UID, SEQUENCE = %q, %d, want %q, %d", ev.UID, ev.Sequence, w.uid, w.sequence)
			}
			if len(ev.Attendees) != 1 {
				t.Fatalf("Attendees = %+v, want one", ev.Attendees)
			}
			if a := ev.Attendees[0]; a.Email != w.email || a.Name != w.name || a.PartStat != w.partStat {
				t.Errorf("Attendee = %+v, want %s <%s> %s", a, w.name, w.email, w.partStat)
			}
			if got := ev.Start.Format(time.RFC3339); got != w.start {
				t.Errorf("Start = %s, want %s", got, w.start)
			}
			if got := ev.End.Format(time.RFC3339); got != w.end {
				t.Errorf("End = %s, want %s", got, w.end)
			}
			if ev.TZID != w.tzid || (w.tzid != "" && ev.Start.Location().String() != w.tzid) {
				t.Errorf("TZID = %q, location %v, want %q", ev.TZID, ev.Start.Location(), w.tzid)
			}
			if ev.AllDay || ev.Floating {
				t.Errorf("AllDay, Floating = %v, %v", ev.AllDay, ev.Floating)
			}
		})
	}
}

// calendar wraps VEVENT lines (joined with CRLF) in a VCALENDAR.
func calendar(lines ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" +
		strings.Join(lines, "\r\n") + "\r\nEND:VCALENDAR\r\n"
}

func event(lines ...string) string {
	return "BEGIN:VEVENT\r\nUID:u1\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VEVENT"
}

func TestParseForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		check func(ParsedEvent) string // "" when right
	}{
		{"UTC", calendar(event("DTSTART:20270715T120000Z", "DTEND:20270715T130000Z")), func(e ParsedEvent) string {
			return want(e.Start.Location() == time.UTC && e.Start.Format(time.RFC3339) == "2027-07-15T12:00:00Z" && e.TZID == "", e)
		}},
		{"TZID", calendar(event("DTSTART;TZID=America/New_York:20270810T100000", "DURATION:PT1H30M")), func(e ParsedEvent) string {
			return want(e.Start.Format(time.RFC3339) == "2027-08-10T10:00:00-04:00" && e.End.Sub(e.Start) == 90*time.Minute, e)
		}},
		{"floating", calendar(event("DTSTART:20270715T130000", "DTEND:20270715T140000")), func(e ParsedEvent) string {
			return want(e.Floating && !e.AllDay && e.Start.Format(time.RFC3339) == "2027-07-15T13:00:00Z" && e.TZID == "", e)
		}},
		{"DATE", calendar(event("DTSTART;VALUE=DATE:20270715")), func(e ParsedEvent) string {
			return want(e.AllDay && e.Start.Format(time.RFC3339) == "2027-07-15T00:00:00Z" && e.End.Sub(e.Start) == 24*time.Hour, e)
		}},
		{"DATE without VALUE", calendar(event("DTSTART:20270715", "DTEND:20270717")), func(e ParsedEvent) string {
			return want(e.AllDay && e.End.Sub(e.Start) == 48*time.Hour, e)
		}},
		{"no DTSTART", calendar(event("SEQUENCE:2")), func(e ParsedEvent) string {
			return want(e.Start.IsZero() && e.End.IsZero() && e.Sequence == 2, e)
		}},
		{"LF and lower case", strings.ReplaceAll(strings.ToLower(calendar(event("DTSTART:20270715T120000Z"))), "\r\n", "\n"), func(e ParsedEvent) string {
			return want(e.Start.Format(time.RFC3339) == "2027-07-15T12:00:00Z", e)
		}},
		{"BOM", "\uFEFF" + calendar(event("SUMMARY:x")), func(e ParsedEvent) string { return want(e.Summary == "x", e) }},
		{"escaped TEXT", calendar(event(`SUMMARY:a\\b\;c\,d\ne\Nf\:g`)), func(e ParsedEvent) string {
			return want(e.Summary == "a\\b;c,d\ne\nf:g", e)
		}},
		{"folding with space, tab and inside UTF-8", calendar(event("SUMMARY:Caf\xc3", " \xa9 con", "\tversation")), func(e ParsedEvent) string {
			return want(e.Summary == "Café conversation", e)
		}},
		{"quoted parameters", calendar(event(`ATTENDEE;CN="Smith; Jane: carer, 2";PARTSTAT=accepted;DELEGATED-FROM="mailto:a@b","mailto:c@d":mailto:j@x.example`)), func(e ParsedEvent) string {
			return want(len(e.Attendees) == 1 && e.Attendees[0].Name == "Smith; Jane: carer, 2" && e.Attendees[0].PartStat == "ACCEPTED" && e.Attendees[0].Email == "j@x.example", e)
		}},
		{"attendee without mailto", calendar(event("ATTENDEE;CN=Room:urn:uuid:1234")), func(e ParsedEvent) string {
			return want(len(e.Attendees) == 1 && e.Attendees[0].Email == "" && e.Attendees[0].Name == "Room", e)
		}},
		{"control characters dropped", calendar(event("SUMMARY:a\x00b\x1bc\x7fd")), func(e ParsedEvent) string {
			return want(e.Summary == "abcd", e)
		}},
		{"first of repeated properties", calendar(event("SUMMARY:one", "SUMMARY:two")), func(e ParsedEvent) string {
			return want(e.Summary == "one", e)
		}},
		{"nested VALARM ignored", calendar(event("BEGIN:VALARM", "TRIGGER:-PT15M", "SUMMARY:alarm", "END:VALARM", "SUMMARY:event")), func(e ParsedEvent) string {
			return want(e.Summary == "event", e)
		}},
		// RFC 5545 §3.3.5: a repeated local time is the first occurrence...
		{"repeated local time", calendar(event("DTSTART;TZID=Europe/London:20271031T013000")), func(e ParsedEvent) string {
			return want(e.Start.Format(time.RFC3339) == "2027-10-31T01:30:00+01:00", e)
		}},
		// ... and one that never happens takes the offset before the gap,
		// as in the RFC's own example.
		{"skipped local time", calendar(event("DTSTART;TZID=America/New_York:20070311T023000")), func(e ParsedEvent) string {
			return want(e.Start.UTC().Format(time.RFC3339) == "2007-03-11T07:30:00Z", e)
		}},
		{"TZID on a UTC time is ignored", calendar(event("DTSTART;TZID=Nowhere/Special:20270715T120000Z")), func(e ParsedEvent) string {
			return want(e.Start.Format(time.RFC3339) == "2027-07-15T12:00:00Z" && e.TZID == "", e)
		}},
		{"VTIMEZONE after the event", calendar(event("DTSTART;TZID=Custom:20270101T090000"),
			"BEGIN:VTIMEZONE", "TZID:Custom", "BEGIN:STANDARD", "DTSTART:19700101T000000",
			"TZOFFSETFROM:+0300", "TZOFFSETTO:+0300", "END:STANDARD", "END:VTIMEZONE"), func(e ParsedEvent) string {
			return want(e.Start.Format(time.RFC3339) == "2027-01-01T09:00:00+03:00" && e.Start.Location().String() == "Custom", e)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := Parse(strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if len(obj.Events) != 1 {
				t.Fatalf("%d events", len(obj.Events))
			}
			if msg := tt.check(obj.Events[0]); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func want(ok bool, e ParsedEvent) string {
	if ok {
		return ""
	}
	return fmt.Sprintf("got %+v", e)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tz := func(rrule string) string {
		return "BEGIN:VTIMEZONE\r\nTZID:Custom\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n" +
			"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\n" + rrule + "\r\nEND:STANDARD\r\nEND:VTIMEZONE"
	}
	tests := []struct {
		name, input string
		tooLarge    bool
	}{
		{"empty", "", false},
		{"not iCalendar", "From: jane@example.com\r\n\r\nhello", false},
		{"VEVENT outside VCALENDAR", event("SUMMARY:x"), false},
		{"never ended", strings.TrimSuffix(calendar(event()), "END:VCALENDAR\r\n"), false},
		{"mismatched END", calendar("BEGIN:VEVENT", "UID:x", "END:VTODO"), false},
		{"content after END:VCALENDAR", calendar(event()) + "SUMMARY:x\r\n", false},
		{"no colon", calendar(event("SUMMARY")), false},
		{"unterminated quote", calendar(event(`ATTENDEE;CN="Jane:mailto:j@x`)), false},
		{"bad parameter", calendar(event(`ATTENDEE;=x:mailto:j@x`)), false},
		{"no UID", calendar("BEGIN:VEVENT", "SUMMARY:x", "END:VEVENT"), false},
		{"bad SEQUENCE", calendar(event("SEQUENCE:one")), false},
		{"negative SEQUENCE", calendar(event("SEQUENCE:-1")), false},
		{"bad DTSTART", calendar(event("DTSTART:20271315T120000Z")), false},
		{"bad DATE", calendar(event("DTSTART;VALUE=DATE:2027-07-15")), false},
		{"bad DURATION", calendar(event("DTSTART:20270715T120000Z", "DURATION:1H")), false},
		{"huge DURATION", calendar(event("DTSTART:20270715T120000Z", "DURATION:P999999999W")), false},
		{"unknown TZID", calendar(event("DTSTART;TZID=GMT Standard Time:20270715T120000")), false},
		{"Local is not this machine's zone", calendar(event("DTSTART;TZID=Local:20270715T120000")), false},
		{"path as TZID", calendar(event("DTSTART;TZID=../../../etc/passwd:20270715T120000")), false},
		{"VTIMEZONE with a monthly rule", calendar(tz("RRULE:FREQ=MONTHLY;BYDAY=1SU"),
			event("DTSTART;TZID=Custom:20270715T120000")), false},
		{"VTIMEZONE with a bad offset", calendar(strings.Replace(tz(""), "+0000", "+2500", 1),
			event("DTSTART;TZID=Custom:20270715T120000")), false},
		{"VTIMEZONE without observances", calendar("BEGIN:VTIMEZONE", "TZID:Custom", "END:VTIMEZONE",
			event("DTSTART;TZID=Custom:20270715T120000")), false},
		{"nested too deep", calendar(strings.Repeat("BEGIN:X\r\n", maxDepth) + strings.Repeat("END:X\r\n", maxDepth)), false},
		{"over MaxSize", calendar(event("DESCRIPTION:" + strings.Repeat("x", MaxSize))), true},
		{"over MaxEvents", calendar(strings.Repeat(event()+"\r\n", MaxEvents+1)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := Parse(strings.NewReader(tt.input))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", obj)
			}
			if !strings.HasPrefix(err.Error(), "calendar: ") {
				t.Errorf("error %q does not say where it comes from", err)
			}
			if errors.Is(err, ErrTooLarge) != tt.tooLarge {
				t.Errorf("error %v: ErrTooLarge is %v, want %v", err, !tt.tooLarge, tt.tooLarge)
			}
		})
	}
}

func TestParseAtLimits(t *testing.T) {
	t.Parallel()
	obj, err := Parse(strings.NewReader(calendar(strings.Repeat(event("DTSTART;TZID=Europe/London:20270715T120000")+"\r\n", MaxEvents))))
	if err != nil || len(obj.Events) != MaxEvents {
		t.Fatalf("Parse of %d events = %v", MaxEvents, err)
	}
	// A VTIMEZONE nobody uses may be beyond us without failing the object.
	obj, err = Parse(strings.NewReader(calendar("BEGIN:VTIMEZONE", "TZID:Odd", "BEGIN:STANDARD",
		"DTSTART:19700101T000000", "RRULE:FREQ=DAILY", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100",
		"END:STANDARD", "END:VTIMEZONE", event("DTSTART:20270715T120000Z"))))
	if err != nil || len(obj.TimeZones) != 1 {
		t.Fatalf("Parse = %v", err)
	}
	if _, err := obj.TimeZones[0].Offset(time.Now()); err == nil {
		t.Errorf("Offset of a zone with a daily rule: no error")
	}
}
