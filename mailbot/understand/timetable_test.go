package understand

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The corpus and the plain-words phrasebook are read on Tuesday 3 August
// 2027, the day the corpus's newsletter went out, against this timetable:
// short titles that share words ("New to caring", "Carers session") and
// repeat, as a real programme's do, on the dates the corpus's people ask
// for ("the carers session on Tuesday 10 August").
var corpusTitles = []string{"New to caring", "Carers session", "Memory cafe", "Coffee and chat", "Independence at home"}

func corpusTimetable(t testing.TB) (items []Item, c Context) {
	t.Helper()
	tz, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ id, title, starts string }{
		{"carers-0804", "Carers session", "2027-08-04 13:00"},
		{"cafe-0805", "Memory cafe", "2027-08-05 14:00"},
		{"new-0810", "New to caring", "2027-08-10 10:00"},
		{"carers-0810", "Carers session", "2027-08-10 14:00"},
		{"coffee-0812", "Coffee and chat", "2027-08-12 11:00"},
		{"indep-0818", "Independence at home", "2027-08-18 10:00"},
		{"new-0907", "New to caring", "2027-09-07 10:00"},
		{"cafe-0916", "Memory cafe", "2027-09-16 14:00"},
	} {
		starts, err := time.ParseInLocation("2006-01-02 15:04", r.starts, tz)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, Item{ID: r.id, Title: r.title, Starts: starts, Ends: starts.Add(time.Hour)})
	}
	return items, Context{Now: time.Date(2027, 8, 3, 10, 0, 0, 0, tz), TZ: tz, Titles: corpusTitles}
}

// describeTargets is each pattern as written and the sessions it fits, as
// a reader checks a reading: `"the 10th" → new-0810 carers-0810`.
func describeTargets(ps []Pattern, items []Item, tz *time.Location) []string {
	var out []string
	for _, p := range ps {
		fits := ids(pick(p, items, tz))
		if p.Number > 0 {
			fits = []string{fmt.Sprintf("item %d of the list we sent", p.Number)}
		}
		if len(fits) == 0 {
			fits = []string{"(nothing)"}
		}
		out = append(out, fmt.Sprintf("%q → %s", p.String(), strings.Join(fits, " ")))
	}
	return out
}
