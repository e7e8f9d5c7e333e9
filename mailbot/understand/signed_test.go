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
		if got := r.Explicit; (tc.want == Yes || tc.want == No) && got != tc.explicit {
			t.Errorf("Read(%q).Explicit = %v, want %v", fresh, got, tc.explicit)
		}
		if tc.want == Cancel && len(r.Targets) > 0 {
			t.Errorf("Read(%q).Targets = %v, want none: the name is no session", fresh, r.Targets)
		}
	}
}

// TestLeadingAnswer: a reply to a yes-or-no question of ours is the
// answer it opens with, whatever courtesies, kisses, names and additions
// follow; a condition goes to a person; words that take the answer back,
// or name something else, are read whole.
func TestLeadingAnswer(t *testing.T) {
	t.Parallel()
	_, c := corpusTimetable(t)
	c.Question = true
	for _, tc := range []struct {
		text      string
		want      Action
		explicit  bool
		places    int
		qualified bool
	}{
		{"yes pls x", Yes, true, 0, false},
		{"Yes. Thank you.\n\nDerek Bailey (Mr)", Yes, true, 0, false},
		{"yes please delete everything\nthanks\nKaren", Yes, true, 0, false},
		{"Yes – Margaret (and please add my husband Tony too, tony@example.org)", Yes, true, 0, false},
		{"Yes please, and my wife will be coming too so that's two of us.\n\nAlan", Yes, true, 2, false},
		{"Yes - but only about sessions in Weymouth please.\nSheila", Yes, true, 0, true},
		{"Yeah go on then", Yes, false, 0, false},
		{"No\n\nYes I know I booked it but I can't now.\nEdna", No, false, 0, false},
		{"No\nSorry\nWalter", No, false, 0, false},
		{"no thanks x", No, false, 0, false},
		// Our confirmation asks for the number of places wanted.
		{"2", Choose, false, 2, false},
		{"3 places please\nMary", Choose, false, 3, false},
		// Not an answer, or one taken back.
		{"No problem, see you then", Unknown, false, 0, false},
		{"Yes I know I booked it but I can't come now", Cancel, false, 0, false},
		{"No, but I'd like to come to the walking group instead", Move, false, 0, false},
	} {
		r := Read(Fresh(tc.text), c)
		if r.Action != tc.want && !(tc.want == Unknown && r.Action == Help) && !(tc.want == Move && r.Action == Book) {
			t.Errorf("Read(%q).Action = %v, want %v", tc.text, r.Action, tc.want)
		}
		if r.Explicit != tc.explicit || r.Places != tc.places || r.Qualified != tc.qualified {
			t.Errorf("Read(%q): explicit %v, places %d, qualified %v; want %v, %d, %v", tc.text, r.Explicit, r.Places, r.Qualified, tc.explicit, tc.places, tc.qualified)
		}
	}
}
