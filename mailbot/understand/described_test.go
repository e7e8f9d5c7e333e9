package understand

import "testing"

// TestFindDescribed: two words in a row of one session's description name
// it; one word, or two that another description or title shares, name
// nothing.
func TestFindDescribed(t *testing.T) {
	t.Parallel()
	titles := []string{"Better Days: what makes a good day?", "Accessing the local community", "Giving my carers a break", "By your side"}
	about := []string{"Opening conversation: what people do with their day.", "Clubs, sport, nature walks and trips into town.", "A session for carers and the people they care for.",
		"For carers and the people they care for to come together."}
	for text, want := range map[string]string{
		"I'd like to join the opening conversation please":        titles[0],
		"my husband loves nature walks and clubs":                 titles[1],
		"can we come on the trips into town":                      titles[1],
		"I love nature":                                           "",
		"a session for carers please":                             "",
		"the conversation about what people do is the one for me": "",
		"we'd like to come together if we can":                    "",
	} {
		got := findDescribed(normalise(text), titles, about, nil)
		switch {
		case want == "" && len(got) > 0:
			t.Errorf("findDescribed(%q) = %v, want nothing", text, got)
		case want != "" && (len(got) != 1 || got[0].Title != want):
			t.Errorf("findDescribed(%q) = %v, want %q", text, got, want)
		}
	}
}
