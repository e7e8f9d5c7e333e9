package understand

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"
)

// A reply to a question of ours that a yes or no answers (join the list?
// erase your details? still coming?) often opens with the answer and goes
// on: "Yes please, and my wife will be coming too", "yes pls x", "Yes.
// Thank you. / Derek Bailey (Mr)", "No / Yes I know I booked it but I
// can't now". The answer is the opening words; what follows may add to it
// (places, access needs, a phone number) or qualify it ("yes - but only
// about sessions in Weymouth"), which a person should see. Only what
// takes the answer back, or asks for something else by name, makes the
// message read as a whole again.

// leadingAnswer is the yes or no s (normalised) opens with, the words
// after it and its courtesies, and whether it opens with one at all.
func leadingAnswer(s string) (a Action, rest string, explicit, ok bool) {
	i := 0
	word := func() string {
		for i < len(s) && !isWordByte(s[i]) {
			i++
		}
		start := i
		for i < len(s) && isWordByte(s[i]) {
			i++
		}
		return s[start:i]
	}
	switch w := word(); w {
	case "yes", "yeah", "yep", "yup", "yes's":
		a, explicit = Yes, w != "yeah"
	case "no", "nope":
		a = No
	default:
		return Unknown, "", false, false
	}
	// "No problem" and "no worries" acknowledge: they answer nothing.
	for {
		at := i
		w := word()
		if a == No && noAcknowledges[w] {
			return Unknown, "", false, false
		}
		if !answerCourtesy[w] {
			i = at
			break
		}
	}
	return a, strings.TrimLeft(s[i:], " \t\n,.;:!-–—"), explicit, true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '\'' || c >= 0x80
}

// noAcknowledges follow a "no" that answers nothing: "no problem", "no
// worries"; or that is part of what follows: "no longer needed", "no
// more emails", "no need", "no one".
var noAcknowledges = map[string]bool{"problem": true, "problems": true, "worries": true, "bother": true, "matter": true,
	"longer": true, "more": true, "need": true, "one": true, "idea": true, "doubt": true}

// answerCourtesy are the words that soften a yes or no and add nothing.
var answerCourtesy = map[string]bool{
	"please": true, "pls": true, "plz": true, "thanks": true, "thank": true, "you": true, "thankyou": true,
	"ta": true, "thx": true, "cheers": true, "sorry": true, "x": true, "xx": true, "xxx": true,
	"ok": true, "okay": true, "indeed": true, "definitely": true, "certainly": true, "of": true, "course": true,
	"i": true, "do": true, "would": true, "dear": true, "love": true, "very": true, "much": true,
}

// qualifies opens words that make a yes or no conditional: for a person
// to read, not for the bot to settle.
var qualifies = regexp.MustCompile(`^(but|only|as long as|so long as|provided|if|unless|except|although|though|however)\b`)

// answered reads text as the answer its opening words give, when the rest
// is consistent with it: the answer, with whatever the rest adds.
func answered(s string, c Context) (Request, scan, bool) {
	if n, ok := bareNumber(s); ok {
		// Our confirmation says "to change the number of places, reply
		// with the number you need".
		return Request{Action: Choose, Places: min(n, cmp.Or(c.MaxPlace, 10))}, scan{}, true
	}
	a, rest, explicit, ok := leadingAnswer(s)
	if !ok {
		return Request{}, scan{}, false
	}
	c.Question, c.Subject = false, ""
	r, sc := plainWritten(rest).request(c)
	switch {
	case qualifies.MatchString(rest) && (a == Yes || r.Action == Unknown || r.Action == Help):
		// "Yes - but only about Weymouth" qualifies a yes; "No, but
		// I'd like the walk instead" asks for something else.
		r = Request{Qualified: true}
	case len(r.Targets) > 0, r.Unsubscribe && a == Yes:
		return Request{}, scan{}, false // asks for something by name: read it all
	case a == Yes && (r.Action == Cancel || r.Action == No || r.Action == Move),
		a == No && (r.Action == Yes || r.Action == Book || r.Action == Move):
		return Request{}, scan{}, false // takes the answer back
	case a == No && r.Action == Cancel:
		// "No. I won't be coming now", to a confirmation that also
		// offered the list: not the list, the place.
		return Request{}, scan{}, false
	}
	r.Action, r.Targets, r.From, r.AnyOf, r.All = a, nil, nil, false, false
	r.Explicit = explicit
	return r, sc, true
}

// bareNumber is a reply that is only a small number ("2", "3 places"),
// before any signature.
func bareNumber(s string) (int, bool) {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	m := bareNumberLine.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil || strings.TrimSpace(s) != strings.TrimSpace(line) && !isName(strings.TrimSpace(s[len(line)+1:]), false) {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil && n >= 1
}

var bareNumberLine = regexp.MustCompile(`^(\d{1,2})(\s*(places?|people|of us))?(\s*(please|pls|thanks|thank you))?[.! x]*$`)
