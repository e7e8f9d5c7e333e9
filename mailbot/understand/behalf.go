package understand

import (
	"cmp"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// Behalf is the person a message asks us to act for, read the way staff
// write: the sender of the message they forward, or someone they name with
// an address ("Book Jane Smith <jane@example.org> on New to caring",
// "please add jane@example.org"). Whether the sender may act for anyone is
// not for this package to say: it only reads.
type Behalf struct {
	Addr string // lower case
	Name string // "" when not given
	// Note is what the sender wrote, with the person's address taken out
	// so that it reads as a request.
	Note string
	// Text is what the person wrote themselves, in a forward; "" when
	// the sender named them.
	Text string
	// Phone is the number in the signature under Text.
	Phone string
	// ForAnother: the person's own words ask for someone else ("can you
	// book one of my service users", "this is from my mum, she'd like to
	// come"): acting for them would be acting for the wrong person.
	ForAnother bool
}

// OnBehalf returns whom m asks to act for, skipping addresses for which
// skip is true (the sender's own, the bot's). The forwarded sender comes
// first: a note above a forward is about that person.
func (m *Message) OnBehalf(skip func(addr string) bool) (Behalf, bool) {
	if f := m.Forwarded; f != nil && f.From != "" && !skip(f.From) {
		w := plainWritten(clip(f.Text, maxRead))
		return Behalf{Addr: f.From, Name: f.FromName, Note: f.Note, Text: f.Text, Phone: f.Phone,
			ForAnother: w.namesSomeoneElse(nil) || speaksForAnother.MatchString(w.low)}, true
	}
	text := clip(m.Fresh, maxRead)
	for _, loc := range namedAddress.FindAllStringSubmatchIndex(text, -1) {
		addr := strings.ToLower(text[loc[4]:loc[5]])
		if skip(addr) {
			continue
		}
		b := Behalf{Addr: addr, Note: text[:loc[0]] + " " + text[loc[1]:]}
		switch {
		case loc[2] >= 0:
			b.Name = nameBefore(text[loc[2]:loc[3]])
			// The name stays in the note: "book Jane Smith on …" reads
			// as a request once the address is gone.
			b.Note = text[:loc[3]] + " " + text[loc[1]:]
		case loc[6] >= 0:
			b.Name = OneLine(text[loc[6]:loc[7]])
		}
		return b, true
	}
	return Behalf{}, false
}

// namedAddress is an address written in a sentence, with the name written
// before it in angle brackets ("Jane Smith <jane@example.org>") or after
// it in parentheses ("jane@example.org (Jane Smith)"), or neither.
var namedAddress = regexp.MustCompile(
	`(?:([^<>\n]{0,80})<\s*)?` +
		`([A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})` +
		`(?:\s*>)?(?:\s*\(([^()\n]{1,60})\))?`)

// nameBefore is the name at the end of the words before "<": the last few
// capitalised words, less any that ask for something ("Book", "Please").
func nameBefore(s string) string {
	ws := strings.Fields(strings.Trim(s, " \t,:;\"'"))
	start := len(ws)
	for start > 0 && len(ws)-start < 4 && isNameWord(ws[start-1]) {
		// "Hi, Jane Smith": a comma ends the words before the name.
		if start < len(ws) && strings.HasSuffix(ws[start-1], ",") {
			break
		}
		start--
	}
	for start < len(ws) && askingWords[strings.ToLower(strings.Trim(ws[start], `"',`))] {
		start++
	}
	return strings.Trim(strings.Join(ws[start:], " "), `"',`)
}

func isNameWord(w string) bool {
	w = strings.Trim(w, `"',`)
	if w == "" {
		return false
	}
	r := []rune(w)[0]
	return r >= 'A' && r <= 'Z' || r > 0x7f && strings.ToUpper(string(r)) == string(r)
}

// askingWords open a request, and so are not part of a name that follows
// them.
var askingWords = map[string]bool{
	"book": true, "please": true, "pls": true, "add": true, "cancel": true, "sign": true,
	"register": true, "enrol": true, "enroll": true, "put": true, "for": true, "can": true,
	"could": true, "subscribe": true, "move": true, "remove": true, "hi": true, "hello": true,
}

// ReadFor reads what a message asks for the person it is on behalf of: the
// sender's note first, and where the note names no action, or no session
// for one, the person's own words beneath it ("please sort this out for
// Mary" above Mary's "can I come on the 10th?").
func ReadFor(b Behalf, c Context) Request {
	r, _ := newWritten(b.Note, c).request(c)
	if strings.TrimSpace(b.Text) == "" {
		return r
	}
	c.Subject = ""
	own, _ := newWritten(b.Text, c).request(c)
	ownListOnly := (own.Subscribe || own.Unsubscribe) && (own.Action == Unknown || own.Action == Help)
	switch {
	case r.Action == Unknown || r.Action == Help,
		// "Can you add this lady please" above "put me on your mailing
		// list": the note's "please" asks nothing of its own.
		len(r.Targets) == 0 && ownListOnly,
		// "Could you answer Mr Okafor please?" above his "what time does
		// the independence session finish?": his question, no booking.
		r.Action == Book && len(r.Targets) == 0 && len(own.Asks) > 0 && onlyPlease(b.Note):
		own.Subscribe = own.Subscribe || r.Subscribe
		own.Unsubscribe = own.Unsubscribe || r.Unsubscribe
		// The number in their signature is theirs still.
		own.Phone = cmp.Or(own.Phone, b.Phone)
		return own
	case own.Action == DropIn && (r.Action == Book || r.Action == Choose):
		// "Book Mary onto the 12th" above her "could I have a drop-in on
		// Thursday 12 August? Mornings are best": what she asked for,
		// on the day the note names.
		r.Action, r.Prefs = DropIn, own.Prefs
		if len(r.Targets) == 0 {
			r.Targets = own.Targets
		}
	case len(r.Targets) == 0 && (r.Action == Book || r.Action == Cancel || r.Action == Move || r.Action == DropIn):
		r.Targets, r.From = own.Targets, own.From
	}
	if r.Places == 0 {
		r.Places = own.Places
	}
	if r.Phone == "" {
		r.Phone = cmp.Or(own.Phone, b.Phone)
	}
	if len(r.Needs) == 0 {
		r.Needs = own.Needs
	}
	if r.Action == DropIn && reflect.ValueOf(r.Prefs).IsZero() {
		r.Prefs = own.Prefs
	}
	r.Subscribe = r.Subscribe || own.Subscribe && !r.Unsubscribe
	return r
}

// onlyPlease reports whether the only word of booking in note is a
// "please".
func onlyPlease(note string) bool {
	return !slices.ContainsFunc(bookWords.FindAllString(strings.ToLower(note), -1), func(w string) bool { return w != "please" })
}

// namesSomeoneElse reports whether the words ask for something for
// another person without their address ("book Mary on the 12th", "cancel
// her place"): a member of staff writing so is not asking for themselves.
func (w *written) namesSomeoneElse(titles []string) bool {
	for _, m := range thirdPerson.FindAllStringSubmatch(w.text, -1) {
		if m[1] == "" || !startsTitle(m[1], titles) {
			return true
		}
	}
	return false
}

// speaksForAnother is someone passing on another's wish: "this is from my
// mum", "she'd like to come", "on behalf of my dad", "our practice nurse
// booked a place for herself … please cancel it".
var speaksForAnother = mustKeyed(`\bbooked\b[^.!?]{0,60}\bfor (herself|himself|themselves)\b|\b(this is|it'?s|message|email) from my \w+|\b(she|he|they)('d| would|'s| is| are) (like|love|keen|wanting|want) to (come|go|book|join|attend|be)\b|\bon behalf of (my|our) \w+`)

// wishesForAnother reports whether the writer passes on another
// person's wish and none of their own: "My neighbour Betty would love to
// come to the Weymouth one", "she'd like to come". "My husband and I
// would love to come", "she'd like to come, I'll bring her" and "3
// places now, my daughter wants to come as well" are their own too.
func (w *written) wishesForAnother() bool {
	if !speaksForAnother.MatchString(w.low) && !relationWishes.MatchString(w.text) && !booksRelation.MatchString(w.low) {
		return false
	}
	// "I won't be attending myself" says the wish is not theirs.
	return !ownWish.MatchString(notMine.ReplaceAllString(w.low, ""))
}

var (
	// relationWishes is a relation, perhaps named, who would like to come:
	// the name is capitalised, so "my husband and I" is not one.
	relationWishes = regexp.MustCompile(`(?i:\bmy) (?i:neighbou?r|friend|mum|mother|dad|father|aunt|auntie|uncle|nan|gran|grandma|grandad|client|sister|brother|cousin|son|daughter)(?: [A-Z][a-z]+){0,3}(?: \([^)]{0,40}\))? (?i:would|'d|wants|is keen|is hoping|has asked|asked)(?i: like| love)? ?(?i:to|if she|if he) (?i:come|go|join|attend|book|could)\b`)
	ownWish        = regexp.MustCompile(`\b(i'?d|i would|we'?d|we would|i want|we want|i'?m keen|book me|book us|me and (?:[a-hj-z]\w*|i\w+)|and me|and i(?:'d| would| want| are| both| will come| can come|\s*[,.!]|\s*$)|i'?ll come|we'?ll come|i will come|i'?ll be coming|i will be coming|i'?m coming|(come|go) with (her|him|them)|can i|could i|may i|myself|i'?ll bring|i will bring|bring (her|him|them)|with me|as well|too|places|both of us|us)\b`)
	// notMine says the writer is not coming: "I won't be attending myself".
	notMine = regexp.MustCompile(`\b(i won'?t|i will not|i'?m not|i am not|i can'?t|i cannot) (be )?(attending|coming|going|come|attend|go)( to it| along)? (myself|me)\b`)
	// booksRelation asks a place for a relation, by the relation: "could
	// you book my mother, Mrs Jean Hollis, on the 15th", "book mum on
	// the 15th".
	booksRelation = regexp.MustCompile(`\b(?:book|put|register|enrol|sign up|add)\s+(?:my |our )?(?:mum|mam|mom|mother|dad|father|nan|nana|gran|grandma|grandad|aunt|auntie|uncle|neighbou?r|friend|client|service user|resident)\b`)
)

// startsTitle reports whether words begin one of titles ("Promoting
// Independence" is a session, not a person).
func startsTitle(words string, titles []string) bool {
	for _, t := range titles {
		if len(t) >= len(words) && strings.EqualFold(t[:len(words)], words) {
			return true
		}
	}
	return false
}

// thirdPerson is a request verb followed by a pronoun or a relation
// ("book mum on the 15th", "could you book my client"), or by a capitalised
// name and the word that leads to a session ("Book Mary on …"); a title
// after the verb ("Book Memory cafe on …") has no such word after its
// first.
var thirdPerson = regexp.MustCompile(`(?i:\b(?:book|cancel|add|put|register|enrol|sign up|get)\s+(?:her|him|them|his|their|(?:one of )?(?:my |our )?(?:client|service user|mum|mam|mom|mother|dad|father|husband|wife|partner|son|daughter|friend|neighbour|brother|sister|nan|nana|gran|grandma|grandad|aunt|auntie|uncle|resident|patient|tenant)s?)\b)|\b(?i:book|cancel|add|put|register|enrol)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+(?i:on|onto|in|into|for|from|to)\b`)
