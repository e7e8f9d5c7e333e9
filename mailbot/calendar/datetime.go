package calendar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Value formats of RFC 5545 §3.3.4 (DATE) and §3.3.5 (DATE-TIME). A local
// ("floating" or TZID) date-time is handled as its wall clock read as UTC.
const (
	layoutDate  = "20060102"
	layoutLocal = "20060102T150405"
	layoutUTC   = "20060102T150405Z"
)

// wallClock is t's wall clock in its own location, as a UTC time.
func wallClock(t time.Time) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
}

// parseDateTime reads a DATE-TIME; utc reports the "Z" form.
func parseDateTime(s string) (wall time.Time, utc bool, err error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	layout := layoutLocal
	if strings.HasSuffix(s, "Z") {
		layout, utc = layoutUTC, true
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("malformed DATE-TIME %q", s)
	}
	return t, utc, nil
}

// parseDate reads a DATE as midnight UTC.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(layoutDate, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("malformed DATE %q", s)
	}
	return t, nil
}

// formatOffset writes a UTC-OFFSET (RFC 5545 §3.3.14): ±hhmm, with seconds
// only when there are some. Zero is "+0000": "-0000" is not allowed.
func formatOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	s := fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec/60%60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}

// parseOffset reads a UTC-OFFSET into seconds east of UTC.
func parseOffset(s string) (int, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("malformed UTC-OFFSET %q", s)
	if (len(s) != 5 && len(s) != 7) || (s[0] != '+' && s[0] != '-') {
		return 0, bad
	}
	var f [3]int
	for i := 1; i < len(s); i += 2 {
		n, err := strconv.Atoi(s[i : i+2])
		if err != nil || n < 0 {
			return 0, bad
		}
		f[i/2] = n
	}
	if f[0] > 23 || f[1] > 59 || f[2] > 59 {
		return 0, bad
	}
	sec := f[0]*3600 + f[1]*60 + f[2]
	if s[0] == '-' {
		sec = -sec
	}
	return sec, nil
}

// maxDuration bounds a DURATION so that adding it can neither overflow nor
// leave the years iCalendar can write.
const maxDuration = 100 * 366 * 24 * time.Hour

// parseDuration reads a DURATION (RFC 5545 §3.3.6), e.g. "PT1H30M",
// "P1D", "-P1W".
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("malformed DURATION %q", s)
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, bad
	}
	s = s[1:]
	units := map[byte]time.Duration{'W': 7 * 24 * time.Hour, 'D': 24 * time.Hour}
	timeUnits := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}
	var total time.Duration
	inTime := false
	for len(s) > 0 {
		if s[0] == 'T' && !inTime {
			inTime, units = true, timeUnits
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 || i == len(s) {
			return 0, bad
		}
		n, _ := strconv.Atoi(s[:i])
		unit, ok := units[s[i]]
		if !ok {
			return 0, bad
		}
		delete(units, s[i]) // each unit once
		if time.Duration(n) > maxDuration/unit {
			return 0, errors.New("DURATION too long")
		}
		total += time.Duration(n) * unit
		if total > maxDuration {
			return 0, errors.New("DURATION too long")
		}
		s = s[i+1:]
	}
	if neg {
		total = -total
	}
	return total, nil
}
