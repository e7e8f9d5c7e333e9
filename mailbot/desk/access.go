package desk

import (
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// A person may ask by email what we hold about them (UK GDPR article 15).
// As with erasure, the bot asks them to confirm with a reply: a stranger
// can write in their name, but never sees the question, and the copy goes
// only to the address it is about, attached to the one message that
// answers their own cited YES.

// accessFile is the name of the attached copy.
const accessFile = "better-days-your-data.json"

// access answers a request for a copy of what we hold (r.read.Access), or the
// person's reply to our question about it. done is false for anything
// else.
func (t *turn) access(r Reading) (outcome Outcome, done bool, err error) {
	if t.m.Forwarded != nil {
		return Outcome{}, false, nil // a forward is about someone else
	}
	if t.offer != nil && t.offer.Kind == store.OfferAccess {
		switch {
		case t.now.Sub(t.offer.Created) > ProveFor && (r.read.Action == understand.Yes || r.read.Action == understand.No):
			t.answer("access", templates.Access{Name: t.ans.Name, Stage: templates.StageExpired})
			return Replied.Of("their answer came after the question about their data lapsed"), true, t.tx.DropOffer(t.ctx, t.offer.ID)
		case r.read.Action == understand.Yes:
			return t.sendCopy()
		case r.read.Action == understand.No:
			t.answer("access", templates.Access{Name: t.ans.Name, Stage: templates.StageKept})
			return Replied.Of("sent no copy of their data (said no)"), true, t.tx.DropOffer(t.ctx, t.offer.ID)
		}
	}
	if !r.read.Access {
		return Outcome{}, false, nil
	}
	rep := t.answer("access", templates.Access{Name: t.ans.Name, Stage: templates.StageAsk})
	rep.Subject = ReplySubject(t.m.Subject, "Better Days: the information we hold about you")
	rep.Offer = &store.Offer{PersonID: t.person, Kind: store.OfferAccess, Items: []string{}}
	return Replied.Of("asked to confirm sending a copy of their data"), true, nil
}

// sendCopy sends the person, at their own address, the copy of
// everything held about them.
func (t *turn) sendCopy() (Outcome, bool, error) {
	if err := t.tx.DropOffer(t.ctx, t.offer.ID); err != nil {
		return Outcome{}, true, err
	}
	data, err := t.d.env.Access.Export(t.ctx, t.tx, t.m.From, t.now)
	if err != nil {
		return Outcome{}, true, err
	}
	rep := t.answer("access", templates.Access{Name: t.ans.Name, Stage: templates.StageDone})
	rep.Subject = ReplySubject(t.m.Subject, "Better Days: the information we hold about you")
	rep.Files = []File{{Name: accessFile, ContentType: "application/json", Data: data}}
	t.d.env.Log.Info("sent a copy of their data at their request", "bytes", len(data))
	return Replied.Of("sent a copy of their data at their request"), true, nil
}
