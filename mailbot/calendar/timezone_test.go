package calendar

import (
	"strings"
	"testing"
	"time"
)

// TestVTimezoneMatchesGo writes an event in each zone and year, reads the
// VTIMEZONE back and compares its offsets with Go's at every hour of the
// year: zones north and south, with half-hour and 45-minute offsets, a
// two-hour DST, negative DST, no DST, and rules that change.
func TestVTimezoneMatchesGo(t *testing.T) {
	t.Parallel()
	zones := []struct {
		name   string
		yearly string // "yes": two RRULE observances; "no": a list of changes; "": whichever fits the year
	}{
		{"Europe/London", "yes"},
		{"Europe/Dublin", "yes"}, // negative DST in tzdata: written with summer as DAYLIGHT
		{"Europe/Berlin", "yes"},
		{"America/New_York", "yes"},
		{"America/St_Johns", "yes"}, // -0330
		{"America/Santiago", ""},    // "Sun>=2": the first Sunday in some years only
		{"Australia/Sydney", "yes"},
		{"Australia/Lord_Howe", "yes"}, // 30-minute DST
		{"Pacific/Chatham", "yes"},     // +1245 / +1345
		{"Antarctica/Troll", "yes"},    // two-hour DST
		{"Asia/Kolkata", "no"},
		{"Asia/Tehran", "no"}, // DST abolished in 2022
		{"America/Sao_Paulo", "no"},
		{"Africa/Casablanca", "no"}, // moves around Ramadan
		{"Asia/Gaza", ""},
		{"Etc/GMT+5", "no"},
		{"UTC", "no"},
	}
	for _, z := range zones {
		loc := mustLoad(t, z.name)
		for _, year := range []int{2026, 2027, 2028} {
			ev := booking(loc)
			ev.Start = time.Date(year, 5, 20, 11, 0, 0, 0, loc)
			ev.End = ev.Start.Add(time.Hour)
			obj := parse(t, write(t, Request, loc, ev))
			if len(obj.TimeZones) != 1 {
				t.Fatalf("%s: %d VTIMEZONEs", z.name, len(obj.TimeZones))
			}
			tz := obj.TimeZones[0]
			checkOffsets(t, tz, loc, year, year)
			rules := 0
			for _, o := range tz.Observances {
				if o.RRule != "" {
					rules++
				}
			}
			yearly := map[bool]string{true: "yes", false: "no"}[rules == 2 && len(tz.Observances) == 2]
			if z.yearly != "" && yearly != z.yearly {
				t.Errorf("%s %d: %d observances, %d with RRULE; want yearly rules: %v", z.name, year, len(tz.Observances), rules, z.yearly)
			}
		}
	}
}

func TestObservancesCoverEveryYear(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Africa/Casablanca")
	start := time.Date(2027, 12, 30, 10, 0, 0, 0, loc)
	obs := observances(loc, start, start.AddDate(1, 0, 0))
	z := &TimeZone{TZID: "x"}
	for _, o := range obs {
		z.Observances = append(z.Observances, Observance{Start: o.wall(), OffsetFrom: o.from, OffsetTo: o.to, Daylight: o.dst})
	}
	checkOffsets(t, z, loc, 2027, 2028)
	if first := obs[0].at; !first.Before(time.Date(2027, 1, 1, 0, 0, 0, 0, loc)) {
		t.Errorf("first observance %v begins after the start of the year", obs[0])
	}
}

func TestRuleDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule string
		year int
		want int
	}{
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", 2026, 29},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", 2027, 28},
		{"FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", 2027, 31},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", 2027, 14},
		{"FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", 2026, 1},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=-2SU", 2027, 21},
		{"FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU", 2027, 11},
		{"FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=22", 2027, 22},
		{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", 2028, 29},
		{"freq=yearly;interval=1;bymonth=10;byday=+1su;wkst=MO", 2027, 3},
	}
	for _, tt := range tests {
		r, err := parseRule(tt.rule)
		if err != nil {
			t.Fatalf("parseRule(%q) = %v", tt.rule, err)
		}
		if got, ok := r.day(tt.year, 1); !ok || got != tt.want {
			t.Errorf("%s in %d: day %d, %v, want %d", tt.rule, tt.year, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "FREQ=MONTHLY;BYMONTH=3", "FREQ=YEARLY", "FREQ=YEARLY;BYMONTH=13",
		"FREQ=YEARLY;BYMONTH=3;BYDAY=SU", "FREQ=YEARLY;BYMONTH=3;BYDAY=9SU", "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=1SU",
		"FREQ=YEARLY;BYMONTH=3;BYDAY=1XX", "FREQ=YEARLY;BYMONTH=3;BYSETPOS=-1;BYDAY=SU", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1,2"} {
		if _, err := parseRule(bad); err == nil {
			t.Errorf("parseRule(%q): no error", bad)
		}
	}
}

// TestTimeZoneOffset reads VTIMEZONEs of the other shapes found in the
// wild: UNTIL ending an old rule, RDATEs, and an instant before the first
// observance.
func TestTimeZoneOffset(t *testing.T) {
	t.Parallel()
	// US Eastern as some tools still write it: the 1987–2006 rule with
	// UNTIL, then the 2007 rule.
	eastern := calendar("BEGIN:VTIMEZONE", "TZID:US-Eastern",
		"BEGIN:DAYLIGHT", "DTSTART:19870405T020000", "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z",
		"TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "TZNAME:EDT", "END:DAYLIGHT",
		"BEGIN:DAYLIGHT", "DTSTART:20070311T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
		"TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "TZNAME:EDT", "END:DAYLIGHT",
		"BEGIN:STANDARD", "DTSTART:19671029T020000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061029T060000Z",
		"TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "TZNAME:EST", "END:STANDARD",
		"BEGIN:STANDARD", "DTSTART:20071104T020000", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
		"TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "TZNAME:EST", "END:STANDARD",
		"END:VTIMEZONE", event("DTSTART;TZID=US-Eastern:20270810T100000"))
	obj := parse(t, []byte(eastern))
	loc := mustLoad(t, "America/New_York")
	checkOffsets(t, obj.TimeZones[0], loc, 2000, 2001)
	checkOffsets(t, obj.TimeZones[0], loc, 2008, 2008)
	checkOffsets(t, obj.TimeZones[0], loc, 2027, 2027)
	if got := obj.Events[0].Start.Format(time.RFC3339); got != "2027-08-10T10:00:00-04:00" {
		t.Errorf("Start = %s", got)
	}

	rdates := calendar("BEGIN:VTIMEZONE", "TZID:Listed",
		"BEGIN:STANDARD", "DTSTART:20261025T020000", "RDATE:20271031T020000,20281029T020000",
		"TZOFFSETFROM:+0100", "TZOFFSETTO:+0000", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:20270328T010000", "RDATE;VALUE=DATE-TIME:20280326T010000",
		"TZOFFSETFROM:+0000", "TZOFFSETTO:+0100", "END:DAYLIGHT",
		"END:VTIMEZONE", event())
	obj = parse(t, []byte(rdates))
	checkOffsets(t, obj.TimeZones[0], mustLoad(t, "Europe/London"), 2027, 2028)
	if off, err := obj.TimeZones[0].Offset(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || off != 3600 {
		t.Errorf("Offset before the first observance = %d, %v; want its TZOFFSETFROM, +0100", off, err)
	}
}

func TestObservanceString(t *testing.T) {
	t.Parallel()
	loc := mustLoad(t, "Europe/London")
	got := observances(loc, booking(loc).Start, booking(loc).End)
	var s []string
	for _, o := range got {
		s = append(s, o.String())
	}
	want := "20261025T020000 +0100→+0000 GMT dst=false rule=FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\n" +
		"20270328T010000 +0000→+0100 BST dst=true rule=FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"
	if strings.Join(s, "\n") != want {
		t.Errorf("observances:\n%s\nwant:\n%s", strings.Join(s, "\n"), want)
	}
	// Dublin's tzdata has winter as negative DST; importers want summer
	// as DAYLIGHT, the higher offset.
	loc = mustLoad(t, "Europe/Dublin")
	for _, o := range observances(loc, booking(loc).Start, booking(loc).End) {
		if o.dst != (o.to == 3600) {
			t.Errorf("Dublin: %v", o)
		}
	}
}
