package desk

import (
	"fmt"
	"time"
)

// When says a session's time the British way, as people read it in an
// email: "Thursday 15 July 2027, 1pm to 2pm".
func When(starts, ends time.Time, tz *time.Location) string {
	s, e := starts.In(tz), ends.In(tz)
	day := fmt.Sprintf("%s %d %s %d", s.Weekday(), s.Day(), s.Month(), s.Year())
	if s.YearDay() != e.YearDay() || s.Year() != e.Year() {
		end := fmt.Sprintf("%s %d %s", e.Weekday(), e.Day(), e.Month())
		if e.Year() != s.Year() {
			end += fmt.Sprintf(" %d", e.Year())
		}
		return fmt.Sprintf("%s, %s to %s, %s", day, clock12(s), end, clock12(e))
	}
	return fmt.Sprintf("%s, %s to %s", day, clock12(s), clock12(e))
}

// clock12 is "1pm", "10:30am", "12 noon", "12 midnight".
func clock12(t time.Time) string {
	h, m := t.Hour(), t.Minute()
	switch {
	case h == 12 && m == 0:
		return "12 noon"
	case h == 0 && m == 0:
		return "12 midnight"
	}
	suffix := "am"
	if h >= 12 {
		suffix = "pm"
	}
	h %= 12
	if h == 0 {
		h = 12
	}
	if m == 0 {
		return fmt.Sprintf("%d%s", h, suffix)
	}
	return fmt.Sprintf("%d:%02d%s", h, m, suffix)
}

// At says a moment the British way: "9:12am on Monday 14 June 2027".
func At(t time.Time, tz *time.Location) string {
	t = t.In(tz)
	return fmt.Sprintf("%s on %s %d %s %d", clock12(t), t.Weekday(), t.Day(), t.Month(), t.Year())
}
