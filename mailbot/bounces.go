package mailbot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/desk"

	"github.com/betterdays/mailbot/mailbot/address"
	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

// bounce records what a delivery report says of mail we sent, and stops
// mail to an address that fails for good (or keeps failing). done is false
// when raw is not a delivery report.
//
// A report counts only against the address of the message our envelope
// sender names, by a token signed with our key (VERP): only the servers
// that carried that message, and its recipient, have seen the token. The
// addresses and Message-ID a report quotes are the sender's to invent: a
// stranger who knows someone's address, and even a Message-ID of ours from
// mail they were shown, could otherwise stop that person's mail.
func (b *Bot) bounce(ctx context.Context, tx *store.Tx, m *understand.Message, raw []byte, now time.Time) (string, bool, error) {
	rep, ok := understand.ReadBounce(raw)
	if !ok {
		return "", false, nil
	}
	outboxID, rcpt, why, err := b.bounced(ctx, tx, m, rep)
	if outboxID == 0 || err != nil {
		return why, true, err
	}
	failed, named := rep.Bounces[0], false
	for _, f := range rep.Bounces {
		if address.Equal(f.Recipient, rcpt) {
			failed, named = f, true
			break
		}
	}
	if !named {
		// A forwarding or alias address fails further on, and the report
		// names where it was going: it is still our mail to rcpt that
		// went nowhere. Whoever else it names is no one we wrote to.
		b.log.Info("delivery report for a message to rcpt names other addresses; counted against rcpt alone", "rcpt", rcpt, "report_for", failed.Recipient)
	}
	p, err := tx.PersonByEmail(ctx, rcpt)
	if errors.Is(err, store.ErrNotFound) {
		return "recorded: delivery report for " + rcpt + ", nobody we know", true, nil
	}
	if err != nil {
		return "", true, err
	}
	suppressed, err := tx.RecordBounce(ctx, store.Bounce{
		PersonID: p.ID, OutboxID: outboxID, Status: failed.Status, Hard: failed.Hard, Diagnostic: failed.Diagnostic,
	}, b.cfg.SoftBounces, now.Add(-b.cfg.SoftBounceWindow), now)
	if err != nil {
		return "", true, err
	}
	kind := "temporary"
	if failed.Hard {
		kind = "permanent"
	}
	outcome := fmt.Sprintf("bounce: %s failure %s for %s", kind, failed.Status, rcpt)
	if suppressed {
		outcome += "; no more mail to it until they write"
		b.log.Warn("address suppressed after bounces", "rcpt", rcpt, "status", failed.Status, "diagnostic", failed.Diagnostic)
	}
	return outcome, true, nil
}

// bounced finds the message of ours a delivery report is about: the one
// its envelope sender's token names. outboxID is 0, and why says why, when
// there is none; such a report is recorded, logged and counted against
// nobody.
func (b *Bot) bounced(ctx context.Context, tx *store.Tx, m *understand.Message, rep understand.Report) (outboxID int64, rcpt, why string, err error) {
	tok, ok := strings.CutPrefix(desk.PlusTag(m, b.cfg.Address), bounceTag)
	if !ok {
		args := []any{"from", m.From, "message_id", rep.MessageID, "report_for", rep.Bounces[0].Recipient}
		// Whose mail a forged report was after, for the operator: a
		// report about a message of ours should have come back to its
		// bounce address.
		if rep.MessageID != "" {
			if _, to, err := tx.OutboxByMessageID(ctx, rep.MessageID); err == nil {
				args = append(args, "quotes_our_message_to", to)
			} else if !errors.Is(err, store.ErrNotFound) {
				return 0, "", "", err
			}
		}
		b.log.Warn("delivery report not sent to a bounce address of ours; counted against nobody", args...)
		return 0, "", "recorded: delivery report without our bounce token; counted against nobody", nil
	}
	id, err := b.sign.Check(desk.PurposeBounce, tok)
	if err != nil {
		b.log.Warn("delivery report to a bounce address with a bad token; counted against nobody", "from", m.From, "err", err)
		return 0, "", "recorded: delivery report with a bad bounce token; counted against nobody", nil
	}
	rcpt, err = tx.OutboxRcpt(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		b.log.Warn("delivery report about no message of ours", "from", m.From, "outbox_id", id)
		return 0, "", "recorded: delivery report about no message of ours", nil
	}
	if err != nil {
		return 0, "", "", err
	}
	return id, rcpt, "", nil
}
