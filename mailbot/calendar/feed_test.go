package calendar

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestWriteFeed(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Europe/London")
	a, c := booking(loc), booking(loc)
	a.UID, a.URL = "session-a@betterdays.example", "https://teams.example/join/a"
	c.UID, c.Summary = "session-c@betterdays.example", "Winter; by the fire, with tea"
	c.Start, c.End = time.Date(2027, 11, 2, 10, 0, 0, 0, loc), time.Date(2027, 11, 2, 11, 0, 0, 0, loc)
	var b bytes.Buffer
	if err := WriteFeed(&b, loc, "Better Days: what's on", []Event{a, c}); err != nil {
		t.Fatal(err)
	}
	obj, err := Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, b.String())
	}
	if obj.Method != "PUBLISH" || len(obj.Events) != 2 {
		t.Fatalf("feed: METHOD %q, %d events; want PUBLISH, 2", obj.Method, len(obj.Events))
	}
	for i, want := range []Event{a, c} {
		got := obj.Events[i]
		if got.UID != want.UID || got.Summary != want.Summary || got.URL != want.URL || !got.Start.Equal(want.Start) || !got.End.Equal(want.End) {
			t.Errorf("event %d read back as %+v, want %+v", i, got, want)
		}
	}
	if strings.Contains(b.String(), "ATTENDEE") {
		t.Error("a public feed names an attendee")
	}
	// Summer and winter both: the zone has both its rules.
	if !strings.Contains(b.String(), "BEGIN:DAYLIGHT") || !strings.Contains(b.String(), "BEGIN:STANDARD") {
		t.Errorf("VTIMEZONE lacks a rule:\n%s", b.String())
	}
	var empty bytes.Buffer
	if err := WriteFeed(&empty, loc, "Nothing on", nil); err != nil {
		t.Fatal(err)
	}
	if obj, err := Parse(&empty); err != nil || len(obj.Events) != 0 {
		t.Errorf("empty feed: %v, %v", obj, err)
	}
	bad := a
	bad.UID = "x\r\nATTENDEE:mailto:evil@example"
	if err := WriteFeed(&b, loc, "x", []Event{bad}); err == nil {
		t.Error("WriteFeed took a UID with a line break")
	}
}
