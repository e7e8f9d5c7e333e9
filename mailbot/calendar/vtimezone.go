package calendar

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// TimeZone is a VTIMEZONE as read (RFC 5545 §3.6.5).
type TimeZone struct {
	TZID        string
	Observances []Observance
	err         error // why Offset cannot be answered, if it cannot
}

// Observance is one STANDARD or DAYLIGHT sub-component.
type Observance struct {
	Daylight   bool
	Start      time.Time // DTSTART: a local wall clock, read as UTC
	OffsetFrom int       // TZOFFSETFROM, seconds east of UTC
	OffsetTo   int       // TZOFFSETTO
	Name       string    // TZNAME
	RRule      string    // as written; "" when none
	RDates     []time.Time
	rule       *yearlyRule
}

// maxOnsets bounds the onsets (DTSTARTs and RDATEs) of one VTIMEZONE, and so
// the work of each Offset call.
const maxOnsets = 1000

// Offset is the zone's UTC offset at t, in seconds east of UTC: the
// TZOFFSETTO of the latest onset at or before t, or, before every onset,
// the TZOFFSETFROM of the first. It fails for a zone with no observances or
// with a rule beyond the yearly kind time zones use.
func (z *TimeZone) Offset(t time.Time) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	var latest, earliest time.Time
	var latestOff, earliestOff int
	found := false
	consider := func(wall time.Time, o *Observance) {
		at := wall.Add(-time.Duration(o.OffsetFrom) * time.Second)
		if earliest.IsZero() || at.Before(earliest) {
			earliest, earliestOff = at, o.OffsetFrom
		}
		if !at.After(t) && (!found || !at.Before(latest)) {
			latest, latestOff, found = at, o.OffsetTo, true
		}
	}
	year := t.UTC().Year()
	for i := range z.Observances {
		o := &z.Observances[i]
		consider(o.Start, o)
		for _, rd := range o.RDates {
			consider(rd, o)
		}
		if o.rule != nil {
			// Offsets are under a day, so the year before and after t's
			// hold every onset that can matter.
			for y := year - 1; y <= year+1; y++ {
				if wall, ok := o.rule.onset(y, o.Start, o.OffsetFrom); ok {
					consider(wall, o)
				}
			}
		}
	}
	if !found {
		return earliestOff, nil
	}
	return latestOff, nil
}

func readTimeZone(c *component) *TimeZone {
	z := &TimeZone{}
	fail := func(err error) {
		if z.err == nil {
			z.err = fmt.Errorf("VTIMEZONE %q: %w", z.TZID, err)
		}
	}
	for _, p := range c.props {
		if p.name == "TZID" && z.TZID == "" {
			z.TZID = strings.TrimSpace(unescapeText(p.value))
		}
	}
	onsets := 0
	for _, sub := range c.children {
		if sub.name != "STANDARD" && sub.name != "DAYLIGHT" {
			continue
		}
		o, err := readObservance(sub)
		if err != nil {
			fail(fmt.Errorf("line %d: %w", sub.num, err))
			continue
		}
		if onsets += 1 + len(o.RDates); onsets > maxOnsets {
			fail(errors.New("too many observances"))
			break
		}
		z.Observances = append(z.Observances, o)
	}
	if len(z.Observances) == 0 {
		fail(errors.New("no STANDARD or DAYLIGHT"))
	}
	return z
}

func readObservance(c *component) (Observance, error) {
	o := Observance{Daylight: c.name == "DAYLIGHT"}
	var haveStart, haveFrom, haveTo bool
	for _, p := range c.props {
		var err error
		switch p.name {
		case "DTSTART":
			if !haveStart {
				o.Start, _, err = parseDateTime(p.value)
				haveStart = true
			}
		case "TZOFFSETFROM":
			if !haveFrom {
				o.OffsetFrom, err = parseOffset(p.value)
				haveFrom = true
			}
		case "TZOFFSETTO":
			if !haveTo {
				o.OffsetTo, err = parseOffset(p.value)
				haveTo = true
			}
		case "TZNAME":
			if o.Name == "" {
				o.Name = unescapeText(p.value)
			}
		case "RRULE":
			if o.RRule != "" {
				return o, errors.New("more than one RRULE")
			}
			o.RRule = strings.TrimSpace(p.value)
			o.rule, err = parseRule(o.RRule)
		case "RDATE":
			err = readRDates(&o, p)
		}
		if err != nil {
			return o, fmt.Errorf("line %d: %s: %w", p.num, p.name, err)
		}
		if len(o.RDates) > maxOnsets {
			return o, errors.New("too many RDATEs")
		}
	}
	if !haveStart || !haveFrom || !haveTo {
		return o, fmt.Errorf("%s needs DTSTART, TZOFFSETFROM and TZOFFSETTO", c.name)
	}
	return o, nil
}

// readRDates adds an RDATE's onsets: local date-times, or dates at
// midnight. PERIOD values make no sense for an observance and are refused.
func readRDates(o *Observance, p contentLine) error {
	isDate := strings.EqualFold(p.param("VALUE"), "DATE")
	if v := p.param("VALUE"); v != "" && !isDate && !strings.EqualFold(v, "DATE-TIME") {
		return fmt.Errorf("unsupported VALUE=%s", v)
	}
	for _, v := range strings.Split(p.value, ",") {
		var t time.Time
		var err error
		if isDate {
			t, err = parseDate(v)
		} else {
			t, _, err = parseDateTime(v)
		}
		if err != nil {
			return err
		}
		if len(o.RDates) > maxOnsets {
			return errors.New("too many RDATEs")
		}
		o.RDates = append(o.RDates, t)
	}
	return nil
}
