package understand

import (
	"slices"
	"testing"
	"time"
)

func TestPlaceNames(t *testing.T) {
	t.Parallel()
	sessions, _, tz := demoItems(t)
	titles := titlesOf(sessions)
	places := []string{"Online (Microsoft Teams)", "Dorchester library, meeting room 2", "Weymouth community centre, main hall"}
	c := Context{Now: time.Date(2027, 6, 15, 9, 0, 0, 0, tz), TZ: tz, Titles: titles, Places: places}
	for _, tt := range []struct {
		text  string
		place string // the place named, "" for none
	}{
		{"Can I book the Weymouth one please?", "weymouth"},
		{"I'd like to come to the one at Dorchester library", "dorchester"},
		{"please book me on the dorchester library one", "dorchester"},
		{"the session in weymouth please", "weymouth"},
		{"I live in Weymouth, what's on?", ""},
		{"the online one please", ""},
		{"the community centre one", ""},
		{"book me on 26 August, the Weymouth one", ""}, // the date says it already
		{"the afternoon one please", "afternoon"},
		{"could I come to the evening session", "evening"},
		{"I can only do mornings", ""},
		{"I'd like to come to the library session", "library"},
		{"I'd much rather come to the one in person at the library", "library"},
		{"Is the library able to take a mobility scooter inside, and which room is the session in?", "library"},
		{"I saw your notice in the library. Please add me to your list", ""},
	} {
		r := Read(tt.text, c)
		got := ""
		if len(r.Targets) == 1 {
			switch p := r.Targets[0]; {
			case p.Place != "":
				got = p.Place
			case p.From == 12*60 && p.Until == 17*60:
				got = "afternoon"
			case p.From == 17*60:
				got = "evening"
			}
		}
		if got != tt.place {
			t.Errorf("Read(%q) targets %v, want the place %q", tt.text, r.Targets, tt.place)
		}
	}
	for text, want := range map[string][]string{
		"one of the thursday group ones but not weymouth, too far from bridport": {"weymouth"},
		"anything except at the library please":                                  {"library"},
		"not online please":                                                      nil, // how it is held, not a place
		"not the 22nd":                                                           nil,
	} {
		if got := placesRefused(text, c.Places); !slices.Equal(got, want) {
			t.Errorf("placesRefused(%q) = %q, want %q", text, got, want)
		}
	}
	// With two libraries, "the library session" tells neither apart.
	c.Places = append(c.Places, "Bridport library")
	if r := Read("I'd like to come to the library session", c); len(r.Targets) > 0 {
		t.Errorf("with two libraries, targets %v, want none", r.Targets)
	}
	weymouth := Item{Title: "By your side", Location: "Weymouth community centre, main hall"}
	if p := (Pattern{Place: "weymouth"}); !p.Matches(weymouth, tz) || p.Matches(Item{Location: "Online (Microsoft Teams)"}, tz) {
		t.Error("a place pattern matches by its location's words only")
	}
}
