package understand

import (
	"regexp"
	"slices"
	"strings"
)

// Handoff says why a message needs a person rather than (or as well as)
// the bot, or is empty when the bot can answer it alone.
type Handoff struct {
	// Urgent holds the words that suggest danger or distress, as found.
	// Such a message always goes to staff, whatever else it asks.
	Urgent []string
	// Why is the reason other than urgency; NoReason when the bot
	// understood it all.
	Why HandoffReason
}

// HandoffReason is why a message needs a person, besides urgent words.
type HandoffReason int

// Reasons. String gives the few words the record and the log use.
const (
	NoReason       HandoffReason = iota
	NotUnderstood                // the bot can't tell what they would like
	AQuestion                    // they ask something the bot can't answer
	AComplaint                   // it reads like a complaint
	APerson                      // they ask to talk to a person ("speak to someone")
	NoSlotSuits                  // they asked for a one-to-one, and no free time suits
	ForSomeoneElse               // a stranger asks for another person, whom only staff may act for
	Unproven                     // it is from a staff address that our servers do not prove
	GroupBooking                 // more places than one email may book: a group, for a person to arrange
)

func (r HandoffReason) String() string {
	switch r {
	case NotUnderstood:
		return "not understood"
	case AQuestion:
		return "a question"
	case AComplaint:
		return "a complaint"
	case APerson:
		return "asked for a person"
	case NoSlotSuits:
		return "no one-to-one time suits"
	case ForSomeoneElse:
		return "asks for someone else"
	case GroupBooking:
		return "a group booking"
	case Unproven:
		return "from a staff address, unproven"
	}
	return ""
}

// Needed reports whether staff should see the message.
func (h Handoff) Needed() bool { return len(h.Urgent) > 0 || h.Why != NoReason }

// String is the reason in a few words, for logs and records.
func (h Handoff) String() string {
	var why []string
	if len(h.Urgent) > 0 {
		why = append(why, "urgent: "+strings.Join(h.Urgent, ", "))
	}
	if h.Why != NoReason {
		why = append(why, h.Why.String())
	}
	return strings.Join(why, "; ")
}

// needsPerson says, from what request made of the words, whether a
// person should see them. It errs towards a person: a bot that answers a
// worried carer with its help text has failed them.
func (w *written) needsPerson(r Request, sc scan, c Context) Handoff {
	h := Handoff{Urgent: w.urgent()}
	switch {
	case complaintWords.MatchString(w.low):
		h.Why = AComplaint
	case r.Qualified:
		h.Why = AQuestion
	case askForPerson.MatchString(w.low):
		h.Why = APerson
	case r.Action == Unknown && !r.Subscribe && !r.Unsubscribe && !w.blankText() && !w.courtesy() &&
		// "Can I bring my mum?", to our confirmation: the places are
		// what it asks.
		!(c.Question && r.Places > 0),
		r.Action == Help && greetingOnly(w.low):
		// "Hi", and nothing more: the help text goes back, but a
		// person should see it too, in case something was lost.
		h.Why = NotUnderstood
	case r.Action != Attendees && sc.asksMore(c):
		// "Hello, is there parking?" reads as a greeting, and "book me
		// on Tuesday, is there a bus?" as a booking: the question is
		// what they want answered too.
		h.Why = AQuestion
	}
	return h
}

// asksMore reports whether the body holds a question the bot cannot
// answer: one that asks for nothing the bot does, or, outside a reply to
// a numbered list, one that names a session without asking for a place
// ("is there step-free access to the Tuesday session?"). Each question is
// read as a request of its own, from the words and sessions the whole
// reading found in it.
func (sc scan) asksMore(c Context) bool {
	for i, q := range sc.questions {
		words := sc.s[q[0]:q[1]]
		if q[0] < sc.body || sc.asking[i] || helpQuestion.MatchString(words) || len(meaningful(words)) < 2 {
			// The help text answers how to use the bot, and the
			// timetable what it says: neither needs a person.
			continue
		}
		r := Request{Unsubscribe: unsubscribeWords.MatchString(words)}
		r.Subscribe = !r.Unsubscribe && subscribeWords.MatchString(words)
		for _, p := range sc.refs {
			if p.at >= q[0] && p.at < q[1] {
				r.Targets = append(r.Targets, p)
			}
		}
		r.Action = action(words, &r, c)
		switch {
		case r.Subscribe || r.Unsubscribe:
		case c.Question && (r.Action == Unknown || r.Action == Help) && givesPlaces(words, c.MaxPlace):
			// "Can I bring my mum?", to our confirmation: the places
			// answer it.
		case r.Action == Unknown, r.Action == Help:
			return true
		case r.Action == Choose && c.Offered == 0 && !askToBook.MatchString(words):
			// "Is there step-free access to the Tuesday session?" names
			// one and asks something else; "can I do the good day one?"
			// asks for a place.
			return true
		case r.Action == List && !whatsOn.MatchString(words):
			// "Are the sessions free?" names sessions but asks
			// something else of them.
			return true
		}
	}
	return false
}

// questions are the spans of s that ask something:
// each sentence that does, and each clause of it that opens a question of
// its own ("yes I'd like to come, is there a bus?", "is the Weymouth one
// wheelchair accessible, and what time does it start?").
func questions(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		start, stop := i, endOfSentence(s, i)
		i = stop
		for start < stop && isSpace(rune(s[start])) {
			start++
		}
		sentence := s[start:stop]
		if t := strings.TrimRight(sentence, " \t\n"); !strings.HasSuffix(t, "?") && (!questionStart.MatchString(sentence) || whatWouldMake.MatchString(sentence)) {
			continue
		}
		out = append(out, [2]int{start, stop})
		cuts := clauseCut.FindAllStringIndex(sentence, -1)
		if len(cuts) == 0 {
			continue
		}
		// Each clause from its start to the next cut, the first too when
		// a later one asks: "is it accessible" is a question of its own.
		at := []int{0}
		for _, c := range cuts {
			at = append(at, c[1])
		}
		for j, c0 := range at {
			c1 := len(sentence)
			if j+1 < len(at) {
				c1 = cuts[j][0]
			}
			if clause := sentence[c0:c1]; (j > 0 || len(at) > 1) && questionStart.MatchString(clause) && c1-c0 < len(sentence) {
				out = append(out, [2]int{start + c0, start + c1})
			}
		}
	}
	return out
}

// whatWouldMake opens a statement, not a question, in the words the
// programme asks its views with: "What would make her days better is a
// proper job".
var whatWouldMake = regexp.MustCompile(`^what (would|will|could|might) (make|help)\b`)

// clauseCut ends a clause of a sentence: a comma or semicolon, or an
// "and", "but" or "or" that opens another question.
var clauseCut = regexp.MustCompile(`\s*[,;]\s*(?:(?:and|but|or|also|plus)\s+)?|\s+(?:and|but|or)\s+(?:also\s+)?`)

// endOfSentence is where the sentence of s from i ends: after its stop,
// question or exclamation mark, or line. A full stop between digits is a
// time or a date ("the 11.20 bus", "10.8.27"), not an end.
func endOfSentence(s string, i int) int {
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '.':
			if j > 0 && j+1 < len(s) && isDigit(s[j-1]) && isDigit(s[j+1]) {
				continue
			}
			return j + 1
		case '!', '?', '\n':
			return j + 1
		}
	}
	return len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// meaningful is the words of s that say something: not greetings.
func meaningful(s string) []string {
	var out []string
	for _, w := range words(s) {
		if len(w) > 2 && !greetings[w] {
			out = append(out, w)
		}
	}
	return out
}

var greetings = map[string]bool{"hello": true, "hiya": true, "hey": true, "anyone": true,
	"anybody": true, "dear": true, "good": true, "morning": true, "afternoon": true, "evening": true}

// courtesy reports whether the words only thank or acknowledge ("Thanks,
// see you then", "Cheers Jo"): nothing to do, and nothing to answer, or
// two polite people would write to each other for ever.
func (w *written) courtesy() bool {
	ws := words(w.low)
	if len(ws) > 12 && len(ws) <= 40 {
		return onlyThanks(w.low)
	}
	if len(ws) == 0 || len(ws) > 12 {
		return false
	}
	n := 0
	for _, w := range ws {
		if courtesyWords[w] {
			n++
		}
	}
	return n > 0 && n >= len(ws)-2 // a name or two besides
}

// greetingOnly reports whether s only greets: "Hi", "Hello Dora", over
// nothing but a phone's footer.
func greetingOnly(s string) bool {
	greets, other := 0, 0
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "sent from") {
			continue
		}
		for _, w := range words(line) {
			if greetingWords[w] {
				greets++
			} else {
				other++
			}
		}
	}
	return greets > 0 && other <= 2 // a name or two besides
}

var greetingWords = map[string]bool{"hi": true, "hello": true, "hiya": true, "hey": true, "dear": true, "good": true,
	"morning": true, "afternoon": true, "evening": true, "there": true, "all": true, "team": true}

// onlyThanks reports whether every sentence of s thanks or praises, and
// none asks: "Just wanted to say thank you for organising all this, it's
// lovely to be asked for once."
func onlyThanks(s string) bool {
	if strings.Contains(s, "?") || !strings.Contains(s, "thank") {
		return false
	}
	for i := 0; i < len(s); {
		end := endOfSentence(s, i)
		if sentence := strings.TrimSpace(s[i:end]); sentence != "" && !praise.MatchString(sentence) {
			return false
		}
		i = end
	}
	return true
}

var praise = regexp.MustCompile(`\b(thanks?|thank you|thankyou|lovely|wonderful|brilliant|fantastic|great|kind|grateful|appreciate[ds]?|enjoyed|pleasure|cheers|helped|helpful|(feel|feeling) (a lot |much |so much )?better|glad|pleased)\b|^[a-z]+,?$`)

var courtesyWords = map[string]bool{
	"thanks": true, "thank": true, "you": true, "thankyou": true, "cheers": true, "ta": true, "ok": true,
	"okay": true, "great": true, "lovely": true, "brilliant": true, "perfect": true, "wonderful": true,
	"fab": true, "fantastic": true, "noted": true, "done": true, "will": true, "do": true, "got": true,
	"it": true, "received": true, "see": true, "then": true, "there": true, "soon": true, "bye": true,
	"goodbye": true, "regards": true, "kind": true, "best": true, "wishes": true, "many": true,
	"much": true, "appreciated": true, "very": true, "so": true, "x": true, "xx": true, "xxx": true,
	"that's": true, "that": true, "all": true, "fine": true, "good": true, "super": true, "again": true,
}

// explicitYes is a plain yes. Joining the mailing list from a booking
// confirmation needs one: "ok" there acknowledges the booking, and
// consent must be clear (UK GDPR article 4(11)).
var explicitYes = regexp.MustCompile(`^(yes|yeah|yep|yup|i confirm|confirm|confirmed)(,? (please|pls|thanks|thank you|ta|thx|that'?s fine|that is fine))*$`)

// Urgent returns the words in text that suggest someone may be at risk,
// each once, in the order written: for mail that is read for nothing
// else (a forward's words, a message past the reply limit).
func Urgent(text string) []string { return plainWritten(clip(text, maxRead)).urgent() }

// urgent returns the words that suggest someone may be at risk, each
// once, in the order written.
func (w *written) urgent() []string {
	s := w.flat
	found := urgentWords.FindAllStringIndex(s, 8)
	if slices.ContainsFunc(urgentKeys, func(k string) bool { return strings.Contains(s, k) }) {
		found = append(found, urgentVeiled.FindAllStringIndex(s, 8)...)
		slices.SortFunc(found, func(a, b []int) int { return a[0] - b[0] })
	}
	if len(found) == 0 {
		return nil
	}
	near := urgentNearMiss.FindAllStringIndex(s, -1)
	var out []string
	for _, loc := range found {
		if slices.ContainsFunc(near, func(n []int) bool { return n[0] <= loc[0] && loc[1] <= n[1] }) {
			continue
		}
		if w := strings.TrimRight(s[loc[0]:loc[1]], ".!?,; \t"); !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// urgentVeiled are more of the ways risk is said, each holding one of
// urgentKeys, so that the scan, costly for a long alternation, is made
// only of words that hold one (the big urgentWords is read always).
var urgentVeiled = regexp.MustCompile(`\b(` + strings.Join([]string{
	// Kept in, kept from help, shouted at: how someone with a learning
	// disability may say what is done to them.
	`(they|he|she|staff|carers?|and) (lock|locks|locked|keep locking) (me in|me out|my (bed ?room |room |bedroom )?door)`,
	`(i'?m|i am|we'?re|we are) (not|never) (allowed|aloud|let) (to )?(use the phone|go out|leave|see (my|anyone)|phone|ring|talk to)`,
	`(shout|shouts|shouted|shouting|yell|yells|yelled|scream|screams|screamed|swear|swears) at me`,
	`(everyone|everybody|(the|my) (family|kids|children)|they'?d all|they would all|people)( would| will|'d)? (manage|cope|get on|get by|be (fine|ok|okay|better))( fine| ok| okay| better| perfectly well)? without me`,
	`(put|putting|got|getting|sorted|sorting) (my|all my) affairs in order`, `(written|writing|wrote) (my )?(goodbye|farewell) (letters?|notes?)`,
	`(don'?t|do not|can'?t|cannot) (really )?see (the|any) point (of|in) (anything|living|life|going on|carrying on|it all)`,
	`not that i (really |can |much )?see (the|any|much) point (of|in) (anything|living|life|going on|carrying on|it all)`,
	// Not being here, said in passing: "nobody would even notice I'd
	// gone", "yes if I'm still here by then", "I won't be needing any of
	// it after this week", "I've written letters for the kids".
	`(nobody|no one|no-one) would (even )?(notice|care)`,
	`if (i'?m|i am) still (here|around|alive)`,
	`(won'?t|will not|shan'?t) be needing (any of )?(it|this|them|anything|these)( any ?more)? (after|beyond|past)`,
	`(written|writing|wrote|left) (some |the )?letters (for|to) (the kids|the children|my (kids|children|family|son|daughter|sons|daughters))`,
	// Tablets gathered: "got all of his tablets and mine out and lined
	// them up".
	`(tablets|pills|meds|medication)\b[^.!?]{0,40}\b(lined|laid|counted|set) (them |it |all )?(up|out)`,
	`(lined|laid|counted) (up|out) (my |all my |all the |the |his |her )?(tablets|pills|meds|medication)`,
	// Someone alone not seen, for a neighbour to report.
	`(haven'?t|have not|hasn'?t|has not) (been )?seen (her|him|them) (for|in) (\w+ )?(days|a week|weeks)`,
	`curtains (are |have been )?(still )?(shut|closed|drawn)`, `milk (is |was )?(still )?on the (door)?step`,
	// Money taken or kept from them.
	`(has|have|keeps?|took|takes) (got )?my (bank ?card|cards|pension|benefits|purse)`,
	`ask (her|him|them) for my own money`,
}, "|") + `)\b`)

// urgentKeys: every match of urgentVeiled holds one (TestUrgentKeys).
var urgentKeys = []string{"lock", "allowed", "aloud", " let ", " at me", "without me", "affairs", "goodbye", "farewell", "point",
	"body would", "one would", "still here", "still around", "still alive", "needing", "letters", "tablets", "pills", "meds",
	"medication", "seen her", "seen him", "seen them", "curtains", "milk",
	"card", "pension", "benefits", "purse", "own money"}

// urgentNearMiss are ways of speaking that hold an urgent word and say
// nothing of harm: "I'd kill for a day off", "desperate for a break". An
// urgent word inside one is not read as urgent; anything else in the
// message still is.
var urgentNearMiss = regexp.MustCompile(`\b((can'?t|cannot|can not|unable to|struggles? to) get up (from|out of|off) (a |the )?low (seats?|chairs?|sofas?|settees?|benches)|(i'?d|i would|i could) kill for|(an |had an |had a bit of an )?overdose of (teams|zoom|meetings|video calls|calls|emails|screens?|telly|tv|chocolate|cake|sugar|information|paperwork|forms)|desperate (for|to) (it|this|that|one|a (break|day off|rest|holiday|change|cuppa)|some (time|rest|peace|company)|come|go|book|get (there|out|away)|see|meet|join))\b`)

// unwrap puts each paragraph of s on one line, single spaced: phones and
// mail clients break lines anywhere, "how much longer I can\ngo on" too.
func unwrap(s string) string {
	paras := strings.Split(s, "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n")
}

// Excerpt is at most n bytes of s, cut at a character boundary: enough of
// someone's words to quote.
func Excerpt(s string, n int) string { return clip(s, n) }

// urgentWords suggest someone may be at risk. A false alarm costs a member
// of staff a minute; a missed one could cost a life, so they are read for
// what people mean, not only for the words a form would use: few write
// "suicidal", many write "I don't know how much longer I can go on". What
// keeps the near misses out is the words around: "I can't go on Tuesday"
// and "what's the point of the form" say nothing of harm.
var urgentWords = mustKeyed(`(?m)\b(` + strings.Join([]string{
	`emergency`, `urgent(ly)?`, `hurt(ing)?`, `injur(ed|y)`, `unsafe`, `not safe`, `(don'?t|do not|never) feel safe`,
	`danger(ous)?`, `suicid(e|al)`, `kill(ing)? (my|him|her)self`, `self[- ]harm(ing)?`, `harm(ing)? (my|him|her)self`,
	`abus(e|ed|ive)`, `police`, `ambulance`, `999`, `overdose`, `safeguarding`, `neglect(ed)?`, `crisis`, `desperate`,
	// Violence and fear at home.
	`hit me`, `hits me`, `hitting me`, `beat(s|ing)? me up`, `beating me`, `scared`, `frightened`, `afraid`, `terrified`,
	`threaten(ed|ing)?`,
	// Not coping, in the words people use.
	`can'?t cope`, `cannot cope`, `can not cope`, `not coping`, `end of my tether`, `breaking point`,
	`(can'?t|cannot|can not) take (it|this) any ?more`, `(can'?t|cannot|can not) take (any|much) more`,
	`(can'?t|cannot|can not) (go on|carry on|keep going) (like this|any ?more|any longer|much longer|living|with (it|this|life))`,
	`how (much )?long(er)? (i|we) can (go on|carry on|keep going|cope|take (it|this)|keep this up|manage)`,
	`(can'?t|cannot|can not|(don'?t|do not) know how to|struggling to) keep (myself|him|her|them|mum|dad|my \w+) safe`,
	`(not sure|(don'?t|do not) know if|(don'?t|do not) think) (i|we) can (go on|carry on|keep going|cope)`,
	// Harm now: a fall, someone left without care, a person who
	// controls another's money or life.
	`(i'?ve|i have|he'?s|she'?s|he has|she has|mum'?s|dad'?s) (just )?fallen`, `had a fall`,
	`(can'?t|cannot|can not) get (up|out of (bed|(my|his|her|the) chair))`, `(can'?t|cannot|can not) breathe`,
	`carers? (haven'?t|have not|hasn'?t|has not|didn'?t|did not) (turned up|come|shown up|arrived|been)`,
	`no food`, `(hasn'?t|has not|haven'?t|have not) eaten`, `left (alone|on (his|her|their) own) (all|for)`,
	`takes? (all )?my money`, `taking (all )?my money`, `controls? (all )?my money`,
	`(won'?t|will not|doesn'?t|does not) let me (see|go|leave|out|speak|talk)`,
	`(please )?help me,? please`, `please help me`, `(nobody|no one|no-one) (listens|cares)`,
	// Wishing not to be alive, said without the word.
	`end (my life|it all)`, `ending it( all)?`, `(to|i'?ll|i will|could|should|might|just) end it`, `end(ing)? things`,
	`tak(e|ing) my (own )?life`, `want(ed)? to die`, `wish (i was|i were|i'?d been) dead`, `rather be dead`,
	`better off (dead|without me)`, `(don'?t|do not) want to (be here|live|be alive|wake up|go on living)`,
	`not (want|wanting) to (be here|live|be alive)`, `no point (in )?(living|going on|carrying on|trying any ?more)`,
	`no point any ?more`, `no point to (it|any of it|anything|life)`, `what'?s the point (of|in) (living|going on|carrying on|anything|it all)`,
	`no reason to (live|go on|carry on)`, `nothing (really |much )?matters( any ?more)?`, `nothing (left )?to live for`, `tired of (living|life)`, `give up on life`,
	`(nobody|no one|no-one) would miss me`, `not be here (for )?much longer`, `goodbye forever`,
	`(won'?t|will not) be (here|around) (by then|much longer|for (much )?longer|for long)`,
	`(if|wish) i (just )?(wasn'?t|was not|weren'?t|were not) (here|around|alive)`,
	`(easier|better) for (everyone|everybody|them all|them|all of them|the family) if i( just)?( (wasn'?t|was not|weren'?t|were not)( here| around)?| (was|were) gone| died)?`,
	`(go to )?sleep and (not|never) wake up`,
	`(saving|saved|stockpil\w*|hoard\w*) (up )?(my |all my |some )?(tablets|pills|medication|meds)`,
	`if (anything|something) (happens|happened|were to happen) to me`, `when i'?m (gone|not here)`,
}, "|") + `)\b` +
	// "I can't go on." ends there; "I can't go on Tuesday" is about a
	// session.
	`|\b(can'?t|cannot|can not) (go on|carry on|keep going)\s*([.!?,;]|$)`)

// whatsOn asks what the timetable holds, which the list answers.
var whatsOn = regexp.MustCompile(`\b(what|which) (sessions|events|dates|groups|conversations)\b|\bwhat (have you got|do you have)\b|\banything (happening|on|going on|running)\b|\b(anything|any sessions?|something) (near|in|around|at) \w+|\bwhat'?s (on|coming up|happening|available)\b|\bwhat is (on|coming up|happening|available)\b|\bwhen are\b|\b(timetable|upcoming|coming up|schedule|programme|program)\b|\blist of\b|\bany (more )?(sessions|events|dates)\b`)

var (
	complaintWords = mustKeyed(`\b(complain(t|ts|ing)?|disappointed|unacceptable|appalling|disgusted|disgraceful|rude|not happy|unhappy with|formal concern|shambles|a joke|not good enough|(this|it'?s|that'?s) (is )?ridiculous|so frustrating|a waste of (my )?time|(i|we) expect(ed)? better|let (me|us) down|nobody (answered|replied|got back)|no one (answered|replied|got back))\b`)
	// A question opens with its word, after a greeting if any: "hello
	// what time does the Weymouth one finish".
	questionStart = regexp.MustCompile(`^((hello|hi|hiya|hey|hi there|hello there|good (morning|afternoon|evening))[ ,!]+|(and|also|but|oh and|plus),? )?(is|are|can|could|do|does|will|would|where|when|why|how|who|which|what|should|may)\b`)
	// helpQuestion asks how to use the bot, which its help text answers.
	helpQuestion = regexp.MustCompile(`\b(what can (i|you) do|how does (this|it) work|how do i (use|book|join|cancel)|can you help)\b`)
)

// bereaved are the words that tell of a death.
var bereaved = mustKeyed(`\b(died|passed away|passed on|lost (my|our) (wife|husband|mum|mother|dad|father|son|daughter|partner|brother|sister|boy|girl)|funeral|bereaved|bereavement|widowed)\b`)
