package mailbot

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

// Ways of leaving and joining, as the subscription records them.
const (
	leftByEmail    = "email"
	leftByMailto   = "List-Unsubscribe address"
	leftByLink     = "one-click link"
	consentReply   = "reply"
	consentLink    = "link"
	consentBooking = "reply to booking confirmation"
)

// leaveTag starts the plus-address tag of our List-Unsubscribe mailto:
// a message to it unsubscribes the person its token names, whatever it
// says (RFC 2369).
const leaveTag = "leave-"

// leaveByAddress handles a message to a List-Unsubscribe address. It
// returns false when the token is not ours, and the message is read like
// any other.
func (t *turn) leaveByAddress() (bool, error) {
	tok, ok := strings.CutPrefix(t.b.plusTag(t.m), leaveTag)
	if !ok {
		return false, nil
	}
	id, err := t.b.sign.check(purposeLeave, tok)
	if err != nil {
		t.b.log.Warn("List-Unsubscribe address with a bad token", "from", t.m.From, "err", err)
		return false, nil
	}
	// The token, not the From, says who leaves: people unsubscribe from
	// whichever address their mail program picks.
	if id != t.person {
		p, err := t.b.store.Person(t.ctx, id)
		if err != nil {
			return false, err
		}
		t.person, t.m = p.ID, &understand.Message{From: p.Email, FromName: p.Name, Subject: t.m.Subject, MessageID: t.m.MessageID}
		t.ans.Name = firstName(p.Name)
	}
	t.ans.Asked = "to leave our mailing list"
	return true, t.leave(leftByMailto)
}

// leave takes the person off the list at once. It cancels no booking, and
// the answer says so.
func (t *turn) leave(how string) error {
	was, err := t.tx.Leave(t.ctx, t.person, how, t.now)
	if err != nil {
		return err
	}
	if !was {
		t.ans.List = "not-on"
		return nil
	}
	t.ans.List = "left"
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
		t.ans.List = "already"
		return true, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	if err := t.tx.AskToJoin(t.ctx, t.person, t.source(), t.now); err != nil {
		return false, err
	}
	if !sub.RequestSentAt.IsZero() && t.now.Sub(sub.RequestSentAt) < 24*time.Hour {
		t.b.log.Info("request to join already sent in the last day; not sending another", "to", t.m.From)
		return false, nil
	}
	t.ans.List = "confirm"
	t.ans.ConfirmURL = t.b.link("join", t.b.sign.make(purposeConfirm, t.person, t.b.cfg.ConfirmWithin))
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
		return t.join("booking", consentBooking)
	}
	return t.join("", consentReply)
}

// join confirms the person's place on the list. A request to join they
// made keeps its source; otherwise source says how they came.
func (t *turn) join(source, how string) error {
	sub, err := t.tx.Subscription(t.ctx, t.person)
	switch {
	case err == nil && sub.Status == store.Confirmed:
		t.ans.List = "already"
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
	t.ans.List = "joined"
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
		t.ans.List = "offer"
		return nil
	}
	return err
}

// listAnswer is whether a yes or no answers the list: a request to
// confirm, or a confirmation that offered it.
func (t *turn) listAnswer() bool {
	return t.offer != nil && (t.offer.Kind == store.OfferJoin || t.offer.JoinList)
}

// link is the public address of one of our web pages.
func (b *Bot) link(page, token string) string {
	return strings.TrimSuffix(b.cfg.BaseURL.String(), "/") + "/list/" + page + "/" + token
}

// bounceTag starts the plus-address tag of our envelope senders (VERP): a
// bounce comes back to an address that names the message that bounced.
const bounceTag = "bounce-"

// LeaveByLink takes the person a one-click link names off the list
// (RFC 8058), and sends one short confirmation. It returns their address.
func (b *Bot) LeaveByLink(ctx context.Context, token string) (string, error) {
	return b.byLink(ctx, purposeLeave, token, func(t *turn) error { return t.leave(leftByLink) })
}

// JoinByLink confirms the request to join that a link names.
func (b *Bot) JoinByLink(ctx context.Context, token string) (string, error) {
	return b.byLink(ctx, purposeConfirm, token, func(t *turn) error {
		sub, err := t.tx.Subscription(t.ctx, t.person)
		if err != nil {
			return err
		}
		if sub.Status == store.Unsubscribed {
			// They left after asking: an old link must not undo that.
			return errExpiredToken
		}
		return t.join(sub.Source, consentLink)
	})
}

// LinkOwner is the address of the person a link names, for the page that
// asks them to press its button.
func (b *Bot) LinkOwner(ctx context.Context, purpose byte, token string) (string, error) {
	id, err := b.sign.check(purpose, token)
	if err != nil {
		return "", err
	}
	p, err := b.store.Person(ctx, id)
	return p.Email, err
}

// byLink does what a link's button asks, as a turn with no message, and
// sends the answer only when something changed.
func (b *Bot) byLink(ctx context.Context, purpose byte, token string, do func(*turn) error) (string, error) {
	id, err := b.sign.check(purpose, token)
	if err != nil {
		return "", err
	}
	p, err := b.store.Person(ctx, id)
	if err != nil {
		return "", err
	}
	now := b.clock.Now()
	var queued bool
	err = b.store.Write(ctx, func(tx *store.Tx) error {
		t := &turn{b: b, ctx: ctx, tx: tx, now: now, person: p.ID,
			m: &understand.Message{From: p.Email, FromName: p.Name}}
		t.ans.Name = firstName(p.Name)
		if err := do(t); err != nil {
			return err
		}
		if len(t.did) == 0 {
			return nil
		}
		r := t.answer("answer", t.ans)
		r.subject = "Better Days mailing list"
		queued = true
		return b.queue(ctx, tx, t.replies, 0, now)
	})
	if err == nil {
		b.log.Info("list link used", "to", p.Email, "purpose", string(purpose), "changed", queued)
		if queued && b.queued != nil {
			b.queued()
		}
	}
	return p.Email, err
}

// LapseRequests ends requests to join that were not confirmed within
// MAILBOT_CONFIRM_WITHIN: such an address gets nothing more.
func (b *Bot) LapseRequests(ctx context.Context) error {
	now := b.clock.Now()
	return b.store.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.LapsePending(ctx, now.Add(-b.cfg.ConfirmWithin), now)
		if n > 0 {
			b.log.Info("requests to join lapsed unconfirmed", "count", n)
		}
		return err
	})
}
