package calendar

import "time"

// offsetFunc reports a zone's UTC offset, in seconds, at an instant.
type offsetFunc func(time.Time) int

// goOffsets is the offsetFunc of a Go location.
func goOffsets(loc *time.Location) offsetFunc {
	return func(t time.Time) int {
		_, off := t.In(loc).Zone()
		return off
	}
}

// resolveWall returns the instant that a local wall clock (read as UTC)
// denotes in a zone, as RFC 5545 §3.3.5 says: a time that happens twice,
// when clocks go back, is the first of the two; a time that never happens,
// when clocks go forward, is read with the offset in force before the gap.
// (time.Date leaves both cases unspecified.) It assumes no two changes of
// offset lie within 30 hours of each other, true of every zone in use.
func resolveWall(wall time.Time, offsetAt offsetFunc) time.Time {
	const span = 30 * time.Hour
	before := offsetAt(wall.Add(-span))
	var best time.Time
	found := false
	for _, off := range [...]int{before, offsetAt(wall), offsetAt(wall.Add(span))} {
		t := wall.Add(-time.Duration(off) * time.Second)
		if offsetAt(t) == off && (!found || t.Before(best)) {
			best, found = t, true
		}
	}
	if found {
		return best
	}
	return wall.Add(-time.Duration(before) * time.Second)
}
