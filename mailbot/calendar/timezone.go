package calendar

import (
	"fmt"
	"strings"
	"time"
)

// This file builds a VTIMEZONE (RFC 5545 §3.6.5) from Go's zone data, so
// that importers need not know the TZID: most do for IANA names, but
// Outlook relies on the VTIMEZONE, and an importer's own data may be older
// than ours.

// change is one change of a zone's offset, abbreviation or DST flag.
type change struct {
	at       time.Time // the instant; zero when the zone has no known beginning
	from, to int       // offsets before and after, seconds east of UTC
	name     string    // abbreviation after (TZNAME)
	dst      bool      // written as DAYLIGHT (see daylight)
}

// daylight says whether the period a change begins is written as DAYLIGHT.
// RFC 5545 leaves the meaning to convention, and importers (Outlook's
// standard-plus-bias model above all) take DAYLIGHT to be the higher
// offset. tzdata marks some lower offsets as DST (Europe/Dublin's winter,
// Morocco's Ramadan); those are written the other way round, as tzdata's
// own "rearguard" form does.
func daylight(fromDST, toDST bool, from, to int) bool {
	if fromDST != toDST && from != to {
		return to > from
	}
	return toDST
}

// wall is the change's onset as the local time before it, which is how an
// observance's DTSTART is written (RFC 5545 §3.6.5: "DTSTART ... MUST be
// specified as a date with a local time value" in the TZOFFSETFROM).
func (c change) wall() time.Time {
	if c.at.IsZero() {
		return time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return c.at.UTC().Add(time.Duration(c.from) * time.Second)
}

// maxChanges bounds the scan; real zones change at most a few times a year.
const maxChanges = 400

// zoneChanges lists the change that began the period in force at from,
// then every change before until, found by walking Go's zone periods.
func zoneChanges(loc *time.Location, from, until time.Time) []change {
	t := from.In(loc)
	name, off := t.Zone()
	start, end := t.ZoneBounds()
	dst := t.IsDST()
	first := change{at: start, from: off, to: off, name: name, dst: dst}
	if !start.IsZero() {
		before := start.Add(-time.Second)
		_, first.from = before.Zone()
		first.dst = daylight(before.IsDST(), dst, first.from, off)
	}
	out := []change{first}
	for len(out) < maxChanges && !end.IsZero() && end.Before(until) && end.After(t) {
		t = end
		name, to := t.Zone()
		out = append(out, change{at: t, from: off, to: to, name: name, dst: daylight(dst, t.IsDST(), off, to)})
		off, dst = to, t.IsDST()
		_, end = t.ZoneBounds()
	}
	return out
}

// observance is one STANDARD or DAYLIGHT sub-component to write.
type observance struct {
	change
	rule *yearlyRule // nil: this one onset only
}

// observances returns what the VTIMEZONE for loc must say to cover every
// instant of the calendar years from start's to end's. When the zone
// changes twice a year on dates one yearly rule each describes through
// those years and the next, that is two observances with an RRULE, which
// every importer handles; otherwise one observance per change. The rule is
// found in the data, not assumed, so it is right for those years; for
// others it may not be the zone's own (Chile's "first Sunday on or after
// the 2nd" reads as "first Sunday" in years where the two agree).
func observances(loc *time.Location, start, end time.Time) []observance {
	y0, y1 := start.In(loc).Year(), end.In(loc).Year()
	windowEnd := time.Date(y1+1, 1, 1, 0, 0, 0, 0, loc)
	all := zoneChanges(loc, time.Date(y0, 1, 1, 0, 0, 0, 0, loc), time.Date(y1+2, 1, 1, 0, 0, 0, 0, loc))
	var window []change
	for i, c := range all {
		if i == 0 || c.at.Before(windowEnd) {
			window = append(window, c)
		}
	}
	if len(window) > 1 {
		if obs, ok := yearlyObservances(all, y1+1); ok {
			return obs
		}
	}
	obs := make([]observance, len(window))
	for i, c := range window {
		obs[i] = observance{change: c}
	}
	return obs
}

// yearlyObservances expresses changes as two yearly rules, if they are: two
// kinds of change, each once a year in consecutive years up to lastYear, on
// dates one rule describes.
func yearlyObservances(changes []change, lastYear int) ([]observance, bool) {
	type key struct {
		from, to int
		name     string
		dst      bool
		month    time.Month
		clock    time.Duration
	}
	keyOf := func(c change) key {
		w := c.wall()
		return key{c.from, c.to, c.name, c.dst, w.Month(), w.Sub(w.Truncate(24 * time.Hour))}
	}
	var order []key
	groups := map[key][]time.Time{}
	first := map[key]change{}
	for _, c := range changes {
		if c.at.IsZero() {
			return nil, false
		}
		k := keyOf(c)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
			first[k] = c
		}
		groups[k] = append(groups[k], c.wall())
	}
	if len(order) != 2 {
		return nil, false
	}
	var obs []observance
	for _, k := range order {
		walls := groups[k]
		for i, w := range walls {
			if w.Year() != walls[0].Year()+i {
				return nil, false
			}
		}
		if walls[len(walls)-1].Year() < lastYear {
			return nil, false
		}
		rule, err := ruleFor(walls)
		if err != nil {
			return nil, false
		}
		obs = append(obs, observance{change: first[k], rule: rule})
	}
	return obs, true
}

// tzidFor is the TZID we write for loc: its name, less anything that would
// need quoting or escaping, so the TZID property and the TZID parameters
// that refer to it match byte for byte. A nameless zone is named for its
// offset at at.
func tzidFor(loc *time.Location, at time.Time) string {
	id := strings.Map(func(r rune) rune {
		if r == '"' || r == ';' || r == ':' || r == ',' || r == '\\' || isControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(loc.String(), ""))
	if id = strings.TrimSpace(id); id == "" {
		_, off := at.In(loc).Zone()
		id = "UTC" + formatOffset(off)
	}
	return id
}

// writeTimeZone writes the VTIMEZONE for loc under tzid, covering the
// years from start's to end's.
func writeTimeZone(b *lineBuffer, tzid string, loc *time.Location, start, end time.Time) {
	b.prop("BEGIN", nil, "VTIMEZONE")
	b.prop("TZID", nil, tzid)
	for _, o := range observances(loc, start, end) {
		kind := "STANDARD"
		if o.dst {
			kind = "DAYLIGHT"
		}
		b.prop("BEGIN", nil, kind)
		b.prop("DTSTART", nil, o.wall().Format(layoutLocal))
		if o.rule != nil {
			b.prop("RRULE", nil, o.rule.String())
		}
		b.prop("TZOFFSETFROM", nil, formatOffset(o.from))
		b.prop("TZOFFSETTO", nil, formatOffset(o.to))
		if o.name != "" {
			b.prop("TZNAME", nil, escapeText(o.name))
		}
		b.prop("END", nil, kind)
	}
	b.prop("END", nil, "VTIMEZONE")
}

func (o observance) String() string { // for test failure messages
	return fmt.Sprintf("%s %s→%s %s dst=%v rule=%v", o.wall().Format(layoutLocal),
		formatOffset(o.from), formatOffset(o.to), o.name, o.dst, o.rule)
}
