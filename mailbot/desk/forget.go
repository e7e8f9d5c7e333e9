package desk

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// A person may ask by email for their details to be erased (UK GDPR
// article 17). The bot asks them to confirm with a reply, and only their
// own reply to that question, citing it, erases them: a stranger can
// write in their name, but never sees the question. The erasure and the
// one message saying it is done commit together; that message keeps
// their address only until it has gone (see migration 0005).

// forget answers a request to erase the writer's details (r.read.Forget: text, with
// the subject, asks for it; see understand.AsksToForget), or their reply to
// our question about it. done is false when the message is about something
// else, and is read as usual.
func (t *turn) forget(text string, r Reading) (outcome Outcome, done bool, err error) {
	if t.m.Forwarded != nil {
		return Outcome{}, false, nil // a forward is about someone else
	}
	// FindOffer never guesses a request to confirm erasure: this one was
	// cited by the person's own reply.
	if t.offer != nil && t.offer.Kind == store.OfferForget {
		switch {
		case r.read.Action == understand.Yes && (r.read.Qualified || r.read.Handoff.Why == understand.AQuestion):
			return t.unsureToForget(r.read.Handoff)
		case r.read.Action == understand.Yes:
			return t.erase()
		case r.read.Action == understand.No:
			return t.keep()
		}
		if r.read.Forget { // "yes, delete my data"
			return t.erase()
		}
		// Anything else erases nothing, and is read as a new request.
	}
	if !r.read.Forget {
		return Outcome{}, false, nil
	}
	return t.askToForget(text, r.read.Request)
}

// askToForget asks the writer to confirm that their details should be
// erased, saying what that means for their bookings. Asked to leave the
// mailing list too, they leave it at once.
func (t *turn) askToForget(text string, r understand.Request) (Outcome, bool, error) {
	left := false
	if r.Unsubscribe {
		var err error
		if left, err = t.tx.Leave(t.ctx, t.person, LeftByEmail, t.now); err != nil {
			return Outcome{}, true, err
		}
	}
	asked, err := t.tx.AskedToForgetSince(t.ctx, t.person, t.now.Add(-24*time.Hour))
	if err != nil {
		return Outcome{}, true, err
	}
	if asked {
		t.d.env.Log.Info("asked to erase their details, and a request to confirm went in the last day; not sending another", "from", t.m.From)
		return NotAnswered.Of("asked to erase their details, and a request to confirm went today%s", leftNote(left)), true, nil
	}
	booked, waiting, err := t.comingUp()
	if err != nil {
		return Outcome{}, true, err
	}
	rep := t.answer("forget", templates.Forget{Name: t.greeting(), Stage: templates.StageAsk, Booked: booked, Waiting: waiting, LeftList: left})
	rep.Subject = ReplySubject(t.m.Subject, "Better Days: deleting your details")
	rep.Offer = &store.Offer{PersonID: t.person, Kind: store.OfferForget, Items: []string{}}
	return Replied.Of("asked to confirm erasing their details%s", leftNote(left)), true, nil
}

func leftNote(left bool) string {
	if left {
		return " (left the list)"
	}
	return ""
}

// unsureToForget answers a yes with a condition or a question ("Yes -
// but does that mean I lose my place? If so then no"): erasing can't be
// undone, so only a plain yes erases. Nothing is, staff get the question,
// and ours stays open for a plain yes later.
func (t *turn) unsureToForget(h understand.Handoff) (Outcome, bool, error) {
	booked, _, err := t.comingUp()
	if err != nil {
		return Outcome{}, true, err
	}
	t.answer("forget", templates.Forget{Name: t.greeting(), Stage: templates.StageUnsure, Booked: booked})
	if len(t.d.env.Staff) == 0 {
		return Replied.Of("their answer about erasing was not a plain yes; nothing erased"), true, nil
	}
	h.Why = understand.AQuestion
	t.handOver(h)
	return Replied.Of("their answer about erasing was not a plain yes; nothing erased, passed to staff"), true, nil
}

// keep answers a no: nothing is erased, and the question is closed.
func (t *turn) keep() (Outcome, bool, error) {
	if err := t.tx.DropOffer(t.ctx, t.offer.ID); err != nil {
		return Outcome{}, true, err
	}
	t.answer("forget", templates.Forget{Name: t.greeting(), Stage: templates.StageKept})
	return Replied.Of("kept their details (said no to erasing them)"), true, nil
}

// erase erases the writer's details and queues the one message that says
// so. Their places to come stay booked, without them.
func (t *turn) erase() (Outcome, bool, error) {
	booked, _, err := t.comingUp()
	if err != nil {
		return Outcome{}, true, err
	}
	name := t.greeting()
	e, err := Forget(t.ctx, t.tx, t.m.From, t.now)
	if err != nil {
		return Outcome{}, true, err
	}
	// The template's name is the outbox kind the database watches for:
	// once this has gone, its address goes too.
	t.answer("forgotten", templates.Forget{Name: name, Booked: booked})
	t.d.env.Log.Info("details erased at their request", "bookings_kept", e.Kept, "waiting_given_up", e.Waiting)
	return Replied.Of("erased their details at their request (%d bookings kept without them)", e.Kept), true, nil
}

// greeting is the first name to greet them by: the one this message
// gives, else the one we know them by. A bare "YES" carries none.
func (t *turn) greeting() string {
	if t.ans.Name != "" {
		return t.ans.Name
	}
	p, err := t.tx.PersonByEmail(t.ctx, t.m.From)
	if err != nil {
		return ""
	}
	return FirstName(p.Name)
}

// comingUp is the writer's places to come and waiting lists, as the
// messages about erasing describe them: without phone or access needs.
func (t *turn) comingUp() (booked, waiting []templates.Event, err error) {
	live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
	for _, b := range live {
		e := t.event(b)
		e.Phone, e.Needs = "", nil
		if b.Status == store.Confirmed {
			booked = append(booked, e)
		} else {
			waiting = append(waiting, e)
		}
	}
	return booked, waiting, err
}

// Forget erases the person at email in tx, finding what names them by
// their address and the full name we knew them by.
func Forget(ctx context.Context, tx *store.Tx, email string, now time.Time) (store.Erased, error) {
	var name string
	switch p, err := tx.PersonByEmail(ctx, email); {
	case err == nil:
		name = p.Name
	case !errors.Is(err, store.ErrNotFound):
		return store.Erased{}, err
	}
	return tx.Forget(ctx, email, mentioning(email, name), now)
}

// mentioning says whether a text names the person with email or name: a
// subject as stored, or a whole message as we sent it, read as its
// recipient would (quoted-printable may break an address across lines,
// and a name may be encoded in a header). A first name alone is too
// common to go by; a full name is not.
func mentioning(email, name string) func([]byte) bool {
	needles := []string{strings.ToLower(email)}
	if n := strings.ToLower(understand.OneLine(name)); strings.Contains(n, " ") && !strings.Contains(n, "@") {
		needles = append(needles, n)
	}
	has := func(s string) bool {
		s = strings.ToLower(s)
		for _, n := range needles {
			if strings.Contains(s, n) {
				return true
			}
		}
		return false
	}
	return func(b []byte) bool {
		if has(string(b)) {
			return true
		}
		m, _ := understand.Parse(b) // what cannot be read was looked for in the bytes
		if has(m.Subject) || has(m.Text) {
			return true
		}
		to, _ := m.Header.AddressList("To")
		for _, a := range to {
			if has(a.Name) {
				return true
			}
		}
		return false
	}
}
