package understand

import "testing"

// TestSignedAnswer: a yes or a no with the writer's name under it, or
// after it, is still a yes or a no: the name is their signature. A word
// under it that names a session or a day is not a name.
func TestSignedAnswer(t *testing.T) {
	t.Parallel()
	_, c := corpusTimetable(t)
	for _, tc := range []struct {
		text     string
		want     Action
		explicit bool // a yes clear enough to join the mailing list by
	}{
		{"Yes please\nLily", Yes, true},
		{"Yes\n\nMargaret", Yes, true},
		{"YES\nMrs P Hughes", Yes, true},
		{"yes that's fine thank you\nJean", Yes, true},
		{"Yes please, Lily", Yes, true},
		{"yes please\nmary", Yes, true},
		{"No sorry\nWalter", No, false},
		{"No sorry, Walter", No, false},
		{"No thank you\n\nMr D. Evans", No, false},
		// What a no to a reminder does, with the booking it answers.
		{"No - can't make it after all. Bob", Cancel, false},
		// Not names.
		{"Yes please\nMemory Cafe", Choose, false},
		{"Yes, Thursday", Choose, false},
		{"No\nunsubscribe", Unknown, false}, // and leaves the list
		{"Yes please Lily", Book, false},
	} {
		fresh := Fresh(tc.text)
		r := Read(fresh, c)
		if r.Action != tc.want && !(tc.want == Choose && r.Action == Book) {
			t.Errorf("Read(%q).Action = %v, want %v", fresh, r.Action, tc.want)
		}
		if got := ExplicitYes(fresh); (tc.want == Yes || tc.want == No) && got != tc.explicit {
			t.Errorf("ExplicitYes(%q) = %v, want %v", fresh, got, tc.explicit)
		}
		if tc.want == Cancel && len(r.Targets) > 0 {
			t.Errorf("Read(%q).Targets = %v, want none: the name is no session", fresh, r.Targets)
		}
	}
}
