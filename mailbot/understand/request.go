package understand

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Action is what a person asks the bot to do.
type Action int

const (
	Unknown   Action = iota
	Help             // what can I do by email?
	List             // what's on?
	Book             // a place on a session (or whatever the Targets name)
	Choose           // named sessions or picked a number, without a verb: the list it answers decides
	Cancel           // cancel a booking
	Move             // cancel one booking and book another, together
	DropIn           // a one-to-one appointment
	Attendees        // staff: who is booked
	Yes              // a bare yes (to a question we asked)
	No               // a bare no (to a reminder: "reply NO if you can't make it")
)

var actionNames = [...]string{"unknown", "help", "list", "book", "choose", "cancel", "move", "dropin", "attendees", "yes", "no"}

func (a Action) String() string { return actionNames[a] }

// Item is one timetable entry as understanding needs it.
type Item struct {
	ID       string
	Title    string
	Dropin   bool
	Starts   time.Time
	Ends     time.Time
	Location string
}

// Context is what the words are read against. Every field but Now and TZ may
// be empty.
type Context struct {
	Now      time.Time
	TZ       *time.Location
	Titles   []string // the titles of upcoming sessions, to recognise them in free text
	About    []string // the description of each of Titles, where it has one
	Places   []string // the locations of upcoming group sessions: "the Weymouth one"
	Dropins  []string // the locations of upcoming drop-ins: "a one-to-one at County Hall"
	Subject  string   // the message's subject: read too unless it is a reply to ours
	Offered  int      // how many items the numbered list this answers had
	Question bool     // it answers a question of ours that a yes or no answers
	IsStaff  bool     // staff may ask for attendee lists
	MaxPlace int      // the most places one request may take; 0 means 10
}

// Request is everything the bot read in one message. A message may ask
// several things: Action is the main one, Subscribe and Unsubscribe come on
// top.
type Request struct {
	Action      Action
	Targets     []Pattern // the sessions named, in the order written
	From        []Pattern // for Move: the booking to leave ("move from 15 July to …")
	Places      int       // places asked for; 0 when not said (one)
	Phone       string    // a phone number given, as written but tidied
	Needs       []string  // access needs, in the person's words
	Prefs       Prefs     // for drop-ins: when suits them
	Subscribe   bool
	Unsubscribe bool
	// AnyOf: the Targets are alternatives ("1 or 2 is fine"): one of
	// them, the first that is free, not all.
	AnyOf bool
	// All: a cancellation of every booking ("cancel all my bookings"),
	// or a booking of every session ("I'd like to come to everything"),
	// but those Except names ("everything except the new to caring one").
	All    bool
	Except []Pattern
	// First, with All, books only so many of the first sessions: "the
	// first three sessions".
	First int
	// Waiting: what is given up is a place on a waiting list ("I don't
	// need to be on the waiting list any more"), not a booking.
	Waiting bool
	// OffOnly: leaving is said only as "take me off", in answer to our
	// email, naming no list: to the email about a waiting place it is
	// that place; to one about a booking, the mailing list, as ever.
	OffOnly bool
	// Asks are the questions about the session named that the timetable
	// answers ("what time does it finish?").
	Asks []Ask
	// Explicit: a Yes that is literally one ("yes", not "ok"), as consent
	// to the mailing list must be (UK GDPR article 4(11)).
	Explicit bool
	// Qualified: a yes or no with a condition ("yes - but only about
	// Weymouth"), for a person to read.
	Qualified bool
	// AlsoList: beside the booking, they asked what is on.
	AlsoList bool
}

// scan is the words a request was read from, kept for the rules that
// look at one sentence of them (questions a person must answer): the
// subject and body as read, with what was found blanked, and every
// mention of a session, where it stands (a title said twice is one target
// but two mentions).
type scan struct {
	s    string
	body int // where the body starts in s, after the subject
	refs []Pattern
	// questions are the spans of s that ask something; asking says of
	// each whether it asks what the timetable answers.
	questions [][2]int
	asking    []bool
}

// request works out what the words ask for.
func (w *written) request(c Context) (Request, scan) {
	if c.Question {
		if r, sc, ok := answered(w.low, c); ok {
			return r, sc
		}
	}
	s := plainWords(rejoinWrapped(w.low), c.Titles)
	body := 0
	if w.subject != "" {
		subj := plainWords(w.subject, c.Titles) + "\n"
		s, body = subj+s, len(subj)
	}
	var r Request
	r.Phone, s = findPhone(s)
	r.Needs = findNeeds(rejoinWrapped(w.text))
	r.Places, s = findPlaces(s, c.MaxPlace)
	r.Prefs = findPrefs(s, c.Dropins)
	r.Prefs.NotPlaces = placesRefused(s, slices.Concat(c.Places, c.Dropins))
	if hasListLine(s) {
		s = listMarkers.ReplaceAllStringFunc(s, blankMarker)
	}
	var dates, notOn []Pattern
	dates, notOn, s = findDates(s, c.Now, c.TZ)
	r.Prefs.NotOn = notOn
	titles := findTitles(s, c.Titles)
	titles = append(titles, findDescribed(s, c.Titles, c.About, titles)...)
	sortByPosition(titles)
	numbers := findNumbers(s, c.Offered)
	if len(numbers) == 0 && c.Offered > 0 {
		if k, ok := bareNumber(w.low); ok && k > c.Offered {
			// "10", to a list of nine: a number of ours that is not
			// there, to be told so with the list again, not passed on.
			said := strconv.Itoa(k)
			at := body + max(strings.Index(s[body:], said), 0)
			numbers = []Pattern{{Number: k, at: at, end: at + len(said)}}
		}
	}

	// A place, a time of day or how it is held narrows what else names
	// a session in its clause, and is the evidence itself only when
	// nothing surer names one.
	places := slices.Concat(findPlaceNames(s, c.Places), findRoomsNamed(s, c.Dropins), findPartOfDay(s), findModes(s))
	r.Targets = dropPast(s, qualify(s, dropAsides(s, combine(s, dates, titles)), places, findClockTimes(s)))
	r.Targets = saidBetterBelow(r.Targets, body)
	r.Targets = append(r.Targets, numbers...)
	sc := scan{s: s, body: body, refs: slices.Concat(dates, titles, places, numbers)}
	// "Don't cancel the 29th" keeps it: the words say which, but cancel
	// nothing.
	said := s
	// Each is looked for only where its words could be: most messages
	// have none, and a regular expression costs a scan of the whole text.
	if strings.Contains(s, "cancel") {
		s = notCancelling.ReplaceAllStringFunc(s, blank)
	}
	if strings.Contains(s, "n't") || strings.Contains(s, "cannot") || strings.Contains(s, "cant") {
		s = habitRefused.ReplaceAllStringFunc(s, blank)
	}
	if strings.Contains(s, "appointment") {
		// "My husband has a hospital appointment that morning" asks for
		// no one-to-one.
		s = otherAppointment.ReplaceAllStringFunc(s, blank)
	}
	if strings.Contains(s, "instead") {
		// "Please don't put me on the 29th instead": no move, and
		// nothing to come to.
		for _, loc := range notInstead.FindAllStringIndex(s, -1) {
			r.Targets = slices.DeleteFunc(r.Targets, func(p Pattern) bool { return p.at >= loc[0] && p.at < loc[1] })
		}
		s = notInstead.ReplaceAllStringFunc(s, blank)
	}
	if strings.Contains(s, " i ") || strings.Contains(s, " we ") || strings.Contains(s, "thinking") {
		s = notYet.ReplaceAllStringFunc(s, blank)
	}
	r.Unsubscribe = unsubscribeWords.MatchString(s) ||
		// "I am writing from my husband's email … please take him off
		// the list": the address is his, and it is leaving.
		strings.Contains(s, "writing") && theirAddress.MatchString(s) && offTheirList.MatchString(s)
	off := offList
	if r.Unsubscribe {
		off = takenOff(s, r.Targets)
	}
	// "Take me off the 29th June one": off that session, not the list.
	r.Unsubscribe = r.Unsubscribe && off != offSession
	r.Subscribe = !r.Unsubscribe && subscribeWords.MatchString(s)
	r.Action = action(s, &r, c)
	if off == offSession && (r.Action == Unknown || r.Action == Help || r.Action == Choose) {
		r.Action = Cancel
	}
	// "Please take me off, I've found something else on Thursdays" says
	// off what only by the email it answers (see Request.OffOnly).
	r.OffOnly = off == offUnnamed && c.Question && (r.Action == Unknown || r.Action == Help)
	r.Explicit = r.Action == Yes && explicitYes.MatchString(strings.Trim(strings.Join(strings.Fields(w.low), " "), ".! "))
	if c.Question && r.Action != Yes && r.Action != No && r.Places > 0 && len(r.Targets) == 0 {
		// "my husband Keith will be joining me so can we have 2 places
		// please", then, under our offer of the list, "yes please": the
		// places, and a yes of its own.
		for _, line := range strings.Split(w.low, "\n") {
			if line = strings.Trim(strings.Join(strings.Fields(line), " "), ".! "); explicitYes.MatchString(line) {
				r.Explicit = true
			}
		}
	}
	if leaveWaiting.MatchString(s) && strings.Contains(s, "waiting list") {
		// "I'm on the waiting list for …, please take me off it": off the
		// waiting list, not the mailing list; "… and book me on the 15th
		// instead" moves from it.
		r.Waiting, r.Unsubscribe = true, false
		if r.Action != Move {
			r.Action = Cancel
		}
	}
	if r.Action == DropIn {
		if loc := waitNoMore.FindStringIndex(s); loc != nil {
			// "I don't need to wait for the Weymouth one now, could I
			// have one of the one to one chats instead?": off the
			// waiting list, and the times offered.
			r.Waiting = true
			start := clauseStart(s, loc[0])
			end := start + len(clauseAt(s, loc[0]))
			r.From = slices.DeleteFunc(slices.Clone(r.Targets), func(p Pattern) bool { return p.at < start || p.at >= end })
			r.Targets = slices.DeleteFunc(r.Targets, func(p Pattern) bool { return slices.Contains(r.From, p) })
		}
	}
	if r.Action == Cancel && r.Places > 0 && len(r.Targets) == 0 && justPlaces.MatchString(w.low) {
		// "Just 1 place now please, my husband can't come after all":
		// the places kept, not the booking given up.
		r.Action = Choose
	}
	if r.Action == Cancel && (contrasts(s, r.Targets) || cancelsThatFor(s, r.Targets)) {
		// "I can't make the 10th but I'd love to do the 12th one";
		// "please cancel that and put me on the 21st".
		r.Action = Move
	}
	r.AnyOf = alternatives(s, r.Targets)
	sc.questions = questions(s)
	r.Asks, sc.asking = findAsks(s, sc.questions)
	if (r.Action == Book || r.Action == Choose) && len(r.Targets) > 0 {
		// "Could you tell me what sessions you have on? I'd like to
		// book the one on 15 July": that one, and the list.
		r.AlsoList = slices.ContainsFunc(sc.questions, func(q [2]int) bool {
			return whatsOn.MatchString(s[q[0]:q[1]]) && !slices.ContainsFunc(r.Targets, func(p Pattern) bool { return p.at >= q[0] && p.at < q[1] })
		})
	}
	if mentionsMode(s) && comingHangsOnMode(s) && !slices.Contains(r.Asks, AskOnline) {
		// "I can do the 15th but not if it's online": whether it is, is
		// the answer; a booking would be a guess.
		r.Asks = append(r.Asks, AskOnline)
		if r.Action == Book {
			r.Action = Choose
		}
	}
	if r.Action == Book && len(r.Asks) > 0 && !askToBook.MatchString(s) {
		// "Are there places left on 15 July?" asks about places, and
		// books none.
		r.Action = Choose
	}
	// "We are moving at the start of July, so please cancel everything":
	// what a clause without the cancelling names is only when.
	// "Cancel everything except the new to caring one": all but those,
	// and but a day refused there ("but not the 15th").
	// "I would like to come to everything except the charities one":
	// every session, but those.
	all := r.Action == Cancel && cancelAll.MatchString(s) ||
		(r.Action == Book || r.Action == Choose) && c.Offered == 0 && bookAll.MatchString(s)
	var except []Pattern
	if all {
		except = slices.DeleteFunc(slices.Clone(r.Targets), func(p Pattern) bool {
			return !exceptWords.MatchString(s[clauseStart(s, p.at):p.at])
		})
		r.Targets = slices.DeleteFunc(r.Targets, func(p Pattern) bool { return slices.Contains(except, p) })
	}
	r.All = all && (r.Action != Cancel || !slices.ContainsFunc(r.Targets, func(p Pattern) bool {
		return cancelWords.MatchString(clauseAt(s, p.at))
	})) && (r.Action == Cancel || len(r.Targets) == 0)
	if m := firstFew.FindStringSubmatch(s); m != nil && c.Offered == 0 && len(r.Targets) == 0 && (r.Action == Book || r.Action == List) {
		// "I'd like to book the first three sessions please": the
		// first of those coming up.
		r.All, r.First, r.Action = true, count(m[1]), Book
	}
	if r.All && r.Action == Choose {
		r.Action = Book
	}
	if r.All {
		r.Targets, r.Except = nil, append(except, r.Prefs.NotOn...)
	} else {
		// "All but" where not all is meant: what they name is asked about.
		r.Targets = append(r.Targets, except...)
	}
	switch r.Action {
	case Move:
		r.From, r.Targets = splitMove(s, r.Targets)
		// What they leave is left wherever else it is named: the subject
		// "18th August" above "I'm booked on the 18th August but I'd
		// rather go to the 10th".
		if to := slices.DeleteFunc(slices.Clone(r.Targets), func(p Pattern) bool { return slices.ContainsFunc(r.From, p.sameAs) }); len(to) > 0 {
			r.Targets = to
		}
	case Cancel:
		r.Targets = keptTargets(said, cancelTargets(s, r.Targets))
	case Book, Choose, DropIn:
		// "Not the first one, the second one": what they refuse is not
		// what they ask for; a day refused is ruled out of the drop-in
		// times offered ("anything except the 24th").
		if want, not := refusedTargets(s, r.Targets); len(not) > 0 {
			r.Targets = append(want, between(s, not)...)
			for _, p := range not {
				switch {
				case p.Day != 0 && p.Title == "":
					r.Prefs.NotOn = append(r.Prefs.NotOn, p)
				case p.Place != "" && !slices.Contains(r.Prefs.NotPlaces, p.Place):
					// "The Weymouth one is too far for me … the other
					// face to face one": not there.
					r.Prefs.NotPlaces = append(r.Prefs.NotPlaces, p.Place)
				}
			}
		}
	}
	r.Targets = companionOn(s, r.Targets, r.Places)
	// "The 10th … so 2 places on the 10th" asks for the 10th once.
	r.Targets, r.From = onceEach(r.Targets), onceEach(r.From)
	return r, sc
}

// companionOn gives one more place to a session the writer asks for
// that someone they bring is named on too: "book me on the 22nd and the
// 29th, and my wife on the 22nd too". Where the whole request is for so
// many places already, it says nothing new.
func companionOn(s string, targets []Pattern, places int) []Pattern {
	if places > 1 || len(targets) < 2 || !strings.Contains(s, " on ") {
		return targets
	}
	for i, p := range targets {
		if !companionBefore.MatchString(s[max(clauseStart(s, p.at), p.at-48):p.at]) {
			continue
		}
		for j := range targets[:i] {
			if targets[j].sameAs(p) {
				targets[j].Places = 2
			}
		}
	}
	return targets
}

// companionBefore, just before what a clause names, says it is for
// someone else the writer brings: "and my wife on".
var companionBefore = regexp.MustCompile(`\b(?:and|also|plus) (?:my|our) ` + relation + `(?: [a-z]+)? (?:on|for|to)(?: the)?\s*$`)

// between is the list item between two refused ones, where s asks for
// it: "not the first one, and not the third, the one in between please".
func between(s string, not []Pattern) []Pattern {
	if len(not) != 2 || not[0].Number == 0 || not[1].Number == 0 || !inBetween.MatchString(s) {
		return nil
	}
	a, b := min(not[0].Number, not[1].Number), max(not[0].Number, not[1].Number)
	if b-a != 2 {
		return nil
	}
	loc := inBetween.FindStringIndex(s)
	return []Pattern{{Number: a + 1, Said: strings.TrimSpace(s[loc[0]:loc[1]]), at: loc[0], end: loc[1]}}
}

var inBetween = regexp.MustCompile(`\b(the one )?in (between|the middle)\b|\bthe middle one\b`)

// onceEach is ps without those that name what an earlier one does.
func onceEach(ps []Pattern) []Pattern {
	for i := 1; i < len(ps); i++ {
		if slices.ContainsFunc(ps[:i], ps[i].sameAs) {
			ps = slices.Delete(ps, i, i+1)
			i--
		}
	}
	return ps
}

// rejoinWrapped puts back on one line a sentence a mail program broke
// ("put me\non your emails too"), so that the words read as a phrase; each
// break becomes a space, so every offset into s stays where it was. A
// line is taken to be broken where it is long and stops mid-sentence:
// the short lines of a list, an address or a signature stay apart.
func rejoinWrapped(s string) string {
	var b []byte
	start := 0
	for {
		i := strings.IndexByte(s[start:], '\n')
		if i < 0 {
			break
		}
		i += start
		line := strings.TrimRight(s[start:i], " \t")
		next := s[i+1:]
		if len(line) >= 55 && !strings.ContainsAny(line[len(line)-1:], ".!?:;") && next != "" && !wrapStops.MatchString(next) {
			if b == nil {
				b = []byte(s)
			}
			b[i] = ' '
		}
		start = i + 1
	}
	if b == nil {
		return s
	}
	return string(b)
}

// wrapStops opens a line that starts something new: a blank line, a list
// item, a quote.
var wrapStops = regexp.MustCompile(`^(?:\s*\n|\s*(?:\d{1,2}[.)]|[-*•>])\s)`)

// saidBetterBelow drops what the subject names where the body names it
// more exactly: "September session" above "please book me on the
// session on 1st September" is the 1st, which may be nobody's session,
// not any September one.
func saidBetterBelow(ps []Pattern, body int) []Pattern {
	return slices.DeleteFunc(ps, func(p Pattern) bool {
		return p.at < body && slices.ContainsFunc(ps, func(q Pattern) bool { return q.at >= body && p.vaguerThan(q) })
	})
}

// leavesIt reports whether what the clause says of p is leaving it: the
// nearest words before p in its clause that leave or come decide ("take
// me off the waiting list for 26 August and book me on 15 July": 26
// August left, 15 July come to), else any that leave in the clause.
func leavesIt(s string, p Pattern) bool {
	start := clauseStart(s, p.at)
	before := s[start:p.at]
	if refusing.MatchString(before) {
		return true // "I SAID NOT the 6th!! … put me on the 21st"
	}
	leave := max(lastMatch(cancelWords, before), lastMatch(leaveWaiting, before), lastMatch(bookedOn, before), lastMatch(takeOff, before))
	come := lastMatch(wantWords, before)
	if leave >= 0 || come >= 0 {
		return leave > come
	}
	clause := clauseAt(s, p.at)
	return cancelWords.MatchString(clause) || leaveWaiting.MatchString(clause)
}

// lastMatch is where the last match of re in s starts, or -1.
func lastMatch(re interface{ FindAllStringIndex(string, int) [][]int }, s string) int {
	all := re.FindAllStringIndex(s, -1)
	if len(all) == 0 {
		return -1
	}
	return all[len(all)-1][0]
}

// notYet speaks of booking later, on a condition: "I'd like to
// understand what it's for before I book" asks for nothing yet.
var notYet = regexp.MustCompile(`\b(before|if|when|whether|until|once|in case) (i|we) (book|come|decide|sign up)\b|\bthinking (of|about) (booking|coming)\b`)

// comingHangsOnMode reports whether coming hangs on how the session is
// held: "I can do the 15th but not if it's online". What a need asks for
// if it is ("captions would help if it's on Teams") books as asked.
func comingHangsOnMode(s string) bool {
	for _, loc := range ifOnline.FindAllStringIndex(s, -1) {
		if before := s[clauseStart(s, loc[0]):loc[0]]; !needWords.MatchString(before) && !wouldHelp.MatchString(before) {
			return true
		}
	}
	return false
}

var wouldHelp = regexp.MustCompile(`\b(would|will|might|could) (help|be (good|great|helpful|useful|handy|needed))\b`)

// ifOnline makes coming hang on whether a session is online.
var ifOnline = regexp.MustCompile(`\b(not )?(if|as long as|provided|unless) (it'?s|it is|it'?ll be|that'?s|they'?re) (online|on (teams|zoom)|in person|face to face|virtual)\b`)

// listMarkers number the lines of a list the writer made ("1. cancel the
// 22nd June", "2) book the 15th"): they choose nothing from ours. A line
// that is only a number still does.
var listMarkers = regexp.MustCompile(`(?m)^[ \t]*\d{1,2}[.)][ \t]+[a-z]`)

// hasListLine reports whether a line of s opens with a digit, as every
// list marker's does.
func hasListLine(s string) bool {
	for line := range strings.Lines(s) {
		if l := strings.TrimLeft(line, " \t"); l != "" && l[0] >= '0' && l[0] <= '9' {
			return true
		}
	}
	return false
}

// mentionsMode reports whether s speaks of how a session is held, which
// ifOnline needs.
func mentionsMode(s string) bool {
	for _, w := range []string{"online", "teams", "zoom", "person", "virtual", "face to face"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// blankMarker blanks the number of a list marker, keeping the word after.
func blankMarker(m string) string { return blank(m[:len(m)-1]) + m[len(m)-1:] }

// comingWords say the writer means to come to something: in a
// cancellation, what they name there is not what they cancel.
var comingWords = regexp.MustCompile(`\b(i'?ll|i will|we'?ll|we will|i'?d like to|we'?d like to|i would like to|hope to|want to|wish to)\s+(still\s+)?(come|attend|join|book|go)\b|\b(book|put|sign)\s+(me|us)\s+(on|in|up|down|onto)\b`)

// cancelTargets drops from a cancellation the sessions named in a sentence
// about coming to another: "Please cancel - I'm ill. I'll come to the one
// in September" cancels the booking they replied to, not September's.
func cancelTargets(s string, targets []Pattern) []Pattern {
	var out []Pattern
	for _, p := range targets {
		if sentence := sentenceAt(s, p.at); comingWords.MatchString(sentence) && !cancelWords.MatchString(sentence) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// dropPast drops what a clause only remembers or puts off: "I used to
// enjoy the afternoon groups when Ronald was alive", "since he died in
// March", "I'll have another look when we get to August". A clause that
// also books, cancels or moves keeps its targets ("I booked the 15th but
// can't come").
func dropPast(s string, targets []Pattern) []Pattern {
	if !pastWords.MatchString(s) {
		return targets
	}
	return slices.DeleteFunc(targets, func(p Pattern) bool {
		c := clauseAt(s, p.at)
		return pastWords.MatchString(c) && !bookWords.MatchString(c) && !cancelWords.MatchString(c) && !moveWords.MatchString(c)
	})
}

// pastWords say a clause tells of what was, or of when they will look
// again, not what is wanted now.
var pastWords = regexp.MustCompile(`\b(?:used to|went to|(?:was|were) (?:alive|still with us|still here|diagnosed|taken)|died|passed away|lost (?:him|her|my \w+)|had (?:a|an) \w+|last year|years ago|back in|when (?:we|i) get (?:to|nearer)|nearer the time)\b`)

// dropAsides drops "today" and "tomorrow" where they only say when
// something happened ("thanks for the chat today"): in a sentence that
// asks nothing, when another sentence names what is asked for.
func dropAsides(s string, targets []Pattern) []Pattern {
	firm := false
	for _, p := range targets {
		firm = firm || !p.aside
	}
	if !firm {
		return targets
	}
	var out []Pattern
	for _, p := range targets {
		if p.aside {
			sentence := sentenceAt(s, p.at)
			if !bookWords.MatchString(sentence) && !cancelWords.MatchString(sentence) && !moveWords.MatchString(sentence) && !dropinWords.MatchString(sentence) {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// sentenceAt is the sentence of s around byte i.
func sentenceAt(s string, i int) string {
	start := strings.LastIndexAny(s[:i], ".!?\n") + 1
	end := strings.IndexAny(s[i:], ".!?\n")
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}

// maxRead bounds the words read for a request: people ask in a few lines,
// and every rule below then costs bounded time whatever arrives.
const maxRead = 4 << 10

var moveFrom = regexp.MustCompile(`\b(from|off|change (my|the)|move (my|the)|swap (my|the)|switch (my|the))\b[^.!?;\n]*?\b(to|onto|for)\b`)

var replyPrefix = regexp.MustCompile(`^(re|fwd?|aw|wg|sv|tr|rv)\s*:`)

var (
	cancelWords = mustKeyed(`\b(cancel\w*|can'?t (make|come|attend|go|do)|cannot (make|come|attend|go|do)|can not (make|come|attend|go|do)|won'?t be (able( to (come|make|attend|go|do|join|get there|be there)|\s*[.,!;]|\s*$| after all| now| any ?more)|coming|there|attending)|unable to (come|attend|make|go)|no longer (come|coming|able|attend|need|needed|want|wanted|required)|not (be )?(coming|attending|able to come|able to make)|drop out|withdraw|call it off|decline[ds]?)\b`)
	// "change" only as a verb: "people who find change upsetting" moves
	// nobody.
	moveWords      = mustKeyed(`\b(move|switch|swap|transfer|instead|rearrange|reschedule|rebook|change (my|me|us|it|this|that|the|to|from|over|booking|date|day|session|place)|make (it|that) (the|on)|rather (go|come|do|have|attend|join|be on)|(not|wrong) (that|the) one|i meant)\b`)
	dropinWords    = mustKeyed(`\b(one[- ]to[- ]one|1[- ]to[- ]1|1:1|1-2-1|121|drop[- ]?ins?|chat with (someone|somebody|a person|a member of staff)|talk (to|with) (someone|somebody|a person|a member of staff)|speak (to|with) (someone|somebody|a person|a member of staff)|appointments?|on my own|individual(ly)?)\b`)
	listWords      = mustKeyed(`\b(what (sessions|is on|events|dates|groups|conversations|have you got|do you have)|what'?s (on|coming up|happening|available)|timetable|coming up|sessions|upcoming|schedule|programme|program|events|list of|what dates|which dates|(the )?dates|when are)\b`)
	bookWords      = mustKeyed(`\b(book|booking|reserve|sign (me|us|him|her) up|put (me|us|him|her) (back )?(down|on|in)|register|come (to|along)|attend|join|places?|a space|a spot|count (me|us) in|take part|like to come|love to come|want to come|i'?ll come|i will come|(can|could) (i|we) come|(i|we) can come|i'?ll take|i will take|take (it|that|the|this|slot|number)|want (it|that|that one|this one)|please)\b`)
	attendeeWords  = mustKeyed(`\b(attendees?|attendance|attendee list|who'?s (coming|booked|attending)|who is (coming|booked|attending)|list of (people|bookings|names)|register of)\b`)
	subscribeWords = mustKeyed(`\b(subscribe|mailing list|newsletters?|keep me (updated|informed|posted|in the loop)|(be|being) kept (updated|informed|posted|in the loop)|(add|put) (me|us|him|her|them) (to|on|onto) (your|the) (list|e-?mails|e-?mail list)|hear about future|on your list)\b`)
	// "stop" and "remove me" are only about the list when nothing else is
	// said: "stop" inside a sentence is as likely a bus stop.
	unsubscribeWords = mustKeyed(`\b(unsubscribe|take me off|no more (e-?mails|messages|newsletters)|opt (me )?out|stop (sending|emailing|e-?mailing|(the |these |your |all )?([a-z]+ ){0,2}(e-?mails|newsletters?))|remove me from (your|the) (list|mailing list|emails)|(end|cancel|stop) (my|the|our) (subscription|membership of (the|your) (list|mailing list)))\b|(?m)^(stop|remove me|unsubscribe)[.! ]*$`)
	// A yes may join someone to the list, so only a yes is one: "ok
	// thanks" under a confirmation acknowledges it.
	yesWords  = regexp.MustCompile(`^((yes|yeah|yep)([,.! ]+(please|thanks|thank you|ok|okay|yes|that'?s (fine|great|lovely)))*|ok|okay|sure|confirm|confirmed|i confirm|y|still coming|i'?m still coming|i'?ll be there|see you there)[.! ]*$`)
	noWords   = regexp.MustCompile(`^(no|nope|no thanks|no thank you|n|not coming|no sorry|sorry no)[.! ]*$`)
	helpWords = mustKeyed(`\b(help|info|information|hello|hi|what can (i|you) do|how does (this|it) work)\b`)
)

// maxSigned is the most a one-line answer and the name under it take.
const maxSigned = 120

// unsigned is text without the name someone signs a one-line yes or no
// with: "Yes please\nLily", "YES\nMrs P Hughes", "No sorry, Walter". Fresh
// keeps a name under a single line, as alone it can't tell "Mary" from
// "Thursday" or a session's title; under a bare yes or no, a word that
// names nothing to book can only be the writer's name.
func unsigned(text string, c Context) string {
	if len(text) > maxSigned {
		return text
	}
	var lines []string
	var buf [3]string
	for rest := text; rest != "" && len(lines) < len(buf); {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		if l = bare(l); l != "" {
			lines = append(buf[:len(lines)], l)
		}
	}
	var answer, name string
	switch len(lines) {
	case 2:
		answer, name = lines[0], lines[1]
	case 1:
		// On the same line it needs a stop or a comma before it, and a
		// capital: "Yes please Lily" could be anything.
		i := strings.LastIndexAny(lines[0], ".,!-")
		if i < 0 {
			return text
		}
		answer, name = lines[0][:i+1], lines[0][i+1:]
	default:
		return text
	}
	answer = strings.TrimRight(answer, ",;:- ")
	if !isName(strings.TrimSpace(name), len(lines) == 1) {
		return text
	}
	if short := strings.Join(strings.Fields(plainWords(normalise(answer), c.Titles)), " "); !yesWords.MatchString(short) && !noWords.MatchString(short) {
		return text
	}
	if r, _ := plainWritten(name).request(c); r.Action != Unknown || len(r.Targets) > 0 || r.Subscribe || r.Unsubscribe || len(r.Needs) > 0 {
		return text
	}
	return answer
}

// action picks the main thing asked. The order matters: "cancel 15 July"
// names a date but is a cancellation; "can I move to the August one" is a
// move, not a booking.
func action(s string, r *Request, c Context) Action {
	short := strings.TrimSpace(strings.Join(strings.Fields(s), " "))
	switch {
	case yesWords.MatchString(short):
		return Yes
	case noWords.MatchString(short):
		return No
	case c.IsStaff && attendeeWords.MatchString(s):
		return Attendees
	case moves(s) && len(r.Targets) > 0 && !dropinWords.MatchString(s):
		return Move
	case !strings.Contains(s, "cancel") && asksForDropin.MatchString(s) && dropinWords.MatchString(s):
		// "I'd like one of the one-to-one chats please. I can't do the
		// morning on the 24th": what they can't do is when, not a
		// booking to give up.
		return DropIn
	case cancelWords.MatchString(s):
		return Cancel
	case dropinWords.MatchString(s):
		return DropIn
	case len(r.Targets) > 0 && !slices.ContainsFunc(r.Targets, func(p Pattern) bool { return p.Place == "" }) && whatsOn.MatchString(s) && !bookWords.MatchString(s):
		// "Is anything happening near Weymouth?": what is on there.
		return List
	case len(r.Targets) > 0 && (bookWords.MatchString(s) || r.Places > 0):
		// "2 places on the memory cafe": asking for places is booking.
		return Book
	case len(r.Targets) > 0:
		return Choose
	case listWords.MatchString(s):
		return List
	case bookWords.MatchString(s) && !r.Subscribe && !r.Unsubscribe:
		// "I'd like to book a place" without saying which: show the list.
		return Book
	case helpWords.MatchString(s):
		return Help
	}
	return Unknown
}

var (
	theirAddress = regexp.MustCompile(`\bwriting (from|on|with) (my (late )?(husband|wife|partner|mum|mother|dad|father)'?s|his|her) (e-?mail|account|address)\b`)
	offTheirList = regexp.MustCompile(`\b(take|remove|cross) (him|her) (off|from) (the|your) (mailing )?(list|e-?mails)\b`)
)

// asksForDropin asks for a one-to-one, not about one booked: "I'd like one
// of the one-to-one chats", "could I have a drop-in".
var asksForDropin = regexp.MustCompile(`\b(i'?d like|i would like|could i have|can i have|may i have|could i book|can i book|i want|i'?d love|please book me|looking for)\b[^.!?\n]{0,25}\b(one[- ]to[- ]one|1[- ]to[- ]1|drop[- ]?in|chat)`)

// waitNoMore gives up waiting: "I don't need to wait for the Weymouth one
// now".
var waitNoMore = regexp.MustCompile(`\b(don'?t|do not|no longer|won'?t) need to (wait|be waiting) (for|on)\b`)

// justPlaces keeps some places: "just 1 place now", "only the one place".
var justPlaces = regexp.MustCompile(`\b(just|only)\s+(?:the\s+)?(\d{1,2}|one|two|three|four)\s+(places?|tickets?|of us|person|people)\b`)

// otherAppointment is an appointment somewhere else.
// So is another person's: "the hospital have moved Mum's appointment".
var otherAppointment = regexp.MustCompile(`\b(?:(?:mum|mam|mom|mother|dad|father|husband|wife|partner|son|daughter|brother|sister|nan|gran|grandad)'?s|his|her|their) (?:hospital |doctor'?s |new )?appointments?\b|\b(hospital|doctor'?s?|dentist'?s?|gp|clinic|hair|hairdresser'?s?|medical|eye|hearing|physio|chemo|outpatients?|scan|optician'?s?|council|hospice) appointments?\b`)

// notInstead refuses a move: "don't put me on the 29th instead".
var notInstead = regexp.MustCompile(`\b(don'?t|do not|no need to) (put|book|move|switch|transfer|sign) (me|us)\b[^.!?,;]{0,40}?\binstead\b`)

// offWhat is what a message's words of leaving leave.
type offWhat int

const (
	offList    offWhat = iota // the mailing list, as they say or as ever
	offSession                // "take me off the 29th June one": the session named next
	offUnnamed                // "please take me off": nothing named, so the email answered says
)

// takenOff reads what s leaves when all its words of leaving are "take
// me off", each followed alike: by a session it names, or by nothing
// that names the list; else the list.
func takenOff(s string, targets []Pattern) offWhat {
	what := offList
	for i, loc := range unsubscribeWords.FindAllStringIndex(s, -1) {
		if !strings.HasPrefix(s[loc[0]:], "take me off") {
			return offList
		}
		next := offUnnamed
		switch {
		case slices.ContainsFunc(targets, func(p Pattern) bool {
			return p.at >= loc[1] && p.at <= loc[1]+5 && !strings.Contains(s[loc[1]:p.at], "list")
		}):
			next = offSession
		case listNamed.MatchString(s[loc[1]:min(len(s), loc[1]+40)]):
			return offList
		}
		if i > 0 && next != what {
			return offList
		}
		what = next
	}
	return what
}

var listNamed = regexp.MustCompile(`\b(list|mailing|e-?mails?|newsletters?|everything|all)\b`)

// moves reports whether s asks to move a booking. "Make it the 21st"
// does; "I can't make it on the 15th" only cancels.
func moves(s string) bool {
	if strings.Contains(s, "make") {
		s = cantMakeIt.ReplaceAllStringFunc(s, blank)
	}
	return moveWords.MatchString(s) || makeItDate.MatchString(s)
}

var (
	cantMakeIt = regexp.MustCompile(`\b(?:can'?t|cannot|can not|won'?t|couldn'?t|wouldn'?t|not|unable to|never)(?: be able to)? make (?:it|that)\b`)
	// makeItDate is "make it the 21st" once the date is blanked out.
	makeItDate = regexp.MustCompile(`\bmake (?:it|that)\s{2,}`)
)

// splitMove separates "from A to B": patterns written before the word "to"
// (or "for") after the move verb are the booking to leave, and so are
// those in a clause that says they can't come ("I can't make the 10th but
// could I come on the 12th instead?").
func splitMove(s string, targets []Pattern) (from, to []Pattern) {
	loc := moveFrom.FindStringIndex(s)
	if loc != nil && !slices.ContainsFunc(targets, func(p Pattern) bool { return p.at >= loc[0] && p.at < loc[1] }) {
		loc = nil // "off the waiting list for 26 August": no "from A to B" here
	}
	for _, p := range targets {
		switch {
		case loc != nil && p.at >= loc[0] && p.at < loc[1]:
			from = append(from, p)
		case loc == nil && leavesIt(s, p):
			from = append(from, p)
		default:
			to = append(to, p)
		}
	}
	if len(from) == 0 && len(to) > 1 && loc == nil {
		// "Something has come up on the 15th. Can I move to 26 August
		// instead?": what the sentence that moves names is where to go;
		// what another sentence names, where from.
		var away, here []Pattern
		for _, p := range to {
			if moveWords.MatchString(sentenceAt(s, p.at)) {
				here = append(here, p)
			} else {
				away = append(away, p)
			}
		}
		if len(away) > 0 && len(here) > 0 {
			return away, here
		}
	}
	if len(to) == 0 {
		// Every session named is one they can't make: where to go
		// instead is still to ask.
		return nil, targets
	}
	return from, to
}

var (
	// takeOff leaves what follows: "take me off the 22nd June".
	takeOff = regexp.MustCompile(`\b(take|get) (me|us|him|her) off\b`)
	// bookedOn says what they hold, which a move leaves: "I'm booked on
	// the 18th but I'd rather go to the 10th".
	bookedOn     = regexp.MustCompile(`\b(?:i'?m|i am|we'?re|we are|(?:s?he|mum|dad)'?s|(?:s?he|mum|dad) is) (?:booked|down|signed up|registered) (?:on|for|in)\b|\b(?:i|we) (?:have|'ve) (?:got )?(?:a place|places|booked)\b`)
	leaveWaiting = regexp.MustCompile(`\b(take|remove|cross|strike) (me|us|my name) (off|from)\b|\b(off|leave|come off|get off) (the|your|that) waiting list\b|\b((don'?t|do not|no longer) (need|want) to be|(don'?t|do not|no longer) need a place) on (the|your|that) waiting list\b`)
	// exceptWords, before what a clause names, leave it out of "all".
	exceptWords = regexp.MustCompile(`\b(except|apart from|other than|besides|but not|excluding|not including|but keep|bar)\b`)
	firstFew    = regexp.MustCompile(`\bthe (?:first|next) (two|three|four|2|3|4) (?:sessions|ones|groups|conversations|dates)\b`)
	bookAll     = regexp.MustCompile(`\b(come to|book me (on|onto|in for|for)|sign me up (for|to)|put me (down )?(for|on)|go to|attend) (everything|all of them|all (of )?the (group )?(sessions|conversations|groups)|every (single )?(one|session)|each (one|session)|the lot)\b`)
	cancelAll   = regexp.MustCompile(`\b(all|every one|each) (of )?(my|our|the)? ?(bookings?|sessions?|places?)\b|\bcancel (everything|all|the lot)\b|\bcancel (them|these|those) (both|all)\b|\bcancel both( of them)?\b`)
	// wantWords say a clause asks to come to what it names.
	wantWords = regexp.MustCompile(`\b(i'?d|i would|we'?d|we would|i'?ll|i will) (love|like|be happy|rather|prefer)? ?(to )?(do|come|attend|join|go|try|book)\b|\b(book|put|sign) (me|us)( back)? (on|in|up|down|onto)\b|^\s*(please |and |then )?book\b|\b(would|will|'d) be (great|lovely|perfect|fine|good|ideal|brilliant|better)\b|\b(suits|works for) (me|us)\b`)
	orWords   = regexp.MustCompile(`^\s*(,\s*)?(or|either|or else)\s*$`)
)

// askToBook asks for a place in so many words, beside a question.
var askToBook = regexp.MustCompile(`\b(book (me|us|him|her|a place|places|a space|a seat|it|that|this|in|on|onto)\b|reserve|sign (me|us|him|her) up|put (me|us|him|her) (down|on)|register|count (me|us) in|(i'?d|i would|we'?d|we would) (like|love) (a place|places|to (come|book|attend|join))|(can|could|may) (i|we) (come|book|have( a place)?|join|attend|do|go to|get))\b`)

// contrasts reports whether a cancellation also asks to come to something
// in a clause of its own: one clause can't make a session, another wants
// a different one.
func contrasts(s string, targets []Pattern) bool {
	leave, come := false, false
	for _, p := range targets {
		if leavesIt(s, p) {
			leave = true
		} else if wantWords.MatchString(clauseAt(s, p.at)) {
			come = true
		}
	}
	return leave && come
}

// alternatives reports whether the targets are joined by "or": "1 or 2
// is fine" asks for one of them.
func alternatives(s string, targets []Pattern) bool {
	if len(targets) < 2 {
		return false
	}
	for i := 1; i < len(targets); i++ {
		a, b := targets[i-1], targets[i]
		if a.end > b.at || !orWords.MatchString(s[a.end:b.at]) {
			return false
		}
	}
	return true
}

var clauseEnd = regexp.MustCompile(`[.,;!?\n]|\bbut\b`)

// clauseAt is the clause of s around byte i.
func clauseAt(s string, i int) string {
	start := 0
	for _, loc := range clauseEnd.FindAllStringIndex(s[:i], -1) {
		start = loc[1]
	}
	end := len(s)
	if loc := clauseEnd.FindStringIndex(s[i:]); loc != nil {
		end = i + loc[0]
	}
	return s[start:end]
}

// normalise lowercases and straightens what keyboards and phones vary:
// curly quotes, dashes, non-breaking spaces, and the accents some put on
// "café" and others leave off.
func normalise(s string) string {
	s = strings.ToLower(s)
	// Every pattern straighten replaces but "\r" starts with a byte above
	// ASCII. Most text has neither, and the replacer would still go through
	// it byte by byte and copy it.
	if isASCII(s) && !strings.Contains(s, "\r") {
		return s
	}
	return straighten.Replace(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

var straighten = strings.NewReplacer("\u2019", "'", "\u2018", "'", "\u201c", `"`, "\u201d", `"`,
	"\u2013", "-", "\u2014", "-", "\u00a0", " ", "\r", "",
	"á", "a", "à", "a", "â", "a", "ä", "a", "é", "e", "è", "e", "ê", "e", "ë", "e", "í", "i", "ì", "i", "î", "i", "ï", "i",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "ú", "u", "ù", "u", "û", "u", "ü", "u", "ç", "c", "ñ", "n")
