package understand

import (
	"bufio"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestReadPlainWords is the phrasebook of plain words: text speak, British
// short forms, capitals and slips of the finger, as people write them,
// and the request each must read as. The cases below "not corrected" are
// the other half: words that look like a slip and are not.
func TestReadPlainWords(t *testing.T) {
	t.Parallel()
	items, c := corpusTimetable(t)
	type want struct {
		action  Action
		targets []string // describeTargets
		places  int
		needs   int
		sub     bool
		unsub   bool
	}
	for _, tc := range []struct {
		text string
		want want
	}{
		{"cud u bok me on weds pls", want{action: Book, targets: []string{`"on wednesday" → carers-0804`}}},
		{"PLEASE BOOK ME ON NEW TO CARRING", want{action: Book, targets: []string{`"New to caring" → new-0810 new-0907`}}},
		{"Can I cancle my place on Thursday", want{action: Cancel, targets: []string{`"on thursday" → cafe-0805`}}},
		{"carers session on Wendesday 4th", want{action: Choose, targets: []string{`"wednesday 4th (Carers session)" → carers-0804`}}},
		{"bok me on the carers session tmrw ta", want{action: Book, targets: []string{`"tomorrow (Carers session)" → carers-0804`}}},
		{"Me & my hubby wud like 2 come to the memory cafe on Thurs", want{action: Book, targets: []string{`"on thursday (Memory cafe)" → cafe-0805`}, places: 2}},
		{"I CANT MAKE IT TOMOZ SORRY", want{action: Cancel, targets: []string{`"tomorrow" → carers-0804`}}},
		{"Independance at home please", want{action: Book, targets: []string{`"Independence at home" → indep-0818`}}},
		{"can u put me down for the indepedence one", want{action: Book, targets: []string{`"Independence at home" → indep-0818`}}},
		{"Memmory cafe in Septmber pls", want{action: Book, targets: []string{`"in september (Memory cafe)" → cafe-0916`}}},
		{"BOOK ME ON 10/08 FOR 2 PLS", want{action: Book, targets: []string{`"10/08" → new-0810 carers-0810`}, places: 2}},
		{"tues 10th plz", want{action: Book, targets: []string{`"tuesday 10th" → new-0810 carers-0810`}}},
		{"Can I come on thrusday 12th august", want{action: Book, targets: []string{`"thursday 12th august" → coffee-0812`}}},
		{"Cofee and chatt on the 12th", want{action: Choose, targets: []string{`"the 12th (Coffee and chat)" → coffee-0812`}}},
		{"wud luv 2 places on coffee n chat", want{action: Book, targets: []string{`"Coffee and chat" → coffee-0812`}, places: 2}},
		{"I need to chnage to 7th Sept", want{action: Move, targets: []string{`"7th september" → new-0907`}}},
		{"can i hav an apointment", want{action: DropIn}},
		{"thx, can u cancel my place on thurs", want{action: Cancel, targets: []string{`"on thursday" → cafe-0805`}}},
		{"Any sessions in Febuary?", want{action: Choose, targets: []string{`"in february" → (nothing)`}}},
		{"Yes ta", want{action: Yes}},
		{"yes pls", want{action: Yes}},
		{"yup", want{action: Yes}},
		{"yes ok, thanks", want{action: Yes}},
		{"ok, thanks", want{action: Unknown}}, // an acknowledgement, not consent
		{"nah ta", want{action: No}},
		{"pls take me off ur list", want{action: Unknown, unsub: true}},
		{"Unsubscibe", want{action: Unknown, unsub: true}},
		{"cud u add me 2 ur newsleter", want{action: Unknown, sub: true}},
		{"I'm a wheelchiar user, cud I come on the 10th", want{action: Book, targets: []string{`"the 10th" → new-0810 carers-0810`}, needs: 1}},
		{"Whats on in Agust", want{action: Choose, targets: []string{`"in august" → carers-0804 cafe-0805 new-0810 carers-0810 coffee-0812 indep-0818`}}},

		// Not corrected: words of their own that a slip could make.
		{"My husband has cancer so I may need to leave early", want{action: Unknown}},
		{"Remember me to Sue", want{action: Unknown}},
		{"We march on regardless", want{action: Unknown}},
		{"I'm fairly independent but I'd like to come along", want{action: Book}},
		{"Jane would love to come to the memory cafe", want{action: Book, targets: []string{`"Memory cafe" → cafe-0805 cafe-0916`}}},
		{"Sat with mum this morning, she'd like to come to new to caring", want{action: Book, targets: []string{`"New to caring" → new-0810 new-0907`}}},
		{"looking forward to it", want{action: Unknown}},
		{"Hi Frida, is Mr Mondal booked in?", want{action: Help}},
		{"that is a good chance to chat", want{action: Unknown}},
	} {
		r := Read(tc.text, c)
		got := want{action: r.Action, targets: describeTargets(r.Targets, items, c.TZ), places: r.Places,
			needs: len(r.Needs), sub: r.Subscribe, unsub: r.Unsubscribe}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Read(%q)\n got %+v\nwant %+v", tc.text, got, tc.want)
		}
	}
}

// TestPlainWords: the words themselves, so a reader sees what each slip
// becomes.
func TestPlainWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"cud u bok me on weds pls", "could you book me on wednesday please"},
		{"tmrw's session", "tomorrow's session"},
		{"me & my hubby", "me and my husband"},
		{"cancle cancell cansel canel", "cancel cancel cancel cancel"},
		{"wendesday thrusday tuseday satuday", "wednesday thursday tuesday saturday"},
		{"febuary feburary agust septmber octobre novemebr decmber", "february february august september october november december"},
		{"unsubscibe unsubcribe subcribe", "unsubscribe unsubscribe subscribe"},
		{"tommorow tomorow", "tomorrow tomorrow"},
		// Untouched: short words, real words, names, and the months and
		// verbs a letter from another word.
		{"bok box look took", "book box look took"},
		{"cancer chance charge remember lease pleased", "cancer chance charge remember lease pleased"},
		{"march may june july jane jury sat sun mon jan", "march may june july jane jury sat sun mon jan"},
		{"frida sundar mondal augusta", "frida sundar mondal augusta"},
		{"schedule inaccessible subscriber", "schedule inaccessible subscriber"},
		{"caf\u00e9 na\u00efve", "caf\u00e9 na\u00efve"},
	} {
		if got := plainWords(tc.in, nil); got != tc.want {
			t.Errorf("plainWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// A session's own words are never corrected into something else.
	if got := plainWords("sundae club", []string{"Sundae club"}); got != "sundae club" {
		t.Errorf("plainWords(title words) = %q, want them kept", got)
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"book", "book", 0},
		{"cancle", "cancel", 1}, // two letters swapped
		{"canel", "cancel", 1},
		{"cancell", "cancel", 1},
		{"wendesday", "wednesday", 1},
		{"tommorow", "tomorrow", 2},
		{"abc", "xyz", 3},
		{"", "book", 3}, // more than the most asked for
	} {
		if got := distance(tc.a, tc.b, 2); min(got, 3) != tc.want {
			t.Errorf("distance(%q, %q, 2) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// FuzzDistance checks the bounded distance against the plain one.
func FuzzDistance(f *testing.F) {
	f.Add("wendesday", "wednesday", 2)
	f.Add("ca", "abc", 1)
	f.Add("cancle", "cancel", 0)
	f.Fuzz(func(t *testing.T, a, b string, most int) {
		if len(a) > maxNear || len(b) > maxNear || most < 0 || most > 3 {
			return
		}
		got, want := distance(a, b, most), osa(a, b)
		if (want <= most) != (got <= most) || want <= most && got != want {
			t.Fatalf("distance(%q, %q, %d) = %d, want %d", a, b, most, got, want)
		}
	})
}

// osa is the optimal string alignment distance, written out in full.
func osa(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// TestRealWordsComplete checks, where Debian's British English word list
// is installed (apt-get install wbritish), that realWords holds every word
// of it that a word of nearWords could be mistaken for: adding a word to
// nearWords means adding its neighbours too.
func TestRealWordsComplete(t *testing.T) {
	t.Parallel()
	f, err := os.Open("/usr/share/dict/british-english")
	if err != nil {
		t.Skip("no word list:", err)
	}
	defer f.Close()
	var missing []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.ToLower(sc.Text())
		if !asciiLetters(w) || realWords[w] || slices.Contains(nearWords, w) {
			continue
		}
		for _, v := range nearWords {
			if allowed := allowance(min(len(w), len(v))); distance(w, v, allowed) <= allowed {
				missing = append(missing, w)
				break
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("realWords lacks %q", missing)
	}
}

// FuzzPlainWords: rewriting is done in one pass (what it writes it would
// leave alone), keeps the text valid, and grows it by a bounded amount.
func FuzzPlainWords(f *testing.F) {
	for _, s := range []string{"cud u bok me on weds pls", "tmrw's session & more", "cancle wendesday", "café ty", strings.Repeat("u ", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = normalise(s)
		once := plainWords(s, corpusTitles)
		if twice := plainWords(once, corpusTitles); twice != once {
			t.Fatalf("plainWords(%q) = %q, and again %q", s, once, twice)
		}
		if utf8.ValidString(s) && !utf8.ValidString(once) {
			t.Fatalf("plainWords(%q) = %q: not UTF-8", s, once)
		}
		if len(once) > 5*len(s) {
			t.Fatalf("plainWords grew %d bytes to %d", len(s), len(once))
		}
	})
}
