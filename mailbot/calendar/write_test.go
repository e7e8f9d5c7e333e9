package calendar

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		zone       string
		method     Method
		start      [5]int // y, m, d, hh, mm in zone
		minutes    int
		wantStart  string // the DTSTART line
		wantOffset int    // UTC offset at the start, hours*100+minutes
		wantObs    []string
	}{
		{"London summer (BST)", "Europe/London", Request, [5]int{2027, 7, 15, 13, 0}, 60,
			"DTSTART;TZID=Europe/London:20270715T130000", 100,
			[]string{"STANDARD 20261025T020000 +0100 +0000 GMT FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
				"DAYLIGHT 20270328T010000 +0000 +0100 BST FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"}},
		{"London winter (GMT)", "Europe/London", Cancel, [5]int{2027, 12, 9, 10, 0}, 90,
			"DTSTART;TZID=Europe/London:20271209T100000", 0,
			[]string{"STANDARD 20261025T020000 +0100 +0000 GMT FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
				"DAYLIGHT 20270328T010000 +0000 +0100 BST FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"}},
		{"London over new year", "Europe/London", Request, [5]int{2027, 12, 31, 23, 30}, 60,
			"DTSTART;TZID=Europe/London:20271231T233000", 0, nil},
		{"New York summer (EDT)", "America/New_York", Request, [5]int{2027, 8, 10, 10, 0}, 60,
			"DTSTART;TZID=America/New_York:20270810T100000", -400,
			[]string{"STANDARD 20261101T020000 -0400 -0500 EST FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
				"DAYLIGHT 20270314T020000 -0500 -0400 EDT FREQ=YEARLY;BYMONTH=3;BYDAY=2SU"}},
		{"Sydney January (AEDT, southern summer)", "Australia/Sydney", Request, [5]int{2028, 1, 20, 9, 0}, 60,
			"DTSTART;TZID=Australia/Sydney:20280120T090000", 1100,
			[]string{"DAYLIGHT 20271003T020000 +1000 +1100 AEDT FREQ=YEARLY;BYMONTH=10;BYDAY=1SU",
				"STANDARD 20280402T030000 +1100 +1000 AEST FREQ=YEARLY;BYMONTH=4;BYDAY=1SU"}},
		{"Sydney July (AEST)", "Australia/Sydney", Cancel, [5]int{2027, 7, 15, 13, 0}, 60,
			"DTSTART;TZID=Australia/Sydney:20270715T130000", 1000, nil},
		{"UTC", "UTC", Request, [5]int{2027, 7, 15, 13, 0}, 60,
			"DTSTART;TZID=UTC:20270715T130000", 0,
			[]string{"STANDARD 19700101T000000 +0000 +0000 UTC "}},
		{"Kolkata, no DST", "Asia/Kolkata", Request, [5]int{2027, 7, 15, 13, 0}, 45,
			"DTSTART;TZID=Asia/Kolkata:20270715T130000", 530, nil},
		{"Casablanca, no yearly rule", "Africa/Casablanca", Request, [5]int{2027, 7, 15, 13, 0}, 60,
			"DTSTART;TZID=Africa/Casablanca:20270715T130000", 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoad(t, tt.zone)
			ev := booking(loc)
			ev.Start = time.Date(tt.start[0], time.Month(tt.start[1]), tt.start[2], tt.start[3], tt.start[4], 0, 0, loc)
			ev.End = ev.Start.Add(time.Duration(tt.minutes) * time.Minute)
			data := write(t, tt.method, loc, ev)
			lines := physicalLines(t, data)
			if got := propertyLines(lines, "DTSTART"); len(got) < 2 || got[len(got)-1] != tt.wantStart {
				t.Errorf("DTSTART lines = %q, want the event's to be %q", got, tt.wantStart)
			}
			if got := propertyLines(lines, "METHOD"); len(got) != 1 || got[0] != "METHOD:"+string(tt.method) {
				t.Errorf("METHOD lines = %q", got)
			}

			obj := parse(t, data)
			if obj.Method != tt.method {
				t.Errorf("Method = %q, want %q", obj.Method, tt.method)
			}
			if len(obj.Events) != 1 {
				t.Fatalf("%d events, want 1", len(obj.Events))
			}
			got := obj.Events[0]
			if got.UID != ev.UID || got.Sequence != ev.Sequence {
				t.Errorf("UID, SEQUENCE = %q, %d, want %q, %d", got.UID, got.Sequence, ev.UID, ev.Sequence)
			}
			if !got.Start.Equal(ev.Start) || !got.End.Equal(ev.End) {
				t.Errorf("Start, End = %v, %v, want %v, %v", got.Start, got.End, ev.Start, ev.End)
			}
			if got.TZID != tt.zone || got.Start.Location().String() != tt.zone {
				t.Errorf("TZID = %q in %v, want %q", got.TZID, got.Start.Location(), tt.zone)
			}
			_, off := got.Start.Zone()
			if want := tt.wantOffset/100*3600 + tt.wantOffset%100*60; off != want {
				t.Errorf("offset at start = %s, want %s", formatOffset(off), formatOffset(want))
			}
			wantStatus, wantPartStat := "CONFIRMED", "NEEDS-ACTION"
			if tt.method == Cancel {
				wantStatus, wantPartStat = "CANCELLED", ""
			}
			if got.Status != wantStatus {
				t.Errorf("Status = %q, want %q", got.Status, wantStatus)
			}
			if len(got.Attendees) != 1 || got.Attendees[0].Email != ev.Attendee.Email ||
				got.Attendees[0].Name != ev.Attendee.Name || got.Attendees[0].PartStat != wantPartStat {
				t.Errorf("Attendees = %+v, want %v with PARTSTAT %q", got.Attendees, ev.Attendee, wantPartStat)
			}
			if got.Organizer != ev.Organizer {
				t.Errorf("Organizer = %+v, want %+v", got.Organizer, ev.Organizer)
			}
			if got.Summary != ev.Summary || got.Location != ev.Location || got.Description != ev.Description {
				t.Errorf("text = %q %q %q", got.Summary, got.Location, got.Description)
			}
			if !got.Stamp.Equal(ev.Stamp) {
				t.Errorf("Stamp = %v, want %v", got.Stamp, ev.Stamp)
			}

			if len(obj.TimeZones) != 1 || obj.TimeZones[0].TZID != tt.zone {
				t.Fatalf("VTIMEZONEs = %+v, want one for %s", obj.TimeZones, tt.zone)
			}
			z := obj.TimeZones[0]
			if tt.wantObs != nil {
				var obs []string
				for _, o := range z.Observances {
					kind := "STANDARD"
					if o.Daylight {
						kind = "DAYLIGHT"
					}
					obs = append(obs, strings.Join([]string{kind, o.Start.Format(layoutLocal),
						formatOffset(o.OffsetFrom), formatOffset(o.OffsetTo), o.Name, o.RRule}, " "))
				}
				if strings.Join(obs, "\n") != strings.Join(tt.wantObs, "\n") {
					t.Errorf("observances:\n%s\nwant:\n%s", strings.Join(obs, "\n"), strings.Join(tt.wantObs, "\n"))
				}
			}
			// Read back, the VTIMEZONE must give Go's offset at every hour
			// of every year the event touches.
			checkOffsets(t, z, loc, ev.Start.In(loc).Year(), ev.End.In(loc).Year())
		})
	}
}

// checkOffsets compares z with loc hour by hour through the years given.
func checkOffsets(t *testing.T, z *TimeZone, loc *time.Location, from, to int) {
	t.Helper()
	end := time.Date(to+1, 1, 1, 0, 0, 0, 0, loc)
	bad := 0
	for at := time.Date(from, 1, 1, 0, 0, 0, 0, loc); at.Before(end); at = at.Add(time.Hour) {
		_, want := at.In(loc).Zone()
		got, err := z.Offset(at)
		if err != nil {
			t.Fatalf("Offset: %v", err)
		}
		if got != want {
			if bad++; bad <= 3 {
				t.Errorf("VTIMEZONE %s at %v: offset %s, want %s", z.TZID, at.UTC(), formatOffset(got), formatOffset(want))
			}
		}
	}
}

// RFC 5545 §3.3.5: a local time that happens twice is the first of the
// two, so an event at the second can only be written in UTC.
func TestWriteRepeatedLocalTime(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Europe/London")
	first := time.Date(2027, 10, 31, 0, 30, 0, 0, time.UTC) // 01:30 BST
	second := first.Add(time.Hour)                          // 01:30 GMT
	for _, tt := range []struct {
		start time.Time
		want  string
	}{
		{first, "DTSTART;TZID=Europe/London:20271031T013000"},
		{second, "DTSTART:20271031T013000Z"},
	} {
		ev := booking(loc)
		ev.Start, ev.End = tt.start, tt.start.Add(time.Hour)
		data := write(t, Request, loc, ev)
		if got := propertyLines(physicalLines(t, data), "DTSTART"); got[len(got)-1] != tt.want {
			t.Errorf("start %v: DTSTART = %q, want %q", tt.start, got[len(got)-1], tt.want)
		}
		if got := parse(t, data).Events[0]; !got.Start.Equal(ev.Start) || !got.End.Equal(ev.End) {
			t.Errorf("start %v: read back %v to %v", tt.start, got.Start, got.End)
		}
	}
}

func TestWriteFoldsUTF8(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Europe/London")
	pieces := []string{"é", "日本語", "🙂", "a", "ẞ", "👩‍👩‍👧", "\u0301"}
	for shift := 0; shift < 4; shift++ {
		for n := 1; n < 60; n++ {
			var s strings.Builder
			s.WriteString(strings.Repeat("x", shift))
			for i := 0; i < n; i++ {
				s.WriteString(pieces[(i+n)%len(pieces)])
			}
			ev := booking(loc)
			ev.Summary = s.String()
			ev.Location = "Café " + s.String()
			ev.Attendee.Name = "Zoë " + s.String()
			data := write(t, Request, loc, ev)
			physicalLines(t, data)
			got := parse(t, data).Events[0]
			if got.Summary != ev.Summary || got.Location != ev.Location || got.Attendees[0].Name != ev.Attendee.Name {
				t.Fatalf("shift %d, n %d: read back %q, %q, %q", shift, n, got.Summary, got.Location, got.Attendees[0].Name)
			}
		}
	}
}

func TestWriteEscapesAndCannotInject(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Europe/London")
	evil := []string{
		"Yoga\r\nATTENDEE:mailto:evil@x",
		"Yoga\nATTENDEE:mailto:evil@x",
		"Yoga\rATTENDEE:mailto:evil@x",
		"Yoga\r\n ATTENDEE:mailto:evil@x",
		"Yoga\u0085ATTENDEE:mailto:evil@x\x00\x1b[2J",
		"Yoga\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nATTENDEE:mailto:evil@x",
		"back\\slash; semi, comma: colon \"quote\"",
		"bad UTF-8 \xff\xfe here",
	}
	for _, s := range evil {
		ev := booking(loc)
		ev.Summary, ev.Location, ev.Description = s, s, s
		ev.Attendee.Name = s
		ev.Organizer.Name = `Better "Days"; ` + s
		data := write(t, Request, loc, ev)
		lines := physicalLines(t, data)
		for _, name := range []string{"ATTENDEE", "ORGANIZER", "UID", "SUMMARY"} {
			if got := propertyLines(lines, name); len(got) != 1 {
				t.Errorf("%q: %d %s lines, want 1: %q", s, len(got), name, got)
			}
		}
		for _, l := range lines {
			if bytes.HasPrefix(l, []byte("BEGIN:VEVENT")) && bytes.Count(data, []byte("\nBEGIN:VEVENT")) != 1 {
				t.Errorf("%q: more than one VEVENT", s)
			}
		}
		obj := parse(t, data)
		if len(obj.Events) != 1 || len(obj.Events[0].Attendees) != 1 {
			t.Fatalf("%q: read back %+v", s, obj.Events)
		}
		got := obj.Events[0]
		if got.Attendees[0].Email != "jane@example.com" || got.UID != ev.UID {
			t.Errorf("%q: attendee %q, UID %q", s, got.Attendees[0].Email, got.UID)
		}
		if want := cleanText(s); got.Summary != want || got.Location != want || got.Description != want {
			t.Errorf("%q: read back summary %q, want %q", s, got.Summary, want)
		}
		if want := cleanParam(s); got.Attendees[0].Name != want {
			t.Errorf("%q: read back CN %q, want %q", s, got.Attendees[0].Name, want)
		}
		if strings.Contains(got.Organizer.Name, `"`) {
			t.Errorf("%q: organizer CN kept a DQUOTE: %q", s, got.Organizer.Name)
		}
	}
}

func TestWriteEscapesText(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Europe/London")
	ev := booking(loc)
	ev.Summary = "a\\b;c,d\ne\r\nf"
	ev.Attendee.Name = "Smith, Jane: carer; \"JJ\""
	lines := physicalLines(t, write(t, Request, loc, ev))
	if got, want := propertyLines(lines, "SUMMARY"), `SUMMARY:a\\b\;c\,d\ne\nf`; len(got) != 1 || got[0] != want {
		t.Errorf("SUMMARY = %q, want %q", got, want)
	}
	want := `ATTENDEE;CN="Smith, Jane: carer; JJ";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-AC`
	if got := propertyLines(lines, "ATTENDEE"); len(got) != 1 || got[0] != want {
		t.Errorf("ATTENDEE = %q, want %q", got, want)
	}
}

func TestWriteRefuses(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Europe/London")
	tests := []struct {
		name   string
		method Method
		loc    *time.Location
		edit   func(*Event)
	}{
		{"PUBLISH", "PUBLISH", loc, func(*Event) {}},
		{"REPLY", Reply, loc, func(*Event) {}},
		{"no location", Request, nil, func(*Event) {}},
		{"no UID", Request, loc, func(e *Event) { e.UID = " " }},
		{"CRLF in UID", Request, loc, func(e *Event) { e.UID = "a\r\nATTENDEE:mailto:evil@x" }},
		{"negative SEQUENCE", Cancel, loc, func(e *Event) { e.Sequence = -1 }},
		{"no DTSTAMP", Request, loc, func(e *Event) { e.Stamp = time.Time{} }},
		{"no start", Request, loc, func(e *Event) { e.Start = time.Time{} }},
		{"end before start", Request, loc, func(e *Event) { e.End = e.Start.Add(-time.Minute) }},
		{"end at start", Request, loc, func(e *Event) { e.End = e.Start }},
		{"CRLF in address", Request, loc, func(e *Event) { e.Attendee.Email = "jane@example.com\r\nATTENDEE:mailto:evil@x" }},
		{"space in address", Request, loc, func(e *Event) { e.Attendee.Email = "jane smith@example.com" }},
		{"not an address", Request, loc, func(e *Event) { e.Attendee.Email = "jane" }},
		{"no organizer", Cancel, loc, func(e *Event) { e.Organizer.Email = "" }},
		{"CRLF in URL", Request, loc, func(e *Event) { e.URL = "https://teams.example/j\r\nATTENDEE:mailto:evil@x" }},
		{"space in URL", Request, loc, func(e *Event) { e.URL = "https://teams.example/j oin" }},
		{"URL not on the web", Request, loc, func(e *Event) { e.URL = "javascript:alert(1)" }},
		{"URL with no host", Request, loc, func(e *Event) { e.URL = "https:///path" }},
	}
	for _, tt := range tests {
		ev := booking(loc)
		tt.edit(&ev)
		var b bytes.Buffer
		if err := Write(&b, tt.method, tt.loc, ev); err == nil || b.Len() > 0 {
			t.Errorf("%s: Write = %v and %d bytes, want an error and nothing", tt.name, err, b.Len())
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteReportsWriterError(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Europe/London")
	if err := Write(failWriter{}, Request, loc, booking(loc)); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write = %v, want the writer's error", err)
	}
}

func TestWriteNamelessZone(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("", 90*60)
	data := write(t, Request, loc, booking(loc))
	lines := physicalLines(t, data)
	if got := propertyLines(lines, "TZID"); len(got) != 1 || got[0] != "TZID:UTC+0130" {
		t.Errorf("TZID = %q", got)
	}
	ev := parse(t, data).Events[0]
	if want := booking(loc).Start; !ev.Start.Equal(want) {
		t.Errorf("Start = %v, want %v", ev.Start, want)
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	for method, want := range map[Method]string{
		Request:                 "text/calendar; charset=utf-8; method=REQUEST",
		Cancel:                  "text/calendar; charset=utf-8; method=CANCEL",
		"reply":                 "text/calendar; charset=utf-8; method=REPLY",
		"REQUEST\r\nBcc: a@b.c": "text/calendar; charset=utf-8; method=REQUESTBCCABC",
	} {
		if got := ContentType(method); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", method, got, want)
		}
	}
}

// TestWriteURL: the link to join an online event is written as a URI (not
// escaped as TEXT) and reads back as it was.
func TestWriteURL(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Europe/London")
	ev := booking(loc)
	ev.URL = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc?context=%7b%22Tid%22%7d&x=1,2;3"
	obj, err := Parse(bytes.NewReader(write(t, Request, loc, ev)))
	if err != nil {
		t.Fatal(err)
	}
	if got := obj.Events[0].URL; got != ev.URL {
		t.Errorf("URL read back = %q, want %q", got, ev.URL)
	}
	ev.URL = ""
	if b := write(t, Request, loc, ev); bytes.Contains(b, []byte("\nURL")) || bytes.Contains(b, []byte("\r\nURL")) {
		t.Errorf("an event with no URL has a URL line:\n%s", b)
	}
}
