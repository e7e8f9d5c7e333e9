package desk

import (
	"strings"

	"github.com/betterdays/mailbot/templates"
)

// resume answers a reply to the news that list mail is paused: SEND from
// a proven member of staff lets it go again. Anything else, or SEND from
// an address nothing proves is staff's, is read as any other message.
func (t *turn) resume(text string) (Outcome, bool, error) {
	first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	if !strings.EqualFold(strings.Trim(strings.TrimSpace(first), ".!"), "send") {
		return Outcome{}, false, nil
	}
	if !t.staff {
		t.d.env.Log.Warn("SEND to resume list mail from an address not proven to be staff; not resuming", "from", t.m.From)
		return Outcome{}, false, nil
	}
	was, err := t.tx.ResumeBulk(t.ctx)
	if err != nil {
		return Outcome{}, true, err
	}
	if err := t.tx.DropOffer(t.ctx, t.offer.ID); err != nil {
		return Outcome{}, true, err
	}
	r := t.answer("bulk-resumed", templates.BulkResumed{Name: t.ans.Name, Resumed: was.Paused})
	r.Subject = ReplySubject(t.m.Subject, "Newsletters")
	if !was.Paused {
		return Replied.Of("list mail was not paused"), true, nil
	}
	t.d.env.Log.Info("list mail resumed by staff", "from", t.m.From, "paused_since", was.Since)
	return Replied.Of("list mail resumed"), true, nil
}
