package mailbot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"
	"github.com/betterdays/mailbot/mailbot/understand"

	"github.com/betterdays/mailbot/store"
)

// Delivery is one message as the inbox found it.
type Delivery struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	Received    time.Time // the server's INTERNALDATE
	Size        int64
	Raw         []byte // the whole message, or only its header when Truncated
	Truncated   bool   // larger than MaxMessageBytes: only the header was fetched
}

// Handle decides what d needs and commits it: the record of the message,
// its effects and its replies, together. It returns an error only when
// nothing could be committed, so the caller must not flag the message and
// will see it again.
func (b *Bot) Handle(ctx context.Context, d Delivery) error {
	_, err := b.HandleBatch(ctx, b.ReadAhead(ctx, []Delivery{d}))
	return err
}

// HandleBatch is Handle for several messages in a row, in one transaction:
// a backlog then costs one commit (one fsync) for the batch, not one for
// each message. Each message is still all-or-nothing, in a savepoint of
// its own. It returns how many of the batch's messages, from the first,
// were committed; an error says why the next one was not, and that none
// after it were tried.
func (b *Bot) HandleBatch(ctx context.Context, batch *Batch) (int, error) {
	ds, msgs := batch.ds, batch.msgs
	type result struct {
		outcome desk.Outcome
		replies int
	}
	var results []result
	var failed error
	err := b.store.Write(ctx, func(tx *store.Tx) error {
		for i, d := range ds {
			var r result
			err := tx.Savepoint(ctx, func() error {
				var err error
				r.outcome, r.replies, err = b.handleOne(ctx, tx, &msgs[i], d, batch.now)
				return err
			})
			if errors.Is(err, store.ErrTxBroken) {
				return err
			}
			if err != nil {
				failed = fmt.Errorf("handle message uid %d: %w", d.UID, err)
				break
			}
			results = append(results, r)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("handle messages from uid %d: %w", ds[0].UID, err)
	}
	queued := false
	for i, r := range results {
		m := msgs[i]
		log := b.log.With("uid", ds[i].UID, "msgid", m.m.Key, "from", m.m.From)
		if m.err != nil {
			log.Warn("message partly unreadable", "err", m.err)
		}
		log.Info("handled", "outcome", r.outcome.String(), "replies", r.replies)
		queued = queued || r.replies > 0
	}
	if queued && b.queued != nil {
		b.queued()
	}
	return len(results), failed
}

// handleOne records m and does what it needs in tx, unless it was handled
// before: the outcome, and how many replies it queued.
func (b *Bot) handleOne(ctx context.Context, tx *store.Tx, ra *readAhead, d Delivery, now time.Time) (desk.Outcome, int, error) {
	m := ra.m
	in := store.Inbound{
		Key: m.Key, Mailbox: d.Mailbox, UIDValidity: d.UIDValidity, UID: d.UID,
		Sender: m.From, Subject: m.Subject, Size: d.Size,
		ReceivedAt: d.Received, HandledAt: now,
	}
	seen, err := tx.Handled(ctx, in)
	if err != nil {
		return desk.Outcome{}, 0, err
	}
	if seen {
		return desk.Outcome{Did: desk.Duplicate}, 0, tx.Advance(ctx, d.Mailbox, d.UIDValidity, d.UID)
	}
	outcome, replies, err := b.decide(ctx, tx, ra, d, now, &in)
	if err != nil {
		return desk.Outcome{}, 0, err
	}
	in.Outcome = outcome.String()
	id, err := tx.RecordInbound(ctx, in)
	if err != nil {
		return desk.Outcome{}, 0, err
	}
	return outcome, len(replies), b.queue(ctx, tx, replies, id, now)
}

// queue renders replies into the outbox, with the offers they carry, in
// the caller's transaction. Mail for someone with no email address goes
// to staff to read out instead (byPhone).
func (b *Bot) queue(ctx context.Context, tx *store.Tx, replies []desk.Reply, inboundID int64, now time.Time) error {
	for _, r := range replies {
		if store.NoEmail(r.To) {
			phoned, err := b.byPhone(ctx, tx, r)
			if err != nil {
				return err
			}
			if err := b.queue(ctx, tx, phoned, inboundID, now); err != nil {
				return err
			}
			continue
		}
		if r.Offer != nil {
			r.Offer.Token = randomToken(10)
		}
		out, err := b.compose(r)
		if err != nil {
			return err
		}
		out.InboundID = inboundID
		if _, err := tx.Enqueue(ctx, out, now); err != nil {
			return err
		}
		if r.Offer != nil {
			r.Offer.MessageID = out.MessageID
			if err := tx.SaveOffer(ctx, *r.Offer, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// decide works out what a message needs and does it in tx: a short
// description of the outcome for the record, and the replies owed. It
// notes in in whether the message proved its sender.
func (b *Bot) decide(ctx context.Context, tx *store.Tx, ra *readAhead, d Delivery, now time.Time, in *store.Inbound) (desk.Outcome, []desk.Reply, error) {
	m := ra.m
	validFrom := m.From != "" && desk.ValidAddress(m.From)
	switch {
	case validFrom && b.cfg.IsOwnAddress(m.From):
		return desk.Ignored.Of("from our own address"), nil, nil
	case !validFrom, m.Automatic != "" && m.Calendar == nil && !strings.HasPrefix(desk.PlusTag(m, b.cfg.Address), desk.LeaveTag):
		// A delivery report is read whatever its From: the null sender,
		// "<MAILER-DAEMON>" and "MAILER-DAEMON <>" are what mail systems
		// write, and none is an address. A calendar's answer to our
		// invitation may be marked automatic, and still says what the
		// person chose; a message to our List-Unsubscribe address
		// unsubscribes whoever sent it.
		for _, read := range []func(context.Context, *store.Tx, *understand.Message, []byte, time.Time) (desk.Outcome, bool, error){
			b.complaint, b.bounce, b.unreadReport,
		} {
			if outcome, done, err := read(ctx, tx, m, d.Raw, now); done || err != nil {
				return outcome, nil, err
			}
		}
		if !validFrom {
			return desk.Ignored.Of("no valid sender"), nil, nil
		}
		return desk.Ignored.Of("automatic (%s)", m.Automatic), nil, nil
	}
	a, err := b.desk.Answer(ctx, tx, desk.Message{Message: m, Raw: d.Raw, Size: d.Size, Truncated: d.Truncated, Reading: ra.Reading}, now)
	in.Proven = a.Proven
	return a.Outcome, a.Replies, err
}
