package understand

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOnBehalfNamed(t *testing.T) {
	t.Parallel()
	staff := "john.smith@council.example"
	skip := func(a string) bool { return a == staff || a == "betterdays@council.example" }
	for _, tc := range []struct {
		fresh      string
		addr, name string
		note       string // a phrase the note must keep
		none       bool
	}{
		{fresh: "Book Jane Smith <jane@example.org> on New to caring", addr: "jane@example.org", name: "Jane Smith", note: "Book Jane Smith on New to caring"},
		{fresh: "Hi,\nplease book Mary O'Neill <Mary.ONeill@Example.org> on the memory cafe, thanks", addr: "mary.oneill@example.org", name: "Mary O'Neill"},
		{fresh: "Hi, Jane Smith <jane@example.org> rang: please add her", addr: "jane@example.org", name: "Jane Smith"},
		{fresh: "please add jane@example.org to the mailing list", addr: "jane@example.org", note: "please add to the mailing list"},
		{fresh: "Cancel bob@example.org (Bob Lee) from Tuesday's session", addr: "bob@example.org", name: "Bob Lee"},
		{fresh: "Book Ann on the carers session. Reply to betterdays@council.example if needed, or john.smith@council.example", none: true},
		{fresh: "book me on new to caring", none: true},
		{fresh: "Please book <sam@example.org> on Friday", addr: "sam@example.org"},
	} {
		m := &Message{From: staff, Fresh: tc.fresh}
		b, ok := m.OnBehalf(skip)
		if ok == tc.none {
			t.Errorf("OnBehalf(%q) ok = %v, want %v", tc.fresh, ok, !tc.none)
			continue
		}
		if tc.none {
			continue
		}
		if b.Addr != tc.addr || b.Name != tc.name {
			t.Errorf("OnBehalf(%q) = %q %q, want %q %q", tc.fresh, b.Addr, b.Name, tc.addr, tc.name)
		}
		if strings.Contains(b.Note, "@") {
			t.Errorf("OnBehalf(%q).Note = %q: the address should be gone", tc.fresh, b.Note)
		}
		if tc.note != "" && strings.Join(strings.Fields(b.Note), " ") != tc.note {
			t.Errorf("OnBehalf(%q).Note = %q, want %q", tc.fresh, b.Note, tc.note)
		}
	}
}

func TestOnBehalfForwardComesFirst(t *testing.T) {
	t.Parallel()
	m := &Message{From: "john.smith@council.example", Fresh: "FYI, cc ann@example.org",
		Forwarded: &Forward{From: "mary.jones@example.org", FromName: "Mary Jones", Note: "FYI, cc ann@example.org", Text: "Can I come on the 10th?"}}
	b, ok := m.OnBehalf(func(string) bool { return false })
	if !ok || b.Addr != "mary.jones@example.org" || b.Text != "Can I come on the 10th?" {
		t.Errorf("OnBehalf = %+v, %v; want the forwarded sender with her words", b, ok)
	}
	// A forward of our own mail, or of a colleague's, is not on anyone's
	// behalf; an address in the note may still be.
	b, ok = m.OnBehalf(func(a string) bool { return a == "mary.jones@example.org" })
	if !ok || b.Addr != "ann@example.org" || b.Text != "" {
		t.Errorf("OnBehalf, forwarded sender skipped = %+v, %v; want ann from the note", b, ok)
	}
}

func TestReadFor(t *testing.T) {
	t.Parallel()
	london, _ := time.LoadLocation("Europe/London")
	c := Context{Now: time.Date(2027, 8, 1, 9, 0, 0, 0, london), TZ: london,
		Titles: []string{"New to caring", "Memory cafe", "Carers session"}}
	for _, tc := range []struct {
		name     string
		b        Behalf
		action   Action
		targets  string // Pattern.String()s joined by "|"
		sub      bool
		phone    bool
		needsLen int
	}{
		{name: "note says it all", b: Behalf{Note: "Please book Mary on the memory cafe", Text: "Can I come to new to caring?"},
			action: Book, targets: "Memory cafe"},
		{name: "note without a session", b: Behalf{Note: "Please book her in", Text: "I'd like to come to the memory cafe on 10 August, I use a wheelchair. My number is 07700 900123"},
			action: Book, phone: true, needsLen: 1},
		{name: "note says nothing", b: Behalf{Note: "See below, thanks", Text: "Please cancel my place on new to caring"},
			action: Cancel, targets: "New to caring"},
		{name: "no note, a phone under their words", b: Behalf{Text: "Please could you book me on the memory cafe.", Phone: "07700 900287"},
			action: Book, targets: "Memory cafe", phone: true},
		{name: "list from the person", b: Behalf{Note: "FYI", Text: "Please add me to your mailing list"},
			action: Unknown, sub: true},
		{name: "a polite note above a list request", b: Behalf{Note: "Can you add this lady please", Text: "Please put me on your mailing list."},
			action: Unknown, sub: true},
		{name: "a drop-in asked for, booked by the note", b: Behalf{Note: "Bob, please book Mary onto the 12th", Text: "Could I have a drop-in slot on Thursday 12 August? Mornings are best"},
			action: DropIn, targets: "12"},
		{name: "a polite note above a question", b: Behalf{Note: "Could you answer Mr Okafor please?", Text: "What time does the memory cafe finish? I have dialysis at 4."},
			action: Choose, targets: "Memory cafe"},
		{name: "a booking note above a question", b: Behalf{Note: "Please book him on it", Text: "What time does the memory cafe finish? I have dialysis at 4."},
			action: Book, targets: "Memory cafe"},
		{name: "named, no forward", b: Behalf{Note: "Book Jane Smith  on New to caring"},
			action: Book, targets: "New to caring"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ReadFor(tc.b, c)
			var targets []string
			for _, p := range r.Targets {
				targets = append(targets, p.String())
			}
			got := strings.Join(targets, "|")
			if r.Action != tc.action || (tc.targets != "" && !strings.Contains(got, tc.targets)) || r.Subscribe != tc.sub ||
				(r.Phone != "") != tc.phone || len(r.Needs) != tc.needsLen {
				t.Errorf("ReadFor = %v targets %q subscribe %v phone %q needs %q; want %v with %q, subscribe %v, phone %v, %d needs",
					r.Action, got, r.Subscribe, r.Phone, r.Needs, tc.action, tc.targets, tc.sub, tc.phone, tc.needsLen)
			}
		})
	}
}

func TestNeedsPerson(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text     string
		question bool // a reply to a question of ours
		urgent   string
		why      string
	}{
		{text: "Please book me on the memory cafe", why: ""},
		// A greeting alone gets the help text, and a person sees it, in
		// case what they meant to send was lost.
		{text: "Hello", why: "not understood"},
		{text: "Hi, how does this work?", why: ""},
		{text: "Hello, is there parking near the library?", why: "a question"},
		{text: "Hi there\nCan I bring my dog", why: "a question"},
		// To our confirmation, the places answer it (question below).
		{text: "Thanks for this. Can I bring my mum? She's 79 but she'd love it.", question: true, why: ""},
		{text: "Thanks for this. Can I bring my mum? She's 79 but she'd love it.", why: "not understood"},
		{text: "I want to complain about how I was spoken to last week", why: "a complaint"},
		{text: "I had to make a Microsoft account just to get that far. This is ridiculous for something that is meant to be for carers.", why: "a complaint"},
		{text: "My husband hit me again and I don't feel safe at home. Please book me on the carers session.", urgent: "hit me"},
		{text: "I CAN'T COPE ANY MORE", urgent: "can't cope", why: "not understood"},
		{text: "Sometimes I think about suicide", urgent: "suicide", why: "not understood"},
		{text: "asdf qwerty", why: "not understood"},
		{text: "can someone ring me? 01305 900541 after 10am. thanks maggie", why: "asked for a person"},
		{text: "Could you phone me, I'm not very good with emails.", why: "asked for a person"},
		{text: "I'd rather talk to someone about it", why: "asked for a person"},
		{text: "Are the sessions free? I'm on a pension.", why: "a question"},
		{text: "What time does the memory cafe finish?", why: ""}, // the timetable answers it
		{text: "Please don't phone, email is best", why: ""},
		{text: "Just wanted to say thank you for organising all this, it's lovely to be asked for once.\n\nPam", why: ""},
		{text: "Just a quick note to say thank you to Jo for the phone call yesterday, it really helped to talk it through. I feel a lot better about it all now.\n\nYvonne", why: ""},
		{text: "Hi\n\nSent from my Samsung Galaxy smartphone.", why: "not understood"},
		{text: "Thank you for the session last week, it was lovely. Can you tell me why the council closed the day centre", why: "not understood"},
	} {
		c := Context{Now: time.Now(), TZ: time.UTC, Titles: []string{"Memory cafe", "Carers session"}, Question: tc.question}
		r := Read(tc.text, c)
		h := r.Handoff
		if tc.urgent != "" && !slices.Contains(h.Urgent, tc.urgent) || tc.urgent == "" && len(h.Urgent) > 0 {
			t.Errorf("Read(%q).Handoff.Urgent = %q, want %q", tc.text, h.Urgent, tc.urgent)
		}
		if tc.why != "" && h.Why.String() != tc.why || tc.why == "" && tc.urgent == "" && h.Why != NoReason {
			t.Errorf("Read(%q).Handoff.Why = %q (read as %v), want %q", tc.text, h.Why, r.Action, tc.why)
		}
		if h.Needed() != (tc.urgent != "" || tc.why != "") {
			t.Errorf("Read(%q).Handoff.Needed() = %v", tc.text, h.Needed())
		}
	}
}

func FuzzOnBehalf(f *testing.F) {
	for _, s := range []string{"Book Jane Smith <jane@example.org> on New to caring", "a@b.c (x", "<<<@>>>", "x@y.zz (Name) <q@r.st>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := &Message{Fresh: s}
		b, ok := m.OnBehalf(func(string) bool { return false })
		if ok && (!strings.Contains(b.Addr, "@") || strings.ContainsAny(b.Name, "\r\n") || strings.Contains(b.Note, b.Addr) && b.Addr != "") {
			// The note may name the address again elsewhere; only the
			// first mention is taken out.
			if strings.Count(strings.ToLower(s), b.Addr) < 2 {
				t.Errorf("OnBehalf(%q) = %+v", s, b)
			}
		}
		Read(s, Context{Now: time.Now(), TZ: time.UTC, Titles: []string{s, "Memory cafe"}})
	})
}

func TestReadForKeepsDropInPrefs(t *testing.T) {
	t.Parallel()
	c := Context{Now: time.Date(2027, 8, 1, 9, 0, 0, 0, time.UTC), TZ: time.UTC}
	r := ReadFor(Behalf{Note: "please book Mary onto the 12th", Text: "Could I have a drop-in on Thursday 12 August? Mornings are best"}, c)
	if r.Action != DropIn || r.Prefs.Before != 12*60 {
		t.Errorf("ReadFor = %v with prefs %+v; want a drop-in before noon", r.Action, r.Prefs)
	}
}

func TestNamesSomeoneElse(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]bool{
		"Please book Mary on the 12th":              true,
		"book Mary Jones onto Learning new skills":  true,
		"Can you cancel her place on Tuesday":       true,
		"please add him to the mailing list":        true,
		"Book Memory cafe on Tuesday":               false,
		"book me on the memory cafe":                false,
		"Book Learning new skills for 2 people":     false,
		"attendees for Tuesday":                     false,
		"Book Promoting Independence on Tuesday":    false,
		"Can you book mum on the 15th please":       true,
		"could you book my client on the 21st":      true,
		"please book me and my husband on the 15th": false,
	} {
		if got := Read(text, Context{TZ: time.UTC, Titles: []string{"Promoting independence", "Memory cafe"}}).SomeoneElse; got != want {
			t.Errorf("Read(%q).SomeoneElse = %v, want %v", text, got, want)
		}
	}
}

// TestWishesForAnother: a member of the public passing on someone
// else's wish, with none of their own, is for a person to read; a wish
// that includes the writer is theirs.
func TestWishesForAnother(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]bool{
		"My neighbour Betty (Mrs Elizabeth Grove) would love to come to the Weymouth one in August. She doesn't have email.":                                                        true,
		"my mum would like to come to the 15th, she hasn't got email":                                                                                                               true,
		"My husband and I would love to come to the Weymouth one":                                                                                                                   false,
		"My mum Doris doesn't have email so I'm writing for her. She'd like to come on 26 August. I'll bring her, so that's 2 places.":                                              false,
		"can it be 3 places now please, my daughter Sue wants to come as well as my husband":                                                                                        false,
		"I'd like to book a place on the charities session on behalf of our service (just me attending)":                                                                            false,
		"Please could you book my mother, Mrs Jean Hollis, on the 15th July session. I won't be attending myself. Please send everything to me and I'll set the laptop up for her.": true,
		"can you book mum on the 15th": true,
		"Our practice nurse Linda Moss booked a place on the independence session for herself but unfortunately she can no longer attend. Please cancel it.": true,
		"My husband can't come after all, just 1 place now please": false,
		"can you book mum and me on the 15th":                      false,
		"please book my mum on the 15th, I will come with her":     false,
		"my wife and I would like to come on the 15th":             false,
	} {
		if got := plainWritten(text).wishesForAnother(); got != want {
			t.Errorf("wishesForAnother(%q) = %v, want %v", text, got, want)
		}
	}
}

// TestOnBehalfForAnother: a forwarded email that itself asks for a third
// person is no one's to act on by its sender's address.
func TestOnBehalfForAnother(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]bool{
		"Hi Jo, can you book one of my service users onto Learning new skills? She's called Ellen.": true,
		"Sam, this is from my mum, she'd like to come. Karen":                                       true,
		"Can I come to the Weymouth one? Iris":                                                      false,
	} {
		m := &Message{Forwarded: &Forward{From: "karen@example.org", Text: text}}
		if b, ok := m.OnBehalf(func(string) bool { return false }); !ok || b.ForAnother != want {
			t.Errorf("OnBehalf(forward of %q) = %+v, %v; want ForAnother %v", text, b, ok, want)
		}
	}
}
