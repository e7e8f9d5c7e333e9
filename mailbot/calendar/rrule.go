package calendar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// yearlyRule is the part of RRULE (RFC 5545 §3.3.10) that time zone
// observances use: once a year, in one month, on the nth (or last)
// weekday, on a fixed day, or on the weekday that falls within a list of
// days ("BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU", as some tools write the
// second Sunday). Anything else is refused rather than guessed.
type yearlyRule struct {
	month     time.Month
	week      int          // ±1..5 with weekday: the nth weekday, -1 the last; 0: see days
	weekday   time.Weekday //
	byWeekday bool         // BYDAY given
	days      []int        // BYMONTHDAY, ±1..31
	until     time.Time    // zero: none; compared as an instant when untilUTC, else as a wall clock
	untilUTC  bool
	count     int // 0: none
}

var weekdays = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// String is the rule as an RRULE value.
func (r *yearlyRule) String() string {
	s := fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d", int(r.month))
	if len(r.days) > 0 {
		d := make([]string, len(r.days))
		for i, n := range r.days {
			d[i] = strconv.Itoa(n)
		}
		s += ";BYMONTHDAY=" + strings.Join(d, ",")
	}
	if r.byWeekday {
		s += ";BYDAY="
		if r.week != 0 {
			s += strconv.Itoa(r.week)
		}
		s += weekdays[r.weekday]
	}
	return s
}

func parseRule(s string) (*yearlyRule, error) {
	r := &yearlyRule{}
	unsupported := fmt.Errorf("unsupported RRULE %q", s)
	freq := false
	for _, part := range strings.Split(strings.TrimSpace(s), ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, unsupported
		}
		v = strings.ToUpper(strings.TrimSpace(v))
		switch strings.ToUpper(strings.TrimSpace(k)) {
		case "FREQ":
			if v != "YEARLY" {
				return nil, unsupported
			}
			freq = true
		case "INTERVAL":
			if v != "1" {
				return nil, unsupported
			}
		case "WKST": // no effect on a yearly rule by month and day
		case "BYMONTH":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 12 {
				return nil, unsupported
			}
			r.month = time.Month(n)
		case "BYDAY":
			i := 0
			for i < len(v) && (v[i] == '-' || v[i] == '+' || v[i] >= '0' && v[i] <= '9') {
				i++
			}
			if i > 0 {
				n, err := strconv.Atoi(v[:i])
				if err != nil || n == 0 || n < -5 || n > 5 {
					return nil, unsupported
				}
				r.week = n
			}
			wd := -1
			for j, name := range weekdays {
				if v[i:] == name {
					wd = j
				}
			}
			if wd < 0 {
				return nil, unsupported
			}
			r.weekday, r.byWeekday = time.Weekday(wd), true
		case "BYMONTHDAY":
			for _, d := range strings.Split(v, ",") {
				n, err := strconv.Atoi(d)
				if err != nil || n == 0 || n < -31 || n > 31 || len(r.days) >= 31 {
					return nil, unsupported
				}
				r.days = append(r.days, n)
			}
		case "UNTIL":
			if t, utc, err := parseDateTime(v); err == nil {
				r.until, r.untilUTC = t, utc
			} else if t, err := parseDate(v); err == nil {
				r.until = t.Add(24*time.Hour - time.Second) // the whole day
			} else {
				return nil, unsupported
			}
		case "COUNT":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, unsupported
			}
			r.count = n
		default:
			return nil, unsupported
		}
	}
	switch {
	case !freq || r.month == 0:
		return nil, unsupported
	case r.byWeekday && r.week == 0 && len(r.days) == 0: // every such weekday of the month
		return nil, unsupported
	case r.byWeekday && r.week != 0 && len(r.days) > 0:
		return nil, unsupported
	case !r.byWeekday && len(r.days) > 1:
		return nil, unsupported
	}
	return r, nil
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// day is the day of the month the rule falls on in year; dtstartDay serves
// when the rule names no day. ok is false when there is none that year.
func (r *yearlyRule) day(year, dtstartDay int) (int, bool) {
	n := daysIn(year, r.month)
	weekdayOf := func(d int) time.Weekday {
		return time.Date(year, r.month, d, 0, 0, 0, 0, time.UTC).Weekday()
	}
	abs := func(d int) int {
		if d < 0 {
			return n + 1 + d
		}
		return d
	}
	switch {
	case r.byWeekday && r.week > 0:
		d := 1 + (int(r.weekday)-int(weekdayOf(1))+7)%7 + 7*(r.week-1)
		return d, d <= n
	case r.byWeekday && r.week < 0:
		d := n - (int(weekdayOf(n))-int(r.weekday)+7)%7 + 7*(r.week+1)
		return d, d >= 1
	case r.byWeekday:
		for _, d := range r.days {
			if d = abs(d); d >= 1 && d <= n && weekdayOf(d) == r.weekday {
				return d, true
			}
		}
		return 0, false
	case len(r.days) == 1:
		d := abs(r.days[0])
		return d, d >= 1 && d <= n
	default:
		return dtstartDay, dtstartDay <= n
	}
}

// onset is the wall clock at which the rule, starting at dtstart (a wall
// clock), begins its observance in year. offsetFrom turns a wall clock into
// an instant for UNTIL. COUNT counts one occurrence a year from dtstart's.
func (r *yearlyRule) onset(year int, dtstart time.Time, offsetFrom int) (time.Time, bool) {
	d, ok := r.day(year, dtstart.Day())
	if !ok {
		return time.Time{}, false
	}
	hh, mm, ss := dtstart.Clock()
	wall := time.Date(year, r.month, d, hh, mm, ss, 0, time.UTC)
	if wall.Before(dtstart) {
		return time.Time{}, false
	}
	if r.count > 0 && year-dtstart.Year() >= r.count {
		return time.Time{}, false
	}
	if !r.until.IsZero() {
		at := wall
		if r.untilUTC {
			at = wall.Add(-time.Duration(offsetFrom) * time.Second)
		}
		if at.After(r.until) {
			return time.Time{}, false
		}
	}
	return wall, true
}

var errNoRule = errors.New("no yearly rule fits")

// ruleFor finds a yearly rule that puts an onset on every one of walls
// (wall clocks, one a year, all in one month): a weekday rule if one fits,
// else a fixed day.
func ruleFor(walls []time.Time) (*yearlyRule, error) {
	first := walls[0]
	m, d, wd := first.Month(), first.Day(), first.Weekday()
	var candidates []*yearlyRule
	// A date in a month's last week can be "last" and "fourth" alike in
	// the years scanned; "last" is what zone rules say (Europe's lastSun).
	if d+7 > daysIn(first.Year(), m) {
		candidates = append(candidates, &yearlyRule{month: m, week: -1, weekday: wd, byWeekday: true})
	}
	if (d-1)/7+1 <= 4 {
		candidates = append(candidates, &yearlyRule{month: m, week: (d-1)/7 + 1, weekday: wd, byWeekday: true})
	}
	candidates = append(candidates, &yearlyRule{month: m, days: []int{d}})
next:
	for _, r := range candidates {
		for _, w := range walls {
			if got, ok := r.day(w.Year(), d); !ok || got != w.Day() || w.Month() != m {
				continue next
			}
		}
		return r, nil
	}
	return nil, errNoRule
}
