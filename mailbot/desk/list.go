package desk

import (
	"errors"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// Ways of leaving and joining, as the subscription records them.
const (
	LeftByEmail    = "email"
	LeftByMailto   = "List-Unsubscribe address"
	LeftByLink     = "one-click link"
	ConsentReply   = "reply"
	ConsentLink    = "link"
	ConsentBooking = "reply to booking confirmation"
)

// leaveTag starts the plus-address tag of our List-Unsubscribe mailto:
// a message to it unsubscribes the person its token names, whatever it
// says (RFC 2369).
const leaveTag = "leave-"

// leaveByAddress handles a message to a List-Unsubscribe address. It
// returns false when the token is not ours, and the message is read like
// any other.
func (t *turn) leaveByAddress() (bool, error) {
	tok, ok := strings.CutPrefix(PlusTag(t.m, t.d.env.Address), leaveTag)
	if !ok {
		return false, nil
	}
	id, err := t.d.env.Links.Check(PurposeLeave, tok)
	if err != nil {
		t.d.env.Log.Warn("List-Unsubscribe address with a bad token", "from", t.m.From, "err", err)
		return false, nil
	}
	// The token, not the From, says who leaves: people unsubscribe from
	// whichever address their mail program picks.
	if id != t.person {
		p, err := t.tx.Person(t.ctx, id)
		if err != nil {
			return false, err
		}
		t.person, t.m = p.ID, &understand.Message{From: p.Email, FromName: p.Name, Subject: t.m.Subject, MessageID: t.m.MessageID}
		t.ans.Name = FirstName(p.Name)
	}
	t.ans.Asked = "to leave our mailing list"
	return true, t.leave(LeftByMailto)
}

// leave takes the person off the list at once. It cancels no booking, and
// the answer says so.
func (t *turn) leave(how string) error {
	was, err := t.tx.Leave(t.ctx, t.person, how, t.now)
	if err != nil {
		return err
	}
	if !was {
		t.ans.List = templates.ListNotOn
		return nil
	}
	t.ans.List = templates.ListLeft
	t.note("left the list")
	live, err := t.tx.LiveBookings(t.ctx, t.person, t.now)
	t.ans.HasBookings = len(live) > 0
	return err
}

// askToJoin records a request to join and asks the person to confirm it:
// a stranger may have written from their address. It returns false when
// a request already went to them today and nothing else needs saying, so
// the bot cannot be made to flood an inbox with requests.
func (t *turn) askToJoin() (bool, error) {
	sub, err := t.tx.Subscription(t.ctx, t.person)
	switch {
	case err == nil && sub.Status == store.Confirmed:
		t.ans.List = templates.ListAlready
		return true, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	if err := t.tx.AskToJoin(t.ctx, t.person, t.source(), t.now); err != nil {
		return false, err
	}
	if !sub.RequestSentAt.IsZero() && t.now.Sub(sub.RequestSentAt) < 24*time.Hour {
		t.d.env.Log.Info("request to join already sent in the last day; not sending another", "to", t.m.From)
		return false, nil
	}
	t.ans.List = templates.ListConfirm
	t.ans.ConfirmURL = t.d.env.Links.URL("join", t.d.env.Links.Token(PurposeConfirm, t.person, t.d.env.ConfirmWithin))
	t.note("asked to confirm joining the list")
	return true, t.tx.NoteRequestSent(t.ctx, t.person, t.now)
}

// joinByReply is a yes to a message that asked them to confirm joining, or
// that offered the list: their reply to a message only they were sent is
// the proof it is them.
func (t *turn) joinByReply() error {
	t.risk("join our mailing list", nil)
	_, err := t.tx.Subscription(t.ctx, t.person)
	if errors.Is(err, store.ErrNotFound) {
		return t.join("booking", ConsentBooking)
	}
	return t.join("", ConsentReply)
}

// join confirms the person's place on the list. A request to join they
// made keeps its source; otherwise source says how they came.
func (t *turn) join(source, how string) error {
	sub, err := t.tx.Subscription(t.ctx, t.person)
	switch {
	case err == nil && sub.Status == store.Confirmed:
		t.ans.List = templates.ListAlready
		return nil
	case err == nil:
		source = sub.Source
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	evidence := t.m.MessageID
	if evidence == "" {
		evidence = t.m.Key
	}
	t.ans.List = templates.ListJoined
	t.note("joined the list")
	return t.tx.Confirm(t.ctx, t.person, source, how, evidence, t.now)
}

// offerList adds the list's offer to a booking confirmation, for someone
// who has never been asked: a "yes" to it joins them.
func (t *turn) offerList() error {
	if t.ans.List != "" || len(t.ans.Booked)+len(t.ans.Waiting) == 0 {
		return nil
	}
	_, err := t.tx.Subscription(t.ctx, t.person)
	if errors.Is(err, store.ErrNotFound) {
		t.ans.List = templates.ListOffer
		return nil
	}
	return err
}

// listAnswer is whether a yes or no answers the list: a request to
// confirm, or a confirmation that offered it.
func (t *turn) listAnswer() bool {
	return t.offer != nil && (t.offer.Kind == store.OfferJoin || t.offer.JoinList)
}

// confirmByLink confirms the request to join that a link names.
func (t *turn) confirmByLink() error {
	sub, err := t.tx.Subscription(t.ctx, t.person)
	if err != nil {
		return err
	}
	if sub.Status == store.Unsubscribed {
		// They left after asking: an old link must not undo that.
		return ErrExpiredToken
	}
	return t.join(sub.Source, ConsentLink)
}
