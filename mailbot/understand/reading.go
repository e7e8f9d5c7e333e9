package understand

import "strings"

// Reading is everything the bot reads in a person's words, made once per
// message by Read: what they ask, whether a person should see it, and the
// few things a YES round trip or staff must settle. The desk decides from
// this value alone; nothing downstream reads the words again.
type Reading struct {
	Request
	Handoff Handoff
	// Forget: they ask us to erase what we hold about them (UK GDPR
	// article 17); Access: for a copy of it (article 15). The bot asks
	// them to confirm either by a reply only they can send.
	Forget, Access bool
	// Courtesy: it only thanks or acknowledges ("Thanks, see you then").
	Courtesy bool
	// SomeoneElse: it asks for another person without their address
	// ("book Mary on the 12th", "cancel her place"). ForAnother: it only
	// passes on another person's wish ("my neighbour Betty would love to
	// come"), with none of the writer's own.
	SomeoneElse, ForAnother bool
	// Bereaved: their words tell of someone's death ("my wife Sheila died
	// on Friday"), for a reply that says sorry.
	Bereaved bool
	// Views: it offers views to the programme rather than asking for
	// something ("I wanted to say…"); Named: it says they may be used
	// with the writer's name.
	Views, Named bool
	// Consent answers whether views may be used: "named", "yes", "no",
	// or "" when it answers none of them.
	Consent string
}

// Read reads text (a person's fresh words) against c, once: it is
// normalised and split here, and every rule below reads that. It never
// guesses a session: names and dates become Patterns that the caller
// matches against its timetable, and more than one match is the caller's
// cue to ask.
func Read(text string, c Context) Reading {
	w := newWritten(text, c)
	req, sc := w.request(c)
	forget := w.asksToForget()
	return Reading{
		Request:     req,
		Handoff:     w.needsPerson(req, sc, c),
		Forget:      forget,
		Access:      !forget && w.asksForData(),
		Courtesy:    w.courtesy(),
		SomeoneElse: w.namesSomeoneElse(c.Titles),
		ForAnother:  w.wishesForAnother(),
		Bereaved:    bereaved.MatchString(w.low),
		Views:       w.offersViews(),
		Named:       namedConsent.MatchString(w.low),
		Consent:     w.consent(),
	}
}

// written is a person's words as every rule reads them, made once: what is
// read of them, lowercased and straightened, and again with each paragraph
// on one line.
type written struct {
	text string // as written, clipped, the name under a one-line yes or no cut: capitals tell names
	low  string // normalise(text)
	flat string // low with each paragraph on one line, single-spaced: phones wrap lines anywhere
	// subject is the subject, normalised, when it is read too: not when
	// it is a reply to ours.
	subject string
}

func newWritten(text string, c Context) *written {
	w := plainWritten(unsigned(clip(text, maxRead), c))
	if subj := normalise(c.Subject); subj != "" && !replyPrefix.MatchString(subj) {
		w.subject = subj
	}
	return w
}

// plainWritten is text as written, read without a subject.
func plainWritten(text string) *written {
	low := normalise(text)
	return &written{text: text, low: low, flat: unwrap(low)}
}

// withSubject is flat after the subject, when the subject is read.
func (w *written) withSubject() string {
	if w.subject == "" {
		return w.flat
	}
	return w.subject + ". " + w.flat
}

// blankText reports whether nothing is written.
func (w *written) blankText() bool { return strings.TrimSpace(w.low) == "" }
