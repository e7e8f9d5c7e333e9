package desk

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Anyone can write any From. What would give up or take places in a
// person's name (a cancel, a move, several places, a slot taken by
// guessing which list a bare "2" answers) or join them to the list is
// done at once only when the message proves it is theirs (see Proof).
// Otherwise the turn is run and rolled back, and the person is asked by
// email, at their own address, whether it was them: their YES, citing
// that question, runs the same words again and commits what they do, if
// it is no more than the question said. A forger never sees the
// question, so can do no more than make the person read it.

// ProveFor is how long a question whether a message was theirs stays
// open: a week covers a person who reads mail weekly, and the timetable
// moves on.
const ProveFor = 7 * 24 * time.Hour

// errNeedsProof rolls back a turn that did what its message can't prove
// it may ask for.
var errNeedsProof = errors.New("needs proof of the sender")

// risk notes something the turn did that needs proof of the sender: do,
// to the session of e when there is one.
func (t *turn) risk(do string, e *templates.Event) {
	r := templates.Risk{Do: do}
	if e != nil {
		r.Title, r.When = e.Title, e.When
	}
	t.risks = append(t.risks, r)
}

// riskKeys are risks as an offer keeps them, and riskOf reads one back.
func riskKeys(risks []templates.Risk) []string {
	keys := make([]string, len(risks))
	for i, r := range risks {
		keys[i] = r.Do + "\n" + r.Title + "\n" + r.When
	}
	return keys
}

func riskOf(key string) templates.Risk {
	do, rest, _ := strings.Cut(key, "\n")
	title, when, _ := strings.Cut(rest, "\n")
	return templates.Risk{Do: do, Title: title, When: when}
}

func risksOf(keys []string) []templates.Risk {
	risks := make([]templates.Risk, len(keys))
	for i, k := range keys {
		risks[i] = riskOf(k)
	}
	return risks
}

// needsProof reports whether what t did waits for the person's own YES.
func (t *turn) needsProof() bool {
	return len(t.risks) > 0 && t.proof == Unproven && !t.staff && t.by == nil
}

// guarded runs t in a savepoint of its own and keeps what it did only if
// the message may ask for it: the outcome, and whether it was kept.
func (t *turn) guarded() (Outcome, bool, error) {
	var outcome Outcome
	err := t.tx.Savepoint(t.ctx, func() error {
		var err error
		if outcome, err = t.run(); err != nil {
			return err
		}
		if t.needsProof() {
			return errNeedsProof
		}
		return nil
	})
	switch {
	case errors.Is(err, errNeedsProof):
		return Outcome{}, false, nil
	case err != nil:
		return Outcome{}, false, err
	}
	return outcome, true, nil
}

// askProof asks the person whether the message dry, rolled back, was
// theirs, saying what it would do. Had it to go to staff, it still
// does: a question or words of risk don't wait for anyone's YES.
func (d *Desk) askProof(dry *turn) (Outcome, []Reply) {
	t := &turn{d: d, ctx: dry.ctx, tx: dry.tx, m: dry.m, now: dry.now, person: dry.person, raw: dry.raw}
	t.ans.Name = dry.ans.Name
	o := &store.Offer{PersonID: t.person, Kind: store.OfferProve, Items: riskKeys(dry.risks),
		Words: dry.text, Subject: dry.m.Subject}
	if dry.offer != nil {
		o.Parent = dry.offer.ID
	}
	h := dry.handed
	data := templates.Prove{Name: t.ans.Name, Stage: templates.StageAsk, Risks: dry.risks,
		PassedOn: h != nil, Urgent: h != nil && len(h.Urgent) > 0}
	r := t.answer("prove", data)
	r.Subject = ReplySubject(t.m.Subject, "Better Days: please confirm")
	r.Offer = o
	var did []string
	for _, r := range dry.risks {
		did = append(did, strings.TrimSpace(r.Do+" "+r.Title))
	}
	outcome := Replied.Of("asked to confirm by reply (unproven: %s)", strings.Join(did, "; "))
	if h != nil {
		did := "Nothing proves the email is from them, so before doing what it asks I asked them to reply YES to: " +
			joinAnd(did) + ". I told them a member of the team will reply."
		t.replies = append(t.replies, d.handoffs(t.m, t.raw, templates.Handoff{Urgent: h.Urgent, Summary: handoffSummary(*h), Did: did, Phone: t.phone()})...)
		outcome = outcome.passedOn(*h)
	}
	return outcome, t.replies
}

// proven answers the person's reply to our question whether a message
// was theirs. YES runs that message's words again, as theirs: what they
// do is kept when it is no more than the question said, else they are
// asked again about what it would do now. NO closes the question. done is
// false for anything else, which is read as a new message.
func (t *turn) proven(act understand.Action) (Outcome, bool, error) {
	q := *t.offer
	switch {
	case act != understand.Yes && act != understand.No:
		return Outcome{}, false, nil
	case t.now.Sub(q.Created) > ProveFor:
		t.answer("prove", templates.Prove{Name: t.ans.Name, Stage: templates.StageExpired, Risks: risksOf(q.Items)})
		return Replied.Of("their yes or no came after the question lapsed"), true, t.tx.DropOffer(t.ctx, q.ID)
	case act == understand.No:
		t.answer("prove", templates.Prove{Name: t.ans.Name, Stage: templates.StageKept, Risks: risksOf(q.Items)})
		return Replied.Of("said the message was not theirs; nothing done"), true, t.tx.DropOffer(t.ctx, q.ID)
	}
	if err := t.tx.DropOffer(t.ctx, q.ID); err != nil {
		return Outcome{}, true, err
	}
	m := *t.m
	m.Fresh, m.Text, m.Subject, m.Forwarded, m.Calendar = q.Words, q.Words, q.Subject, nil, nil
	again := &turn{d: t.d, ctx: t.ctx, tx: t.tx, m: &m, now: t.now, person: t.person, raw: t.raw,
		proof: Cited, given: true}
	again.ans.Name = t.ans.Name
	if q.Parent != 0 {
		switch p, err := t.tx.OfferByID(t.ctx, q.Parent, t.person); {
		case err == nil:
			again.offer = &p
		case !errors.Is(err, store.ErrNotFound):
			return Outcome{}, true, err
		}
	}
	var outcome Outcome
	err := t.tx.Savepoint(t.ctx, func() error {
		var err error
		if outcome, err = again.run(); err != nil {
			return err
		}
		for _, r := range riskKeys(again.risks) {
			if !slices.Contains(q.Items, r) {
				return errNeedsProof
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errNeedsProof):
		// The timetable or their bookings changed since: ask about what
		// it would do now, which their YES to this proves again.
		again.proof = Unproven
		outcome, replies := t.d.askProof(again)
		t.replies = append(t.replies, replies...)
		return outcome.With(" again: it would do otherwise now"), true, nil
	case err != nil:
		return Outcome{}, true, err
	}
	t.replies = append(t.replies, again.replies...)
	return outcome.With(" (confirmed by their Reply)"), true, nil
}
