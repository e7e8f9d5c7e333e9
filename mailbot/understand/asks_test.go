package understand

import (
	"slices"
	"testing"
)

// TestFindAsks: the questions the timetable answers, in the words people
// use; other questions are not its.
func TestFindAsks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want []Ask
	}{
		{"What time does the Weymouth session finish? I need to book a taxi home.", []Ask{AskEnds}},
		{"Which room is it in?", []Ask{AskWhere}},
		{"where is it?", []Ask{AskWhere}},
		{"is it online?", []Ask{AskOnline}},
		{"are there places left on 15 July?", []Ask{AskPlaces}},
		{"Where's the library one?", []Ask{AskWhere}},
		{"What's the date of the New to caring session?", []Ask{AskStarts}},
		{"How many places are left on the 29th?", []Ask{AskPlaces}},
		{"are there places still free on the carers break one? x", []Ask{AskPlaces}},
		{"Is it online or in person?", []Ask{AskOnline}},
		{"Is the independence session ending at 3pm?", []Ask{AskEnds}},
		{"Is there parking?", nil},
		{"Can you send me the Teams link again for next week?", []Ask{AskJoining}},
		{"how do i get on to it, ive never used teams before?", []Ask{AskJoining}},
		// From a phone, without the question mark.
		{"is the 21/7 one online or face to face", []Ask{AskOnline}},
		{"what time does the new carers one start", []Ask{AskStarts}},
		{"Hello, where exactly is the Weymouth one being held, and is there parking nearby?", []Ask{AskWhere}},
		{"I'd like to start coming to the groups, please book me on the 22nd.", nil},
		{"Can I bring my dog?", nil},
	} {
		s := normalise(tc.text)
		if got, _ := findAsks(s, questions(s)); !slices.Equal(got, tc.want) {
			t.Errorf("findAsks(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}
