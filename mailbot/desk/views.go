package desk

import (
	"strings"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// The conversation goes on outside the sessions: a person's views are
// thanked and kept as a contribution, with their consent for the
// programme to use them, asked once.

// maxContribution bounds what is kept of one message's views.
const maxContribution = 8 << 10

// offersViews is whether the message offers views rather than asking for
// something, so is kept as a contribution instead of going to staff as a
// message not understood: view words ("I wanted to say", "what would make
// my days better is"), and no request the bot can do. A day named in the
// views ("somewhere to go on a Saturday") is no booking unless a list was
// offered, or it asks to book a session there is; a question is one only
// with its question mark.
func (t *turn) offersViews(h understand.Handoff, listed bool, upcoming []store.SessionPlaces) bool {
	switch {
	case listed, t.staff, t.by != nil, len(h.Urgent) > 0:
		return false
	case t.req.Action == understand.Choose:
		// A session's words among views ("my good day") are no choice
		// when no list was offered to choose from.
		if t.offer != nil {
			return false
		}
	case t.req.Action == understand.Book:
		if t.offer != nil || t.namesASession(upcoming) {
			return false
		}
	case t.req.Action != understand.Unknown && t.req.Action != understand.Help:
		// A "Hello" above views reads as asking for help; nothing else
		// the bot does is.
		return false
	case h.Why == understand.AComplaint, h.Why == understand.APerson:
		return false
	case h.Why == understand.AQuestion && strings.Contains(t.text, "?"):
		return false
	}
	return t.read.Views
}

// namesASession is whether any session the request names is one coming up.
func (t *turn) namesASession(upcoming []store.SessionPlaces) bool {
	for _, p := range t.req.Targets {
		if len(t.resolve(p, upcoming)) > 0 {
			return true
		}
	}
	return false
}

// views keeps the person's words as a contribution and thanks them. The
// thank-you asks whether the programme may use them (a reply YES, NAME
// ME or NO), unless they answered before, when that answer holds, or a
// question is open already.
func (t *turn) views() (Outcome, error) {
	var given store.Consent
	if t.read.Named {
		given = store.ConsentNamed
	}
	consent, ask, err := t.tx.AddContribution(t.ctx, t.person, understand.Excerpt(t.text, maxContribution), given, t.now)
	if err != nil {
		return Outcome{}, err
	}
	r := t.answer("thanks", templates.Thanks{Name: t.ans.Name, Ask: ask, Consent: string(consent)})
	r.Subject = ReplySubject(t.m.Subject, "Better Days: thank you")
	if ask {
		r.Offer = &store.Offer{PersonID: t.person, Kind: store.OfferViews, Items: []string{}}
	}
	return Replied.Of("thanked for a contribution (consent %s)", consent), nil
}

// consent reads a reply to a thank-you: YES, NAME ME or NO, for every
// contribution of theirs not yet answered. Anything else is read as any
// other message.
func (t *turn) consent() (Outcome, bool, error) {
	c := t.read.Consent
	if c == "" {
		return Outcome{}, false, nil
	}
	n, err := t.tx.AnswerConsent(t.ctx, t.person, store.Consent(c))
	if err != nil {
		return Outcome{}, false, err
	}
	t.answer("thanks", templates.Thanks{Name: t.ans.Name, Answered: c})
	return Replied.Of("consent %s for %s contributions", c, idString(int64(n))), true, nil
}
