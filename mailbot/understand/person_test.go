package understand

import "testing"

func TestAskForPerson(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want bool
	}{
		{"speak to someone", true},
		{"Speak to someone please", true},
		{"Can someone ring me please? 01305 123456", true},
		{"could somebody call me tomorrow", true},
		{"I would rather talk to a real person about this.", true},
		{"I'd like to speak with a member of the team", true},
		{"Please phone me on 07700 900123", true},
		{"can you call me back", true},
		{"Give me a ring when you can", true},
		{"I’d rather talk to someone", true}, // a phone's apostrophe
		{"Call me Bob, everyone does. Book me on the 15th.", false},
		{"book me on the 15 July walk", false},
		{"What sessions are there?", false},
		{"I will call you if I can't come", false},
		{"the ring road is closed", false},
		{"Can I have a chat with someone? I don't like groups or video.", false}, // a drop-in
		{"", false},
	}
	for _, tt := range tests {
		if got := askForPerson.MatchString(normalise(tt.text)); got != tt.want {
			t.Errorf("asks for a person in %q: %v, want %v", tt.text, got, tt.want)
		}
	}
}

// FuzzAskForPerson: any text is read without a panic, in bounded time.
func FuzzAskForPerson(f *testing.F) {
	for _, s := range []string{"speak to someone", "can someone ring me", "call me Bob", "\xff\xfe ring me"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		askForPerson.MatchString(normalise(clip(s, maxRead)))
	})
}
