package desk

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/betterdays/mailbot/mailbot/understand"
	"github.com/betterdays/mailbot/store"
	"github.com/betterdays/mailbot/templates"
)

// newsletter handles a member of staff's newsletter by email: a message
// whose subject starts "Newsletter:" gets a preview, and a reply SEND to
// the preview sends it. done is false for any other message.
func (t *turn) newsletter(text string, isStaff bool) (Outcome, bool, error) {
	if t.offer != nil && t.offer.Kind == store.OfferNewsletter {
		return t.sendNewsletter(text, isStaff)
	}
	subject, ok := cutPrefixFold(understand.OneLine(t.m.Subject), "newsletter:")
	if !ok || !isStaff {
		if ok {
			t.d.env.Log.Warn("newsletter from an address not proven to be staff; read as an ordinary message", "from", t.m.From)
		}
		return Outcome{}, false, nil
	}
	body := t.m.Fresh
	if strings.TrimSpace(body) == "" {
		body = t.m.Text
	}
	n, err := t.d.env.Newsletters.Draft(t.ctx, t.tx, strings.TrimSpace(subject), body, t.m.From)
	if err != nil {
		return Outcome{}, true, err
	}
	count, err := t.tx.CountConfirmed(t.ctx)
	if err != nil {
		return Outcome{}, true, err
	}
	preview, err := t.d.env.Newsletters.Preview(n, store.Person{ID: t.person, Email: t.m.From, Name: t.m.FromName})
	if err != nil {
		return Outcome{}, true, err
	}
	r := t.answer("newsletter-staff", templates.NewsletterStaff{
		Name: t.ans.Name, Stage: templates.StagePreview, Subject: n.Subject, Recipients: count, Preview: preview,
	})
	r.Subject = "Preview: " + n.Subject
	r.Offer = &store.Offer{PersonID: t.person, Kind: store.OfferNewsletter, Items: []string{idString(n.ID)}}
	return Replied.Of("newsletter %d preview (%d recipients)", n.ID, count), true, nil
}

// sendNewsletter answers a preview: SEND from the same, proven, staff
// address sends it; any other answer cancels it.
func (t *turn) sendNewsletter(text string, isStaff bool) (Outcome, bool, error) {
	if len(t.offer.Items) != 1 {
		return Outcome{}, true, fmt.Errorf("newsletter offer %d: want one newsletter id, have %q", t.offer.ID, t.offer.Items)
	}
	id, err := strconv.ParseInt(t.offer.Items[0], 10, 64)
	if err != nil {
		return Outcome{}, true, fmt.Errorf("newsletter offer %d: %w", t.offer.ID, err)
	}
	n, err := t.tx.Newsletter(t.ctx, id)
	if err != nil {
		return Outcome{}, true, err
	}
	// Whatever the answer, the preview is done with: a later SEND to it
	// sends nothing.
	if err := t.tx.DropOffer(t.ctx, t.offer.ID); err != nil {
		return Outcome{}, true, err
	}
	data := templates.NewsletterStaff{Name: t.ans.Name, Stage: templates.StageCancelled, Subject: n.Subject}
	first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	send := strings.EqualFold(strings.Trim(strings.TrimSpace(first), ".!"), "send")
	outcome := Replied.Of("newsletter %d cancelled", n.ID)
	switch {
	case send && !isStaff:
		t.d.env.Log.Warn("SEND for a newsletter from an address not proven to be staff; not sending", "from", t.m.From, "newsletter", n.ID)
		outcome = Replied.Of("newsletter %d not sent: sender not proven staff", n.ID)
	case send:
		count, err := t.d.env.Newsletters.Queue(t.ctx, t.tx, n)
		if err != nil {
			return Outcome{}, true, err
		}
		data.Stage, data.Recipients, data.Finish = templates.StageSending, count, t.d.env.Newsletters.Finish(count)
		outcome = Replied.Of("newsletter %d queued for %d people", n.ID, count)
	}
	t.answer("newsletter-staff", data).Subject = ReplySubject(t.m.Subject, "Newsletter")
	return outcome, true, nil
}

// cutPrefixFold is strings.CutPrefix, ignoring case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
