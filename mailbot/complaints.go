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

// complaintRateLimit is the share of a newsletter's delivered copies
// whose complaints staff are told of: Gmail's and Yahoo's published limit
// for bulk senders is 0.3%, in thousandths here.
const complaintRateLimit = 3 // per 1000

// complaint acts on an abuse feedback report (RFC 5965): the person who
// marked our message as spam leaves the mailing list at once, without a
// word from us (mail to them now is what they complained of), and the
// evidence is kept. Their bookings are theirs: confirmations and
// reminders still go. done is false when raw is not a feedback report.
//
// As with a bounce, a report counts only for a message it proves is ours
// to that person, by a token of ours: our envelope sender, or the
// List-Unsubscribe, in the returned header or the address the report came
// to. The addresses a report names are the sender's to invent.
func (b *Bot) complaint(ctx context.Context, tx *store.Tx, m *understand.Message, raw []byte, now time.Time) (desk.Outcome, bool, error) {
	c, ok := understand.ReadComplaint(raw)
	if !ok {
		return desk.Outcome{}, false, nil
	}
	if !c.ByPerson() {
		b.log.Info("feedback report that is not a complaint", "from", m.From, "feedback_type", c.FeedbackType, "user_agent", c.UserAgent)
		return desk.Recorded.Of("feedback report (%s), not a complaint", c.FeedbackType), true, nil
	}
	personID, outboxID, err := b.complainant(ctx, tx, m, c)
	if err != nil {
		return desk.Outcome{}, true, err
	}
	if personID == 0 {
		b.log.Warn("complaint that proves no message of ours; counted against nobody", "from", m.From, "user_agent", c.UserAgent, "names", c.Recipients)
		return desk.Recorded.Of("complaint without our token; counted against nobody"), true, nil
	}
	var newsletterID int64
	if outboxID != 0 {
		if newsletterID, err = tx.OutboxNewsletter(ctx, outboxID); err != nil {
			return desk.Outcome{}, true, err
		}
	}
	left, err := tx.Leave(ctx, personID, leftByComplaint, now)
	if err != nil {
		return desk.Outcome{}, true, err
	}
	if err := tx.RecordComplaint(ctx, store.Complaint{PersonID: personID, OutboxID: outboxID, NewsletterID: newsletterID,
		FeedbackType: c.FeedbackType, Reporter: c.UserAgent, ReportID: m.MessageID}, now); err != nil {
		return desk.Outcome{}, true, err
	}
	b.log.Warn("complaint: taken off the mailing list", "person", personID, "outbox_id", outboxID, "user_agent", c.UserAgent, "was_on_list", left)
	outcome := desk.Complaint.Of("(%s) from person %d: off the mailing list", c.FeedbackType, personID)
	if newsletterID == 0 {
		return outcome, true, nil
	}
	told, err := b.complaintRate(ctx, tx, newsletterID, now)
	if told {
		outcome = outcome.With("; staff told of the newsletter's complaint rate")
	}
	return outcome, true, err
}

// leftByComplaint is how a person left the list when a complaint took
// them off it (subscriptions.left_how).
const leftByComplaint = "complaint"

// complainant is the person (and the message of ours) a complaint proves,
// or 0.
func (b *Bot) complainant(ctx context.Context, tx *store.Tx, m *understand.Message, c understand.Complaint) (personID, outboxID int64, err error) {
	tags := []string{desk.PlusTag(m, b.cfg.Address)}
	h := returnedFields(c.Returned)
	for _, field := range []string{"Return-Path", "List-Unsubscribe"} {
		for _, v := range h[field] {
			tags = append(tags, b.ourTags(v)...)
		}
	}
	for _, tag := range tags {
		if tok, ok := strings.CutPrefix(tag, bounceTag); ok {
			id, err := b.sign.Check(desk.PurposeBounce, tok)
			if err != nil {
				continue
			}
			rcpt, err := tx.OutboxRcpt(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return 0, 0, err
			}
			p, err := tx.PersonByEmail(ctx, rcpt)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return p.ID, id, err
		}
		if tok, ok := strings.CutPrefix(tag, desk.LeaveTag); ok {
			if id, err := b.sign.Check(desk.PurposeLeave, tok); err == nil {
				personID = id // the List-Unsubscribe names the person, not the message: look on for the envelope
			}
		}
	}
	return personID, 0, nil
}

// ourTags returns the tags of the plus-addresses of ours in v, a header
// field's value ("<mailto:betterdays+leave-…@…?subject=unsubscribe>,
// <https://…>").
func (b *Bot) ourTags(v string) []string {
	var tags []string
	for _, part := range strings.Split(v, ",") {
		a := strings.Trim(strings.TrimSpace(part), "<>")
		a = strings.TrimPrefix(a, "mailto:")
		a, _, _ = strings.Cut(a, "?")
		if tag, ok := address.Tag(a); ok && address.Base(a) == address.Base(b.cfg.Address) {
			tags = append(tags, tag)
		}
	}
	return tags
}

// returnedFields reads the fields of a returned message's header that may
// carry our tokens.
func returnedFields(b []byte) map[string][]string {
	h := understand.ReturnedHeader(b)
	out := map[string][]string{}
	for _, k := range []string{"Return-Path", "List-Unsubscribe"} {
		out[k] = h.Values(k)
	}
	return out
}

// complaintRate tells staff, once a newsletter, when its complaints pass
// complaintRateLimit of its delivered copies.
func (b *Bot) complaintRate(ctx context.Context, tx *store.Tx, newsletterID int64, now time.Time) (bool, error) {
	complaints, sent, err := tx.NewsletterComplaints(ctx, newsletterID)
	if err != nil || sent == 0 || complaints*1000 <= sent*complaintRateLimit {
		return false, err
	}
	first, err := tx.NoteComplaintAlert(ctx, newsletterID, now)
	if err != nil || !first {
		return false, err
	}
	n, err := tx.Newsletter(ctx, newsletterID)
	if err != nil {
		return false, err
	}
	rate := fmt.Sprintf("%.1f%%", float64(complaints)*100/float64(sent))
	b.log.Error("newsletter complaint rate above 0.3%", "newsletter", newsletterID, "complaints", complaints, "sent", sent)
	data := templates.BounceStaff{Kind: "complaints", Subject: n.Subject, Complaints: complaints, Sent: sent, Rate: rate}
	replies := b.toAllStaff(desk.Reply{Kind: "bounce-staff", Subject: "Newsletter marked as spam by " + rate + " of readers", Data: data})
	return true, b.queue(ctx, tx, replies, 0, now)
}
