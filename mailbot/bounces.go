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
	"github.com/betterdays/mailbot/templates"
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
func (b *Bot) bounce(ctx context.Context, tx *store.Tx, m *understand.Message, raw []byte, now time.Time) (desk.Outcome, bool, error) {
	rep, ok := understand.ReadBounce(raw)
	if !ok {
		return desk.Outcome{}, false, nil
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
		return desk.Recorded.Of("delivery report for %s, nobody we know", rcpt), true, nil
	}
	if err != nil {
		return desk.Outcome{}, true, err
	}
	fault := failed.Reason.Fault()
	suppressed, err := tx.RecordBounce(ctx, store.Bounce{
		PersonID: p.ID, OutboxID: outboxID, Status: failed.Status, Reason: string(failed.Reason),
		Hard: failed.Hard, Sender: fault == understand.FaultSender, Diagnostic: failed.Diagnostic,
	}, b.cfg.SoftBounces, now.Add(-b.cfg.SoftBounceWindow), now)
	if err != nil {
		return desk.Outcome{}, true, err
	}
	kind := "temporary"
	switch {
	case fault == understand.FaultSender:
		kind = "our own"
	case failed.Hard:
		kind = "permanent"
	}
	outcome := desk.Bounce.Of("%s failure %s for %s; reason %s", kind, failed.Status, rcpt, failed.Reason)
	if suppressed {
		outcome = outcome.With("; no more mail to it until they write")
		b.log.Warn("address suppressed after bounces", "rcpt", rcpt, "status", failed.Status, "reason", failed.Reason, "diagnostic", failed.Diagnostic)
	}
	if fault == understand.FaultSender {
		outcome = outcome.With("; not counted against them")
		b.log.Warn("a receiving server refused our mail for a reason of ours", "rcpt", rcpt, "status", failed.Status, "reason", failed.Reason, "diagnostic", failed.Diagnostic)
		paused, err := b.senderFault(ctx, tx, now)
		if err != nil {
			return desk.Outcome{}, true, err
		}
		if paused {
			outcome = outcome.With("; list mail paused and staff told")
		}
	}
	return outcome, true, nil
}

// Failures of ours that pause list mail: this many people's mail refused,
// within this long, for reasons of the council's own, and at least one in
// senderFaultShare of the list mail sent meanwhile. One or two are any
// list's daily noise (a strict server here and there), and a big list
// meets more of them; a handful in a day, and a share that size, means
// the set-up or the sending IP's standing has changed (broken DMARC turns
// away every copy to Gmail), and every copy sent meanwhile is a mark
// against the council's name.
const (
	senderFaultsToPause = 5
	senderFaultShare    = 100 // 1%
	senderFaultWindow   = 24 * time.Hour
)

// pauseThreshold is how many people's mail refused for reasons of ours
// pause list mail, when sent copies of it went out in the window.
func pauseThreshold(sent int) int {
	return max(senderFaultsToPause, sent/senderFaultShare)
}

// senderFault pauses list mail when failures of ours have passed the
// threshold, and tells every staff address once, in the same transaction:
// a crash can neither pause without telling nor tell twice.
func (b *Bot) senderFault(ctx context.Context, tx *store.Tx, now time.Time) (bool, error) {
	since := now.Add(-senderFaultWindow)
	faults, people, err := tx.SenderFaultsSince(ctx, since, maxFaultsShown)
	if err != nil || people < senderFaultsToPause {
		return false, err
	}
	sent, err := tx.BulkSentSince(ctx, since)
	if err != nil || people < pauseThreshold(sent) {
		return false, err
	}
	why := fmt.Sprintf("mail to %d people refused for reasons of ours in %s, the last %s %s", people, senderFaultWindow, faults[0].Status, faults[0].Reason)
	paused, err := tx.PauseBulk(ctx, why, now)
	if err != nil || !paused {
		return false, err
	}
	b.log.Error("list mail paused: receiving servers are refusing our mail", "people", people, "reason", faults[0].Reason, "diagnostic", faults[0].Diagnostic)
	data := templates.BulkPaused{People: people, Window: "24 hours"}
	seen := map[string]bool{}
	for _, f := range faults {
		data.Said = append(data.Said, templates.Refusal{Rcpt: f.Rcpt, Said: f.Diagnostic, Reason: f.Reason})
		if part := understand.Reason(f.Reason).SetUp(); part != "" && !seen[part] {
			seen[part] = true
			data.SetUp = append(data.SetUp, part)
		}
	}
	replies := b.toAllStaff(desk.Reply{Kind: "bulk-paused", Subject: "Newsletters paused: mail servers are refusing the council's email", Data: data})
	for i := range replies {
		// A reply SEND from them, once the cause is fixed, resumes.
		id, err := tx.NotePerson(ctx, replies[i].To, "", now)
		if err != nil {
			return false, err
		}
		replies[i].Offer = &store.Offer{PersonID: id, Kind: store.OfferResume, Items: []string{}}
	}
	if len(replies) == 0 {
		b.log.Error("list mail paused, and no MAILBOT_STAFF to tell: run `mailbot newsletter resume` once the cause is fixed")
	}
	return true, b.queue(ctx, tx, replies, 0, now)
}

// maxFaultsShown is how many of the servers' refusals staff are shown.
const maxFaultsShown = 5

// unreadReport is what becomes of a message to one of our bounce
// addresses that looks like a mail system's report but says nothing
// ReadBounce can read (Mailman passes such bounces to the list owner): it
// counts as a temporary failure for the person the token names, and goes
// to staff with the original attached, at most maxUnreadPerDay a day. An
// out-of-office reply to our envelope sender (RFC 3834 tells them to use
// it) is no report, and done is false for it as for anything else.
func (b *Bot) unreadReport(ctx context.Context, tx *store.Tx, m *understand.Message, raw []byte, now time.Time) (desk.Outcome, bool, error) {
	if !strings.HasPrefix(desk.PlusTag(m, b.cfg.Address), bounceTag) || !understand.LooksLikeReport(m.Header) {
		return desk.Outcome{}, false, nil
	}
	rep := understand.Report{Bounces: []understand.Bounce{{}}}
	outboxID, rcpt, why, err := b.bounced(ctx, tx, m, rep)
	if outboxID == 0 || err != nil {
		return why, true, err
	}
	p, err := tx.PersonByEmail(ctx, rcpt)
	if errors.Is(err, store.ErrNotFound) {
		return desk.Recorded.Of("unreadable report for %s, nobody we know", rcpt), true, nil
	}
	if err != nil {
		return desk.Outcome{}, true, err
	}
	n, err := tx.UnreadSince(ctx, now.Add(-24*time.Hour))
	if err != nil {
		return desk.Outcome{}, true, err
	}
	suppressed, err := tx.RecordBounce(ctx, store.Bounce{
		PersonID: p.ID, OutboxID: outboxID, Reason: string(understand.ReasonUndefined), Diagnostic: store.UnreadDiagnostic,
	}, b.cfg.SoftBounces, now.Add(-b.cfg.SoftBounceWindow), now)
	if err != nil {
		return desk.Outcome{}, true, err
	}
	outcome := desk.Bounce.Of("unreadable report for %s; counted as a temporary failure", rcpt)
	if suppressed {
		outcome = outcome.With("; no more mail to it until they write")
	}
	b.log.Warn("a report to our bounce address could not be read; counted as temporary", "rcpt", rcpt, "from", m.From, "subject", m.Subject)
	if n >= maxUnreadPerDay || len(b.cfg.Staff) == 0 {
		return outcome.With("; not passed to staff (none, or enough today)"), true, nil
	}
	counted := fmt.Sprintf("a temporary failure (%d of them within %s stop mail to an address)", b.cfg.SoftBounces, strings.TrimPrefix(desk.TimeUntil(b.cfg.SoftBounceWindow), "in "))
	if suppressed {
		counted = "a temporary failure, the last of several: mail to them has stopped until they write"
	}
	data := templates.BounceStaff{Kind: "unread", Rcpt: rcpt, Counted: counted}
	replies := b.toAllStaff(desk.Reply{Kind: "bounce-staff", Subject: "A returned email I could not read: " + rcpt, Data: data, Original: raw})
	return outcome.With("; passed to staff"), true, b.queue(ctx, tx, replies, 0, now)
}

// toAllStaff is r addressed to every MAILBOT_STAFF address, for what staff
// must know of the mail that comes back.
func (b *Bot) toAllStaff(r desk.Reply) []desk.Reply {
	var out []desk.Reply
	for _, staff := range b.cfg.Staff {
		r.To = staff
		out = append(out, r)
	}
	return out
}

// maxUnreadPerDay is how many unreadable reports a day go to staff: a
// newsletter to a list whose reports all come in some new shape would
// otherwise bury them.
const maxUnreadPerDay = 20

// bounced finds the message of ours a delivery report is about: the one
// its envelope sender's token names. outboxID is 0, and why says why, when
// there is none; such a report is recorded, logged and counted against
// nobody.
func (b *Bot) bounced(ctx context.Context, tx *store.Tx, m *understand.Message, rep understand.Report) (outboxID int64, rcpt string, why desk.Outcome, err error) {
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
				return 0, "", desk.Outcome{}, err
			}
		}
		b.log.Warn("delivery report not sent to a bounce address of ours; counted against nobody", args...)
		return 0, "", desk.Recorded.Of("delivery report without our bounce token; counted against nobody"), nil
	}
	id, err := b.sign.Check(desk.PurposeBounce, tok)
	if err != nil {
		b.log.Warn("delivery report to a bounce address with a bad token; counted against nobody", "from", m.From, "err", err)
		return 0, "", desk.Recorded.Of("delivery report with a bad bounce token; counted against nobody"), nil
	}
	rcpt, err = tx.OutboxRcpt(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		b.log.Warn("delivery report about no message of ours", "from", m.From, "outbox_id", id)
		return 0, "", desk.Recorded.Of("delivery report about no message of ours"), nil
	}
	if err != nil {
		return 0, "", desk.Outcome{}, err
	}
	return id, rcpt, desk.Outcome{}, nil
}
