package mailbot

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/betterdays/mailbot/store"
)

// corpusVerb is how one expect:/not: verb of the corpus is checked against
// what the bot did. not, when set, checks "not: verb" where that is more
// than check's opposite; a verb without check is not checked yet.
type corpusVerb struct {
	check func(r *corpusRun, args []string) bool
	not   func(r *corpusRun, args []string) bool
}

// corpusVerbs maps the corpus README's vocabulary onto what the bot does.
var corpusVerbs = map[string]corpusVerb{
	// A new live booking of that session (confirmed, or waiting if full).
	"book": {check: func(r *corpusRun, a []string) bool { return r.newlyBooked(a[0]) }},
	// A booking held before is gone.
	"cancel": {check: func(r *corpusRun, a []string) bool { return r.cancelled(a[0]) }},
	// A place waited for is gone.
	"leave-waitlist": {check: func(r *corpusRun, a []string) bool {
		return r.before.live[a[0]].Status == store.Waitlisted && r.cancelled(a[0])
	}},
	// The old place gone and the new one held.
	"move": {check: func(r *corpusRun, a []string) bool { return r.cancelled(a[0]) && r.held(a[1]) }},
	// That many places held on the session.
	"places": {check: func(r *corpusRun, a []string) bool {
		n, _ := strconv.Atoi(a[1])
		b, ok := r.after.live[a[0]]
		return ok && b.Places == n
	}},
	// A numbered list of drop-in slots that all fit the wishes, or, when no
	// free slot fits them, a reply and no list; no slot taken (a group
	// session the same message asks for is the book verb's to check).
	"dropin": {check: func(r *corpusRun, a []string) bool {
		offered := r.offeredDropins()
		if r.tookSlot() {
			return false
		}
		if len(offered) == 0 {
			return len(r.replies)+len(r.forWho) > 0 && len(r.dropinsFitting(a)) == 0
		}
		for _, s := range offered {
			if !r.fits(s, a) {
				return false
			}
		}
		return true
	}, not: func(r *corpusRun, a []string) bool {
		// "not: dropin W": no slot offered fits W (bare: no slots offered).
		for _, s := range r.offeredDropins() {
			if r.fits(s, a) {
				return false
			}
		}
		return true
	}},
	"take": {check: func(r *corpusRun, a []string) bool { return r.newlyBooked(a[0]) }},
	// A numbered list of sessions.
	"list": {check: func(r *corpusRun, a []string) bool {
		return slices.ContainsFunc(r.offers, func(o store.Offer) bool {
			return o.Kind == store.OfferBook && slices.ContainsFunc(o.Items, func(id string) bool { return !strings.HasPrefix(id, "dropin-") })
		})
	}},
	// Who moved towards the list: asked to confirm, or confirmed.
	"join": {check: func(r *corpusRun, a []string) bool {
		b, s := r.before.sub.Status, r.after.sub.Status
		return s == store.Confirmed && b != store.Confirmed || s == store.Pending && b != store.Pending
	}},
	"leave": {check: func(r *corpusRun, a []string) bool {
		return r.before.sub.Status == store.Confirmed && r.after.sub.Status == store.Unsubscribed
	}},
	// Yes and no answer the question cited.
	"yes": {check: func(r *corpusRun, a []string) bool { return r.answered(true) }},
	"no":  {check: func(r *corpusRun, a []string) bool { return r.answered(false) }},
	// Asked to confirm erasure (only their own YES erases), or erased.
	"erase": {check: func(r *corpusRun, a []string) bool {
		return r.erased() || slices.ContainsFunc(r.offers, func(o store.Offer) bool { return o.Kind == store.OfferForget })
	}},
	"answer": {check: func(r *corpusRun, a []string) bool { return r.answers(a[0], a[1]) }},
	// Passed to staff (the kind of hand-off is shown, not checked: what
	// matters to the person is that someone answers). "not: handoff
	// callback" is checked: no member of staff is asked to phone them
	// ("please don't ring").
	"handoff": {check: func(r *corpusRun, a []string) bool { return len(r.handoffs) > 0 },
		not: func(r *corpusRun, a []string) bool {
			if len(a) > 0 && a[0] == "callback" {
				return !slices.ContainsFunc(r.handoffs, func(m *sent) bool { return strings.Contains(m.Text, "phone them") })
			}
			return len(r.handoffs) == 0
		}},
	// Staff told it is urgent, and the person's reply opens with 999.
	"urgent": {check: func(r *corpusRun, a []string) bool {
		if !slices.ContainsFunc(r.handoffs, func(m *sent) bool { return strings.HasPrefix(m.Subject, "URGENT") }) {
			return false
		}
		for _, m := range r.replies {
			if !strings.Contains(corpusOpening(m.Text), "999") {
				return false
			}
		}
		return true
	}, not: func(r *corpusRun, a []string) bool {
		return !slices.ContainsFunc(r.handoffs, func(m *sent) bool { return strings.HasPrefix(m.Subject, "URGENT") }) &&
			!slices.ContainsFunc(r.replies, func(m *sent) bool { return strings.Contains(m.Text, "999") })
	}},
	// Nothing done, and a question back: a numbered choice or a YES to give.
	"ask": {check: func(r *corpusRun, a []string) bool {
		return r.nothingChanged() && (slices.ContainsFunc(r.offers, func(o store.Offer) bool { return o.Kind != store.OfferBooked }) ||
			slices.ContainsFunc(slices.Concat(r.replies, r.forWho), func(m *sent) bool { return strings.Contains(corpusOpening(m.Text), "?") }))
	}},
	// Nothing done and no reply needed (a quiet hand-off is fine).
	"thanks": {check: func(r *corpusRun, a []string) bool { return r.nothingChanged() && len(r.replies)+len(r.forWho) == 0 }},
	// Nothing done, nobody written to.
	"ignore": {check: func(r *corpusRun, a []string) bool {
		return r.nothingChanged() && len(r.replies)+len(r.forWho)+len(r.handoffs)+len(r.staffReplies) == 0
	}},
	// Views kept as a contribution (and thanked for).
	"contribution": {check: func(r *corpusRun, a []string) bool {
		return strings.Contains(r.outcome, "thanked for a contribution") && len(r.replies) > 0
	}},
}

func (r *corpusRun) held(id string) bool { _, ok := r.after.live[id]; return ok }

func (r *corpusRun) newlyBooked(id string) bool {
	_, was := r.before.live[id]
	return !was && r.held(id)
}

func (r *corpusRun) cancelled(id string) bool {
	_, was := r.before.live[id]
	return was && !r.held(id)
}

func (r *corpusRun) erased() bool { return r.before.known && !r.after.known }

// tookSlot reports whether a drop-in slot was newly booked.
func (r *corpusRun) tookSlot() bool {
	for id := range r.after.live {
		if strings.HasPrefix(id, "dropin-") && r.newlyBooked(id) {
			return true
		}
	}
	return false
}

// nothingChanged: no booking made, changed or cancelled, nobody erased,
// the list left as it was.
func (r *corpusRun) nothingChanged() bool {
	if len(r.before.live) != len(r.after.live) || r.erased() || r.before.sub.Status != r.after.sub.Status {
		return false
	}
	for id, b := range r.before.live {
		a, ok := r.after.live[id]
		if !ok || a.Places != b.Places || a.Status != b.Status {
			return false
		}
	}
	return true
}

// answered is whether the message said yes (or no) to the question cited.
func (r *corpusRun) answered(yes bool) bool {
	switch r.w.context {
	case "join-request":
		return (r.after.sub.Status == store.Confirmed) == yes
	case "erasure-question":
		return r.erased() == yes
	case "confirmation":
		// The question a confirmation asks is whether to join the
		// mailing list; either answer keeps the place.
		return r.held(r.w.contextArgs[0]) && (r.after.sub.Status == store.Confirmed) == yes
	case "reminder":
		// Yes keeps the place; no gives it up.
		return r.held(r.w.contextArgs[0]) == yes
	}
	return false
}

// offeredDropins is the drop-in slots offered in a numbered list.
func (r *corpusRun) offeredDropins() []store.SessionPlaces {
	var out []store.SessionPlaces
	for _, o := range r.offers {
		if o.Kind != store.OfferBook {
			continue
		}
		for _, id := range o.Items {
			if s, err := r.d.st.SessionByID(ctxBg, id); err == nil && s.Kind == "dropin" {
				out = append(out, s)
			}
		}
	}
	return out
}

// dropinsFitting is the free drop-in slots that fit the wishes.
func (r *corpusRun) dropinsFitting(wishes []string) []store.SessionPlaces {
	up, err := r.d.st.UpcomingSessions(ctxBg, r.d.clock.Now(), "dropin")
	if err != nil {
		r.t.Fatal(err)
	}
	var out []store.SessionPlaces
	for _, s := range up {
		if s.Left > 0 && r.fits(s, wishes) {
			out = append(out, s)
		}
	}
	return out
}

// fits is whether slot s suits every wish, in the README's words:
// morning, afternoon, after=HH:MM, before=HH:MM, date=, not-date=,
// day=<weekday>, not-<weekday>, place=<words>.
func (r *corpusRun) fits(s store.SessionPlaces, wishes []string) bool {
	start := s.Starts.In(r.d.bot.cfg.TZ)
	clock := start.Format("15:04")
	day := strings.ToLower(start.Weekday().String())
	for i := 0; i < len(wishes); i++ {
		w := wishes[i]
		if strings.HasPrefix(w, "place=") {
			// place= takes the rest of the line: "place=County Hall".
			place := strings.TrimPrefix(strings.Join(wishes[i:], " "), "place=")
			if !strings.Contains(strings.ToLower(s.Location), strings.ToLower(place)) {
				return false
			}
			break
		}
		key, value, _ := strings.Cut(w, "=")
		ok := true
		switch {
		case w == "morning":
			ok = start.Hour() < 12
		case w == "afternoon":
			ok = start.Hour() >= 12
		case key == "after":
			ok = clock >= value
		case key == "before":
			ok = clock < value
		case key == "date":
			ok = start.Format(time.DateOnly) == value
		case key == "not-date":
			ok = start.Format(time.DateOnly) != value
		case key == "day":
			ok = day == strings.ToLower(value)
		case strings.HasPrefix(w, "not-"):
			ok = day != strings.TrimPrefix(w, "not-")
		default:
			r.t.Fatalf("dropin wish %q unknown", w)
		}
		if !ok {
			return false
		}
	}
	return true
}

// answers is whether a reply gives the timetable's answer about session id.
func (r *corpusRun) answers(what, id string) bool {
	s, err := r.d.st.SessionByID(ctxBg, id)
	if err != nil {
		r.t.Fatal(err)
	}
	tz := r.d.bot.cfg.TZ
	var want []string
	switch what {
	case "ends":
		want = []string{corpusClock(s.Ends.In(tz))}
	case "starts":
		want = []string{corpusClock(s.Starts.In(tz))}
	case "where", "online":
		place, _, _ := strings.Cut(s.Location, ",")
		want = []string{strings.TrimSuffix(strings.TrimSpace(place), " (Microsoft Teams)")}
	case "places":
		if s.Left == 0 {
			want = []string{"full"}
		} else {
			want = []string{fmt.Sprintf("%d place", s.Left)}
		}
	case "joining":
		want = []string{"Teams"}
	default:
		r.t.Fatalf("answer %q unknown", what)
	}
	for _, m := range slices.Concat(r.replies, r.forWho) {
		text := corpusOwnWords(m.Text)
		if !strings.Contains(text, s.Title) && !strings.Contains(text, corpusClock(s.Starts.In(tz))) {
			continue
		}
		if !slices.ContainsFunc(want, func(w string) bool { return strings.Contains(strings.ToLower(text), strings.ToLower(w)) }) {
			continue
		}
		return true
	}
	return false
}

// corpusClock is a time as our mail writes it: 10am, 12:30pm.
func corpusClock(t time.Time) string {
	h := t.Hour() % 12
	if h == 0 {
		h = 12
	}
	ampm := "am"
	if t.Hour() >= 12 {
		ampm = "pm"
	}
	if t.Minute() != 0 {
		return fmt.Sprintf("%d:%02d%s", h, t.Minute(), ampm)
	}
	return fmt.Sprintf("%d%s", h, ampm)
}

// corpusOwnWords is a reply's text without the message it quotes.
func corpusOwnWords(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, ">") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// corpusOpening is the first few lines of a reply with words in them: what
// a phone shows before anything else.
func corpusOpening(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "Hello") || strings.HasPrefix(l, "Dear") {
			continue
		}
		if out = append(out, l); len(out) == 3 {
			break
		}
	}
	return strings.Join(out, "\n")
}

var nonDigits = regexp.MustCompile(`\D`)

// corpusDigits is a phone number's digits, +44 read as 0.
// corpusLine is the rest of the first line of text that starts with
// prefix.
func corpusLine(text, prefix string) (string, bool) {
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			return rest, true
		}
	}
	return "", false
}

func corpusDigits(phone string) string {
	d := nonDigits.ReplaceAllString(phone, "")
	if strings.HasPrefix(d, "44") {
		d = "0" + d[2:]
	}
	return d
}

// phoneKept: who's phone is on a booking they hold, on a question the
// bot asked them (kept for the booking the answer makes), or given to
// staff as theirs in a hand-off.
func (r *corpusRun) phoneKept(phone string) bool {
	want := corpusDigits(phone)
	for _, b := range r.after.live {
		if corpusDigits(b.Phone) == want {
			return true
		}
	}
	given := func(m *sent) bool {
		line, ok := corpusLine(m.Text, "Their phone number: ")
		return ok && corpusDigits(line) == want
	}
	return slices.ContainsFunc(r.offers, func(o store.Offer) bool { return corpusDigits(o.Phone) == want }) ||
		slices.ContainsFunc(r.handoffs, given)
}

// needKept: the need is on a booking they hold, or on a question the bot
// asked them; loosely, as the corpus README says: "wheelchair" is in "I
// use a wheelchair", and "walking stick" in "walks with a stick" (every
// word of the need, but for its ending, among the words kept).
func (r *corpusRun) needKept(need string) bool {
	kept := func(needs string) bool {
		needs = strings.ToLower(needs)
		if strings.Contains(needs, strings.ToLower(need)) {
			return true
		}
		words := map[string]bool{}
		for _, w := range strings.FieldsFunc(needs, func(c rune) bool { return !unicode.IsLetter(c) }) {
			words[wordStem(w)] = true
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(need), func(c rune) bool { return !unicode.IsLetter(c) }) {
			if !words[wordStem(w)] {
				return false
			}
		}
		return true
	}
	for _, b := range r.after.live {
		if kept(b.Needs) {
			return true
		}
	}
	return slices.ContainsFunc(r.offers, func(o store.Offer) bool { return kept(o.Needs) })
}

// wordStem is w without the ending that varies: walks, walking, walked.
func wordStem(w string) string {
	for _, end := range []string{"ing", "ed", "s"} {
		if len(w) > len(end)+2 && strings.HasSuffix(w, end) {
			return strings.TrimSuffix(w, end)
		}
	}
	return w
}

// placesKept: the session the message books, moves to or changes holds
// n places (or, naming none, some new booking does, or a question asked
// remembers them).
func (r *corpusRun) placesKept(n int) bool {
	var targets []string
	for _, e := range r.w.expect {
		switch e[0] {
		case "book", "take", "places":
			targets = append(targets, e[1])
		case "move":
			targets = append(targets, e[2])
		}
	}
	if len(targets) == 0 {
		for id := range r.after.live {
			if r.newlyBooked(id) {
				targets = append(targets, id)
			}
		}
		if slices.ContainsFunc(r.offers, func(o store.Offer) bool { return o.Places == n }) {
			return true
		}
	}
	if len(targets) == 0 {
		return false
	}
	for _, id := range targets {
		if b, ok := r.after.live[id]; !ok || b.Places != n {
			return false
		}
	}
	return true
}
