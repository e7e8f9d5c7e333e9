package mailbot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
)

// bounce records what a delivery report says of mail we sent, and stops
// mail to an address that fails for good (or keeps failing). done is false
// when raw is not a delivery report.
//
// The message that bounced is found by our envelope sender, which names
// it with a signed token (VERP), or else by the Message-ID the report
// quotes, when the report also names the address it went to: otherwise a
// stranger could stop someone else's mail with a made-up report.
func (b *Bot) bounce(ctx context.Context, tx *store.Tx, m *understand.Message, raw []byte, now time.Time) (string, bool, error) {
	rep, ok := understand.ReadBounce(raw)
	if !ok {
		return "", false, nil
	}
	var outboxID int64
	var rcpt string
	var err error
	byVERP := false
	if tok, ok := strings.CutPrefix(b.plusTag(m), bounceTag); ok {
		if id, cerr := b.sign.check(purposeBounce, tok); cerr == nil {
			outboxID, byVERP = id, true
			rcpt, err = tx.OutboxRcpt(ctx, id)
		} else {
			b.log.Warn("bounce to an address with a bad token", "from", m.From, "err", cerr)
		}
	}
	if outboxID == 0 && rep.MessageID != "" {
		outboxID, rcpt, err = tx.OutboxByMessageID(ctx, rep.MessageID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound) || outboxID == 0:
		b.log.Warn("delivery report about no message of ours", "from", m.From, "message_id", rep.MessageID)
		return "recorded: delivery report about no message of ours", true, nil
	case err != nil:
		return "", true, err
	}
	failed, named := rep.Bounces[0], false
	for _, f := range rep.Bounces {
		if strings.EqualFold(f.Recipient, rcpt) {
			failed, named = f, true
			break
		}
	}
	if !byVERP && !named {
		b.log.Warn("delivery report names another address than the message went to; ignored", "rcpt", rcpt, "report_for", failed.Recipient)
		return "recorded: delivery report for another address", true, nil
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

// plusTag is the tag of the plus-address of ours that m was sent to, or
// "": our Reply-To, List-Unsubscribe and envelope addresses each carry
// one.
func (b *Bot) plusTag(m *understand.Message) string {
	for _, field := range []string{"To", "Cc", "Delivered-To", "X-Original-To"} {
		addrs, _ := m.Header.AddressList(field)
		for _, a := range addrs {
			base, _ := baseAddress(a.Address)
			local, _, _ := strings.Cut(a.Address, "@")
			if _, tag, ok := strings.Cut(local, "+"); ok && strings.EqualFold(base, b.cfg.Address) {
				return strings.ToLower(tag)
			}
		}
	}
	return ""
}
