package understand

import (
	"regexp"
	"strings"
	"time"
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
	ID     string
	Title  string
	Dropin bool
	Starts time.Time
	Ends   time.Time
}

// Context is what the words are read against. Every field but Now and TZ may
// be empty.
type Context struct {
	Now      time.Time
	TZ       *time.Location
	Titles   []string // the titles of upcoming sessions, to recognise them in free text
	Subject  string   // the message's subject: read too unless it is a reply to ours
	Offered  int      // how many items the numbered list this answers had
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
}

// Read works out what text (the person's fresh words) asks for. It never
// guesses a session: names and dates become Patterns that the caller
// matches against its timetable, and more than one match is the caller's cue
// to ask.
func Read(text string, c Context) Request {
	text = clip(text, maxRead)
	s := normalise(text)
	if subj := normalise(c.Subject); subj != "" && !replyPrefix.MatchString(subj) {
		s = subj + "\n" + s
	}
	var r Request
	r.Phone, s = findPhone(s)
	r.Needs = findNeeds(text)
	r.Places, s = findPlaces(s, c.MaxPlace)
	r.Prefs = findPrefs(s)
	var dates []Pattern
	dates, s = findDates(s, c.Now, c.TZ)
	titles := findTitles(s, c.Titles)
	numbers := findNumbers(s, c.Offered)

	r.Targets = combine(s, dates, titles)
	r.Targets = append(r.Targets, numbers...)
	r.Unsubscribe = unsubscribeWords.MatchString(s)
	r.Subscribe = !r.Unsubscribe && subscribeWords.MatchString(s)
	r.Action = action(s, text, &r, c)
	if r.Action == Move {
		r.From, r.Targets = splitMove(s, r.Targets)
	}
	return r
}

// maxRead bounds the words read for a request: people ask in a few lines,
// and every rule below then costs bounded time whatever arrives.
const maxRead = 4 << 10

var moveFrom = regexp.MustCompile(`\b(from|off)\b.*?\b(to|onto|for)\b`)

var replyPrefix = regexp.MustCompile(`^(re|fwd?|aw|wg|sv|tr|rv)\s*:`)

var (
	cancelWords    = regexp.MustCompile(`\b(cancel\w*|can'?t (make|come|attend|go)|cannot (make|come|attend|go)|can not (make|come|attend|go)|won'?t be (able|coming|there|attending)|unable to (come|attend|make|go)|no longer (come|coming|able|attend|need|want)|not (be )?(coming|attending|able to come|able to make)|drop out|withdraw|call it off|decline[ds]?)\b`)
	moveWords      = regexp.MustCompile(`\b(move|change|switch|swap|transfer|instead|rearrange|reschedule|rebook)\b`)
	dropinWords    = regexp.MustCompile(`\b(one[- ]to[- ]one|1[- ]to[- ]1|1:1|1-2-1|121|drop[- ]?ins?|chat with (someone|somebody|a person|a member of staff)|talk (to|with) (someone|somebody|a person|a member of staff)|speak (to|with) (someone|somebody|a person|a member of staff)|appointments?|on my own|individual(ly)?)\b`)
	listWords      = regexp.MustCompile(`\b(what (sessions|is on|events|dates|groups|conversations)|what'?s (on|coming up|happening|available)|timetable|coming up|sessions|upcoming|schedule|programme|program|events|list of|what dates|which dates|(the )?dates|when are)\b`)
	bookWords      = regexp.MustCompile(`\b(book|booking|reserve|sign (me|us|him|her) up|put (me|us|him|her) (down|on)|register|come (to|along)|attend|join|places?|a space|a spot|count (me|us) in|like to come|love to come|want to come|i'?ll come|i will come|(can|could) (i|we) come|(i|we) can come|i'?ll take|i will take|take (it|that|the|this|slot|number)|want (it|that|that one|this one)|please)\b`)
	attendeeWords  = regexp.MustCompile(`\b(attendees?|attendance|attendee list|who'?s (coming|booked|attending)|who is (coming|booked|attending)|list of (people|bookings|names)|register of)\b`)
	subscribeWords = regexp.MustCompile(`\b(subscribe|mailing list|newsletters?|keep me (updated|informed|posted|in the loop)|add me to (your|the) (list|emails)|hear about future|on your list)\b`)
	// "stop" and "remove me" are only about the list when nothing else is
	// said: "stop" inside a sentence is as likely a bus stop.
	unsubscribeWords = regexp.MustCompile(`\b(unsubscribe|take me off|no more (e-?mails|messages|newsletters)|opt (me )?out|stop (sending|emailing|e-?mailing|the (e-?mails|newsletters?))|remove me from (your|the) (list|mailing list|emails))\b|^(stop|remove me|unsubscribe)[.! ]*$`)
	yesWords         = regexp.MustCompile(`^(yes|yes please|yes thanks|yes thank you|yeah|yep|ok|okay|confirm|confirmed|i confirm|sure|y|still coming|i'?m still coming|i'?ll be there|see you there)[.! ]*$`)
	noWords          = regexp.MustCompile(`^(no|nope|no thanks|no thank you|n|not coming|no sorry|sorry no)[.! ]*$`)
	helpWords        = regexp.MustCompile(`\b(help|info|information|hello|hi|what can (i|you) do|how does (this|it) work)\b`)
)

// action picks the main thing asked. The order matters: "cancel 15 July"
// names a date but is a cancellation; "can I move to the August one" is a
// move, not a booking.
func action(s, raw string, r *Request, c Context) Action {
	short := strings.TrimSpace(strings.Join(strings.Fields(s), " "))
	switch {
	case yesWords.MatchString(short):
		return Yes
	case noWords.MatchString(short):
		return No
	case c.IsStaff && attendeeWords.MatchString(s):
		return Attendees
	case moveWords.MatchString(s) && len(r.Targets) > 0 && !dropinWords.MatchString(s):
		return Move
	case cancelWords.MatchString(s):
		return Cancel
	case dropinWords.MatchString(s):
		return DropIn
	case len(r.Targets) > 0 && bookWords.MatchString(s):
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

// splitMove separates "from A to B": patterns written before the word "to"
// (or "for") after the move verb are the booking to leave.
func splitMove(s string, targets []Pattern) (from, to []Pattern) {
	loc := moveFrom.FindStringIndex(s)
	if loc == nil {
		return nil, targets
	}
	for _, p := range targets {
		if p.at >= loc[0] && p.at < loc[1] {
			from = append(from, p)
		} else {
			to = append(to, p)
		}
	}
	return from, to
}

// normalise lowercases and straightens what keyboards and phones vary:
// curly quotes, dashes, non-breaking spaces.
func normalise(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("\u2019", "'", "\u2018", "'", "\u201c", `"`, "\u201d", `"`,
		"\u2013", "-", "\u2014", "-", "\u00a0", " ", "\r", "").Replace(s)
}
